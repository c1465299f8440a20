// `callroot score` on a hand-made truth and verdicts whose every figure is
// known: detection, top-1 attribution inside and outside gaps, background,
// false blame, confounders, calibration and ECE; then the command's output
// and exit codes.

#include "eval/score.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "tests/runtime/demo_files.h"

namespace callroot::eval::testing {
namespace {

using runtime::testing::read_jsonl;

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

// ------------------------------------------------------------ the independent format
//
// One JSON object: a key per segment, plus faults, confounders and meta.
// i1-i6 are poor with a known cause, i7-i9 poor without one, i10-i14 good.

std::string independent_truth(const std::string& confounders) {
  return R"({
  "i1": {"poor": true, "cause": {"kind": "client", "id": "AA-BB-CC-00-00-01"}, "fault": "client_weak_signal", "fault_id": "F01", "call_id": "c1"},
  "i2": {"poor": true, "cause": {"kind": "remote", "id": null}, "fault": "remote_bad", "fault_id": "F02"},
  "i3": {"poor": true, "cause": {"kind": "switch", "id": "site-01-acc1"}, "fault": "ap_uplink_cable", "fault_id": "F03"},
  "i4": {"poor": true, "cause": {"kind": "ap", "id": "site-01-ap02"}, "fault": "ap_congestion", "fault_id": "F04"},
  "i5": {"poor": true, "cause": {"kind": "wan", "id": "site-01-wan1"}, "fault": "wan_congestion", "fault_id": "F05"},
  "i6": {"poor": true, "cause": {"kind": "ap", "id": "site-01-ap02"}, "fault": "ap_congestion", "fault_id": "F04"},

  "i7": {"poor": true, "cause": null, "fault": null, "fault_id": null},
  "i8": {"poor": true, "cause": null, "fault": null},
  "i9": {"poor": true, "cause": null},
  "i10": {"poor": false, "cause": null},
  "i11": {"poor": false, "cause": null},
  "i12": {"poor": false, "cause": null},
  "i13": {"poor": false, "cause": null},
  "i14": {"poor": false, "cause": null},
  "faults": [{"id": "F01", "fault": "client_weak_signal", "site": "site-01"}],
  "confounders": )" +
         confounders + R"(,
  "meta": {"seed": 1, "start": "2026-03-02T08:00:00.000Z", "end": "2026-03-02T10:00:00.000Z"}
}
)";
}

// As the independent scenarios write them: an object keyed by type.
constexpr const char* kConfounderObject = R"({
    "weak_but_fine_client": {"client": "AA-BB-CC-00-00-99", "rssi_dbm": -74},
    "sticky_clients": [{"client": "aa-bb-cc-00-00-01", "rssi_dbm": -75.5}],
    "busy_ap_no_impact": {"ap": "site-01-ap09", "band": "2.4", "start": "2026-03-02T09:00:00.000Z", "end": "2026-03-02T10:00:00.000Z"},
    "busy_wan_no_loss": {"link": "site-01-wan1", "start": 1772445600000, "end": 1772449200000},
    "sporadic_port_errors": [{"switch": "site-01-core", "port": "Gi1/0/1"}],
    "counter_reset": {"switch": "site-01-acc3", "port": "Gi1/0/2", "at": "2026-03-02T08:32:10.877Z"}
  })";

// The other shape the format allows: a list of bare type names and objects.
constexpr const char* kConfounderList = R"(["sticky_clients",
    {"type": "busy_ap", "kind": "ap", "id": "site-01-ap09", "since": "2026-03-02T09:00:00.000Z", "until": "2026-03-02T10:00:00.000Z"}])";

std::string verdict_blaming(const std::string& segment, const std::string& quality, const std::string& blame,
                            const std::string& start = "09:10:00") {
  return R"({"type":"verdict","segment_id":")" + segment + R"(","start":"2026-03-02T)" + start +
         R"(.000Z","end":"2026-03-02T)" + start.substr(0, 3) + R"(14:00.000Z","quality":")" + quality +
         R"(","blame":[)" + blame + "]}";
}

std::string blame(const std::string& kind, const std::string& id, double confidence) {
  return R"({"kind":")" + kind + R"(","id":)" + (id.empty() ? std::string("null") : "\"" + id + "\"") +
         R"(,"confidence":)" + std::to_string(confidence) + "}";
}

