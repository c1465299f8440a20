#pragma once
/// The checker: resolves every name of the parsed files (fields, params,
/// macros, lists, enum values), checks types and units, macro cycles,
/// duplicates, rule properties and site blocks, and emits the warnings
/// W001-W005. Every problem is a Diagnostic with a precise range; the checker
/// never stops at the first one. Expression nodes are annotated in place
/// (Expr::check), which the compiler (program.h) relies on.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "models/ids.h"
#include "rules/ast.h"
#include "rules/diagnostic.h"

namespace callroot::rules {

/// Which restricted names an expression (or macro) uses, with the first place.
struct Usage {
  bool fields = false;  ///< any field or function reading telemetry
  std::optional<SourceRange> switch_field, wan_field, scope_only;
  void merge(const Usage& o);
};

struct CheckedParam {
  const ParamDef* def = nullptr;
  bool used = false;
};
struct CheckedMacro {
  const MacroDef* def = nullptr;
  enum class State : std::uint8_t { kNew, kVisiting, kDone } state = State::kNew;
  Usage usage;
  bool used = false;
};
struct CheckedList {
  const ListDef* def = nullptr;
  bool used = false;
};
struct CheckedRule {
  const RuleDef* def = nullptr;
  const SourceFile* file = nullptr;
  ComponentKind target = ComponentKind::kUnknown;
  double weight = 1.0;
  Severity severity = Severity::kMinor;
  int revision = 1;
  bool enabled = true;
};
/// The merged overrides of one site, in file order (later wins).
struct CheckedSite {
  std::string name;
  std::vector<const SiteOverride*> params;              ///< param overrides (param index in `param_index`)
  std::vector<int> param_index;                         ///< parallel to `params`
  std::vector<std::pair<int, bool>> rule_switches;      ///< (rule index, enabled)
};

/// A checked rule set: the ASTs (owned) and the resolved tables.
struct CheckedRules {
  std::vector<FileAst> files;
  std::vector<CheckedParam> params;
  std::vector<CheckedMacro> macros;
  std::vector<CheckedList> lists;
  std::vector<CheckedRule> rules;
  std::vector<CheckedSite> sites;
  std::unordered_map<std::string, int> param_by_name, macro_by_name, list_by_name, rule_by_id;
};

/// Checks the parsed files (in load order) and appends diagnostics to `diags`.
CheckedRules check(std::vector<FileAst> files, std::vector<Diagnostic>& diags);

/// A parameter's literal as the value of a slot-free expression (numbers and
/// booleans); NaN for strings and identifiers.
double literal_value(const Literal& l) noexcept;

}  // namespace callroot::rules
