// The scenario generator: deterministic bytes, the bundled demo, and a campus
// whose ground truth agrees with what it wrote (every fault and confounder
// kind, poor iff a stream crosses a CQD threshold, the telemetry of faults,
// confounders and gaps); then campus -> replay -> score end to end.

#include "sim/simulate.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>

#include "engine/attributors.h"
#include "eval/score.h"
#include "models/json_writer.h"
#include "models/time.h"
#include "tests/runtime/demo_files.h"
#include "runtime/replay.h"
#include "runtime/sinks.h"

namespace callroot::sim::testing {
namespace {

using eval::load_truth;
using eval::Scorer;
using eval::ScoreReport;
using runtime::CollectingSink;
using runtime::replay_into;
using runtime::ReplayOptions;
using runtime::testing::read_jsonl;
using runtime::testing::slurp;

namespace fs = std::filesystem;
using nlohmann::json;

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("callroot-sim-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> inputs_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".jsonl") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Simulate, SameOptionsGiveTheSameBytesAnotherSeedOtherBytes) {
  const fs::path a = temp_dir("a"), b = temp_dir("b"), c = temp_dir("c");
  SimulateOptions o;
  o.out_dir = a.string();
  write_scenario(o);
  o.out_dir = b.string();
  write_scenario(o);
  o.seed = 8;
  o.out_dir = c.string();
  write_scenario(o);
  ASSERT_EQ(files_in(a), files_in(b));
  EXPECT_EQ(files_in(a).size(), 9u);  // seven record files and two truth files
  for (const auto& f : files_in(a)) EXPECT_EQ(slurp((a / f).string()), slurp((b / f).string())) << f;
  EXPECT_NE(slurp((a / "calls.jsonl").string()), slurp((c / "calls.jsonl").string()));
  EXPECT_NE(slurp((a / "wifi.jsonl").string()), slurp((c / "wifi.jsonl").string()));
  for (const auto& d : {a, b, c}) fs::remove_all(d);
}

TEST(Simulate, TheDemoPresetIsTheBundledDemo) {
  // data/demo is `callroot simulate --seed 7 --out data/demo`: regenerate it
  // after a change to the generator (and the golden verdicts with it).
  const fs::path dir = temp_dir("demo");
  SimulateOptions o;
  o.out_dir = dir.string();
  const SimulateSummary s = write_scenario(o);
  EXPECT_EQ(s.faults, 5u);
  EXPECT_EQ(s.confounders, 0u);
  EXPECT_EQ(s.gaps, 0u);
  EXPECT_EQ(s.background_segments, 0u);
  const fs::path bundled = fs::path(CALLROOT_DATA_DIR) / "demo";
  for (const auto& f : files_in(dir)) {
    EXPECT_EQ(slurp((dir / f).string()), slurp((bundled / f).string())) << f << " differs from data/demo";
  }
  fs::remove_all(dir);
}

TEST(Simulate, OptionsOutOfRangeAreRejected) {
  SimulateOptions o;
  EXPECT_THROW(write_scenario(o), std::invalid_argument);  // no out_dir
  o.out_dir = temp_dir("bad").string();
  o.sites = 61;
  EXPECT_THROW(write_scenario(o), std::invalid_argument);
  o.sites = 10;
  o.clients = 50;  // fewer than 12 per site
  EXPECT_THROW(write_scenario(o), std::invalid_argument);
  o = SimulateOptions{};
  o.out_dir = temp_dir("bad").string();
  o.aps_per_switch = 17;
  EXPECT_THROW(write_scenario(o), std::invalid_argument);
  o.aps_per_switch = 0;
  o.switch_ports = 97;
  EXPECT_THROW(write_scenario(o), std::invalid_argument);
  fs::remove_all(o.out_dir);
}

TEST(Simulate, SwitchPortsPadEverySwitchWithIdlePortsAndChangeNothingElse) {
  // Six APs per access switch and 24 ports on every switch: the network of
  // the memory target, in small.
  const fs::path plain = temp_dir("ports-plain"), padded = temp_dir("ports-padded");
  SimulateOptions o;
  o.preset = Preset::kCampus;
  o.hours = 2;
  o.segments = 400;
  o.aps_per_switch = 6;
  o.out_dir = plain.string();
  write_scenario(o);
  o.switch_ports = 24;
  o.out_dir = padded.string();
  write_scenario(o);

  std::size_t switches = 0;
  for (const json& r : read_jsonl((padded / "inventory.jsonl").string())) switches += r.at("type") == "inventory.switch";
  EXPECT_EQ(switches, 4u * (1 + 2));  // four sites of 10 APs: a core and two access switches each
  std::map<std::string, std::set<std::string>> ports;
  std::set<std::string> down, up;
  for (const json& r : read_jsonl((padded / "wired.jsonl").string())) {
    const std::string key = r.at("switch").get<std::string>() + " " + r.at("port").get<std::string>();
    ports[r.at("switch").get<std::string>()].insert(r.at("port").get<std::string>());
    (r.at("oper_up").get<bool>() ? up : down).insert(key);
  }
  ASSERT_EQ(ports.size(), switches);
  for (const auto& [sw, names] : ports) EXPECT_EQ(names.size(), 24u) << sw;
  EXPECT_EQ(up.size() + down.size(), 24u * switches);
  // Without the option, exactly the ports that are up report, with the same lines.
  std::set<std::string> in_use;
  std::vector<std::string> plain_lines, padded_up_lines;
  for (const json& r : read_jsonl((plain / "wired.jsonl").string())) {
    in_use.insert(r.at("switch").get<std::string>() + " " + r.at("port").get<std::string>());
    plain_lines.push_back(r.dump());
  }
  EXPECT_EQ(in_use, up);
  for (const json& r : read_jsonl((padded / "wired.jsonl").string())) {
    if (r.at("oper_up").get<bool>()) padded_up_lines.push_back(r.dump());
  }
  EXPECT_EQ(plain_lines, padded_up_lines);
  for (const char* f : {"inventory.jsonl", "wifi.jsonl", "wan.jsonl", "devices.jsonl", "calls.jsonl", "truth/truth.jsonl"}) {
    EXPECT_EQ(slurp((plain / f).string()), slurp((padded / f).string())) << f;
  }
  fs::remove_all(plain);
  fs::remove_all(padded);
}

/// CQD's poor-stream rules as the engine applies them (engine/quality.cpp).
bool cqd_poor(const json& s) {
  auto num = [&](const char* k) { return s.contains(k) ? s.at(k).get<double>() : -1.0; };
  if (s.at("media") == "audio") {
    return num("jitter_avg_ms") > 30 || num("loss_avg_pct") > 10 || num("rtt_avg_ms") > 500 ||
           num("degradation_avg") > 1.0 || num("concealed_ratio_avg") > 0.07;
  }
  if (s.contains("frame_loss_pct")) return num("frame_loss_pct") > 50;
  if (s.contains("frame_rate_avg")) return num("frame_rate_avg") < (s.at("media") == "screen" ? 2 : 7);
  return num("post_fec_loss_pct") > 15;
}

TimeMs ts(const json& j, const char* key) { return *parse_rfc3339(j.at(key).get<std::string>()); }

/// A campus scenario, generated once for the suite, with its files read.
class Campus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(temp_dir("campus"));
    SimulateOptions o;
    o.preset = Preset::kCampus;
    o.seed = 3;
    o.out_dir = dir_->string();
    summary_ = new SimulateSummary(write_scenario(o));
    truth_ = new std::vector<json>(read_jsonl((*dir_ / "truth" / "truth.jsonl").string()));
    segments_ = new std::vector<json>(read_jsonl((*dir_ / "truth" / "segments.jsonl").string()));
    calls_ = new std::vector<json>(read_jsonl((*dir_ / "calls.jsonl").string()));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete summary_;
    delete truth_;
    delete segments_;
    delete calls_;
  }
  static std::vector<json> role(const std::string& r) {
    std::vector<json> out;
    for (const auto& j : *truth_) {
      if (j.at("role") == r) out.push_back(j);
    }
    return out;
  }
  /// Every record of a telemetry file whose line contains `needle`, one pass
  /// (parsing only those keeps the test quick).
  template <typename F>
  static void each_record(const char* file, const std::string& needle, F&& f) {
    std::ifstream in(*dir_ / file);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find(needle) != std::string::npos) f(json::parse(line));
    }
  }
  static inline fs::path* dir_ = nullptr;
  static inline SimulateSummary* summary_ = nullptr;
  static inline std::vector<json>* truth_ = nullptr;
  static inline std::vector<json>* segments_ = nullptr;
  static inline std::vector<json>* calls_ = nullptr;
  static constexpr TimeMs kStart = 1772438400000;  // 2026-03-02T08:00:00Z
  static constexpr TimeMs kHour = 3'600'000;
};