std::vector<std::string> independent_verdicts() {
  return {
      verdict_blaming("i1", "poor", blame("client", "aa:bb:cc:00:00:01", 0.9)),  // right: the MAC by value
      verdict_blaming("i2", "poor", blame("remote", "", 0.6)),                   // right: remote by kind alone
      verdict_blaming("i3", "poor", blame("switch", "site-01-core", 0.8)),       // right kind, wrong switch
      verdict_blaming("i4", "poor", blame("unknown", "", 0.2)),                  // unknown: wrong
      // i5: no verdict, wrong
      verdict_blaming("i6", "poor", ""),                                  // no blame: wrong
      verdict_blaming("i7", "poor", blame("ap", "site-01-ap09", 0.5)),    // background named at 0.5: false blame
      verdict_blaming("i8", "poor", blame("wan", "site-01-wan1", 0.49)),  // ... below 0.5: not
      verdict_blaming("i9", "poor", blame("remote", "", 0.9)),            // ... remote names no component: not
      verdict_blaming("i10", "good", ""),                                 // good, nothing blamed
      verdict_blaming("i11", "poor", blame("unknown", "", 0.1) + "," + blame("ap", "site-01-ap03", 0.01)),  // any entry
      verdict_blaming("i12", "poor", blame("remote", "", 0.3)),   // good: remote counts too
      verdict_blaming("i13", "poor", blame("unknown", "", 0.2)),  // good, only unknown: not
      // i14: no verdict
      verdict_blaming("x1", "poor", blame("client", "aa:bb:cc:00:00:99", 0.7)),     // not in the truth
      verdict_blaming("x2", "poor", blame("ap", "site-01-ap09", 0.7), "11:00:00"),  // ... after the interval
  };
}

class ScoreIndependentFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("callroot-score-independent-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "gz");
    fs::create_directories(dir_ / "plain");
    write_gzip(dir_ / "gz" / "truth.json.gz", independent_truth(kConfounderObject));
    std::ofstream(dir_ / "plain" / "truth.json") << independent_truth(kConfounderList);
    std::ofstream verdicts(dir_ / "verdicts.jsonl");
    for (const auto& l : independent_verdicts()) verdicts << l << "\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void write_gzip(const fs::path& path, const std::string& text) {
    gzFile f = gzopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
    ASSERT_EQ(gzclose(f), Z_OK);
  }

  static ScoreReport grade(const fs::path& truth) {
    Scorer scorer(load_truth(truth.string()));
    for (const auto& l : independent_verdicts()) scorer.add_line(l);
    return scorer.finish();
  }

  /// The message load_truth throws for `text` as truth.json; empty if it accepts it.
  std::string truth_error(const std::string& text) const {
    const fs::path path = dir_ / "bad.json";
    std::ofstream(path, std::ios::trunc) << text;
    try {
      load_truth(path.string());
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return {};
  }

  fs::path dir_;
};

TEST_F(ScoreIndependentFixture, ReadsGzipAndPlainFilesAndFolders) {
  for (const fs::path& truth :
       {dir_ / "gz", dir_ / "gz" / "truth.json.gz", dir_ / "plain", dir_ / "plain" / "truth.json"}) {
    const Truth t = load_truth(truth.string());
    EXPECT_EQ(t.format, TruthFormat::kIndependent) << truth;
    EXPECT_EQ(t.segments.size(), 14u) << truth;
  }
  const Truth t = load_truth((dir_ / "gz").string());
  const auto i1 =
      std::find_if(t.segments.begin(), t.segments.end(), [](const auto& s) { return s.segment_id == "i1"; });
  ASSERT_NE(i1, t.segments.end());
  ASSERT_TRUE(i1->cause.has_value());
  EXPECT_EQ(i1->cause->ref, "F01");
  EXPECT_EQ(i1->cause->site, "site-01");  // from `faults`
  EXPECT_EQ(i1->call_id, "c1");
}

TEST_F(ScoreIndependentFixture, TopOneCountsMissingEmptyAndUnknownWrong) {
  for (const char* folder : {"gz", "plain"}) {
    const ScoreReport r = grade(dir_ / folder);
    EXPECT_EQ(r.format, TruthFormat::kIndependent);
    EXPECT_EQ(r.outside_gaps.segments, 6u) << folder;  // i1-i6, i5 without a verdict included
    EXPECT_EQ(r.outside_gaps.id_correct, 2u);          // i1 (MAC by value), i2 (remote by kind)
    EXPECT_EQ(r.outside_gaps.kind_correct, 3u);        // and i3
    EXPECT_DOUBLE_EQ(*r.outside_gaps.id_accuracy().value(), 2.0 / 6);
    EXPECT_EQ(r.outside_gaps.unknown, 1u);   // i4
    EXPECT_EQ(r.outside_gaps.missing, 1u);   // i5
    EXPECT_EQ(r.outside_gaps.not_poor, 1u);  // i6: no blame
    EXPECT_EQ(r.in_gaps.segments, 0u);
    EXPECT_EQ(r.by_fault.at("client_weak_signal").id_correct, 1u);
    EXPECT_EQ(r.by_fault.at("remote_bad").id_correct, 1u);
    EXPECT_EQ(r.by_fault.at("ap_uplink_cable").kind_correct, 1u);
    EXPECT_EQ(r.by_fault.at("ap_uplink_cable").id_correct, 0u);
    EXPECT_EQ(r.by_fault.at("ap_congestion").segments, 2u);
    EXPECT_EQ(r.by_fault.at("ap_congestion").id_correct, 0u);
    EXPECT_EQ(r.by_fault.at("wan_congestion").missing, 1u);
    EXPECT_EQ(r.by_fault.at("wan_congestion").answers.at("missing"), 1u);
  }
}

