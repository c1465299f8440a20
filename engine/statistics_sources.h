#pragma once
/// The statistics as evidence sources, weighed after what engineers know
/// (published targets, a rule pack).
///
/// They add, per candidate on the organization's paths (docs/statistics.md):
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
/// Without published targets or rules this is "statistics only" (the
/// far-side test is kept: it is a property of the segment, not a rule).

#include "engine/attribution.h"
#include "engine/fate_key.h"

namespace callroot::engine {

struct StatisticsWeights {
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
  /// Remote by elimination (RemoteElimination): what the far side gets when
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

/// The strongest contribution of one statistic to each component: a switch
/// met through two ports, or a client through two families, counts once.
/// While the far side explains the segment (a `remote` candidate is already
/// weighed), statistics may corroborate a component its own telemetry or a
/// rule accuses, never accuse one on their own.
class StatisticLedger {
 public:
  /// Starts a segment: `out` as the sources before this one left it.
  void begin(const Candidates& out);
  /// Adds `log_odds` to `c` (created when positive), or what it adds beyond
  /// this statistic's earlier contribution to `c`.
  void add(Candidates& out, const ScoringContext& ctx, const SideEvidence& side, ComponentRef c, double log_odds,
           Evidence evidence);

 private:
  struct Contribution {
    ComponentRef component;
    double value;
  };
  std::vector<Contribution> contributions_;
  bool may_accuse_ = true;
};

/// The direction of the harm: when only the far side's streams are poor and
/// what the organization sent arrived well, the far side gains
/// `remote_direction` (a fault on the organization's side hurts what it
/// sends as well). With `name_remote`, this source also names the far side
/// (weigh_remote) when no source before it did: statistics alone.
class FarSideDirection final : public EvidenceProvider {
 public:
  FarSideDirection(const StatisticsWeights& config, bool name_remote) : config_(config), name_remote_(name_remote) {}
  void weigh(const ScoringContext& ctx, Candidates& out) override;

 private:
  StatisticsWeights config_;
  bool name_remote_;
};

/// Shared fate (docs/statistics.md): per hop of the organization's paths,
/// the log-likelihood ratio that the component is faulty given the poor and
/// good segments that crossed it in the window, the segment's own client
/// left out and the hop below explaining its poor segments away (explaining
/// down); a hop's poor calls explained by the hop above it count for
/// nothing (explaining up). Healthy calls clear a little (they may predate
/// the fault), more when the hop looked the same while they went well. A
/// client whose AP's other clients suffer too is cleared by
/// `shared_symptoms`: its Wi-Fi symptoms are its AP's.
class SharedFateSource final : public EvidenceProvider {
 public:
  explicit SharedFateSource(const StatisticsWeights& config) : config_(config) {}
  void weigh(const ScoringContext& ctx, Candidates& out) override;

 private:
  void weigh_side(const ScoringContext& ctx, const SideEvidence& side, Candidates& out);
  /// True when the hop of `key` on `side` is out of target over the call
  /// and was out of target over the `window` before it too.
  [[nodiscard]] static bool same_before(const ScoringContext& ctx, const SideEvidence& side, FateKey key,
                                        DurationMs window);

  StatisticsWeights config_;
  StatisticLedger fate_;
  StatisticLedger symptoms_;
  StatisticLedger radio_;
  std::vector<FateKey> keys_;
};

/// Tomography: each hop's solved additive share of the loss and jitter of
/// the window's streams, as evidence when it passes the configured share.
class TomographySource final : public EvidenceProvider {
 public:
  explicit TomographySource(const StatisticsWeights& config) : config_(config) {}
  void weigh(const ScoringContext& ctx, Candidates& out) override;

 private:
  StatisticsWeights config_;
  StatisticLedger ledger_;
  std::vector<FateKey> keys_;
};

/// Baselines: how many robust standard deviations each hop's impairment
/// columns sit from their own normal for that hour, in the bad direction;
/// a hop whose columns all sit near normal (or a WAN link meeting every
/// published target) clears a candidate that only statistics accuse.
class BaselineSource final : public EvidenceProvider {
 public:
  explicit BaselineSource(const StatisticsWeights& config) : config_(config) {}
  void weigh(const ScoringContext& ctx, Candidates& out) override;

 private:
  void weigh_side(const ScoringContext& ctx, const SideEvidence& side, Candidates& out);

  StatisticsWeights config_;
  StatisticLedger anomalies_;
  StatisticLedger healthy_;
};

/// Remote by elimination: the media shows network harm, an outside party is
/// in the call, every organization hop has telemetry and none would be
/// named, and the party recurs in poor calls or the path's APs have other
/// calls to speak for them. Runs after every other source: it reads their
/// verdict on the local hops.
class RemoteElimination final : public EvidenceProvider {
 public:
  explicit RemoteElimination(const StatisticsWeights& config) : config_(config) {}
  void weigh(const ScoringContext& ctx, Candidates& out) override;

 private:
  [[nodiscard]] static bool radios_vouched(const ScoringContext& ctx);

  StatisticsWeights config_;
};

/// True when `hop` is one end of a switch-to-switch link whose other end,
/// also on `side`'s path, has samples: a link is measured at either end, so
/// an unpolled switch (a core nobody polls) does not leave it unjudged.
[[nodiscard]] bool other_end_measured(const SideEvidence& side, const HopEvidence& hop) noexcept;

/// The statistics sources in the order they weigh: the direction of the
/// harm, shared fate, tomography, baselines (each as `config` enables it),
/// then elimination. `name_remote` as for FarSideDirection.
void append_statistics(const StatisticsWeights& config, bool name_remote, std::vector<EvidenceProviderPtr>& out);

}  // namespace callroot::engine
