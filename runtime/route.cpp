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

RouteStats route_files(const RouteOptions& options, spdlog::logger& log) {
  JetStream js(options.url);
  js.ensure_stream(records_stream(options.retention));
  std::vector<Head> heads;
  for (const auto& path : options.files) {
    Head& h = heads.emplace_back();
    h.reader = std::make_unique<ingest::JsonlReader>(path == "-" ? "/dev/stdin" : path);
    h.advance();
  }
  SiteRouter router;
  RouteStats stats;
  for (;;) {
    Head* next = nullptr;
    for (auto& h : heads) {
      if (h.valid && (next == nullptr || h.time < next->time)) next = &h;
    }
    if (next == nullptr) break;
    ++stats.read;
    const std::string_view line = next->line;
    const std::string type(ingest::peek_record_type(line));
    const SiteRoute route = router.route(line, /*padded=*/true);
    switch (route.kind) {
      case SiteRoute::Kind::kInventory:
        js.publish_async(NatsSubjects::inventory(type), line);
        ++stats.published;
        break;
      case SiteRoute::Kind::kSites:
        for (const auto& site : route.sites) {
          js.publish_async(NatsSubjects::site(site, type), line);
          ++stats.published;
        }
        break;
      case SiteRoute::Kind::kUnrouted:
        js.publish_async(NatsSubjects::unrouted(type), line);
        ++stats.published;
        break;
      case SiteRoute::Kind::kRejected:
        // The first few with where and why; the rest are counted.
        if (router.stats().rejected <= kRejectsLogged) {
          log.warn("rejected {}:{}: {}: {}{}", next->reader->path(), next->reader->line_number(),
                   ingest::code(router.error().reason), router.error().detail,
                   router.stats().rejected == kRejectsLogged ? " (further rejections are only counted)" : "");
        }
        break;
    }
    next->advance();
  }
  js.wait_published();
  for (const auto& h : heads) {
    if (!h.reader->error().empty()) log.error("{}: {}", h.reader->path(), h.reader->error());
  }
  stats.router = router.stats();
  return stats;
}

}  // namespace callroot::runtime