TEST_F(Campus, HasSeveralFaultsOfEveryKindAndEveryConfounder) {
  std::map<std::string, int> faults, confounders;
  for (const auto& f : role("fault")) ++faults[f.at("fault")];
  for (const auto& c : role("confounder")) ++confounders[c.at("confounder")];
  const std::set<std::string> kinds{"weak_wifi_client",     "client_cpu",     "congested_ap",  "ap_interference",
                                    "switch_uplink_errors", "ap_port_errors", "congested_wan", "remote_network"};
  EXPECT_EQ(faults.size(), kinds.size());
  for (const auto& k : kinds) EXPECT_GE(faults[k], 2) << k;
  for (const auto* k : {"busy_ap", "borderline_client", "busy_wan"}) EXPECT_GE(confounders[k], 1) << k;
  EXPECT_GE(role("gap").size(), 2u);
  EXPECT_EQ(summary_->faults + summary_->confounders + summary_->gaps, truth_->size());
}

TEST_F(Campus, FaultsComeAfterANormalFirstHourAtSeveralSites) {
  std::set<std::string> sites;
  for (const auto& f : role("fault")) {
    EXPECT_GE(ts(f, "since"), kStart + kHour) << f.dump();
    EXPECT_GE(f.at("segments").size(), 6u) << f.at("ref");
    if (!f.at("site").is_null()) sites.insert(f.at("site"));
  }
  EXPECT_GE(sites.size(), 3u);
  // Nothing in the first hour has a planted cause: baselines learn from it.
  std::map<std::string, TimeMs> start;
  for (const auto& c : *calls_) start[c.at("segment_id")] = ts(c, "start");
  std::size_t first_hour = 0;
  for (const auto& s : *segments_) {
    const TimeMs t = start.at(s.at("segment_id"));
    if (t >= kStart + kHour) continue;
    ++first_hour;
    EXPECT_TRUE(s.at("cause").is_null()) << s.dump();
  }
  EXPECT_GT(first_hour, 300u);
}

