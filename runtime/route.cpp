#include "runtime/route.h"

#include <memory>

#include "ingest/jsonl_reader.h"
#include "ingest/time_peek.h"

namespace callroot::runtime {

StreamSpec records_stream(std::chrono::seconds retention) {
  StreamSpec spec;
  spec.name = NatsSubjects::kRecordsStream;
  spec.subjects = NatsSubjects::record_subjects();
  spec.max_age = retention;
  return spec;
}

StreamSpec verdicts_stream(std::chrono::seconds duplicate_window) {
  StreamSpec spec;
  spec.name = NatsSubjects::kVerdictsStream;
  spec.subjects = {"callroot.verdicts.>", "callroot.incidents.>"};
  spec.duplicate_window = duplicate_window;
  return spec;
}

namespace {

/// One file's next line, with the time it is merged by.
struct Head {
  std::unique_ptr<ingest::JsonlReader> reader;
  std::string_view line;
  TimeMs time = kNoTime;
  bool valid = false;

  void advance() {
    valid = reader->next(line);
    time = valid ? ingest::peek_event_time(line) : kNoTime;
  }
};

constexpr std::uint64_t kRejectsLogged = 20;

}  // namespace

bool StreamRouter::route(std::string_view record, bool padded) {
  ++read_;
  const std::string type(ingest::peek_record_type(record));
  last_ = router_.route(record, padded);
  switch (last_.kind) {
    case SiteRoute::Kind::kInventory:
      js_.publish_async(NatsSubjects::inventory(type), record);
      ++published_;
      break;
    case SiteRoute::Kind::kSites:
      for (const auto& site : last_.sites) {
        js_.publish_async(NatsSubjects::site(site, type), record);
        ++published_;
      }
      break;
    case SiteRoute::Kind::kUnrouted:
      js_.publish_async(NatsSubjects::unrouted(type), record);
      ++published_;
      break;
    case SiteRoute::Kind::kRejected: return false;
  }
  return true;
}

RouteStats StreamRouter::stats() const {
  RouteStats s;
  s.router = router_.stats();
  s.published = published_;
  s.read = read_;
  return s;
}

RouteStats route_files(const RouteOptions& options, spdlog::logger& log) {
  JetStream js(options.url);
  js.ensure_stream(records_stream(options.retention));
  std::vector<Head> heads;
  for (const auto& path : options.files) {
    Head& h = heads.emplace_back();
    h.reader = std::make_unique<ingest::JsonlReader>(path == "-" ? "/dev/stdin" : path);
    h.advance();
  }
  StreamRouter router(js);
  for (;;) {
    Head* next = nullptr;
    for (auto& h : heads) {
      if (h.valid && (next == nullptr || h.time < next->time)) next = &h;
    }
    if (next == nullptr) break;
    // The first few rejections with where and why; the rest are counted.
    if (!router.route(next->line, /*padded=*/true) && router.stats().router.rejected <= kRejectsLogged) {
      log.warn("rejected {}:{}: {}: {}{}", next->reader->path(), next->reader->line_number(),
               ingest::code(router.error().reason), router.error().detail,
               router.stats().router.rejected == kRejectsLogged ? " (further rejections are only counted)" : "");
    }
    next->advance();
  }
  js.wait_published();
  for (const auto& h : heads) {
    if (!h.reader->error().empty()) log.error("{}: {}", h.reader->path(), h.reader->error());
  }
  return router.stats();
}

}  // namespace callroot::runtime
