#pragma once
/// Attribution: who is to blame for a poor segment. An Attributor turns a
/// ScoringContext into the ranked `blame` list of a verdict. The foundation
/// ships HeuristicAttributor (published targets per hop); rules and
/// statistics plug in behind the same interface.

#include <memory>

#include "engine/evidence.h"
#include "models/verdict.h"

namespace callroot::engine {

class Attributor {
 public:
  virtual ~Attributor() = default;
  /// Called for poor segments only; appends to `verdict.blame`, ranked.
  virtual void attribute(const ScoringContext& ctx, Verdict& verdict) = 0;
  /// Whether the evidence must carry p50/p95 (a sort per column: skipped when not needed).
  [[nodiscard]] virtual bool needs_quantiles() const noexcept { return false; }
};
using AttributorPtr = std::unique_ptr<Attributor>;

/// The foundation's heuristic. Every hop of every organization endpoint (the
/// client, its AP radio, the switch ports upward, the WAN links) is scored by
/// how far its telemetry over the segment window departs from published
/// targets; the components are ranked by that departure, with a confidence
/// from each one's share of the total (plus a fixed share of doubt).
/// Targets and sources:
/// - Wi-Fi client: RSSI >= -67 dBm, SNR >= 25 dB, retries <= 15 % (voice
///   Wi-Fi design guidance: Cisco's Voice over WLAN guide, Juniper Mist); the
///   call client's own wifi_signal_pct >= 40 %.
/// - AP radio (of the client's band when known): channel utilization <= 50 %,
///   interference <= 25 %, AP retries <= 20 % (same guidance); AP CPU <= 90 %.
/// - Switch port: any growth of errors, FCS errors or discards; utilization
///   <= 90 %; port up.
/// - WAN link: loss <= 1 %, jitter <= 30 ms, round-trip latency <= 100 ms
///   (Teams network requirements, client to Microsoft edge), utilization <= 90 %.
/// - Client device: CPU <= 90 %; Graph's cpuInsufficientEventRatio <= 0.1;
///   a Teams Rooms device with a microphone, speaker or camera that is
///   unhealthy or disconnected.
/// - The far side: when a remote party's streams are poor while everything
///   the organization sent arrived in good quality, `remote` is a candidate
///   (departure 1.0) competing with the hops above.
/// With no candidate, the blame is `unknown`: "ambiguous" when the path has
/// telemetry that is within targets, "insufficient" when it has none.
class HeuristicAttributor final : public Attributor {
 public:
  void attribute(const ScoringContext& ctx, Verdict& verdict) override;
};

}  // namespace callroot::engine
