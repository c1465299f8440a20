// `callroot score` on a hand-made truth and verdicts whose every figure is
// known: detection, top-1 attribution inside and outside gaps, background,
// false blame, confounders, calibration and ECE; then the command's output
// and exit codes.

#include "tools/score.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "demo_files.h"

namespace callroot::tools::testing {
namespace {

namespace fs = std::filesystem;

// s1..s8 as in the comments; C01 is a busy AP from 09:00 to 10:00.
constexpr const char* kSegments =
    R"({"segment_id":"s1","call_id":"c1","expected":"poor","cause":{"ref":"F01","fault":"weak_wifi_client","kind":"client","id":"aa:00:00:00:00:01","site":"hq"},"telemetry_gap":false,"site":"hq"}
{"segment_id":"s2","call_id":"c2","expected":"poor","cause":{"ref":"F02","fault":"congested_ap","kind":"ap","id":"hq-ap01","site":"hq"},"telemetry_gap":false,"site":"hq"}
{"segment_id":"s3","call_id":"c3","expected":"poor","cause":{"ref":"F03","fault":"remote_network","kind":"remote","id":null,"site":null},"telemetry_gap":false,"site":"br01"}
{"segment_id":"s4","call_id":"c4","expected":"poor","cause":{"ref":"F04","fault":"switch_uplink_errors","kind":"switch","id":"hq-core","site":"hq","port":"Te1/0/1"},"telemetry_gap":true,"site":"hq"}

{"segment_id":"s5","call_id":"c5","expected":"poor","cause":null,"telemetry_gap":false,"site":"br01"}
{"segment_id":"s6","call_id":"c6","expected":"good","cause":null,"telemetry_gap":false,"site":"br01"}
{"segment_id":"s7","call_id":"c7","expected":"good","cause":null,"telemetry_gap":false,"site":"hq"}
{"segment_id":"s8","call_id":"c8","expected":"poor","cause":{"ref":"F05","fault":"congested_wan","kind":"wan","id":"hq-wan1","site":"hq"},"telemetry_gap":false,"site":"hq"}
)";

constexpr const char* kTruth =
    R"({"role":"fault","ref":"F01","fault":"weak_wifi_client","kind":"client","id":"aa:00:00:00:00:01","site":"hq","since":"2026-03-02T09:00:00.000Z","until":"2026-03-02T09:30:00.000Z","segments":["s1"]}
{"role":"confounder","ref":"C01","confounder":"busy_ap","kind":"ap","id":"hq-ap09","site":"hq","since":"2026-03-02T09:00:00.000Z","until":"2026-03-02T10:00:00.000Z","segments":["s5","s7"]}
{"role":"gap","ref":"G01","kind":"switch","id":"hq-core","site":"hq","since":"2026-03-02T09:00:00.000Z","until":"2026-03-02T09:10:00.000Z","during":"F04"}
)";

std::string verdict(const std::string& segment, const std::string& quality, const std::string& kind = "",
                    const std::string& id = "", double confidence = 0, const std::string& start = "09:10:00") {
  std::string v = R"({"type":"verdict","call_id":"c","segment_id":")" + segment + R"(","start":"2026-03-02T)" + start +
                  R"(.000Z","end":"2026-03-02T)" + start.substr(0, 3) + "14:00.000Z" + R"(","quality":")" + quality +
                  R"(","blame":[)";
  if (!kind.empty()) {
    v += R"({"kind":")" + kind + R"(",)" + (id.empty() ? std::string(R"("id":null)") : R"("id":")" + id + "\"") +
         R"(,"site":"hq","confidence":)" + std::to_string(confidence) +
         R"(,"evidence":[]},{"kind":"wan","id":"x","confidence":0.01})";
  }
  return v + "]}";
}

std::vector<std::string> verdict_lines() {
  return {
      verdict("s1", "poor", "client", "aa:00:00:00:00:01", 0.95),  // right
      verdict("s2", "poor", "client", "aa:00:00:00:00:02", 0.85),  // wrong kind: a client for an AP fault
      verdict("s3", "poor", "remote", "", 0.55),                   // right (remote: kind alone)
      verdict("s4", "poor", "unknown", "", 0),                     // in a gap: unknown
      verdict("s5", "poor", "ap", "hq-ap09", 0.45),                // background blamed on the confounder
      verdict("s6", "poor", "wan", "hq-wan1", 0.65),               // expected good, found poor
      verdict("s7", "good"),
      verdict("s9", "poor", "ap", "hq-ap09", 0.9, "11:00:00"),  // not in the truth; blames C01 after its interval
      verdict("s1", "poor", "ap", "hq-ap01", 0.5),              // a duplicate: the first verdict is graded
      R"({"type":"incident","id":"i1","state":"open"})",
      "",
      "not json",
      R"({"type":"verdict","quality":"poor"})",  // no segment_id
  };
}

class ScoreFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("callroot-score-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "truth");
    std::ofstream(dir_ / "truth" / "segments.jsonl") << kSegments;
    std::ofstream(dir_ / "truth" / "truth.jsonl") << kTruth;
    std::ofstream verdicts(dir_ / "verdicts.jsonl");
    for (const auto& l : verdict_lines()) verdicts << l << "\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  ScoreReport grade() const {
    Scorer scorer(load_truth((dir_ / "truth").string()));
    for (const auto& l : verdict_lines()) scorer.add_line(l);
    return scorer.finish();
  }
  fs::path dir_;
};

TEST_F(ScoreFixture, CountsWhatItRead) {
  const ScoreReport r = grade();
  EXPECT_EQ(r.truth_segments, 8u);
  EXPECT_EQ(r.verdicts, 9u);
  EXPECT_EQ(r.matched, 7u);
  EXPECT_EQ(r.missing_verdicts, 1u);  // s8
  EXPECT_EQ(r.not_in_truth, 1u);      // s9
  EXPECT_EQ(r.duplicate_verdicts, 1u);
  EXPECT_EQ(r.other_records, 1u);
  EXPECT_EQ(r.bad_lines, 2u);
}

TEST_F(ScoreFixture, PoorDetection) {
  const ScoreReport r = grade();
  EXPECT_EQ(r.detection.expected_poor, 6u);   // s1-s5 and s8
  EXPECT_EQ(r.detection.predicted_poor, 6u);  // s1-s6
  EXPECT_EQ(r.detection.true_positive, 5u);
  EXPECT_EQ(r.detection.false_positive, 1u);  // s6
  EXPECT_DOUBLE_EQ(*r.detection.precision().value(), 5.0 / 6);
  // s8 has no verdict: a miss.
  EXPECT_DOUBLE_EQ(*r.detection.recall().value(), 5.0 / 6);
}

TEST_F(ScoreFixture, TopOneAttributionInsideAndOutsideGaps) {
  const ScoreReport r = grade();
  EXPECT_EQ(r.outside_gaps.segments, 3u);  // s1, s2, s3 (s8 has no verdict)
  EXPECT_EQ(r.outside_gaps.kind_correct, 2u);
  EXPECT_EQ(r.outside_gaps.id_correct, 2u);
  EXPECT_DOUBLE_EQ(*r.outside_gaps.id_accuracy().value(), 2.0 / 3);
  EXPECT_EQ(r.outside_gaps.unknown, 0u);
  EXPECT_EQ(r.by_fault.at("congested_ap").id_correct, 0u);
  EXPECT_EQ(r.by_fault.at("congested_ap").answers.at("client"), 1u);
  EXPECT_EQ(r.by_fault.at("remote_network").id_correct, 1u);
  EXPECT_EQ(r.in_gaps.segments, 1u);  // s4
  EXPECT_EQ(r.in_gaps.unknown, 1u);
  EXPECT_DOUBLE_EQ(*r.in_gaps.kind_accuracy().value(), 0.0);
  EXPECT_EQ(r.by_fault_in_gaps.at("switch_uplink_errors").segments, 1u);
  EXPECT_EQ(r.background.segments, 1u);
  EXPECT_EQ(r.background.named, 1u);
}

TEST_F(ScoreFixture, FalseBlameAndConfounders) {
  const ScoreReport r = grade();
  EXPECT_EQ(r.false_blame.poor_verdicts, 6u);
  EXPECT_EQ(r.false_blame.named, 4u);        // s1, s2, s5, s6 (remote and unknown name nothing)
  EXPECT_EQ(r.false_blame.false_blame, 3u);  // s2, s5, s6
  EXPECT_EQ(r.false_blame.wrong_component, 1u);
  EXPECT_EQ(r.false_blame.on_background, 1u);
  EXPECT_EQ(r.false_blame.on_good, 1u);
  EXPECT_DOUBLE_EQ(*r.false_blame.rate().value(), 0.5);
  ASSERT_EQ(r.confounders.size(), 1u);
  EXPECT_EQ(r.confounders[0].confounder.ref, "C01");
  EXPECT_EQ(r.confounders[0].confounder.segments, 2u);
  EXPECT_EQ(r.confounders[0].blamed, 2u);  // s5, and s9 which the truth does not list
  EXPECT_EQ(r.confounders[0].blamed_in_interval, 1u);
  EXPECT_EQ(r.by_site.at("hq").false_blame.false_blame, 1u);    // s2
  EXPECT_EQ(r.by_site.at("br01").false_blame.false_blame, 2u);  // s5, s6
}

