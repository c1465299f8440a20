#pragma once
/// Which attribution method a command runs (`--attribution`): callroot's
/// combination of rules and statistics by default, and each part alone or a
/// published reference method for comparison (BENCHMARKS.md).

#include <map>
#include <string>

#include "engine/attribution.h"

namespace callroot::tools {

enum class AttributionMode : std::uint8_t {
  kCombined,    ///< rules (or the heuristic without --rules) plus statistics: the default
  kHeuristic,   ///< the foundation heuristic alone
  kRules,       ///< the rule pack alone (needs --rules)
  kStatistics,  ///< baselines, shared fate and tomography alone
  kVoting,      ///< 007's voting (reference)
  kThreshold,   ///< first hop over a static threshold (reference)
};

/// Names for the command line: combined, heuristic, rules, stats, 007, threshold.
const std::map<std::string, AttributionMode>& attribution_modes();
std::string_view attribution_name(AttributionMode mode) noexcept;

/// The attributor for `mode`. `rules` is the RuleAttributor loaded from
/// --rules, or null; it is used by kCombined and kRules and ignored by the
/// others. Throws std::invalid_argument for kRules without rules.
engine::AttributorPtr make_attributor(AttributionMode mode, engine::AttributorPtr rules);

}  // namespace callroot::tools
