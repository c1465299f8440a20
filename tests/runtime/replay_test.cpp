// Golden replay of the bundled demo, the planted faults, and bad input that
// must not disturb the good records around it.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/ostream_sink.h>

#include "demo_files.h"
#include "models/json_writer.h"
#include "runtime/pipeline.h"
#include "runtime/replay.h"
#include "runtime/sinks.h"

namespace callroot::runtime::testing {
namespace {

std::shared_ptr<spdlog::logger> quiet_logger(std::ostringstream* capture = nullptr) {
  std::shared_ptr<spdlog::sinks::sink> sink;
  if (capture != nullptr) sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*capture);
  else sink = std::make_shared<spdlog::sinks::null_sink_mt>();
  auto log = std::make_shared<spdlog::logger>("test", sink);
  log->set_pattern("%l %v");
  return log;
}

// A record's type and values reach the log when they are rejected; a newline
// or an escape sequence in them must not forge a line or drive a terminal.
TEST(Logging, InputCannotForgeALogLine) {
  std::ostringstream text;
  auto log = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::ostream_sink_mt>(text));
  log->set_formatter(make_log_formatter());
  CollectingSink sink;
  Pipeline pipeline(engine::EngineConfig{}, sink, log);
  pipeline.feed(R"({"type":"x\ninfo callroot run: restored checkpoint FORGED LINE\u001b[2J","ts":"2026-03-02T09:00:00Z"})",
                ingest::Position{"in.jsonl", 7}, false);
  const std::string out = text.str();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  EXPECT_NE(out.find("x\\ninfo callroot run: restored checkpoint FORGED LINE\\x1b[2J"), std::string::npos) << out;
  EXPECT_EQ(out.rfind("t: warning: rejected in.jsonl:7: unknown_type: ", 0), 0u) << out;
}

// --log-format json and logfmt: one line per message with the keys ts,
// level, logger and msg, whatever the message holds; the same forged line
// stays one JSON value, and the text comes back exactly.
TEST(Logging, StructuredLinesKeepTheirKeysAndCannotBeForged) {
  const std::string forged = "x\ninfo callroot run: FORGED\"} {\"level\":\"error\u001b[2J";
  for (const LogFormat format : {LogFormat::kJson, LogFormat::kLogfmt}) {
    std::ostringstream text;
    auto log = std::make_shared<spdlog::logger>("callroot run", std::make_shared<spdlog::sinks::ostream_sink_mt>(text));
    log->set_formatter(make_log_formatter(format));
    log->warn("rejected: {}", forged);
    const std::string out = text.str();
    ASSERT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
    EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
    if (format == LogFormat::kJson) {
      const auto j = nlohmann::json::parse(out);
      EXPECT_EQ(j.at("level"), "warning");
      EXPECT_EQ(j.at("logger"), "callroot run");
      EXPECT_EQ(j.at("msg"), "rejected: " + forged);
      EXPECT_TRUE(parse_rfc3339(j.at("ts").get<std::string>()).has_value()) << j.at("ts");
      EXPECT_EQ(j.size(), 4u);
    } else {
      EXPECT_EQ(out.rfind("ts=", 0), 0u) << out;
      EXPECT_NE(out.find(" level=warning logger=\"callroot run\" msg=\"rejected: x\\ninfo"), std::string::npos) << out;
      EXPECT_NE(out.find("FORGED\\\"} {\\\"level"), std::string::npos) << out;
    }
  }
  // On the journal's stream each line starts with its syslog priority.
  std::ostringstream text;
  auto log = std::make_shared<spdlog::logger>("callroot run", std::make_shared<spdlog::sinks::ostream_sink_mt>(text));
  log->set_formatter(make_log_formatter(LogFormat::kText, /*journal=*/true));
  log->warn("a warning");
  log->error("an error");
  EXPECT_EQ(text.str(), "<4>warning: a warning\n<3>error: an error\n");
  LogFormat parsed = LogFormat::kText;
  EXPECT_TRUE(parse_log_format("logfmt", parsed));
  EXPECT_EQ(parsed, LogFormat::kLogfmt);
  EXPECT_FALSE(parse_log_format("xml", parsed));
}

struct Replayed {
  CollectingSink sink;
  PipelineStats stats;
  std::string jsonl;
};

std::unique_ptr<Replayed> replay(const std::vector<std::string>& files, std::ostringstream* log = nullptr) {
  auto r = std::make_unique<Replayed>();
  ReplayOptions options;
  options.files = files;
  options.progress = false;
  r->stats = replay_into(options, r->sink, quiet_logger(log));
  for (const auto& v : r->sink.verdicts) r->jsonl += to_json(v) + "\n";
  return r;
}

class DemoReplay : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { result_ = replay(demo_inputs()).release(); }
  static void TearDownTestSuite() { delete result_; }
  static Replayed* result_;
};
Replayed* DemoReplay::result_ = nullptr;

