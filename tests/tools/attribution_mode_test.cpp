// Choosing the attribution method: `--attribution` and the daemon's
// `attribution` configuration key.
#include <gtest/gtest.h>

#include <fstream>

#include "demo_files.h"
#include "engine/combined_attribution.h"
#include "eval/reference_attribution.h"
#include "tools/attribution_mode.h"
#include "tools/daemon.h"

namespace callroot::tools::testing {
namespace {

TEST(AttributionMode, EachNameBuildsItsMethod) {
  using M = AttributionMode;
  EXPECT_NE(dynamic_cast<engine::CombinedAttributor*>(make_attributor(M::kCombined, nullptr).get()), nullptr);
  EXPECT_NE(dynamic_cast<engine::HeuristicAttributor*>(make_attributor(M::kHeuristic, nullptr).get()), nullptr);
  EXPECT_NE(dynamic_cast<eval::VotingAttributor*>(make_attributor(M::kVoting, nullptr).get()), nullptr);
  EXPECT_NE(dynamic_cast<eval::ThresholdAttributor*>(make_attributor(M::kThreshold, nullptr).get()), nullptr);
  auto stats = make_attributor(M::kStatistics, nullptr);
  auto* combined = dynamic_cast<engine::CombinedAttributor*>(stats.get());
  ASSERT_NE(combined, nullptr);
  EXPECT_EQ(combined->base(), nullptr) << "statistics alone";
  for (const auto& [name, mode] : attribution_modes()) EXPECT_EQ(attribution_name(mode), name);
}

TEST(AttributionMode, RulesModeNeedsRulesAndCombinedWrapsThem) {
  EXPECT_THROW((void)make_attributor(AttributionMode::kRules, nullptr), std::invalid_argument);
  auto heuristic = std::make_unique<engine::HeuristicAttributor>();
  auto* raw = heuristic.get();
  auto combined = make_attributor(AttributionMode::kCombined, std::move(heuristic));
  EXPECT_EQ(dynamic_cast<engine::CombinedAttributor&>(*combined).base(), raw);
}

TEST(AttributionMode, TheDaemonConfigurationChoosesIt) {
  TempDir dir("attribution-config");
  const auto path = (dir.path() / "run.json").string();
  std::ofstream(path) << R"({"attribution": "007"})";
  EXPECT_EQ(load_daemon_config(path).attribution, AttributionMode::kVoting);
  std::ofstream(path) << R"({"attribution": "magic"})";
  try {
    (void)load_daemon_config(path);
    ADD_FAILURE() << "an unknown mode was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("`attribution` must be one of"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace callroot::tools::testing
