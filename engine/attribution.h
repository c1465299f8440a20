#pragma once
/// Attribution: who is to blame for a poor segment. An Attributor turns a
/// ScoringContext into the ranked `blame` list of a verdict.
///
/// Every piece of evidence works in log-odds: each source weighs each
/// candidate component (the client, its AP, the switch ports upward, the WAN
/// links, the far side) by how much more likely that component is the cause
/// than not, and the weights of independent pieces of evidence add.
/// `report_blame` then ranks the candidates and turns the weights into
/// confidences. Keeping one scale is what lets the published targets, rules
/// and statistics be combined and compared.

#include <memory>
#include <optional>
#include <string>
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
  double log_odds = 0;  ///< the summed weight of the evidence
  std::vector<Evidence> evidence;
  /// For a switch: the port hop whose evidence weighed most, so the verdict
  /// can name the link's two ends. Points into the ScoringContext's sides.
  const HopEvidence* link_hop = nullptr;
  double link_weight = 0;
  /// For a client: the part of `log_odds` that its Wi-Fi symptoms (retries,
  /// a weak signal) account for. When many clients of one AP show them at
  /// once they are the AP's, and shared fate moves this part there.
  double wifi_symptoms = 0;

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
  [[nodiscard]] const CandidateScore* find(ComponentKind kind, std::uint32_t component) const noexcept;
  void clear() noexcept {
    list.clear();
    any_telemetry = false;
  }
};

/// How log-odds become the confidences of a verdict.
struct Calibration {
  double temperature = 1.0;   ///< weights are divided by this before the softmax
  double none_weight = 0.0;   ///< the log-odds of "none of these components"
  double min_log_odds = 0.0;  ///< a top candidate at or below this is not named: `unknown`
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

/// One kind of evidence about a poor segment: the published targets, a rule
/// pack, shared fate, baselines, tomography, the far side. A source weighs
/// candidates in log-odds, adding to (or taking from) what the sources
/// before it found; it may read what they found (statistics corroborate or
/// clear, they do not invent a component nobody accused), never remove it.
class EvidenceProvider {
 public:
  virtual ~EvidenceProvider() = default;
  virtual void weigh(const ScoringContext& ctx, Candidates& out) = 0;
  /// Whether the evidence must carry p50/p95 (a sort per column: skipped when not needed).
  [[nodiscard]] virtual bool needs_quantiles() const noexcept { return false; }
};
using EvidenceProviderPtr = std::unique_ptr<EvidenceProvider>;

/// Attribution: evidence sources weighed in order, then ranked and reported
/// with one calibration. Every method callroot runs (and the reference
/// methods it is compared with) is one of these; they differ only in their
/// sources and calibration (attributors.h names them).
class Attributor final {
 public:
  /// `name` prefixes the id of an `unknown` blame ("combined.ambiguous").
  Attributor(std::string name, std::vector<EvidenceProviderPtr> sources, Calibration calibration = {});

  /// Called for poor segments only; appends to `verdict.blame`, ranked.
  void attribute(const ScoringContext& ctx, Verdict& verdict);
  /// The candidates and their evidence in log-odds, before ranking.
  void weigh(const ScoringContext& ctx, Candidates& out);

  [[nodiscard]] bool needs_quantiles() const noexcept { return needs_quantiles_; }
  [[nodiscard]] std::string_view name() const noexcept { return name_; }
  [[nodiscard]] const Calibration& calibration() const noexcept { return calibration_; }
  /// The first provider of type `Source`, or null (`rules explain` traces the rule source).
  template <class Source>
  [[nodiscard]] Source* find() noexcept {
    for (auto& s : sources_) {
      if (auto* p = dynamic_cast<Source*>(s.get())) return p;
    }
    return nullptr;
  }

 private:
  std::string name_;
  std::vector<EvidenceProviderPtr> sources_;
  Calibration calibration_;
  bool needs_quantiles_ = false;
  Candidates candidates_;  // reused
};
using AttributorPtr = std::unique_ptr<Attributor>;

}  // namespace callroot::engine
