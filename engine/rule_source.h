#pragma once
/// A rule pack as an evidence source: the engine side of the rule language.
/// For each organization endpoint of a poor segment and each candidate of
/// each target (its client, AP radio, switch ports, WAN links; `remote` when
/// the other party is outside), it fills the program's input slots from the
/// gathered evidence, evaluates the rules of that target, and adds the
/// weights of the rules that fired to the candidate (each rule once per
/// component). Alone, candidates are ranked by the sum of their weights;
/// confidence = e^w / (1 + Σ e^w) (the 1 is "none of these").

#include <memory>
#include <string>
#include <vector>

#include "engine/attribution.h"
#include "rules/program.h"

namespace callroot::engine {

/// The evaluation of one candidate, as `callroot rules explain` shows it.
struct CandidateTrace {
  Side side = Side::kCaller;
  ComponentKind target = ComponentKind::kUnknown;
  std::string id;  ///< the candidate's name ("" for remote)
  rules::Trace trace;
};

class RuleSource final : public EvidenceProvider {
 public:
  explicit RuleSource(std::shared_ptr<const rules::Program> program);

  void weigh(const ScoringContext& ctx, Candidates& out) override;
  [[nodiscard]] bool needs_quantiles() const noexcept override { return needs_quantiles_; }

  /// Records the evaluation of every candidate of segment `segment_id` into
  /// `sink` (for `callroot rules explain`); a null sink stops it.
  void set_trace(std::string segment_id, std::vector<CandidateTrace>* sink) {
    trace_segment_ = std::move(segment_id);
    trace_sink_ = sink;
  }
  [[nodiscard]] const rules::RuleStats& stats() const noexcept { return stats_; }
  /// Per-rule time measurement (two clock reads per rule evaluated).
  void set_timing(bool on) noexcept { stats_.timing = on; }
  [[nodiscard]] const rules::Program& program() const noexcept { return *program_; }
  [[nodiscard]] std::shared_ptr<const rules::Program> shared_program() const noexcept { return program_; }

 private:
  class Samples;
  void evaluate_side(const ScoringContext& ctx, const SideEvidence& side, Candidates& scored);
  void fill(const ScoringContext& ctx, const SideEvidence& side, ComponentKind target, const HopEvidence* candidate);

  std::shared_ptr<const rules::Program> program_;
  bool needs_quantiles_ = false;
  std::vector<double> values_;  // one per slot, reused
  std::vector<rules::Firing> firings_;
  rules::RuleStats stats_;
  std::vector<CandidateTrace>* trace_sink_ = nullptr;
  std::string trace_segment_;
  bool tracing_ = false;  // the segment being attributed is the traced one
};

}  // namespace callroot::engine
