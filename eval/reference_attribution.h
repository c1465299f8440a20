#pragma once
/// Reference methods, implemented as published so that callroot's accuracy
/// can be compared with them on the same data (`callroot replay
/// --attribution 007|threshold`, BENCHMARKS.md). They are baselines to beat,
/// not recommendations.
///
/// Both get the far-side test of the other attributors (weigh_remote) before
/// their own method, so the comparison measures in-network attribution only.
/// They live outside engine/ because the engine never runs them: they are
/// yardsticks for the evaluation, built on the engine's attribution interface.

#include <deque>
#include <vector>

#include "engine/attribution.h"
#include "engine/fate_key.h"

namespace callroot::eval {

using engine::Attributor;
using engine::Candidates;
using engine::FateKey;
using engine::ScoringContext;

/// 007 (Arzani et al., NSDI 2018): every failing flow gives 1/h of a vote to
/// each of the h components on its path; the most-voted component on a
/// flow's path is blamed for it. Here a flow is a poor segment, its path the
/// FateKeys of its organization endpoints, and the votes are those of the
/// poor segments of the last `window` (this one included). Ties go to the
/// most specific component (the client before its AP before its switch).
/// Confidence: the component's share of the votes on the segment's path.
class VotingAttributor final : public Attributor {
 public:
  explicit VotingAttributor(DurationMs window = 15 * 60'000) : window_(window) {}
  void attribute(const ScoringContext& ctx, Verdict& verdict) override;

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
  std::vector<ComponentRef> owners_;  // the blameable component of each key in path_
  Candidates candidates_;
};

/// A threshold-only method, as a dashboard with static alert thresholds does
/// it: walk the path from the client outward (client, AP, switch ports, WAN
/// links) and blame the first component whose telemetry crosses a published
/// target (the targets of HeuristicAttributor), with no weighing of how far
/// or of what else crossed. Confidence: 1 / the number of components that
/// crossed a target.
class ThresholdAttributor final : public Attributor {
 public:
  void attribute(const ScoringContext& ctx, Verdict& verdict) override;

 private:
  engine::HeuristicAttributor targets_;
  Candidates candidates_;
};

}  // namespace callroot::eval
