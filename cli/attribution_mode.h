#pragma once
/// Which attribution method a command runs (`--attribution`): callroot's
/// combination of rules and statistics by default, each part alone, or a
/// published reference method for comparison (BENCHMARKS.md).

#include <memory>
#include <string>
#include <string_view>

#include "engine/attributors.h"

namespace callroot::cli {

/// The engine's methods and the evaluation's reference methods (007, threshold).
const engine::AttributorRegistry& attribution_methods();

/// "combined, heuristic, rules, stats, 007, threshold": for messages.
std::string attribution_method_list();

/// The method `method` with the rule pack `rules` (null without --rules);
/// null with `error` set when the name is unknown or the method needs rules.
engine::AttributorPtr make_attributor(std::string_view method, std::shared_ptr<const rules::Program> rules,
                                      std::string& error);

}  // namespace callroot::cli
