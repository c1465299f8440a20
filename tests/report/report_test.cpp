// `callroot report` on the demo: the five components the demo's truth made
// faulty are the hot ones of the topology, the incidents and the poor calls
// are drawn, and what cannot be read is said with its line.

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "demo_report.h"

namespace callroot::report::testing {
namespace {

using runtime::testing::TempDir;

/// The (kind, id) of every node the page draws as hot.
std::set<std::pair<std::string, std::string>> hot_nodes(const std::string& page) {
  std::set<std::pair<std::string, std::string>> out;
  static const std::regex hot(R"re(<g class="node hot" data-kind="([^"]*)" data-id="([^"]*)")re");
  for (auto it = std::sregex_iterator(page.begin(), page.end(), hot); it != std::sregex_iterator(); ++it) {
    out.emplace((*it)[1], (*it)[2]);
  }
  return out;
}

std::size_t count(const std::string& page, const std::string& what) {
  std::size_t n = 0;
  for (auto p = page.find(what); p != std::string::npos; p = page.find(what, p + 1)) ++n;
  return n;
}

class DemoReport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("report");
    verdicts_ = (dir_->path() / "verdicts.jsonl").string();
    write_demo_verdicts(verdicts_);
    page_ = new std::string(demo_report(verdicts_, false, &stats_));
  }
  static void TearDownTestSuite() {
    delete page_;
    delete dir_;
  }
  static TempDir* dir_;
  static std::string verdicts_;
  static std::string* page_;
  static ReportStats stats_;
};
TempDir* DemoReport::dir_ = nullptr;
std::string DemoReport::verdicts_;
std::string* DemoReport::page_ = nullptr;
ReportStats DemoReport::stats_;

TEST_F(DemoReport, TheFaultyComponentsAreTheHotOnes) {
  const auto hot = hot_nodes(*page_);
  for (const auto& fault : demo_faults()) {
    EXPECT_EQ(hot.count(fault), 1u) << fault.first << " " << fault.second << " is not drawn hot";
  }
  EXPECT_EQ(hot.size(), demo_faults().size()) << "components drawn hot that the truth did not make faulty";
}

TEST_F(DemoReport, CountsEveryVerdictAndDrawsEachSite) {
  EXPECT_EQ(stats_.verdicts, 300u);
  EXPECT_EQ(stats_.poor, 66u);
  EXPECT_GT(stats_.incident_records, 0u);
  EXPECT_EQ(stats_.input_rejected, 0u);
  EXPECT_EQ(count(*page_, "<figure class=\"site\""), stats_.sites);
  EXPECT_NE(page_->find("data-site=\"hq\""), std::string::npos);
  EXPECT_NE(page_->find("data-site=\"branch\""), std::string::npos);
  EXPECT_EQ(page_->find("http://"), std::string::npos) << "the page fetches nothing";
  EXPECT_EQ(page_->find("https://"), std::string::npos) << "the page fetches nothing";
}

TEST_F(DemoReport, EveryIncidentIsOnTheTimeLine) {
  std::set<std::string> ids;
  for (const auto& j : runtime::testing::read_jsonl(verdicts_)) {
    if (j.at("type") == "incident") ids.insert(j.at("id"));
  }
  EXPECT_EQ(count(*page_, "<g class=\"incident\""), ids.size());
}

TEST_F(DemoReport, EachPoorCallHasItsStreamsAgainstTheThresholdsAndItsBlamedHopsTelemetry) {
  const std::size_t calls = count(*page_, "<article class=\"call\"");
  EXPECT_EQ(calls, stats_.calls_drawn);
  EXPECT_GT(calls, 10u);
  // Jitter, loss and round trip for each, each with its CQD line.
  EXPECT_EQ(count(*page_, "<line class=\"threshold\""), 3 * calls);
  // The hops blamed (all but the far side) have telemetry drawn beside them.
  const std::size_t remote = count(*page_, "data-blame-kind=\"remote\"");
  const std::size_t charts = count(*page_, "<svg class=\"chart\"");
  EXPECT_GE(charts, 3 * calls + (calls - remote)) << "a blamed hop without its telemetry";
}

TEST_F(DemoReport, WithoutInputsItStillDrawsTheTopologyAndSaysWhatIsMissing) {
  const std::string page = demo_report(verdicts_, /*verdicts_only=*/true);
  EXPECT_EQ(hot_nodes(page), hot_nodes(*page_));
  EXPECT_NE(page.find("Give the input files"), std::string::npos);
  EXPECT_EQ(count(page, "<svg class=\"chart\""), 0u);
}

TEST(Report, ALineThatIsNotJsonIsAnErrorNamingItsLine) {
  TempDir dir("report-bad");
  const std::string path = (dir.path() / "v.jsonl").string();
  std::ofstream(path) << R"({"type":"verdict","segment_id":"a","quality":"good"})" << "\n{not json\n";
  ReportOptions options;
  options.verdicts = {path};
  std::ostringstream page;
  try {
    write_report(options, page);
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("v.jsonl:2:"), std::string::npos) << e.what();
  }
}

TEST(Report, TextFromTheInputIsEscaped) {
  TempDir dir("report-escape");
  const std::string path = (dir.path() / "v.jsonl").string();
  std::ofstream(path) << R"({"type":"verdict","call_id":"<script>alert(1)</script>","segment_id":"s","quality":"poor",)"
                      << R"("start":"2026-03-02T09:00:00Z","end":"2026-03-02T09:01:00Z","blame":[{"kind":"ap","id":"a\"><img src=x>","site":"s","confidence":0.9}],)"
                      << R"("paths":[{"side":"caller","site":"s","hops":[{"kind":"ap","id":"a\"><img src=x>"}]}]})" << "\n";
  ReportOptions options;
  options.verdicts = {path};
  std::ostringstream out;
  write_report(options, out);
  const std::string page = out.str();
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
}

}  // namespace
}  // namespace callroot::report::testing