TEST_F(Campus, EverySegmentIsInTheTruthOnceAndPoorIffAStreamCrossesAThreshold) {
  std::map<std::string, const json*> truth;
  for (const auto& s : *segments_) {
    EXPECT_TRUE(truth.emplace(s.at("segment_id"), &s).second) << "listed twice: " << s.at("segment_id");
  }
  ASSERT_EQ(truth.size(), calls_->size());
  std::size_t poor = 0, background = 0;
  for (const auto& call : *calls_) {
    const auto it = truth.find(call.at("segment_id"));
    ASSERT_NE(it, truth.end()) << call.at("segment_id");
    const json& t = *it->second;
    bool any = false;
    for (const auto& s : call.at("streams")) any |= cqd_poor(s);
    EXPECT_EQ(any, t.at("expected") == "poor") << call.dump();
    poor += any;
    background += any && t.at("cause").is_null();
  }
  EXPECT_EQ(poor, summary_->poor_segments);
  EXPECT_EQ(background, summary_->background_segments);
  // About 1 % of the segments are poor with no planted cause.
  EXPECT_GT(background, calls_->size() / 300);
  EXPECT_LT(background, calls_->size() / 30);
}

TEST_F(Campus, FaultSegmentsArePoorOnTheSideTheFaultIsOn) {
  std::map<std::string, const json*> calls;
  for (const auto& c : *calls_) calls[c.at("segment_id")] = &c;
  std::map<std::string, json> faults;
  for (const auto& f : role("fault")) faults[f.at("ref")] = f;
  std::size_t checked = 0;
  for (const auto& t : *segments_) {
    if (t.at("cause").is_null()) continue;
    const json& cause = t.at("cause");
    const json& fault = faults.at(cause.at("ref"));
    EXPECT_EQ(cause.at("kind"), fault.at("kind"));
    EXPECT_EQ(cause.at("id"), fault.at("id"));
    const json& call = *calls.at(t.at("segment_id"));
    EXPECT_GE(ts(call, "start"), ts(fault, "since"));
    EXPECT_LE(ts(call, "end"), ts(fault, "until"));
    std::set<std::string> poor_from;
    for (const auto& s : call.at("streams")) {
      if (cqd_poor(s)) poor_from.insert(s.at("from"));
    }
    if (cause.at("kind") == "remote") {
      // What the party outside sent is poor; what was sent to it may be too.
      const std::string outside = call.at("caller").contains("client") ? "callee" : "caller";
      EXPECT_FALSE(call.at(outside).contains("client")) << call.dump();
      EXPECT_TRUE(poor_from.count(outside)) << call.dump();
    } else if (cause.at("kind") == "client") {
      // The faulty client's own streams are poor.
      const std::string side = call.at("caller").value("client", "") == cause.at("id") ? "caller" : "callee";
      ASSERT_EQ(call.at(side).value("client", ""), cause.at("id")) << call.dump();
      EXPECT_TRUE(poor_from.count(side)) << call.dump();
      if (cause.at("fault") == "client_cpu") {
        EXPECT_GT(call.at(side).at("cpu_insufficient_ratio").get<double>(), 0.1);
      }
    } else {
      EXPECT_FALSE(poor_from.empty());
    }
    ++checked;
  }
  EXPECT_GT(checked, 200u);
}

