#pragma once
/// Loading rule files for commands and the daemon: read, parse, check and (when
/// clean) compile, collecting every diagnostic of every file. Diagnostics are
/// results, never exceptions; a file that cannot be read is an E022.

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rules/diagnostic.h"
#include "rules/program.h"
#include "rules/source.h"

namespace callroot::rules {

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
LoadResult load_rules(std::span<const std::string> paths);

/// The same from texts in memory: (path, text) pairs, for tests and tools
/// (the published targets first here too).
LoadResult load_rules_from_text(std::span<const std::pair<std::string, std::string>> sources);

}  // namespace callroot::rules
