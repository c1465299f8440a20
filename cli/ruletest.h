#pragma once
/// `callroot rules test`: runs rule unit tests (docs/rules.md §11). A test
/// file is JSON Lines: a `test` line starts a case (name, rule files), then
/// come input records (any callroot record), `test.series` lines (compact
/// telemetry), and `test.expect` lines checked against the verdicts.

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "engine/attribution.h"

namespace callroot::cli {

/// Builds the attribution of a case from its rule files (paths already
/// resolved against the test file's folder). Returns nullptr and sets `error`
/// when the rules cannot be loaded. `fired_rule_ids` receives no entries here;
/// the runner reads fired rules from the verdicts' evidence.
using AttributorFactory =
    std::function<engine::AttributorPtr(const std::vector<std::string>& rule_paths, std::string& error)>;

struct RuleTestOptions {
  std::vector<std::string> files;
  std::string run_regex;   ///< only cases whose name matches (ECMAScript regex)
  std::string junit_path;  ///< write JUnit XML here when not empty
  std::vector<std::string> all_rule_ids;  ///< for the coverage figure: every rule loaded by any case
};

struct RuleTestCase {
  std::string file;
  std::size_t line = 0;  ///< of the `test` line
  std::string name;
  std::vector<std::string> rule_paths;
  std::vector<std::pair<std::size_t, std::string>> records;  ///< (line, JSON) after series expansion
  std::vector<std::pair<std::size_t, std::string>> expects;  ///< (line, JSON of the test.expect)
};

struct RuleTestResult {
  std::string file;
  std::string name;
  bool passed = false;
  std::vector<std::string> failures;  ///< one line each, with the file:line of the expectation
  std::set<std::string> fired;        ///< rule ids that appear in any verdict's evidence
  double seconds = 0;
};

/// Parses one test file into cases; throws std::runtime_error naming file:line on a malformed test line.
std::vector<RuleTestCase> parse_rule_tests(const std::string& path);

/// Expands a `test.series` object into telemetry records (JSON text, one per sample).
/// Throws std::runtime_error with the reason when the line is malformed.
std::vector<std::string> expand_series(const std::string& series_json);

/// Runs one case through a fresh engine.
RuleTestResult run_rule_test(const RuleTestCase& test, const AttributorFactory& factory);

/// The command: runs every case, prints one line per case and a summary with
/// coverage, writes JUnit XML when asked. Returns 0 when all passed, 1 when
/// any failed, 2 when it could not run.
int run_rule_tests(const RuleTestOptions& options, const AttributorFactory& factory,
                   std::shared_ptr<spdlog::logger> log);

}  // namespace callroot::cli