TEST_F(ScoreIndependentFixture, ClientMacsCompareByValueOnlyInTheIndependentFormat) {
  Truth t = load_truth((dir_ / "plain").string());
  t.format = TruthFormat::kSimulate;  // the same truth under simulate's exact ids
  Scorer scorer(std::move(t));
  for (const auto& l : independent_verdicts()) scorer.add_line(l);
  const ScoreReport r = scorer.finish();
  EXPECT_EQ(r.by_fault.at("client_weak_signal").id_correct, 0u);
  EXPECT_EQ(r.by_fault.at("client_weak_signal").kind_correct, 1u);
  EXPECT_FALSE(r.independent_false_blame.has_value());
}

TEST_F(ScoreIndependentFixture, FalseBlameByTheIndependentDefinition) {
  const ScoreReport r = grade(dir_ / "gz");
  ASSERT_TRUE(r.independent_false_blame.has_value());
  const IndependentFalseBlameTally& f = *r.independent_false_blame;
  EXPECT_EQ(f.good, 5u);               // i10-i14
  EXPECT_EQ(f.good_blamed, 2u);        // i11 (a second entry), i12 (remote)
  EXPECT_EQ(f.background, 3u);         // i7-i9
  EXPECT_EQ(f.background_blamed, 1u);  // i7 at 0.5; not i8 at 0.49, not i9 remote
  EXPECT_EQ(f.without_verdict, 1u);    // i14
  EXPECT_DOUBLE_EQ(*f.rate().value(), 3.0 / 8);
}

TEST_F(ScoreIndependentFixture, DetectionAndCalibrationAsForSimulate) {
  const ScoreReport r = grade(dir_ / "gz");
  EXPECT_EQ(r.detection.expected_poor, 9u);
  EXPECT_EQ(r.detection.true_positive, 8u);   // all but i5, which has no verdict
  EXPECT_EQ(r.detection.false_positive, 3u);  // i11-i13
  EXPECT_DOUBLE_EQ(*r.detection.precision().value(), 8.0 / 11);
  EXPECT_DOUBLE_EQ(*r.detection.recall().value(), 8.0 / 9);
  // Claims: i1 .9 right, i2 .6 right, i3 .8, i7 .5, i8 .49, i9 .9, i12 .3 (unknown claims nothing).
  EXPECT_EQ(r.claims, 7u);
  EXPECT_EQ(r.calibration[9].count, 2u);
  EXPECT_EQ(r.calibration[9].correct, 1u);
  EXPECT_EQ(r.calibration[4].count, 1u);  // i8 0.49
  EXPECT_EQ(r.calibration[5].count, 1u);  // i7 0.5
  ASSERT_TRUE(r.ece.has_value());
  EXPECT_NEAR(*r.ece, (0.3 + 0.49 + 0.5 + 0.4 + 0.8 + 2 * 0.4) / 7, 1e-9);
}

TEST_F(ScoreIndependentFixture, ConfoundersAsAnObjectByType) {
  const ScoreReport r = grade(dir_ / "gz");
  ASSERT_EQ(r.confounders.size(), 6u);
  std::map<std::string, ConfounderTally> by_type;
  for (const auto& c : r.confounders) by_type.emplace(c.confounder.type, c);
  const auto& client = by_type.at("weak_but_fine_client");
  EXPECT_EQ(client.confounder.kind, "client");
  EXPECT_FALSE(client.confounder.has_interval);
  EXPECT_FALSE(client.confounder.segments.has_value());
  EXPECT_EQ(client.blamed, 1u);  // x1, its MAC written otherwise
  EXPECT_EQ(client.right, 0u);
  const auto& sticky = by_type.at("sticky_clients");  // also i1's cause: a right blame
  EXPECT_EQ(sticky.blamed, 1u);
  EXPECT_EQ(sticky.right, 1u);
  const auto& ap = by_type.at("busy_ap_no_impact");
  EXPECT_EQ(ap.blamed, 2u);  // i7 and x2
  EXPECT_EQ(ap.blamed_in_interval, 1u);
  const auto& wan = by_type.at("busy_wan_no_loss");  // integer times, after i8
  EXPECT_EQ(wan.confounder.kind, "wan");
  EXPECT_EQ(wan.blamed, 1u);
  EXPECT_EQ(wan.blamed_in_interval, 0u);
  EXPECT_EQ(by_type.at("sporadic_port_errors").blamed, 1u);  // i3, caused by another switch
  EXPECT_EQ(by_type.at("sporadic_port_errors").right, 0u);
  EXPECT_EQ(by_type.at("counter_reset").blamed, 0u);
  EXPECT_TRUE(by_type.at("counter_reset").confounder.has_interval);
}

