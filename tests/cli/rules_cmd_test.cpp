// The rule commands as a user runs them: the default pack on the demo,
// `rules explain`, `rules check` on a broken file.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/null_sink.h>

#include "demo_files.h"
#include "engine/attributors.h"
#include "runtime/replay.h"
#include "cli/rules_cmd.h"
#include "runtime/sinks.h"

namespace callroot::cli::testing {
namespace {

using namespace callroot::runtime;
using namespace callroot::runtime::testing;

const std::string kPack = std::string(CALLROOT_DATA_DIR) + "/rules";

std::shared_ptr<spdlog::logger> null_log() {
  return std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
}

// As `callroot replay --rules` runs it: the pack and the statistics. The far
// participant's bad network harms both directions, which no per-hop rule can
// tell from a local fault; the statistics name it by elimination.
TEST(DefaultPack, BlamesEveryPlantedFaultOfTheDemo) {
  CollectingSink sink;
  ReplayOptions options;
  options.files = demo_inputs();
  options.progress = false;
  std::vector<std::string> diagnostics;
  options.config.attribution.program = load_rule_program({kPack}, diagnostics);
  EXPECT_TRUE(diagnostics.empty()) << diagnostics.front();
  replay_into(options, sink, null_log());
  std::map<std::string, const Verdict*> by_segment;
  for (const auto& v : sink.verdicts) by_segment[v.segment_id] = &v;
  std::size_t right = 0, total = 0;
  for (const auto& fault : read_jsonl(demo_truth())) {
    ASSERT_EQ(fault.at("role"), "fault");
    const std::string kind = fault.at("kind"), id = fault.at("id").is_null() ? "" : fault.at("id").get<std::string>();
    for (const auto& seg : fault.at("segments")) {
      const Verdict& v = *by_segment.at(seg.get<std::string>());
      ++total;
      ASSERT_FALSE(v.blame.empty());
      // A remote party has no id: its blame names the kind alone.
      const bool ok = to_string(v.blame[0].kind) == kind && (kind == "remote" || v.blame[0].id == id);
      right += ok;
      EXPECT_TRUE(ok) << fault.at("fault") << " " << seg << ": blamed " << to_string(v.blame[0].kind) << " "
                      << v.blame[0].id;
      // Evidence from rules names the rule that fired.
      ASSERT_FALSE(v.blame[0].evidence.empty());
      EXPECT_EQ(v.blame[0].evidence[0].id.find("heuristic."), std::string::npos);
    }
  }
  EXPECT_EQ(right, total);
  EXPECT_GE(total, 60u);
}

TEST(RulesExplain, ShowsEachPredicateWithItsObservedValue) {
  // A segment of the weak Wi-Fi client.
  std::string segment, client;
  for (const auto& fault : read_jsonl(demo_truth())) {
    if (fault.at("fault") != "weak_wifi_client") continue;
    segment = fault.at("segments")[0];
    client = fault.at("id");
  }
  ASSERT_FALSE(segment.empty());
  RulesExplainOptions options;
  options.segment_id = segment;
  options.rules = {kPack};
  options.files = demo_inputs();
  ::testing::internal::CaptureStdout();
  const int rc = rules_explain(options, null_log());
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(rc, 0);
  EXPECT_NE(out.find("segment " + segment), std::string::npos) << out;
  EXPECT_NE(out.find("candidate client " + client), std::string::npos) << out;
  EXPECT_NE(out.find("FIRED"), std::string::npos) << out;
  EXPECT_NE(out.find("observed -"), std::string::npos) << out;  // an RSSI in dBm
  EXPECT_NE(out.find("dBm"), std::string::npos) << out;
  EXPECT_NE(out.find("blame (confidence"), std::string::npos) << out;

  // The same story for a program: the firing rule, its comparisons, the blame.
  options.json = true;
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(rules_explain(options, null_log()), 0);
  const auto j = nlohmann::json::parse(::testing::internal::GetCapturedStdout());
  EXPECT_EQ(j.at("segment_id"), segment);
  EXPECT_EQ(j.at("quality"), "poor");
  bool fired_on_client = false;
  for (const auto& c : j.at("candidates")) {
    if (c.at("target") != "client" || c.at("id") != client) continue;
    for (const auto& r : c.at("rules")) {
      if (!r.value("fired", false)) continue;
      fired_on_client = true;
      ASSERT_FALSE(r.at("comparisons").empty());
      EXPECT_TRUE(r.at("comparisons")[0].at("result").is_boolean());
    }
  }
  EXPECT_TRUE(fired_on_client) << j.dump(2);
  EXPECT_EQ(j.at("blame")[0].at("kind"), "client");
  options.json = false;

  options.segment_id = "no-such-segment";
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(rules_explain(options, null_log()), 1);
  ::testing::internal::GetCapturedStdout();
}

TEST(RulesCheck, ReportsEveryErrorWithCaretAndExits1) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "rules-check";
  std::filesystem::create_directories(dir);
  const auto file = (dir / "broken.rules").string();
  std::ofstream(file) << "rule a.b {\n  when: client.wifi.rssi.avg < -72dBm\n  blame: client\n}\n"
                         "rule c.d {\n  when: wan.link.loss_pct.avg > 0.01\n  blame: wan\n}\n";
  RulesCheckOptions options;
  options.paths = {file};
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(rules_check(options), 1);
  const std::string out = ::testing::internal::GetCapturedStdout();
  ::testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("broken.rules:2:9: error[E002]"), std::string::npos) << out;
  EXPECT_NE(out.find("^~~"), std::string::npos) << out;
  EXPECT_NE(out.find("error[E005]"), std::string::npos) << out;  // % compared with a plain number

