#pragma once
/// Rule sources and positions: every node of a rule file remembers where it
/// came from, so that every diagnostic can point at the exact text.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace callroot::rules {

/// One loaded rule file: its path and text, kept for carets in diagnostics.
struct SourceFile {
  std::string path;
  std::string text;
  /// Byte offset of the start of each line (line 1 at index 0).
  std::vector<std::uint32_t> line_starts;

  SourceFile(std::string p, std::string t);
  /// The 1-based line holding byte `offset`.
  [[nodiscard]] std::uint32_t line_of(std::uint32_t offset) const noexcept;
  /// The text of 1-based line `line`, without its newline.
  [[nodiscard]] std::string_view line_text(std::uint32_t line) const noexcept;
};

/// A span of source text: 1-based line and columns (columns count bytes),
/// `end_column` one past the last character (on `line`).
struct SourceRange {
  const SourceFile* file = nullptr;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::uint32_t end_column = 0;
};

}  // namespace callroot::rules