TEST_F(ScoreIndependentFixture, ConfoundersAsAListOfNamesAndObjects) {
  const ScoreReport r = grade(dir_ / "plain");
  ASSERT_EQ(r.confounders.size(), 2u);
  EXPECT_EQ(r.confounders[0].confounder.type, "sticky_clients");
  EXPECT_FALSE(r.confounders[0].confounder.names_component());
  EXPECT_EQ(r.confounders[0].blamed, 0u);
  EXPECT_EQ(r.confounders[1].confounder.type, "busy_ap");
  EXPECT_EQ(r.confounders[1].blamed, 2u);
  EXPECT_EQ(r.confounders[1].blamed_in_interval, 1u);
}

TEST_F(ScoreIndependentFixture, TheCommandSaysWhichDefinition) {
  auto log = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
  ScoreOptions o;
  o.truth = (dir_ / "gz").string();
  o.verdicts = (dir_ / "verdicts.jsonl").string();
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run_score(o, log), 0);
  const std::string table = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(table.find("false blame, independent definition: 0.375 (3 of 8 segments"), std::string::npos) << table;
  EXPECT_NE(table.find("precision 0.727, recall 0.889"), std::string::npos) << table;
  EXPECT_EQ(table.find("in telemetry gaps"), std::string::npos) << table;
  EXPECT_NE(table.find("weak_but_fine_client"), std::string::npos) << table;

  o.json = true;
  o.truth = (dir_ / "plain" / "truth.json").string();
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run_score(o, log), 0);
  const auto j = nlohmann::json::parse(::testing::internal::GetCapturedStdout());
  EXPECT_EQ(j.at("input").at("truth_format"), "independent");
  EXPECT_EQ(j.at("false_blame_independent").at("false_blame"), 3);
  EXPECT_DOUBLE_EQ(j.at("false_blame_independent").at("rate").get<double>(), 0.375);
  EXPECT_EQ(j.at("attribution").at("outside_gaps").at("missing"), 1);
  EXPECT_TRUE(j.at("confounders").at(0).at("blamed").is_null());  // a bare name
  EXPECT_EQ(j.at("confounders").at(1).at("blamed"), 2);
}

TEST_F(ScoreIndependentFixture, BadTruthIsNamedAndExits2) {
  auto has = [](const std::string& message, const std::string& part) {
    return message.find(part) != std::string::npos;
  };
  std::string e = truth_error("{\"i1\": {\"poor\": true,\n");
  EXPECT_TRUE(has(e, "bad.json") && has(e, "not valid JSON")) << e;
  e = truth_error("[1, 2]");
  EXPECT_TRUE(has(e, "bad.json: not a JSON object")) << e;
  e = truth_error(R"({"i1": {"poor": "yes"}})");
  EXPECT_TRUE(has(e, "segment `i1`") && has(e, "`poor` is not a boolean")) << e;
  e = truth_error(R"({"i1": {"poor": true, "cause": {"id": "x"}}})");
  EXPECT_TRUE(has(e, "segment `i1`") && has(e, "no `kind`")) << e;
  e = truth_error(R"({"i1": {"poor": false}, "confounders": 3})");
  EXPECT_TRUE(has(e, "`confounders` is not a list or an object")) << e;
  e = truth_error(R"({"i1": {"poor": false}, "confounders": {"busy": {"ap": "x", "start": "yesterday", "end": 1}}})");
  EXPECT_TRUE(has(e, "`confounders` `busy`") && has(e, "`start` is not a time")) << e;
  e = truth_error(R"({"faults": [], "meta": {}})");
  EXPECT_TRUE(has(e, "no segment")) << e;

  const std::string gz = [&] {
    std::ifstream in(dir_ / "gz" / "truth.json.gz", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  std::ofstream(dir_ / "cut.json.gz", std::ios::binary) << gz.substr(0, gz.size() / 2);
  try {
    load_truth((dir_ / "cut.json.gz").string());
    ADD_FAILURE() << "a cut gzip file was accepted";
  } catch (const std::runtime_error& err) {
    EXPECT_TRUE(has(err.what(), "cut.json.gz") && has(err.what(), "gzip")) << err.what();
  }

  auto log = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
  ScoreOptions o;
  o.verdicts = (dir_ / "verdicts.jsonl").string();
  for (const char* truth : {"cut.json.gz", "bad.json", "absent.json"}) {
    o.truth = (dir_ / truth).string();
    EXPECT_EQ(run_score(o, log), 2) << truth;
  }
}

}  // namespace
}  // namespace callroot::eval::testing