TEST_F(Campus, ConfoundersAreNeverACauseAndTheirCallsAreFine) {
  std::map<std::string, const json*> truth;
  for (const auto& s : *segments_) truth[s.at("segment_id")] = &s;
  for (const auto& c : role("confounder")) {
    for (const auto& t : *segments_) {
      if (t.at("cause").is_null()) continue;
      EXPECT_FALSE(t.at("cause").at("kind") == c.at("kind") && t.at("cause").at("id") == c.at("id")) << c.dump();
    }
    std::size_t good = 0;
    for (const auto& id : c.at("segments")) {
      const json& t = *truth.at(id);
      // Poor only when a fault elsewhere on the path, or background noise, made it so.
      if (t.at("expected") == "good") ++good;
    }
    EXPECT_GE(good, 4u) << c.at("ref");
    EXPECT_GE(good * 2, c.at("segments").size()) << c.at("ref");
  }
}

TEST_F(Campus, TelemetryShowsFaultsConfoundersGapsAndTheDailyLoad) {
  std::map<std::string, std::vector<std::pair<TimeMs, TimeMs>>> congested, interfered, busy, dark;
  for (const auto& f : role("fault")) {
    if (f.at("fault") == "congested_ap") congested[f.at("id")].emplace_back(ts(f, "since"), ts(f, "until"));
    // Interference takes some airtime too: it may cross the target.
    if (f.at("fault") == "ap_interference") interfered[f.at("id")].emplace_back(ts(f, "since"), ts(f, "until"));
  }
  for (const auto& c : role("confounder")) {
    if (c.at("confounder") == "busy_ap") busy[c.at("id")].emplace_back(ts(c, "since"), ts(c, "until"));
  }
  for (const auto& g : role("gap")) {
    if (g.at("kind") == "ap") dark[g.at("id")].emplace_back(ts(g, "since"), ts(g, "until"));
  }
  ASSERT_FALSE(congested.empty());
  ASSERT_FALSE(busy.empty());
  auto in = [](const auto& map, const std::string& id, TimeMs t, bool closed_start) {
    const auto it = map.find(id);
    if (it == map.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(), [&](const auto& iv) {
      return closed_start ? (t >= iv.first && t < iv.second) : (t > iv.first && t <= iv.second);
    });
  };
  double early = 0, late = 0;
  int early_n = 0, late_n = 0, hot = 0, busy_n = 0;
  each_record("wifi.jsonl", R"("type":"wifi.ap")", [&](const json& r) {
    const std::string ap = r.at("ap");
    const TimeMs t = ts(r, "ts");
    EXPECT_FALSE(in(dark, ap, t, true)) << "a record inside a telemetry gap: " << r.dump();
    const double util = r.at("channel_util_pct");
    if (in(congested, ap, t, false)) {
      EXPECT_GE(util, 85) << r.dump();
      ++hot;
    } else if (in(interfered, ap, t, false)) {
      EXPECT_GE(r.at("interference_pct").get<double>(), 35) << r.dump();
    } else if (in(busy, ap, t, false)) {
      EXPECT_GE(util, 62) << r.dump();
      EXPECT_LE(util, 80) << r.dump();
      ++busy_n;
    } else {
      // Business hours make the air busier, but never past the 50 % target.
      EXPECT_LT(util, 50) << r.dump();
      if (t < kStart + kHour / 4) {
        early += util;
        ++early_n;
      }
      if (t > kStart + 2 * kHour) {
        late += util;
        ++late_n;
      }
    }
  });
  EXPECT_GT(hot, 0);
  EXPECT_GT(busy_n, 0);
  ASSERT_GT(early_n, 0);
  ASSERT_GT(late_n, 0);
  EXPECT_GT(late / late_n, early / early_n + 2);

  double wan_max = 0;
  std::set<std::string> wan_faulty;
  for (const auto& f : role("fault")) {
    if (f.at("kind") == "wan") wan_faulty.insert(f.at("id"));
  }
  for (const auto& c : role("confounder")) {
    if (c.at("kind") == "wan") wan_faulty.insert(c.at("id"));
  }
  each_record("wan.jsonl", "wan.link", [&](const json& r) {
    if (!wan_faulty.count(r.at("link"))) wan_max = std::max(wan_max, r.at("util_in_pct").get<double>());
  });
  EXPECT_LT(wan_max, 80);
}