TEST_F(ScoreFixture, CalibrationBinsAndExpectedCalibrationError) {
  const ScoreReport r = grade();
  EXPECT_EQ(r.claims, 5u);  // s1, s2, s3, s5, s6: unknown claims nothing
  const auto& b = r.calibration;
  EXPECT_EQ(b[4].count, 1u);  // s5 0.45, wrong
  EXPECT_EQ(b[4].correct, 0u);
  EXPECT_EQ(b[5].count, 1u);  // s3 0.55, right
  EXPECT_EQ(b[5].correct, 1u);
  EXPECT_EQ(b[6].count, 1u);  // s6 0.65, wrong
  EXPECT_EQ(b[8].count, 1u);  // s2 0.85, wrong
  EXPECT_EQ(b[9].count, 1u);  // s1 0.95, right
  EXPECT_NEAR(*b[9].mean_confidence(), 0.95, 1e-9);
  EXPECT_FALSE(b[0].accuracy().has_value());
  // (|0-.45| + |1-.55| + |0-.65| + |0-.85| + |1-.95|) / 5
  ASSERT_TRUE(r.ece.has_value());
  EXPECT_NEAR(*r.ece, 2.45 / 5, 1e-9);
}

TEST_F(ScoreFixture, TheCommandPrintsATableOrOneJsonObject) {
  auto log = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
  ScoreOptions o;
  o.truth = dir_.string();  // the scenario folder: truth/ inside is found
  o.verdicts = (dir_ / "verdicts.jsonl").string();
  o.by_site = true;
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run_score(o, log), 0);
  const std::string table = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(table.find("precision 0.833, recall 0.833"), std::string::npos) << table;
  EXPECT_NE(table.find("false blame: 0.500 (3 of 6"), std::string::npos) << table;
  EXPECT_NE(table.find("ECE 0.490"), std::string::npos) << table;
  EXPECT_NE(table.find("C01"), std::string::npos) << table;
  EXPECT_NE(table.find("by site"), std::string::npos) << table;

  o.json = true;
  o.truth = (dir_ / "truth" / "segments.jsonl").string();  // the file: truth.jsonl beside it is read too
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run_score(o, log), 0);
  const std::string out = ::testing::internal::GetCapturedStdout();
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j.at("detection").at("true_positive"), 5);
  EXPECT_DOUBLE_EQ(j.at("false_blame").at("rate").get<double>(), 0.5);
  EXPECT_EQ(j.at("attribution").at("outside_gaps").at("id_correct"), 2);
  EXPECT_EQ(j.at("confounders").at(0).at("blamed"), 2);
  EXPECT_NEAR(j.at("calibration").at("ece").get<double>(), 0.49, 1e-9);
  EXPECT_TRUE(j.at("calibration").at("bins").at(0).at("accuracy").is_null());
  EXPECT_TRUE(j.contains("by_site"));
}

TEST_F(ScoreFixture, UnreadableFilesAndABadTruthExit2) {
  auto log = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
  ScoreOptions o;
  o.truth = (dir_ / "truth").string();
  o.verdicts = (dir_ / "missing.jsonl").string();
  EXPECT_EQ(run_score(o, log), 2);
  o.verdicts = (dir_ / "verdicts.jsonl").string();
  o.truth = (dir_ / "nowhere").string();
  EXPECT_EQ(run_score(o, log), 2);
  std::ofstream(dir_ / "truth" / "segments.jsonl", std::ios::app) << R"({"segment_id":"s10","expected":"maybe"})"
                                                                  << "\n";
  try {
    load_truth((dir_ / "truth").string());
    ADD_FAILURE() << "a bad truth line was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("segments.jsonl:10:"), std::string::npos) << e.what();
  }
  o.truth = (dir_ / "truth").string();
  EXPECT_EQ(run_score(o, log), 2);
}

}  // namespace
}  // namespace callroot::tools::testing