TEST_F(DemoReplay, ReadsEveryRecordAndRejectsNone) {
  EXPECT_GT(result_->stats.records, 10'000u);
  EXPECT_EQ(result_->stats.rejected.total(), 0u);
  EXPECT_EQ(result_->stats.accepted, result_->stats.records);
}

TEST_F(DemoReplay, OneVerdictPerSegment) {
  std::multiset<std::string> expected, got;
  for (const auto& j : read_jsonl(std::string(CALLROOT_DATA_DIR) + "/demo/calls.jsonl")) {
    if (j.at("type") == "call.segment") expected.insert(j.at("segment_id").get<std::string>());
  }
  for (const auto& v : result_->sink.verdicts) got.insert(v.segment_id);
  EXPECT_GE(expected.size(), 250u);
  EXPECT_EQ(got, expected);
}

TEST_F(DemoReplay, EveryPoorVerdictNamesAHopWithEvidence) {
  std::size_t poor = 0;
  for (const auto& v : result_->sink.verdicts) {
    if (v.quality != Quality::kPoor) {
      EXPECT_TRUE(v.blame.empty()) << v.segment_id;
      continue;
    }
    ++poor;
    ASSERT_FALSE(v.blame.empty()) << v.segment_id;
    EXPECT_NE(v.blame[0].kind, ComponentKind::kUnknown) << v.segment_id;
    EXPECT_FALSE(v.blame[0].evidence.empty()) << v.segment_id;
    EXPECT_FALSE(v.poor_streams.empty()) << v.segment_id;
  }
  EXPECT_GT(poor, 20u);
}

TEST_F(DemoReplay, EachPlantedFaultIsBlamedOnTheRightComponent) {
  std::map<std::string, const Verdict*> by_segment;
  for (const auto& v : result_->sink.verdicts) by_segment[v.segment_id] = &v;
  const auto truth = read_jsonl(demo_truth());
  ASSERT_EQ(truth.size(), 5u);  // the demo has five faults and nothing else
  for (const auto& fault : truth) {
    ASSERT_EQ(fault.at("role"), "fault");
    const std::string kind = fault.at("kind");
    const std::string id = fault.at("id").is_null() ? "" : fault.at("id").get<std::string>();
    std::size_t right = 0, total = 0;
    for (const auto& seg : fault.at("segments")) {
      const auto it = by_segment.find(seg.get<std::string>());
      ASSERT_NE(it, by_segment.end()) << seg;
      const Verdict& v = *it->second;
      ++total;
      ASSERT_EQ(v.quality, Quality::kPoor) << seg;
      ASSERT_FALSE(v.blame.empty());
      // A remote party has no id: its blame names the kind alone.
      const bool ok = to_string(v.blame[0].kind) == kind && (kind == "remote" || v.blame[0].id == id);
      right += ok;
      EXPECT_TRUE(ok) << fault.at("fault") << " segment " << seg << ": blamed " << to_string(v.blame[0].kind) << " "
                      << v.blame[0].id << ", expected " << kind << " " << id;
    }
    EXPECT_GE(total, 5u) << fault.at("fault");
    EXPECT_EQ(right, total) << fault.at("fault");
  }
}

TEST_F(DemoReplay, MatchesTheGoldenVerdicts) {
  const std::string golden = std::string(CALLROOT_TEST_DATA_DIR) + "/golden/demo_verdicts.jsonl";
  if (std::getenv("CALLROOT_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden) << result_->jsonl;
    GTEST_SKIP() << "golden file rewritten: " << golden;
  }
  const std::string expected = slurp(golden);
  ASSERT_FALSE(expected.empty()) << "missing " << golden << " (run with CALLROOT_UPDATE_GOLDEN=1)";
  // Compare line by line for a readable failure.
  std::istringstream a(result_->jsonl), b(expected);
  std::string la, lb;
  int line = 0;
  while (true) {
    const bool more_a = static_cast<bool>(std::getline(a, la));
    const bool more_b = static_cast<bool>(std::getline(b, lb));
    ++line;
    if (!more_a || !more_b) {
      EXPECT_EQ(more_a, more_b) << "verdict count differs at line " << line;
      break;
    }
    ASSERT_EQ(la, lb) << "first difference at line " << line;
  }
}

TEST_F(DemoReplay, SameInputGivesByteIdenticalOutput) {
  const auto again = replay(demo_inputs());
  EXPECT_EQ(again->jsonl, result_->jsonl);
}

/// Copies the demo with bad lines inserted, and remembers where.
class BadLines : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("callroot-badlines-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// Writes `src` to dir_ with `bad` inserted before source line `before` (1-based).
  std::string copy_with(const std::string& src, std::size_t before, const std::vector<std::string>& bad) {
    const std::string dst = (dir_ / std::filesystem::path(src).filename()).string();
    std::ifstream in(src);
    std::ofstream out(dst);
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line)) {
      if (++n == before) {
        for (const auto& b : bad) out << b << "\n";
      }
      out << line << "\n";
    }
    return dst;
  }
  std::filesystem::path dir_;
};

