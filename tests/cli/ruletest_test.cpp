// The rule test runner: series expansion, expectations that pass and fail,
// coverage and JUnit output. The attribution here is the built-in heuristic,
// so the runner is tested apart from the rule language.

#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/null_sink.h>

#include "engine/attributors.h"
#include "cli/ruletest.h"

namespace callroot::cli {
namespace {

const std::string kCases = std::string(CALLROOT_TEST_DATA_DIR) + "/ruletest/heuristic.ruletest";

AttributorFactory heuristic() {
  return [](const std::vector<std::string>&, std::string&) -> engine::AttributorPtr {
    return engine::make_heuristic();
  };
}

TEST(RuleTestSeries, ExpandsRepeatsAndGaps) {
  const auto records = expand_series(
      R"({"type":"test.series","record":"wan.link","key":{"link":"w1"},"field":"loss_pct","start":"2026-03-02T09:00:00Z","every":"1min","values":"0.5x2 _ 3"})");
  ASSERT_EQ(records.size(), 3u);
  const auto first = nlohmann::json::parse(records[0]);
  EXPECT_EQ(first.at("type"), "wan.link");
  EXPECT_EQ(first.at("link"), "w1");
  EXPECT_EQ(first.at("ts"), "2026-03-02T09:00:00.000Z");
  EXPECT_DOUBLE_EQ(first.at("loss_pct").get<double>(), 0.5);
  const auto last = nlohmann::json::parse(records[2]);
  EXPECT_EQ(last.at("ts"), "2026-03-02T09:03:00.000Z");  // the gap took the 09:02 slot
  EXPECT_DOUBLE_EQ(last.at("loss_pct").get<double>(), 3);
}

TEST(RuleTestSeries, IntegersStayIntegers) {
  const auto records = expand_series(
      R"({"type":"test.series","record":"switch.port","key":{"switch":"s1","port":"p1"},"field":"in_errors_total","start":"2026-03-02T09:00:00Z","every":"30s","values":"10 700 1.5"})");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_NE(records[1].find("\"in_errors_total\":700,"), std::string::npos) << records[1];
  EXPECT_TRUE(nlohmann::json::parse(records[1]).at("in_errors_total").is_number_integer());
  EXPECT_TRUE(nlohmann::json::parse(records[2]).at("in_errors_total").is_number_float());
}

TEST(RuleTestSeries, RejectsMalformedValues) {
  const std::string base =
      R"({"type":"test.series","record":"wan.link","key":{"link":"w1"},"field":"loss_pct","start":"2026-03-02T09:00:00Z","every":"30s","values":)";
  EXPECT_THROW(expand_series(base + R"("abc"})"), std::runtime_error);
  EXPECT_THROW(expand_series(base + R"("1x0"})"), std::runtime_error);
  EXPECT_THROW(expand_series(R"({"type":"test.series","record":"wan.link","key":{"link":"w1"},"field":"loss_pct","start":"2026-03-02T09:00:00Z","every":"fast","values":"1"})"),
               std::runtime_error);
}

TEST(RuleTestRunner, PassingAndFailingCases) {
  const auto cases = parse_rule_tests(kCases);
  ASSERT_EQ(cases.size(), 3u);
  EXPECT_EQ(cases[0].name, "weak wifi blames the client");
  EXPECT_EQ(cases[0].line, 1u);

  const auto pass = run_rule_test(cases[0], heuristic());
  EXPECT_TRUE(pass.passed) << (pass.failures.empty() ? "" : pass.failures[0]);
  EXPECT_TRUE(pass.fired.count("heuristic.client.rssi"));

  const auto fail = run_rule_test(cases[1], heuristic());
  EXPECT_FALSE(fail.passed);
  ASSERT_EQ(fail.failures.size(), 3u);  // quality, blame, and the missing segment
  EXPECT_NE(fail.failures[0].find("heuristic.ruletest:14: segment s2: quality good, expected poor"), std::string::npos)
      << fail.failures[0];
  EXPECT_NE(fail.failures[2].find("segment missing: no verdict"), std::string::npos) << fail.failures[2];

  const auto fired = run_rule_test(cases[2], heuristic());
  ASSERT_EQ(fired.failures.size(), 1u);
  EXPECT_NE(fired.failures[0].find("rule heuristic.client.rssi fired (on client aa:00:00:00:00:01), expected it not to"),
            std::string::npos)
      << fired.failures[0];
}

TEST(RuleTestRunner, CommandReportsCoverageAndWritesJunit) {
  RuleTestOptions options;
  options.files = {kCases};
  options.junit_path = ::testing::TempDir() + "/ruletest-junit.xml";
  options.all_rule_ids = {"heuristic.client.rssi", "heuristic.ap.channel_util"};
  auto log = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
  ::testing::internal::CaptureStdout();
  const int rc = run_rule_tests(options, heuristic(), log);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("1 passed, 2 failed"), std::string::npos) << out;
  EXPECT_NE(out.find("coverage: 1 of 2 rules"), std::string::npos) << out;
  EXPECT_NE(out.find("never fired: heuristic.ap.channel_util"), std::string::npos) << out;
  std::ifstream junit(options.junit_path);
  const std::string xml((std::istreambuf_iterator<char>(junit)), std::istreambuf_iterator<char>());
  EXPECT_NE(xml.find("<testsuite name=\"callroot rules\" tests=\"3\" failures=\"2\">"), std::string::npos) << xml;

  options.run_regex = "weak";
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run_rule_tests(options, heuristic(), log), 0);
  ::testing::internal::GetCapturedStdout();
}

}  // namespace
}  // namespace callroot::cli
