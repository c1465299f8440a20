#pragma once
/// Diagnostics of the rule checker: a stable code, a position, a message and a
/// hint, rendered as text with the source line and a caret, or as JSON.
/// The codes are listed once here (the X-macro) and documented in docs/rules.md.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/source.h"

namespace callroot::rules {

#define CALLROOT_RULE_DIAGNOSTICS(X)                                              \
  X(E001, kError, "syntax error")                                                 \
  X(E002, kError, "unknown field")                                                \
  X(E003, kError, "unknown function")                                             \
  X(E004, kError, "wrong number or kind of arguments")                            \
  X(E005, kError, "units do not match")                                           \
  X(E006, kError, "types do not match")                                           \
  X(E007, kError, "undefined name")                                               \
  X(E008, kError, "macro cycle")                                                  \
  X(E009, kError, "duplicate rule id")                                            \
  X(E010, kError, "duplicate definition")                                         \
  X(E011, kError, "rule lacks a required property")                               \
  X(E012, kError, "bad property value")                                           \
  X(E013, kError, "unknown enum value")                                           \
  X(E014, kError, "aggregate missing or not allowed")                             \
  X(E015, kError, "field not available for this rule's target")                   \
  X(E016, kError, "expression too deep or too long")                              \
  X(E017, kError, "site block names an unknown rule")                             \
  X(E018, kError, "site block names an unknown param")                            \
  X(E019, kError, "site override has another dimension than the param")          \
  X(E020, kError, "bad token")                                                    \
  X(E021, kError, "condition is not boolean")                                     \
  X(E022, kError, "cannot read file")                                             \
  X(E023, kError, "file is not valid UTF-8")                                      \
  X(W001, kWarning, "unused macro")                                               \
  X(W002, kWarning, "unused param or list")                                       \
  X(W003, kWarning, "rule without scope")                                         \
  X(W004, kWarning, "condition is always true or always false")                   \
  X(W005, kWarning, "rule without description or source")

enum class DiagnosticCode : std::uint8_t {
#define CALLROOT_X(code, severity, title) code,
  CALLROOT_RULE_DIAGNOSTICS(CALLROOT_X)
#undef CALLROOT_X
};

enum class DiagnosticSeverity : std::uint8_t { kError, kWarning };

std::string_view code_name(DiagnosticCode c) noexcept;    ///< "E002"
std::string_view code_title(DiagnosticCode c) noexcept;   ///< "unknown field"
DiagnosticSeverity code_severity(DiagnosticCode c) noexcept;

struct Diagnostic {
  DiagnosticCode code = DiagnosticCode::E001;
  SourceRange range;
  std::string message;  ///< specific: "unknown field `client.wifi.rssi.avg`"
  std::string hint;     ///< what to do: "did you mean `client.wifi.rssi_dbm.avg`?"; may be empty
  [[nodiscard]] DiagnosticSeverity severity() const noexcept { return code_severity(code); }
};

/// `file:line:col: error[E002]: message`, the source line, a caret line, and `= hint: ...`.
std::string render_text(const Diagnostic& d);
/// One JSON object: {"code","severity","file","line","column","end_column","message","hint"}.
std::string render_json(const Diagnostic& d);

}  // namespace callroot::rules
