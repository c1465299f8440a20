#pragma once
/// Loading rule files for commands and the daemon: read, parse, check and (when
/// clean) compile, collecting every diagnostic of every file. Diagnostics are
/// results, never exceptions; a file that cannot be read is an E022.

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rules/diagnostic.h"
#include "rules/program.h"
#include "rules/source.h"

namespace callroot::rules {

/// A rule file larger than this is refused (E022): the shipped pack is
/// under 40 kB, and the limit keeps a mistaken path from filling memory.
inline constexpr std::size_t kMaxRuleFileBytes = std::size_t{4} << 20;
/// A rule file that takes longer than this to read is refused (E022), so a
/// hung network mount cannot hold a reload for ever.
inline constexpr std::chrono::milliseconds kRuleFileReadTimeout{5000};

struct LoadResult {
  /// The loaded sources; diagnostics point into them, so keep the result alive
  /// while rendering them.
  std::vector<std::unique_ptr<SourceFile>> files;
  std::vector<Diagnostic> diagnostics;  ///< in file order, then by pass
  std::shared_ptr<const Program> program;  ///< null when there are errors
  [[nodiscard]] bool has_errors() const noexcept;
  [[nodiscard]] std::size_t error_count() const noexcept;
  [[nodiscard]] std::size_t warning_count() const noexcept;
};

/// `paths` are files, or folders scanned (not recursively) for `*.rules`,
/// each folder's files sorted by name; files load in that order, after the
/// published targets (published_targets.h), which are always `files[0]`.
/// Only regular files (or links to them) are read, each within
/// kMaxRuleFileBytes and kRuleFileReadTimeout; anything else is an E022, and
/// text that is not UTF-8 an E023.
LoadResult load_rules(std::span<const std::string> paths);

/// The same from texts in memory: (path, text) pairs, for tests and tools
/// (the published targets first here too).
LoadResult load_rules_from_text(std::span<const std::pair<std::string, std::string>> sources);

}  // namespace callroot::rules