TEST_F(BadLines, AreCountedWithTheirLineNumbersAndChangeNoVerdict) {
  const auto clean = replay(demo_inputs());

  std::vector<std::string> files;
  const std::vector<std::string> bad = {
      R"({"type":"wifi.client","ts":"2026-03-02T09:10:00Z","client":"aa:bb:cc:dd:ee:01","rssi_dbm":)",   // bad JSON
      R"({"type":"wifi.client","ts":"2026-03-02T09:10:00Z","client":"aa:bb:cc:dd:ee:01","rssi_dbm":"-60"})",  // wrong type
      R"({"type":"wifi.ap","ts":"2026-03-02T09:10:00Z","channel_util_pct":50})",                      // missing key
      R"({"type":"wifi.teleport","ts":"2026-03-02T09:10:00Z"})",                                         // unknown type
      R"({"type":"wan.link","ts":"yesterday at noon","link":"x"})",                                      // bad timestamp
  };
  for (const auto& f : demo_inputs()) {
    if (f.ends_with("wifi.jsonl")) files.push_back(copy_with(f, 100, bad));
    else if (f.ends_with("calls.jsonl")) files.push_back(copy_with(f, 10, {"not json at all", "[1,2,3]"}));
    else files.push_back(f);
  }
  std::ostringstream log;
  const auto dirty = replay(files, &log);

  EXPECT_EQ(dirty->jsonl, clean->jsonl);
  EXPECT_EQ(dirty->stats.rejected.total(), 7u);
  EXPECT_EQ(dirty->stats.rejected.count(ingest::RejectReason::kBadJson), 2u);
  EXPECT_EQ(dirty->stats.rejected.count(ingest::RejectReason::kWrongType), 1u);
  EXPECT_EQ(dirty->stats.rejected.count(ingest::RejectReason::kMissingField), 1u);
  EXPECT_EQ(dirty->stats.rejected.count(ingest::RejectReason::kUnknownType), 1u);
  EXPECT_EQ(dirty->stats.rejected.count(ingest::RejectReason::kBadTimestamp), 1u);
  EXPECT_EQ(dirty->stats.rejected.count(ingest::RejectReason::kNotObject), 1u);
  const std::string text = log.str();
  for (int line = 100; line <= 104; ++line) {
    EXPECT_NE(text.find("wifi.jsonl:" + std::to_string(line) + ":"), std::string::npos) << line << "\n" << text;
  }
  EXPECT_NE(text.find("calls.jsonl:10: bad_json"), std::string::npos) << text;
  EXPECT_NE(text.find("calls.jsonl:11: not_object"), std::string::npos) << text;
}

