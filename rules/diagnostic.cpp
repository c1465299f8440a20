#include "rules/diagnostic.h"

#include "models/json_writer.h"
#include "models/text.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace callroot::rules {
namespace {

struct CodeInfo {
  std::string_view name;
  DiagnosticSeverity severity;
  std::string_view title;
};

constexpr std::array kCodes{
#define CALLROOT_X(code, sev, title) CodeInfo{#code, DiagnosticSeverity::sev, title},
    CALLROOT_RULE_DIAGNOSTICS(CALLROOT_X)
#undef CALLROOT_X
};

const CodeInfo& info(DiagnosticCode c) noexcept { return kCodes[static_cast<std::size_t>(c)]; }
std::string_view severity_name(DiagnosticSeverity s) noexcept {
  return s == DiagnosticSeverity::kError ? "error" : "warning";
}

/// Text from a rule file as a terminal may show it: control bytes (a tab
/// kept, for the caret) and bytes that are not UTF-8 become `?`, one for one,
/// so a rule file cannot move the cursor or forge lines, and columns hold.
void append_shown(std::string& out, std::string_view text) {
  while (!text.empty()) {
    const std::size_t bad = std::min(first_invalid_utf8(text), text.size());
    for (const char c : text.substr(0, bad)) {
      const auto u = static_cast<unsigned char>(c);
      out += (u < 0x20 && c != '\t') || u == 0x7F ? '?' : c;
    }
    if (bad == text.size()) break;
    out += '?';
    text.remove_prefix(bad + 1);
  }
}

}  // namespace

std::string_view code_name(DiagnosticCode c) noexcept { return info(c).name; }
std::string_view code_title(DiagnosticCode c) noexcept { return info(c).title; }
DiagnosticSeverity code_severity(DiagnosticCode c) noexcept { return info(c).severity; }

std::string render_text(const Diagnostic& d) {
  std::string out;
  const SourceFile* f = d.range.file;
  out += f != nullptr ? f->path : std::string("<input>");
  if (d.range.line != 0) {
    out += ':' + std::to_string(d.range.line) + ':' + std::to_string(d.range.column);
  }
  out += ": ";
  out += severity_name(d.severity());
  out += '[';
  out += code_name(d.code);
  out += "]: ";
  append_shown(out, d.message);
  out += '\n';
  if (f != nullptr && d.range.line != 0) {
    const std::string_view line = f->line_text(d.range.line);
    char num[16];
    std::snprintf(num, sizeof num, "%5u", d.range.line);
    out += num;
    out += " | ";
    append_shown(out, line);
    out += "\n      | ";
    // Keep tabs so that the caret lines up with the text above it.
    const std::uint32_t col = d.range.column == 0 ? 1 : d.range.column;
    for (std::uint32_t i = 1; i < col; ++i) out += (i - 1 < line.size() && line[i - 1] == '\t') ? '\t' : ' ';
    out += '^';
    const std::uint32_t len = d.range.end_column > col ? d.range.end_column - col : 1;
    out.append(len - 1, '~');
    out += '\n';
  }
  if (!d.hint.empty()) {
    out += "      = hint: ";
    out += d.hint;
    out += '\n';
  }
  return out;
}

std::string render_json(const Diagnostic& d) {
  nlohmann::ordered_json j;
  j["schema_version"] = kJsonSchemaVersion;
  j["code"] = std::string(code_name(d.code));
  j["severity"] = std::string(severity_name(d.severity()));
  j["file"] = d.range.file != nullptr ? d.range.file->path : std::string();
  j["line"] = d.range.line;
  j["column"] = d.range.column;
  j["end_column"] = d.range.end_column;
  j["message"] = d.message;
  j["hint"] = d.hint;
  // Paths are bytes, not UTF-8: replace what is ill-formed instead of throwing.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace callroot::rules
