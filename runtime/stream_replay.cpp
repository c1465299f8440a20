#include "runtime/stream_replay.h"

#include "runtime/jetstream.h"
#include "runtime/route.h"

namespace callroot::runtime {
namespace {

/// Passes on what falls in the window.
class WindowSink final : public engine::VerdictSink {
 public:
  WindowSink(engine::VerdictSink& next, TimeMs from, TimeMs to) : next_(next), from_(from), to_(to) {}
  void on_verdict(const Verdict& v) override {
    if (inside(v.end)) next_.on_verdict(v);
  }
  void on_incident(const Incident& x) override {
    if (inside(x.updated)) next_.on_incident(x);
  }

 private:
  [[nodiscard]] bool inside(TimeMs t) const noexcept {
    return (from_ == kNoTime || t >= from_) && (to_ == kNoTime || t < to_);
  }
  engine::VerdictSink& next_;
  TimeMs from_, to_;
};

/// Every message of `filter` kept in the records stream, as (sequence, subject, body).
struct Kept {
  std::uint64_t seq;
  std::string subject, body;
};

std::vector<Kept> read_kept(JetStream& js, const std::string& filter, std::uint64_t last) {
  std::vector<Kept> out;
  if (last == 0) return out;
  ConsumerSpec spec;
  spec.stream = NatsSubjects::kRecordsStream;
  spec.filter = filter;
  auto consumer = js.pull_consumer(spec);
  for (;;) {
    auto batch = consumer->fetch(1024, std::chrono::milliseconds(500));
    if (batch.empty()) break;
    bool done = false;
    for (auto& m : batch) {
      if (m.stream_sequence() > last) {
        done = true;
        break;
      }
      out.push_back({m.stream_sequence(), std::string(m.subject()), std::string(m.data())});
    }
    if (done || batch.back().pending() == 0 || batch.back().stream_sequence() >= last) break;
  }
  return out;
}

}  // namespace

PipelineStats replay_site(const StreamReplayOptions& options, engine::VerdictSink& sink,
                          std::shared_ptr<spdlog::logger> log) {
  JetStream js(options.url);
  // What is there now: records routed while this runs are left for the next look.
  const std::uint64_t last = js.last_sequence(NatsSubjects::kRecordsStream);
  const std::vector<Kept> inventory = read_kept(js, "callroot.inventory.>", last);
  const std::vector<Kept> records = read_kept(js, NatsSubjects::site_filter(options.site), last);
  WindowSink window(sink, options.from, options.to);
  Pipeline pipeline(options.config.engine, window, log);
  pipeline.engine().set_attributor(require_attribution(options.config.attribution));
  std::size_t i = 0;
  for (const Kept& r : records) {
    for (; i < inventory.size() && inventory[i].seq < r.seq; ++i) {
      pipeline.feed(inventory[i].body, ingest::Position{inventory[i].subject, inventory[i].seq});
    }
    pipeline.feed(r.body, ingest::Position{r.subject, r.seq}, /*padded=*/false, NatsSubjects::site_record_type(r.subject));
  }
  for (; i < inventory.size(); ++i) pipeline.feed(inventory[i].body, ingest::Position{inventory[i].subject, inventory[i].seq});
  pipeline.flush();
  PipelineStats stats = pipeline.stats();
  stats.engine = pipeline.engine().stats();
  return stats;
}

}  // namespace callroot::runtime
