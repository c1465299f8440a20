#pragma once
/// The published targets as evidence: the engine's built-in knowledge of
/// what a healthy voice path looks like, and the reading of Wi-Fi cause and
/// symptom the statistics share.

#include "engine/attribution.h"

namespace callroot::engine {

/// What a side's Wi-Fi says about cause and symptom, by the published
/// targets. Retries are how a poor radio link shows, whoever caused it: with
/// a good signal and the AP's radio out of target (busy, interfered,
/// retrying), they are the radio's; with the client's signal weak, the
/// client's. A weak signal that costs no retries is not hurting the call (a
/// client far from its AP whose calls are fine).
struct WifiReading {
  bool signal_weak = false;  ///< RSSI or SNR below target
  bool signal_measured = false;
  bool retries_high = false;  ///< the client's retries above target
  bool retries_measured = false;
  bool radio_bad = false;  ///< the AP radio's utilization, interference or retries above target
  bool radio_measured = false;
  [[nodiscard]] bool retries_are_radios() const noexcept { return radio_bad && signal_measured && !signal_weak; }
  /// The client's retries were measured and are within target: a weak
  /// signal is costing it nothing. Unmeasured retries say nothing either way.
  [[nodiscard]] bool retries_low() const noexcept { return retries_measured && !retries_high; }
  /// The air link delivered: the client's own retries, which count every
  /// frame the radio link failed to deliver whatever the cause, and the
  /// radio's conditions were measured and within target over the call.
  [[nodiscard]] bool air_link_clean() const noexcept {
    return retries_measured && !retries_high && radio_measured && !radio_bad;
  }
};
WifiReading read_wifi(const SideEvidence& side);

/// False when `value` of `column` of `family` is past one of the published
/// bounds (a minimum or a maximum; per-frame counter targets need the
/// traffic and are not judged here): a fault, not a normal value.
bool within_published_target(Family family, std::size_t column, double value);

/// True when `hop` has samples and meets every published target over the
/// window: clean by its own telemetry.
bool within_targets(const HopEvidence& hop);

/// The built-in heuristic as an evidence source. Every hop of every
/// organization endpoint (the client, its AP radio, the switch ports upward,
/// the WAN links) is scored by how far its telemetry over the segment window
/// departs from published targets; the strongest departure of a component
/// plus a quarter of the others is its weight, in log-odds (kDepartureScale
/// per unit). Targets and sources:
/// - Wi-Fi client: RSSI >= -67 dBm, SNR >= 25 dB, retries <= 15 % (voice
///   Wi-Fi design guidance: Cisco's Voice over WLAN guide, Juniper Mist); the
///   call client's own wifi_signal_pct >= 40 %.
/// - AP radio (of the client's band when known): channel utilization <= 50 %,
///   interference <= 25 %, AP retries <= 20 % (same guidance); AP CPU <= 90 %.
/// - Switch port: errors, FCS errors or discards on more than one frame in
///   ten thousand, in more than one sample (PortFaultShare); utilization
///   <= 90 %; port up. Both ends of every link, owned by its downstream device.
/// - WAN link: loss <= 1 %, jitter <= 30 ms, round-trip latency <= 100 ms
///   (Teams network requirements, client to Microsoft edge), utilization <= 90 %.
/// - Client device: CPU <= 90 %; Graph's cpuInsufficientEventRatio <= 0.1;
///   a Teams Rooms device with a microphone, speaker, camera or other
///   peripheral that is unhealthy or disconnected, when a poor stream is of
///   the media and direction it feeds (microphone: audio sent; speakers:
///   audio received; room camera: video sent).
/// - A user's feedback about sound on a call whose packets arrived clean.
/// - The far side (weigh_remote), competing with the hops above.
class PublishedTargets final : public EvidenceProvider {
 public:
  /// Log-odds per unit of departure (a target just crossed is 0.25 units, the cap 6).
  static constexpr double kDepartureScale = 1.2;

  void weigh(const ScoringContext& ctx, Candidates& out) override;
};

}  // namespace callroot::engine
