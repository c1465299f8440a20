#pragma once
/// Rules (or the heuristic) and statistics, combined in log-odds.
///
/// The base attributor weighs each candidate from what engineers know
/// (published targets, the rule pack). The statistics then add, per
/// candidate on the organization's paths (docs/statistics.md):
/// - shared fate: the log-likelihood ratio that the component is faulty given
///   the poor and good segments that crossed it in the window, with the
///   segment's own client left out and the more specific hop below it
///   explained away (a bad AP does not make its switch look bad);
/// - baselines: how many robust standard deviations the hop's telemetry over
///   the segment window sits from its own normal for that hour, in the bad
///   direction;
/// - tomography: the hop's solved additive share of the loss and jitter of
///   the window's streams.
/// Each is scaled into log-odds and capped, so that no single statistic can
/// outvote the rest, and every one that moved a candidate is in its evidence.
/// Confidences come from report_blame with a calibration fitted on generated
/// scenarios (BENCHMARKS.md shows the calibration table).
///
/// Without a base attributor this is "statistics only" (the far-side test is
/// kept: it is a property of the segment, not a rule).

#include "engine/attribution.h"
#include "engine/fate_key.h"

namespace callroot::engine {

struct CombinedConfig {
  bool shared_fate = true;
  double fate_weight = 0.3;  ///< log-odds per unit of shared-fate LLR
  double fate_cap = 1.5;     ///< contribution at most this...
  /// ...and at least minus this: calls that went well before a fault began
  /// must not clear a component the telemetry accuses.
  double fate_clear_cap = 0.75;
  /// ...but down to minus this when the component's telemetry was as far
  /// out of target over the window's calls, at least this many of them, as
  /// over this one: what it shows harmed none of them.
  double fate_contradiction_cap = 2.5;
  std::uint32_t contradiction_min_segments = 5;
  /// A component's poor calls are explained by the hop above it when that
  /// hop's other calls reach this LLR.
  double fate_parent_llr = 2.0;
  /// Taken off a client whose AP's other clients suffer too (its Wi-Fi
  /// symptoms are then its AP's).
  double shared_symptoms = 0.75;
  bool baselines = true;
  double z_threshold = 3.5;  ///< robust z beyond this (in the bad direction) is evidence
  double z_base = 0.6;       ///< the contribution of a z just past the threshold
  double z_weight = 0.3;     ///< log-odds per further unit of z
  double z_cap = 2.5;
  double z_normal = 2.0;        ///< every impairment column at or below this: the hop looks healthy...
  double healthy_clear = 0.75;  ///< ...which takes this off a candidate accused by statistics alone
  /// Taken instead when the hop also meets every published target over the
  /// call (clean by its own telemetry): as much as shared fate can add.
  double clean_clear = 1.5;
  bool tomography = true;
  double tomo_loss_pct = 1.0;    ///< a solved loss share above this is evidence
  double tomo_jitter_ms = 15.0;  ///< a solved jitter share above this is evidence
  double tomo_weight = 0.8;      ///< log-odds per multiple of the threshold
  double tomo_cap = 2.0;
  std::uint32_t tomo_min_observations = 5;
  /// Added to `remote` when the far side explains the segment (see weigh_remote).
  double remote_direction = 0.75;
  /// Remote by elimination (weigh_elimination): what the far side gets when
  /// the media shows network harm and every local hop is clean.
  double remote_elimination = 1.5;
  /// ...plus this when the calls' round trip exceeds the WAN link's own by
  /// more than far_rtt_ms (the delay is added beyond the organization's edge).
  double remote_far_rtt = 0.5;
  /// ...plus this when the party's other poor calls came through several
  /// local access points (RemoteFate: recurrence).
  double remote_recurrence = 1.0;
  double far_rtt_ms = 100;
  /// Below 1 (e^1: odds of 2.7 to 1) no component is named: `unknown`.
  Calibration calibration{1.0, 0.0, 1.0};
};

class CombinedAttributor final : public Attributor {
 public:
  /// `base` may be null: statistics only.
  explicit CombinedAttributor(AttributorPtr base, CombinedConfig config = {});

  void attribute(const ScoringContext& ctx, Verdict& verdict) override;
  void weigh(const ScoringContext& ctx, Candidates& out) override;
  [[nodiscard]] bool needs_quantiles() const noexcept override { return base_ && base_->needs_quantiles(); }

  [[nodiscard]] Attributor* base() noexcept { return base_.get(); }
  [[nodiscard]] const CombinedConfig& config() const noexcept { return config_; }

 private:
  void weigh_side(const ScoringContext& ctx, const SideEvidence& side, Candidates& out);
  /// Remote by elimination: the media shows network harm, an outside party
  /// is in the call, every organization hop has telemetry and none would be
  /// named, and the party recurs in poor calls or the path's APs have other
  /// calls to speak for them.
  void weigh_elimination(const ScoringContext& ctx, Candidates& out);
  /// True when the hop of `key` on `side` is out of target over the call
  /// and was out of target over the `window` before it too.
  [[nodiscard]] bool same_before(const ScoringContext& ctx, const SideEvidence& side, FateKey key,
                                 DurationMs window) const;
  [[nodiscard]] bool radios_vouched(const ScoringContext& ctx) const;
  void add(Candidates& out, const ScoringContext& ctx, const SideEvidence& side, ComponentRef c, double log_odds,
           Evidence evidence);

  AttributorPtr base_;
  CombinedConfig config_;
  Candidates candidates_;
  std::vector<FateKey> keys_;
  // Per candidate, the strongest contribution of each statistic so far: a
  // switch met through two ports, or a client through two families, counts once.
  struct Contribution {
    ComponentRef component;
    std::uint8_t statistic;
    double value;
  };
  std::vector<Contribution> contributions_;
  bool positive_allowed_ = true;  // false when the far side explains the segment
};

}  // namespace callroot::engine
