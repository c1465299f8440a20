// Choosing the attribution method: `--attribution` and the daemon's
// `attribution` configuration key.
#include "cli/attribution_mode.h"

#include <gtest/gtest.h>

#include <fstream>

#include "demo_files.h"
#include "engine/published_targets.h"
#include "engine/rule_source.h"
#include "eval/reference_attribution.h"
#include "rules/loader.h"
#include "runtime/daemon.h"

namespace callroot::cli::testing {
namespace {

using namespace callroot::runtime;
using namespace callroot::runtime::testing;

/// The method `method` of the command line's registry, as replay and run
/// build it (runtime::load_attribution); null with `error` set when it fails.
engine::AttributorPtr make_attributor(std::string_view method, std::shared_ptr<const rules::Program> rules,
                                      std::string& error) {
  AttributionConfig config;
  config.method = std::string(method);
  config.program = std::move(rules);
  config.methods = std::make_shared<const engine::AttributorRegistry>(attribution_methods());
  RuleLoadReport report;
  engine::AttributorPtr made = load_attribution(config, report);
  error.clear();
  for (const auto& d : report.diagnostics) error += d;
  return made;
}

TEST(AttributionMode, EachNameBuildsItsMethodFromItsSources) {
  std::string error;
  auto make = [&](std::string_view name) { return make_attributor(name, nullptr, error); };
  for (const std::string_view name : {"combined", "heuristic", "stats", "007", "threshold"}) {
    auto a = make(name);
    ASSERT_NE(a, nullptr) << name << ": " << error;
    EXPECT_EQ(a->name(), name);
  }
  EXPECT_NE(make("combined")->find<engine::PublishedTargets>(), nullptr) << "the targets without --rules";
  EXPECT_NE(make("combined")->find<engine::SharedFateSource>(), nullptr);
  EXPECT_NE(make("heuristic")->find<engine::PublishedTargets>(), nullptr);
  EXPECT_EQ(make("heuristic")->find<engine::SharedFateSource>(), nullptr);
  EXPECT_EQ(make("stats")->find<engine::PublishedTargets>(), nullptr) << "statistics alone";
  EXPECT_NE(make("stats")->find<engine::BaselineSource>(), nullptr);
  EXPECT_NE(make("007")->find<eval::VotingSource>(), nullptr);
  EXPECT_NE(make("threshold")->find<eval::ThresholdSource>(), nullptr);
  EXPECT_EQ(attribution_method_list(), "combined, heuristic, rules, stats, 007, threshold");
}

TEST(AttributionMode, RulesNeedARulePackAndCombinedWeighsThemFirst) {
  std::string error;
  EXPECT_EQ(make_attributor("rules", nullptr, error), nullptr);
  EXPECT_NE(error.find("needs a rule pack"), std::string::npos) << error;
  EXPECT_EQ(make_attributor("magic", nullptr, error), nullptr);
  EXPECT_NE(error.find("unknown attribution method 'magic'"), std::string::npos) << error;

  const std::vector<std::string> paths{std::string(CALLROOT_DATA_DIR) + "/rules"};
  const auto loaded = rules::load_rules(paths);
  ASSERT_NE(loaded.program, nullptr);
  auto pack = make_attributor("rules", loaded.program, error);
  ASSERT_NE(pack, nullptr) << error;
  EXPECT_NE(pack->find<engine::RuleSource>(), nullptr);
  auto combined = make_attributor("combined", loaded.program, error);
  ASSERT_NE(combined, nullptr) << error;
  EXPECT_NE(combined->find<engine::RuleSource>(), nullptr);
  EXPECT_EQ(combined->find<engine::PublishedTargets>(), nullptr) << "the rule pack replaces the targets";
}

TEST(AttributionMode, TheDaemonConfigurationChoosesIt) {
  TempDir dir("attribution-config");
  const auto path = (dir.path() / "run.json").string();
  const auto methods = std::make_shared<const engine::AttributorRegistry>(attribution_methods());
  std::ofstream(path) << R"({"attribution": "007"})";
  EXPECT_EQ(load_daemon_config(path, methods).config.attribution.method, "007");
  // The runtime alone knows the engine's methods, not the evaluation's references.
  EXPECT_THROW((void)load_daemon_config(path), std::runtime_error);
  std::ofstream(path) << R"({"attribution": "magic"})";
  try {
    (void)load_daemon_config(path, methods);
    ADD_FAILURE() << "an unknown mode was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("`attribution` must be one of"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace callroot::cli::testing
