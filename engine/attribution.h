#pragma once
/// Attribution: who is to blame for a poor segment. An Attributor turns a
/// ScoringContext into the ranked `blame` list of a verdict.
///
/// Every attributor works in log-odds: it weighs each candidate component
/// (the client, its AP, the switch ports upward, the WAN links, the far side)
/// by how much more likely that component is the cause than not, and the
/// weights of independent pieces of evidence add. `report_blame` then ranks
/// the candidates and turns the weights into confidences. Keeping one scale
/// is what lets rules, statistics and the heuristic be combined
/// (CombinedAttributor) and compared.

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/evidence.h"
#include "models/verdict.h"

namespace callroot::engine {

/// One component that may be the cause, with the evidence that moved it.
struct CandidateScore {
  ComponentKind kind = ComponentKind::kUnknown;
  std::uint32_t component = 0;  ///< ClientId / ApId / SwitchId / LinkId by kind; 0 for remote
  SiteId site;
  double log_odds = 0;          ///< the summed weight of the evidence
  std::vector<Evidence> evidence;
  /// For a switch: the port hop whose evidence weighed most, so the verdict
  /// can name the link's two ends. Points into the ScoringContext's sides.
  const HopEvidence* link_hop = nullptr;
  double link_weight = 0;

  /// Remembers `hop` as the link behind this candidate when it is a switch
  /// port that weighed more than any before it.
  void note_link(const HopEvidence& hop, double weight) noexcept {
    if (hop.family != Family::kSwitchPort || weight <= link_weight) return;
    link_hop = &hop;
    link_weight = weight;
  }
};

/// The candidates of one segment, in the order they were found (the path
/// order: that order breaks ties, keeping the output deterministic).
struct Candidates {
  std::vector<CandidateScore> list;
  bool any_telemetry = false;  ///< some hop of an organization path had samples

  CandidateScore& at(ComponentKind kind, std::uint32_t component, SiteId site);
  [[nodiscard]] CandidateScore* find(ComponentKind kind, std::uint32_t component) noexcept;
  void clear() noexcept {
    list.clear();
    any_telemetry = false;
  }
};

/// How log-odds become the confidences of a verdict.
struct Calibration {
  double temperature = 1.0;  ///< weights are divided by this before the softmax
  double none_weight = 0.0;  ///< the log-odds of "none of these components"
  double min_log_odds = 0.0; ///< a top candidate at or below this is not named: `unknown`
  std::size_t max_blames = 3;
};

/// Ranks `candidates` and appends them to `verdict.blame`, highest first:
/// confidence_i = e^(w_i/T) / (e^none + sum_j e^(w_j/T)). With no candidate
/// above `min_log_odds`, a single `unknown` blame carries `<prefix>.ambiguous`
/// (the path has telemetry or statistics, and nothing stands out) or
/// `<prefix>.insufficient` (nothing to judge by).
void report_blame(const ScoringContext& ctx, Candidates& candidates, const Calibration& calibration,
                  std::string_view prefix, Verdict& verdict);

/// The outside party whose streams alone are poor (with the network's mark),
/// while what the organization sent arrived in good quality; none when the
/// segment does not look like that.
std::optional<Side> far_side_only(const ScoringContext& ctx) noexcept;

/// Both ends of the link a switch-port hop reads (Blame::link).
BlamedLink blamed_link(const Directory& directory, const HopEvidence& hop);

/// The far side as a candidate: a remote party's streams are poor while
/// everything the organization sent arrived in good quality, so the shared
/// network path is not the cause. Adds `remote` with `weight` when it holds.
void weigh_remote(const ScoringContext& ctx, double weight, std::string_view id, Candidates& out);

/// True when some poor stream of the segment shows no network impairment
/// (quality.h): an endpoint, not the path, spoiled it. A starved CPU or a
/// faulty device is a cause only then.
bool poor_without_network_impairment(const ScoringContext& ctx) noexcept;

/// What a side's Wi-Fi says about cause and symptom, by the heuristic's
/// targets. Retries are how a poor radio link shows, whoever caused it: with
/// a good signal and the AP's radio out of target (busy, interfered,
/// retrying), they are the radio's; with the client's signal weak, the
/// client's. A weak signal that costs no retries is not hurting the call (a
/// client far from its AP whose calls are fine).
struct WifiReading {
  bool signal_weak = false;      ///< RSSI or SNR below target
  bool signal_measured = false;
  bool retries_high = false;     ///< the client's retries above target
  bool radio_bad = false;        ///< the AP radio's utilization, interference or retries above target
  [[nodiscard]] bool retries_are_radios() const noexcept { return radio_bad && signal_measured && !signal_weak; }
};
WifiReading read_wifi(const SideEvidence& side);

/// False when `value` of `column` of `family` is past one of the heuristic's
/// published bounds (a minimum or a maximum; per-frame counter targets need
/// the traffic and are not judged here): a fault, not a normal value.
bool within_published_target(Family family, std::size_t column, double value);

/// True when `hop` has samples and meets every one of the heuristic's
/// published targets over the window: clean by its own telemetry.
bool within_targets(const HopEvidence& hop);

class Attributor {
 public:
  virtual ~Attributor() = default;
  /// Called for poor segments only; appends to `verdict.blame`, ranked.
  virtual void attribute(const ScoringContext& ctx, Verdict& verdict) = 0;
  /// The candidates and their evidence in log-odds, before ranking (what a
  /// CombinedAttributor adds statistics to). Attributors that do not weigh
  /// candidates (the reference methods) leave `out` empty.
  virtual void weigh(const ScoringContext& ctx, Candidates& out) { (void)ctx, (void)out; }
  /// Whether the evidence must carry p50/p95 (a sort per column: skipped when not needed).
  [[nodiscard]] virtual bool needs_quantiles() const noexcept { return false; }
};
using AttributorPtr = std::unique_ptr<Attributor>;

/// The foundation's heuristic. Every hop of every organization endpoint (the
/// client, its AP radio, the switch ports upward, the WAN links) is scored by
/// how far its telemetry over the segment window departs from published
/// targets; the strongest departure of a component plus a quarter of the
/// others is its weight, in log-odds (departure_scale per unit).
/// Targets and sources:
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
///   audio received; room camera: video sent; see peripheral_explains).
/// - The far side (weigh_remote), competing with the hops above.
/// With no candidate, the blame is `unknown`: "ambiguous" when the path has
/// telemetry that is within targets, "insufficient" when it has none.
class HeuristicAttributor final : public Attributor {
 public:
  /// Log-odds per unit of departure (a target just crossed is 0.25 units, the cap 6).
  static constexpr double kDepartureScale = 1.2;

  void attribute(const ScoringContext& ctx, Verdict& verdict) override;
  void weigh(const ScoringContext& ctx, Candidates& out) override;

 private:
  Candidates candidates_;  // reused
};

}  // namespace callroot::engine
