#pragma once
/// Reference methods, implemented as published so that callroot's accuracy
/// can be compared with them on the same data (`callroot replay
/// --attribution 007|threshold`, BENCHMARKS.md). They are baselines to beat,
/// not recommendations.
///
/// Both get the far-side test of the other attributors (weigh_remote) before
/// their own method, so the comparison measures in-network attribution only.
/// They live outside engine/ because the engine never runs them: they are
/// yardsticks for the evaluation, built as evidence sources of the engine's
/// Attributor. Their weights are not log-odds but the methods' own scores,
/// with a calibration that turns them into the methods' own confidences
/// (kReferenceCalibration).

#include <deque>
#include <limits>
#include <vector>

#include "engine/attributors.h"
#include "engine/fate_key.h"
#include "engine/published_targets.h"

namespace callroot::eval {

using engine::Candidates;
using engine::EvidenceProvider;
using engine::FateKey;
using engine::ScoringContext;

/// 007 (Arzani et al., NSDI 2018): every failing flow gives 1/h of a vote to
/// each of the h components on its path; the most-voted component on a
/// flow's path is blamed for it. Here a flow is a poor segment, its path the
/// FateKeys of its organization endpoints, and the votes are those of the
/// poor segments of the last `window` (this one included). Ties go to the
/// most specific component (the client before its AP before its switch).
/// Confidence: the component's share of the votes on the segment's path
/// (weights are the logarithms of the votes).
class VotingSource final : public EvidenceProvider {
 public:
  explicit VotingSource(DurationMs window = 15 * 60'000) : window_(window) {}
  void weigh(const ScoringContext& ctx, Candidates& out) override;

 private:
  struct Flow {
    TimeMs end = 0;
    std::uint32_t first = 0;  // into keys_, counted from popped_keys_
    std::uint32_t count = 0;
  };
  double& votes(FateKey key);
  void expire(TimeMs now);

  DurationMs window_;
  std::deque<Flow> flows_;
  std::deque<FateKey> keys_;
  std::uint64_t popped_keys_ = 0;
  std::array<std::vector<double>, engine::kFateKinds> votes_;
  std::vector<FateKey> path_;
};

/// A threshold-only method, as a dashboard with static alert thresholds does
/// it: walk the path from the client outward (client, AP, switch ports, WAN
/// links) and blame the first component whose telemetry crosses a published
/// target (the targets of PublishedTargets), with no weighing of how far
/// or of what else crossed. Confidence: 1 / the number of components that
/// crossed a target (every one that crossed weighs the same, in path order).
class ThresholdSource final : public EvidenceProvider {
 public:
  void weigh(const ScoringContext& ctx, Candidates& out) override;

 private:
  engine::PublishedTargets targets_;
  Candidates crossed_;
};

/// Weights as the logarithms of the methods' scores, and no "none of these":
/// confidence = a candidate's score over the sum of the scores. Voting names
/// its three most-voted components; the threshold method only the first.
inline constexpr engine::Calibration kVotingCalibration{1.0, -std::numeric_limits<double>::infinity(),
                                                        -std::numeric_limits<double>::infinity(), 3};
inline constexpr engine::Calibration kThresholdCalibration{1.0, -std::numeric_limits<double>::infinity(),
                                                           -std::numeric_limits<double>::infinity(), 1};

/// Adds `007` and `threshold` to `registry`.
void add_reference_methods(engine::AttributorRegistry& registry);

}  // namespace callroot::eval