TEST_F(Campus, GapsHideSomeFaultSegmentsTelemetry) {
  std::size_t in_fault = 0;
  for (const auto& g : role("gap")) in_fault += !g.at("during").is_null();
  EXPECT_GE(in_fault, 2u);
  std::size_t fault_segments_in_gaps = 0;
  for (const auto& t : *segments_) {
    if (t.at("telemetry_gap") == true && !t.at("cause").is_null()) ++fault_segments_in_gaps;
  }
  EXPECT_GE(fault_segments_in_gaps, 2 * in_fault);
  EXPECT_EQ(
      std::count_if(segments_->begin(), segments_->end(), [](const json& t) { return t.at("telemetry_gap") == true; }),
      static_cast<long>(summary_->gap_segments));
}

TEST_F(Campus, CallsAreCutWhereAClientRoams) {
  std::map<std::string, std::vector<TimeMs>> roams;  // client -> times of its later associations
  std::map<std::string, int> assocs;
  for (const auto& r : read_jsonl((*dir_ / "clients.jsonl").string())) {
    if (r.at("type") != "client.assoc") continue;
    if (++assocs[r.at("client")] > 1) roams[r.at("client")].push_back(ts(r, "ts"));
  }
  EXPECT_GE(roams.size(), 30u);  // one Wi-Fi client in ten
  std::size_t cut = 0;
  for (const auto& call : *calls_) {
    for (const char* side : {"caller", "callee"}) {
      const auto it = roams.find(call.at(side).value("client", ""));
      if (it == roams.end()) continue;
      for (const TimeMs t : it->second) cut += ts(call, "end") == t;
    }
  }
  EXPECT_GT(cut, 0u);
}

TEST_F(Campus, ReplayedWithTheHeuristicScoresSanely) {
  ReplayOptions options;
  options.files = inputs_in(*dir_);
  options.progress = false;
  options.config.attribution.method = "heuristic";
  CollectingSink sink;
  auto log = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
  replay_into(options, sink, log);
  Scorer scorer(load_truth((*dir_ / "truth").string()));
  for (const auto& v : sink.verdicts) scorer.add_line(to_json(v));
  const ScoreReport r = scorer.finish();

  EXPECT_EQ(r.matched, calls_->size());
  EXPECT_EQ(r.missing_verdicts, 0u);
  EXPECT_EQ(r.not_in_truth, 0u);
  // Poor detection is CQD's classification, which the generator mirrors.
  EXPECT_EQ(r.detection.true_positive, summary_->poor_segments);
  EXPECT_EQ(r.detection.false_positive, 0u);
  // Lower bounds, well below what the built-in heuristic reaches today (about
  // 0.99 top-1 outside gaps and 2 % false blame): a regression fails them, an
  // improvement does not.
  ASSERT_GT(r.outside_gaps.segments, 300u);
  EXPECT_GE(*r.outside_gaps.id_accuracy().value(), 0.85);
  EXPECT_GE(*r.outside_gaps.kind_accuracy().value(), 0.85);
  EXPECT_LE(*r.false_blame.rate().value(), 0.10);
  EXPECT_GT(r.in_gaps.segments, 0u);
  EXPECT_EQ(r.by_fault.size(), 8u);
  for (const auto& [fault, t] : r.by_fault) {
    // A far side that harms both directions looks like a local fault to
    // per-hop targets: only elimination, which needs the statistics, names it.
    if (fault == "remote_network") continue;
    EXPECT_GE(*t.id_accuracy().value(), 0.5) << fault;
  }
  ASSERT_EQ(r.confounders.size(), role("confounder").size());
  std::size_t confounder_blames = 0;
  for (const auto& c : r.confounders) confounder_blames += c.blamed;
  EXPECT_LE(confounder_blames, r.detection.predicted_poor / 20);
  ASSERT_TRUE(r.ece.has_value());
  EXPECT_LE(*r.ece, 0.3);
}

