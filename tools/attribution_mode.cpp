#include "tools/attribution_mode.h"

#include <stdexcept>

#include "engine/combined_attribution.h"
#include "eval/reference_attribution.h"

namespace callroot::tools {

const std::map<std::string, AttributionMode>& attribution_modes() {
  static const std::map<std::string, AttributionMode> modes{
      {"combined", AttributionMode::kCombined},     {"heuristic", AttributionMode::kHeuristic},
      {"rules", AttributionMode::kRules},           {"stats", AttributionMode::kStatistics},
      {"007", AttributionMode::kVoting},            {"threshold", AttributionMode::kThreshold}};
  return modes;
}

std::string_view attribution_name(AttributionMode mode) noexcept {
  switch (mode) {
    case AttributionMode::kCombined: return "combined";
    case AttributionMode::kHeuristic: return "heuristic";
    case AttributionMode::kRules: return "rules";
    case AttributionMode::kStatistics: return "stats";
    case AttributionMode::kVoting: return "007";
    case AttributionMode::kThreshold: return "threshold";
  }
  return "?";
}

engine::AttributorPtr make_attributor(AttributionMode mode, engine::AttributorPtr rules) {
  switch (mode) {
    case AttributionMode::kCombined:
      return std::make_unique<engine::CombinedAttributor>(rules ? std::move(rules)
                                                                : std::make_unique<engine::HeuristicAttributor>());
    case AttributionMode::kHeuristic: return std::make_unique<engine::HeuristicAttributor>();
    case AttributionMode::kRules:
      if (!rules) throw std::invalid_argument("--attribution rules needs --rules");
      return rules;
    case AttributionMode::kStatistics: return std::make_unique<engine::CombinedAttributor>(nullptr);
    case AttributionMode::kVoting: return std::make_unique<eval::VotingAttributor>();
    case AttributionMode::kThreshold: return std::make_unique<eval::ThresholdAttributor>();
  }
  throw std::invalid_argument("unknown attribution mode");
}

}  // namespace callroot::tools
