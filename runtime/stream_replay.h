#pragma once
/// `callroot replay --nats URL --site NAME`: a site replayed from the
/// records stream (docs/scale-out.md), to look again at an incident window.
/// The site's records kept in the stream are read from the first, with the
/// inventory in stream order, exactly as an instance that held the site from
/// the start read them, so the verdicts are the live ones; those of segments
/// that end inside [from, to) are written, and the incident records updated
/// inside it.

#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "engine/sink.h"
#include "runtime/config.h"
#include "runtime/pipeline.h"
#include "runtime/route.h"

namespace callroot::runtime {

/// Feeds a site's engine the inventory kept beside its records, in stream
/// order: each call passes on the records before `before` not passed yet.
class InventoryCursor {
 public:
  void feed_before(const std::vector<KeptRecord>& inventory, std::uint64_t before, Pipeline& pipeline) {
    for (; next_ < inventory.size() && inventory[next_].seq < before; ++next_) {
      pipeline.feed(inventory[next_].body, ingest::Position{inventory[next_].subject, inventory[next_].seq});
    }
  }

 private:
  std::size_t next_ = 0;
};

struct StreamReplayOptions {
  std::string url = "nats://127.0.0.1:4222";
  std::string site;
  TimeMs from = kNoTime;  ///< kNoTime: from the first
  TimeMs to = kNoTime;    ///< kNoTime: to the last
  Config config;
};

/// Replays into `sink`; throws JetStreamError when the stream cannot be read.
PipelineStats replay_site(const StreamReplayOptions& options, engine::VerdictSink& sink,
                          std::shared_ptr<spdlog::logger> log);

}  // namespace callroot::runtime