TEST_F(Campus, TheEnginesDefaultAttributionMeetsTheIssuesBar) {
  // The engine's default (the heuristic plus statistics), graded on the
  // whole campus: issue 4's bar is top-1 >= 0.95 over poor segments with a
  // known cause (gaps included) and false blame <= 2 %, with no confounder
  // blamed during its interval (figures over several seeds: BENCHMARKS.md).
  ReplayOptions options;
  options.files = inputs_in(*dir_);
  options.progress = false;
  CollectingSink sink;
  auto log = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
  replay_into(options, sink, log);
  Scorer scorer(load_truth((*dir_ / "truth").string()));
  for (const auto& v : sink.verdicts) scorer.add_line(to_json(v));
  const ScoreReport r = scorer.finish();
  const std::size_t known = r.outside_gaps.segments + r.in_gaps.segments;
  ASSERT_GT(known, 300u);
  const double top1 =
      static_cast<double>(r.outside_gaps.id_correct + r.in_gaps.id_correct) / static_cast<double>(known);
  EXPECT_GE(top1, 0.95);
  EXPECT_LE(*r.false_blame.rate().value(), 0.02);
  for (const auto& c : r.confounders) EXPECT_EQ(c.blamed_in_interval, 0u) << c.confounder.ref;
}

/// `--preset mixed`: faults of every severity, some in bursts, with edges
/// inside calls, and decoys.
class Mixed : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(temp_dir("mixed"));
    SimulateOptions o;
    o.preset = Preset::kMixed;
    o.seed = 5;
    o.out_dir = dir_->string();
    (void)write_scenario(o);
    truth_ = new std::vector<json>(read_jsonl((*dir_ / "truth" / "truth.jsonl").string()));
    segments_ = new std::vector<json>(read_jsonl((*dir_ / "truth" / "segments.jsonl").string()));
    calls_ = new std::vector<json>(read_jsonl((*dir_ / "calls.jsonl").string()));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete truth_;
    delete segments_;
    delete calls_;
  }
  static std::vector<json> role(const std::string& r) {
    std::vector<json> out;
    for (const auto& j : *truth_) {
      if (j.at("role") == r) out.push_back(j);
    }
    return out;
  }
  static inline fs::path* dir_ = nullptr;
  static inline std::vector<json>* truth_ = nullptr;
  static inline std::vector<json>* segments_ = nullptr;
  static inline std::vector<json>* calls_ = nullptr;
};

TEST_F(Mixed, FaultsRangeFromMildToSevereAndSomeComeInBursts) {
  int mild = 0, severe = 0, bursts = 0, steady = 0;
  for (const auto& f : role("fault")) {
    const double x = f.at("intensity");
    EXPECT_GE(x, 0.3) << f.dump();
    EXPECT_LE(x, 1.0) << f.dump();
    mild += x < 0.55;
    severe += x >= 0.8;
    const int period = f.at("period_s"), on = f.at("on_s");
    if (period == 0) {
      ++steady;
    } else {
      ++bursts;
      EXPECT_GT(on, 0) << f.dump();
      EXPECT_LT(on, period) << f.dump();
    }
  }
  EXPECT_GT(mild, 0);
  EXPECT_GT(severe, 0);
  EXPECT_GT(bursts, 0);
  EXPECT_GT(steady, 0);
}