  options.paths = {kPack};
  options.werror = true;
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(rules_check(options), 0);
  ::testing::internal::GetCapturedStdout();
  ::testing::internal::GetCapturedStderr();

  options.paths = {(dir / "missing.rules").string()};
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(rules_check(options), 2);
  ::testing::internal::GetCapturedStdout();
  ::testing::internal::GetCapturedStderr();
  std::filesystem::remove_all(dir);
}

// Invalid UTF-8 in a rule file used to abort `rules check --json` in the JSON
// library; it is now an E023 at its line and column, and the output is JSON.
TEST(RulesCheck, JsonOutputSurvivesARuleFileThatIsNotUtf8) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "rules-check-utf8";
  std::filesystem::create_directories(dir);
  const auto file = (dir / "latin1.rules").string();
  std::ofstream(file) << "rule a {\n  blame: client\n  when: sent.poor\n  description: \"caf\xE9\"\n}\n";
  RulesCheckOptions options;
  options.paths = {file};
  options.json = true;
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(rules_check(options), 1);
  const std::string out = ::testing::internal::GetCapturedStdout();
  ::testing::internal::GetCapturedStderr();
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["code"], "E023");
  EXPECT_EQ(j["line"], 4);
  EXPECT_EQ(j["column"], 20);
  std::filesystem::remove_all(dir);
}

TEST(RulesList, CountsEvaluationsAndMatchesOverAReplay) {
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(rules_list({kPack}, /*json=*/true, demo_inputs(), null_log()), 0);
  const std::string out = ::testing::internal::GetCapturedStdout();
  std::istringstream lines(out);
  std::string line;
  std::size_t rules = 0;
  bool weak_signal_matched = false;
  std::size_t weak_segments = 0;
  for (const auto& fault : read_jsonl(demo_truth())) {
    if (fault.at("fault") == "weak_wifi_client") weak_segments = fault.at("segments").size();
  }
  ASSERT_GE(weak_segments, 6u);
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    ++rules;
    EXPECT_GE(j.at("evaluations").get<std::uint64_t>(), j.at("matches").get<std::uint64_t>()) << line;
    if (j.at("id") == "wifi.client_weak_signal") {
      // Every segment of the weak client, once on the side where it is the client.
      weak_signal_matched =
          j.at("matches").get<std::uint64_t>() >= weak_segments && j.at("nanoseconds").get<std::uint64_t>() > 0;
    }
  }
  EXPECT_GE(rules, 30u);
  EXPECT_TRUE(weak_signal_matched) << out;
}

}  // namespace
}  // namespace callroot::cli::testing
