#include "runtime/route.h"

#include <charconv>
#include <memory>
#include <stdexcept>

#include "ingest/jsonl_reader.h"
#include "ingest/time_peek.h"

namespace callroot::runtime {

unsigned StreamLayout::partition_of(std::string_view site) const noexcept {
  return static_cast<unsigned>(stable_hash(site) % partitions_);
}

std::string_view StreamLayout::site_record_type(std::string_view subject) {
  // callroot . p<k> . site . <token> . <type>
  std::size_t at = std::string_view::npos;
  for (int dots = 0; dots < 4; ++dots) {
    at = subject.find('.', at == std::string_view::npos ? 0 : at + 1);
    if (at == std::string_view::npos) return {};
  }
  return subject.substr(at + 1);
}

std::vector<StreamSpec> StreamLayout::record_streams(std::chrono::seconds retention) const {
  std::vector<StreamSpec> out;
  StreamSpec inventory;
  inventory.name = kInventoryStream;
  inventory.subjects = {"callroot.inventory.>", "callroot.unrouted.>"};
  inventory.max_age = retention;
  out.push_back(std::move(inventory));
  for (unsigned p = 0; p < partitions_; ++p) {
    StreamSpec partition;
    partition.name = partition_stream(p);
    partition.subjects = {prefix(p) + ">"};
    partition.max_age = retention;
    out.push_back(std::move(partition));
  }
  return out;
}

StreamSpec verdicts_stream(std::chrono::seconds duplicate_window) {
  StreamSpec spec;
  spec.name = StreamLayout::kVerdictsStream;
  spec.subjects = {"callroot.verdicts.>", "callroot.incidents.>"};
  spec.duplicate_window = duplicate_window;
  return spec;
}

namespace {

constexpr const char* kLayoutBucket = "callroot_layout";
constexpr const char* kPartitionsKey = "partitions";

}  // namespace

std::optional<StreamLayout> read_layout(JetStream& js) {
  const auto entry = js.key_value(kLayoutBucket)->get(kPartitionsKey);
  if (!entry) return std::nullopt;
  unsigned partitions = 0;
  const auto [end, ec] = std::from_chars(entry->value.data(), entry->value.data() + entry->value.size(), partitions);
  if (ec != std::errc{} || end != entry->value.data() + entry->value.size() || partitions == 0) {
    throw std::runtime_error(std::string(kLayoutBucket) + ": `" + kPartitionsKey + "` is not a number of partitions: " +
                             entry->value);
  }
  return StreamLayout(partitions);
}

StreamLayout lay_out_streams(JetStream& js, unsigned partitions, std::chrono::seconds retention) {
  if (const auto existing = read_layout(js); existing && existing->partitions() != partitions) {
    throw std::runtime_error("the streams are laid out in " + std::to_string(existing->partitions()) +
                             " partitions (" + kLayoutBucket + "); route with --partitions " +
                             std::to_string(existing->partitions()) + ", or start with an empty server");
  }
  const StreamLayout layout(partitions);
  for (const auto& spec : layout.record_streams(retention)) js.ensure_stream(spec);
  // Written after the streams exist: an instance that reads it finds them.
  js.key_value(kLayoutBucket)->create(kPartitionsKey, std::to_string(partitions));
  return *read_layout(js);
}

std::vector<KeptRecord> read_kept(JetStream& js, const std::string& stream, const std::string& filter, std::uint64_t last) {
  std::vector<KeptRecord> out;
  if (last == 0) return out;
  ConsumerSpec spec;
  spec.stream = stream;
  spec.filter = filter;
  auto consumer = js.pull_consumer(spec);
  for (;;) {
    auto batch = consumer->fetch(1024, std::chrono::milliseconds(500));
    if (batch.empty()) break;
    for (auto& m : batch) {
      if (m.stream_sequence() > last) return out;
      out.push_back({m.stream_sequence(), std::string(m.subject()), std::string(m.data())});
    }
    if (batch.back().pending() == 0 || batch.back().stream_sequence() >= last) break;
  }
  return out;
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
      js_.publish_async(StreamLayout::inventory(type), record);
      ++published_;
      for (unsigned p = 0; p < layout_.partitions(); ++p) js_.publish_async(StreamLayout::inventory_copy(p, type), record);
      break;
    case SiteRoute::Kind::kSites:
      for (const auto& site : last_.sites) {
        js_.publish_async(layout_.site(site, type), record);
        ++published_;
      }
      break;
    case SiteRoute::Kind::kUnrouted:
      js_.publish_async(StreamLayout::unrouted(type), record);
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
  JetStream js(options.url, std::chrono::seconds(5), JetStream::Writes::kGathered);  // files: a bulk load
  const StreamLayout layout = lay_out_streams(js, options.partitions, options.retention);
  std::vector<Head> heads;
  for (const auto& path : options.files) {
    Head& h = heads.emplace_back();
    h.reader = std::make_unique<ingest::JsonlReader>(path == "-" ? "/dev/stdin" : path);
    h.advance();
  }
  StreamRouter router(js, layout);
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