TEST_F(Mixed, ASegmentAFaultTouchedHasItAsCauseExactlyWhenItsStreamsArePoor) {
  std::map<std::string, const json*> calls;
  for (const auto& c : *calls_) calls[c.at("segment_id")] = &c;
  std::map<std::string, std::pair<TimeMs, TimeMs>> faults;
  for (const auto& f : role("fault")) faults[f.at("ref")] = {ts(f, "since"), ts(f, "until")};
  std::size_t touched = 0, touched_good = 0, straddling = 0;
  for (const auto& s : *segments_) {
    const json& call = *calls.at(s.at("segment_id"));
    bool poor = false;
    for (const auto& st : call.at("streams")) poor |= cqd_poor(st);
    EXPECT_EQ(poor, s.at("expected") == "poor") << s.dump();
    if (!s.contains("touched")) continue;
    ++touched;
    const double exposure = s.at("exposure");
    EXPECT_GE(exposure, 0) << s.dump();  // written to two decimals: a moment rounds to 0
    EXPECT_LE(exposure, 1) << s.dump();
    if (poor) {
      ASSERT_FALSE(s.at("cause").is_null()) << s.dump();
      EXPECT_EQ(s.at("cause").at("ref"), s.at("touched")) << s.dump();
    } else {
      EXPECT_TRUE(s.at("cause").is_null()) << s.dump();
      ++touched_good;
    }
    const auto [since, until] = faults.at(s.at("touched"));
    const TimeMs start = ts(call, "start"), end = ts(call, "end");
    straddling += (start < since && since < end) || (start < until && until < end);
  }
  EXPECT_GT(touched, 100u);
  EXPECT_GT(touched_good, 0u) << "mild faults and short exposures leave some calls good";
  EXPECT_LT(touched_good, touched);
  EXPECT_GT(straddling, 0u) << "faults start and end inside calls";
}

TEST_F(Mixed, DecoysOfEveryKindShowInTheTelemetryAndAreNeverACause) {
  std::map<std::string, json> decoys;
  for (const auto& c : role("confounder")) decoys.emplace(c.at("confounder"), c);
  for (const char* k : {"busy_2g4_radio", "sporadic_crc", "switch_counter_reset", "silent_switch", "busy_wan"}) {
    ASSERT_TRUE(decoys.count(k)) << k;
  }
  std::set<std::string> causes;
  for (const auto& s : *segments_) {
    if (!s.at("cause").is_null()) causes.insert(s.at("cause").at("id").is_null() ? "" : s.at("cause").at("id"));
  }
  for (const auto& [kind, c] : decoys) EXPECT_FALSE(causes.count(c.at("id"))) << c.dump();

  const json& crc = decoys.at("sporadic_crc");
  const json& reset = decoys.at("switch_counter_reset");
  const json& silent = decoys.at("silent_switch");
  std::map<std::string, std::uint64_t> last_fcs, last_octets;
  std::size_t lone_errors = 0, resets = 0, heard_while_silent = 0;
  std::ifstream in(*dir_ / "wired.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    const json r = json::parse(line);
    const std::string key = r.at("switch").get<std::string>() + " " + r.at("port").get<std::string>();
    const TimeMs t = ts(r, "ts");
    const std::uint64_t fcs = r.at("in_fcs_errors_total"), octets = r.at("in_octets_total");
    if (r.at("switch") == silent.at("id") && t >= ts(silent, "since") && t < ts(silent, "until")) ++heard_while_silent;
    if (r.at("switch") == crc.at("id") && r.at("port") == crc.at("port") && last_fcs.count(key) &&
        t > ts(crc, "since") && t <= ts(crc, "until")) {
      EXPECT_LE(fcs - last_fcs[key], 2u) << r.dump();  // a stray error may come on top
      lone_errors += fcs - last_fcs[key];
    }
    if (r.at("switch") == reset.at("id") && last_octets.count(key) && octets < last_octets[key]) {
      EXPECT_GE(t, ts(reset, "since")) << r.dump();
      EXPECT_LE(t, ts(reset, "until")) << r.dump();
      ++resets;
    }
    last_fcs[key] = fcs;
    last_octets[key] = octets;
  }
  EXPECT_GT(lone_errors, 0u);
  EXPECT_GT(resets, 0u) << "every port of the switch starts again from zero";
  EXPECT_EQ(heard_while_silent, 0u);
}

}  // namespace
}  // namespace callroot::sim::testing
