#include "runtime/stream_replay.h"

#include <limits>

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

}  // namespace

PipelineStats replay_site(const StreamReplayOptions& options, engine::VerdictSink& sink,
                          std::shared_ptr<spdlog::logger> log) {
  JetStream js(options.url);
  const auto layout = read_layout(js);
  if (!layout) throw JetStreamError("nats: no records were routed to " + options.url + " (no layout in callroot_layout)");
  const std::string stream = layout->stream_of(options.site);
  // What is there now: records routed while this runs are left for the next look.
  const std::uint64_t last = js.last_sequence(stream);
  const auto inventory = read_kept(js, stream, StreamLayout::inventory_copies(layout->partition_of(options.site)), last);
  const auto batches = read_kept(js, stream, layout->site(options.site), last);
  WindowSink window(sink, options.from, options.to);
  Pipeline pipeline(options.config.engine, window, log);
  pipeline.engine().set_attributor(require_attribution(options.config.attribution));
  InventoryCursor cursor;
  for (const KeptRecord& b : batches) {
    cursor.feed_before(inventory, b.seq, pipeline);
    const ingest::Position where{b.subject, b.seq};
    for_each_record(b.body, [&](std::string_view record) { pipeline.feed(record, where); });
  }
  cursor.feed_before(inventory, std::numeric_limits<std::uint64_t>::max(), pipeline);
  pipeline.flush();
  PipelineStats stats = pipeline.stats();
  stats.engine = pipeline.engine().stats();
  return stats;
}

}  // namespace callroot::runtime
