#pragma once
/// The published targets (rules/published_targets.rules): the limits of a
/// healthy voice path, written once. Compiled into the library; every rule
/// set the loader builds sees them as parameters, and the engine's built-in
/// heuristic reads its limits from them.

#include <string_view>

namespace callroot::rules {

class Program;

/// The text of rules/published_targets.rules.
std::string_view published_targets_source();

/// The name the loader gives that text in diagnostics.
inline constexpr std::string_view kPublishedTargetsPath = "<published targets>";

/// The published targets compiled alone (immutable, built on first use).
const Program& published_targets();

/// A published target's value in its base unit (as a rule reads it); NaN
/// for a name the file does not define.
double published_target(std::string_view name);

}  // namespace callroot::rules
