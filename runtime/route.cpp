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
  last_ = router_.route(record, padded);
  switch (last_.kind) {
    case SiteRoute::Kind::kInventory: {
      // After every record before it, in every partition.
      flush();
      const std::string type(ingest::peek_record_type(record));
      js_.publish_async(StreamLayout::inventory(type), record);
      ++published_;
      ++messages_;
      for (unsigned p = 0; p < layout_.partitions(); ++p) js_.publish_async(StreamLayout::inventory_copy(p, type), record);
      break;
    }
    case SiteRoute::Kind::kSites:
      for (const auto& site : last_.sites) {
        Batch& batch = batches_[site];
        if (batch.subject.empty()) batch.subject = layout_.site(site);
        if (batch.records == 0) batch.first = std::chrono::steady_clock::now();
        batch.lines.append(record);
        batch.lines.push_back('\n');
        ++batch.records;
        ++published_;
        if (batch.lines.size() >= limits_.max_bytes || batch.records >= limits_.max_records) publish(batch);
      }
      break;
    case SiteRoute::Kind::kUnrouted:
      js_.publish_async(StreamLayout::unrouted(ingest::peek_record_type(record)), record);
      ++published_;
      ++messages_;
      break;
    case SiteRoute::Kind::kRejected: return false;
  }
  return true;
}

void StreamRouter::publish(Batch& batch) {
  if (batch.records == 0) return;
  js_.publish_async(batch.subject, batch.lines);
  ++messages_;
  batch.lines.clear();
  batch.records = 0;
}

void StreamRouter::flush() {
  for (auto& [site, batch] : batches_) publish(batch);
}

void StreamRouter::flush_older_than(std::chrono::steady_clock::duration age) {
  const auto now = std::chrono::steady_clock::now();
  for (auto& [site, batch] : batches_) {
    if (batch.records > 0 && now - batch.first >= age) publish(batch);
  }
}

RouteStats StreamRouter::stats() const {
  RouteStats s;
  s.router = router_.stats();
  s.published = published_;
  s.messages = messages_;
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
  router.flush();
  js.wait_published();
  for (const auto& h : heads) {
    if (!h.reader->error().empty()) log.error("{}: {}", h.reader->path(), h.reader->error());
  }
  return router.stats();
}

}  // namespace callroot::runtime