// One record with a clock decades ahead, in the middle of one file and at the
// head of another: nothing else turns late, no verdict changes, and the two
// are dropped at the end for want of any record agreeing with them.
TEST_F(BadLines, ARecordFromTheFarFutureChangesNoVerdict) {
  const auto clean = replay(demo_inputs());
  const std::string future_ap =
      R"({"type":"wifi.ap","ts":"2099-01-01T00:00:00Z","ap":"hq-ap01","band":"5","channel_util_pct":99})";
  const std::string future_wan =
      R"({"type":"wan.link","ts":"2099-01-01T00:00:00Z","link":"hq-wan1","latency_ms":900})";
  std::vector<std::string> files;
  for (const auto& f : demo_inputs()) {
    if (f.ends_with("wifi.jsonl")) files.push_back(copy_with(f, 200, {future_ap}));
    else if (f.ends_with("wan.jsonl")) files.push_back(copy_with(f, 1, {future_wan}));
    else files.push_back(f);
  }
  const auto poisoned = replay(files);
  EXPECT_EQ(poisoned->jsonl, clean->jsonl);
  EXPECT_EQ(poisoned->stats.rejected.total(), 0u);
}

}  // namespace
}  // namespace callroot::runtime::testing

namespace callroot::runtime::testing {
namespace {

/// The demo's files, concatenated in the order given, into one file in `dir`.
std::string concatenate(const std::filesystem::path& dir, const std::vector<std::string>& files) {
  const std::string path = (dir / "one.jsonl").string();
  std::ofstream out(path);
  for (const auto& f : files) out << slurp(f);
  return path;
}

TEST(EventTimeOrder, OneFileOfConcatenatedFilesReplaysAsTheFilesDo) {
  TempDir dir("concatenated");
  const auto split = replay(demo_inputs());
  const auto one = replay({concatenate(dir.path(), demo_inputs())});
  EXPECT_EQ(one->stats.engine.late_dropped, 0u);
  EXPECT_EQ(one->jsonl, split->jsonl);
  // Backwards too: the calls' file last, inventory in the middle.
  std::vector<std::string> reversed = demo_inputs();
  std::reverse(reversed.begin(), reversed.end());
  const auto back = replay({concatenate(dir.path(), reversed)});
  EXPECT_EQ(back->stats.engine.late_dropped, 0u);
  EXPECT_EQ(back->sink.verdicts.size(), split->sink.verdicts.size());
  std::multiset<std::string> a, b;
  for (const auto& v : split->sink.verdicts) a.insert(to_json(v));
  for (const auto& v : back->sink.verdicts) b.insert(to_json(v));
  EXPECT_TRUE(a == b);
}

// The pace of --speed is read from the configured clock: on a manual clock a
// replay of two hours at event-time speed ends at once, its clock moved by the
// input's span, and its verdicts are those of a replay at full speed.
TEST(Pacing, ReplayAtEventTimeSpeedOnAManualClockMovesTheClockByTheInputsSpan) {
  TimeMs first = kNoTime, last = kNoTime;
  for (const auto& [type, line] : demo_records_in_time_order()) {
    const TimeMs t = record_time(nlohmann::json::parse(line));
    if (t == kNoTime) continue;
    first = first == kNoTime ? t : std::min(first, t);
    last = last == kNoTime ? t : std::max(last, t);
  }
  ASSERT_GT(last - first, 3'600'000) << "the demo spans more than an hour";

  ManualClock clock;
  const auto start = clock.now();
  CollectingSink paced;
  ReplayOptions options;
  options.files = demo_inputs();
  options.progress = false;
  options.speed = 1;
  options.config.clock = &clock;
  replay_into(options, paced, quiet_logger(nullptr));
  const auto moved = std::chrono::duration_cast<std::chrono::milliseconds>(clock.now() - start).count();
  EXPECT_NEAR(static_cast<double>(moved), static_cast<double>(last - first), 1.0);

  const auto full_speed = replay(demo_inputs());
  std::string jsonl;
  for (const auto& v : paced.verdicts) jsonl += to_json(v) + "\n";
  EXPECT_EQ(jsonl, full_speed->jsonl);
}

TEST(EventTimeOrder, InputOutOfOrderBeyondTheLatenessIsReportedAndFailsUnderStrict) {
  TempDir dir("shuffled");
  // Wi-Fi samples shuffled: too many steps back in time to merge as runs.
  std::vector<std::string> lines;
  {
    std::ifstream in(std::string(CALLROOT_DATA_DIR) + "/demo/wifi.jsonl");
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  std::shuffle(lines.begin(), lines.end(), std::mt19937(1));
  const std::string wifi = (dir.path() / "wifi-shuffled.jsonl").string();
  {
    std::ofstream out(wifi);
    for (const auto& l : lines) out << l << '\n';
  }
  std::vector<std::string> files = demo_inputs();
  std::replace_if(files.begin(), files.end(), [](const std::string& f) { return f.ends_with("/wifi.jsonl"); }, wifi);

  ReplayOptions options;
  options.files = files;
  options.progress = false;
  options.out = (dir.path() / "verdicts.jsonl").string();
  std::ostringstream log;
  EXPECT_EQ(run_replay(options, quiet_logger(&log)), 0);
  EXPECT_NE(log.str().find("dropped as late (first: " + wifi + ":"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("give --lateness-ms larger than its disorder"), std::string::npos) << log.str();
  options.strict = true;
  EXPECT_EQ(run_replay(options, quiet_logger()), 1);
  options.files = demo_inputs();
  EXPECT_EQ(run_replay(options, quiet_logger()), 0);  // nothing lost: --strict passes
}

}  // namespace
}  // namespace callroot::runtime::testing

namespace callroot::runtime::testing {
namespace {

/// The lines `write` put into a temporary file, through a FILE*.
std::vector<std::string> lines_written(const std::function<void(std::FILE*)>& write) {
  std::FILE* f = std::tmpfile();
  write(f);
  std::rewind(f);
  std::vector<std::string> lines;
  char buf[8192];
  while (std::fgets(buf, sizeof buf, f) != nullptr) lines.emplace_back(buf);
  std::fclose(f);
  return lines;
}

TEST(Table, ShowsWholeSegmentIdsAndFitsTheTerminalWhenItKnowsItsWidth) {
  const auto demo = replay(demo_inputs());
  const Verdict& poor = *std::find_if(demo->sink.verdicts.begin(), demo->sink.verdicts.end(),
                                      [](const Verdict& v) { return v.quality == Quality::kPoor; });
  const auto wide = lines_written([&](std::FILE* f) {
    TableSink table(f);
    table.on_verdict(poor);
  });
  ASSERT_EQ(wide.size(), 2u);  // header and one row
  EXPECT_NE(wide[1].find(poor.segment_id + " poor"), std::string::npos) << wide[1];
  EXPECT_GT(wide[1].size(), 120u);
  const auto narrow = lines_written([&](std::FILE* f) {
    TableSink table(f, 100);
    table.on_verdict(poor);
  });
  for (const auto& line : narrow) EXPECT_LE(line.size(), 101u) << line;  // with its newline
  EXPECT_NE(narrow[1].find(poor.segment_id), std::string::npos);
}

TEST(Table, PoorOnlyPassesPoorVerdictsAndEveryIncident) {
  TempDir dir("poor-only");
  ReplayOptions options;
  options.files = demo_inputs();
  options.progress = false;
  options.format = ReplayOptions::Format::kJsonl;
  options.poor_only = true;
  options.out = (dir.path() / "poor.jsonl").string();
  ASSERT_EQ(run_replay(options, quiet_logger()), 0);
  const auto records = read_jsonl(options.out);
  std::size_t verdicts = 0, incidents = 0;
  for (const auto& r : records) {
    if (r.at("type") == "verdict") {
      ++verdicts;
      EXPECT_EQ(r.at("quality"), "poor");
    } else {
      ++incidents;
    }
  }
  EXPECT_EQ(verdicts, 66u);
  EXPECT_GT(incidents, 0u);
}

}  // namespace
}  // namespace callroot::runtime::testing
