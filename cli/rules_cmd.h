#pragma once
/// `callroot rules ...`: check, list, fields, test, explain. Loading rule
/// files into an attribution is the runtime's (runtime/rule_watcher.h).

#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "engine/attribution.h"
#include "rules/program.h"
#include "cli/ruletest.h"
#include "runtime/rule_watcher.h"

namespace callroot::cli {

using runtime::load_rule_program;

/// The rule pack alone, as rule tests run it.
AttributorFactory rule_factory(std::vector<std::string> default_paths);

struct RulesCheckOptions {
  std::vector<std::string> paths;
  bool json = false;
  bool werror = false;
};
/// Exit 0 clean, 1 diagnostics (warnings only with --werror), 2 could not run.
int rules_check(const RulesCheckOptions& options);

/// Lists the rules. With `replay` files, replays them with the rules first and
/// adds each rule's counters: evaluations, matches, time. Exit 0, 1 when the
/// rules have errors, 2 when the replay could not run.
int rules_list(const std::vector<std::string>& paths, bool json, const std::vector<std::string>& replay = {},
               std::shared_ptr<spdlog::logger> log = nullptr);
int rules_fields();
/// Prints rules/published_targets.rules as compiled in.
int rules_targets();

struct RulesTestOptions {
  std::vector<std::string> files;
  std::vector<std::string> rules;  ///< for cases that name none
  std::string run_regex;
  std::string junit_path;
};
int rules_test(const RulesTestOptions& options, std::shared_ptr<spdlog::logger> log);

struct RulesExplainOptions {
  bool json = false;  ///< one JSON object instead of the text
  std::string segment_id;
  std::vector<std::string> rules;
  std::vector<std::string> files;
};
/// Replays `files` with the rules and prints, for the segment, every rule
/// evaluated for every candidate with each comparison's observed value and
/// threshold, then how the blame came about. Exit 0, 1 when the segment was
/// not found, 2 when it could not run.
int rules_explain(const RulesExplainOptions& options, std::shared_ptr<spdlog::logger> log);

}  // namespace callroot::cli
