#pragma once
/// Which attribution method a command runs (`--attribution`): callroot's
/// combination of rules and statistics by default, each part alone, or a
/// published reference method for comparison (BENCHMARKS.md).

#include <string>

#include "engine/attributors.h"

namespace callroot::cli {

/// The engine's methods and the evaluation's reference methods (007, threshold).
const engine::AttributorRegistry& attribution_methods();

/// "combined, heuristic, rules, stats, 007, threshold": for messages.
std::string attribution_method_list();

}  // namespace callroot::cli
