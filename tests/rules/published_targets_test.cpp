// The published targets: written once (rules/published_targets.rules), seen
// by every rule set as parameters, overridable per site, and read by the
// engine's heuristic.
#include "rules/published_targets.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "rules/loader.h"
#include "rules/program.h"

namespace callroot::rules {
namespace {

LoadResult load(const std::string& text) {
  const std::vector<std::pair<std::string, std::string>> src{{"t.rules", text}};
  return load_rules_from_text(src);
}

const std::string kUsesTheDesignTarget = R"(
rule t.weak {
  revision: 1
  description: "weak"
  scope: endpoint.connection == wifi
  when: client.wifi.rssi_dbm.avg < wifi_rssi_design
  blame: client
  weight: 1
  severity: minor
  explain: "below {wifi_rssi_design}"
  source: "test"
}
)";

TEST(PublishedTargets, EveryRuleSetSeesThemWithoutDefiningThem) {
  const LoadResult r = load(kUsesTheDesignTarget);
  ASSERT_NE(r.program, nullptr);
  EXPECT_TRUE(r.diagnostics.empty()) << "no W002 for the targets a pack does not use: "
                                     << (r.diagnostics.empty() ? "" : render_text(r.diagnostics.front()));
  EXPECT_DOUBLE_EQ(r.program->param("wifi_rssi_design"), -67);
  EXPECT_EQ(r.files.front()->path, kPublishedTargetsPath);
}

TEST(PublishedTargets, ASiteBlockOverridesOneForThatSite) {
  const LoadResult r = load(kUsesTheDesignTarget + R"(
site "lab" {
  wifi_rssi_design = -70dBm
}
)");
  ASSERT_NE(r.program, nullptr);
  EXPECT_DOUBLE_EQ(r.program->param("wifi_rssi_design", r.program->site_index("lab")), -70);
  EXPECT_DOUBLE_EQ(r.program->param("wifi_rssi_design"), -67);
}

TEST(PublishedTargets, APackCannotDefineOneAgain) {
  const LoadResult r = load("param wifi_rssi_design = -70dBm\n" + kUsesTheDesignTarget);
  EXPECT_EQ(r.program, nullptr);
  ASSERT_FALSE(r.diagnostics.empty());
  EXPECT_EQ(r.diagnostics.front().code, DiagnosticCode::E010);
}

TEST(PublishedTargets, CompileAloneWithTheirValuesInBaseUnits) {
  EXPECT_DOUBLE_EQ(published_target("wifi_rssi_design"), -67);
  EXPECT_DOUBLE_EQ(published_target("teams_client_rtt_max"), 100);
  EXPECT_DOUBLE_EQ(published_target("port_fault_share_max"), 0.01);  // percent, as `.share` reads
  EXPECT_TRUE(std::isnan(published_target("no_such_target")));
  EXPECT_TRUE(published_targets().rules().empty());
  EXPECT_NE(published_targets_source().find("param ap_channel_util_max = 50%"), std::string_view::npos);
}

}  // namespace
}  // namespace callroot::rules
