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
};
using AttributorPtr = std::unique_ptr<Attributor>;

/// The foundation's heuristic: each hop on the path of a poor stream is
/// scored by how far its telemetry departs from published targets; the hop
/// that departs most is blamed, with a confidence from its share of the
/// total departure. Targets and sources:
/// - Wi-Fi client: RSSI >= -67 dBm, SNR >= 25 dB, retries <= 15 % (voice
///   Wi-Fi design guidance: Cisco's Voice over WLAN guide, Juniper Mist).
/// - Access point: channel utilization <= 50 %, interference <= 25 %, AP
///   retries <= 20 % (same guidance).
/// - Switch port: any growth of errors, FCS errors or discards; utilization
///   <= 90 %; port up.
/// - WAN link: loss <= 1 %, jitter <= 30 ms, round-trip latency <= 100 ms
///   (Teams network requirements, client to Microsoft edge), utilization <= 90 %.
/// - Client device: CPU <= 90 %; Graph's cpuInsufficientEventRatio <= 0.1;
///   a Teams Rooms device with an unhealthy or disconnected microphone,
///   speaker or camera.
/// When no organization hop departs from its targets and a remote party sent
/// a poor stream, blame is `remote`; otherwise `unknown`.
class HeuristicAttributor final : public Attributor {
 public:
  void attribute(const ScoringContext& ctx, Verdict& verdict) override;
};

}  // namespace callroot::engine
