// The embedder's API: records pushed one at a time, or files merged, give the
// verdicts `callroot replay` gives; bad records are refused and counted;
// broken rules never replace running ones; checkpoints round-trip.
#include "runtime/correlator.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include <spdlog/sinks/null_sink.h>

#include "demo_files.h"
#include "runtime/replay.h"
#include "runtime/rule_watcher.h"
#include "runtime/sinks.h"

namespace callroot::runtime::testing {
namespace {

std::shared_ptr<spdlog::logger> quiet() {
  return std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
}

std::multiset<std::string> replayed_verdicts(const std::vector<std::string>& rules) {
  CollectingSink sink;
  ReplayOptions options;
  options.files = demo_inputs();
  options.progress = false;
  options.config.attribution.rules = rules;
  replay_into(options, sink, quiet());
  std::multiset<std::string> out;
  for (const auto& v : sink.verdicts) out.insert(to_json(v));
  return out;
}

Config config(std::vector<std::string> rules = {}) {
  Config c;
  c.attribution.rules = std::move(rules);
  return c;
}

TEST(Correlator, RecordsPushedInTimeOrderGiveTheVerdictsOfAReplay) {
  const auto expected = replayed_verdicts({});
  ASSERT_FALSE(expected.empty());
  std::multiset<std::string> got;
  std::size_t incidents = 0;
  Correlator correlator(
      config(), [&](const Verdict& v) { got.insert(to_json(v)); }, [&](const Incident&) { ++incidents; }, quiet());
  for (const auto& [type, line] : demo_records_in_time_order()) EXPECT_TRUE(correlator.push(line));
  correlator.flush();
  EXPECT_TRUE(got == expected);
  EXPECT_GT(incidents, 0u);
  EXPECT_EQ(correlator.stats().accepted, correlator.stats().records);
}

TEST(Correlator, FilesAreMergedByEventTimeAsReplayMergesThem) {
  const std::string rules = std::string(CALLROOT_DATA_DIR) + "/rules";
  const auto expected = replayed_verdicts({rules});
  std::multiset<std::string> got;
  Correlator correlator(config({rules}), [&](const Verdict& v) { got.insert(to_json(v)); }, {}, quiet());
  correlator.replay(demo_inputs());
  correlator.flush();
  EXPECT_TRUE(got == expected);
  EXPECT_NE(correlator.summary().find("segments:"), std::string::npos);
}

TEST(Correlator, ABadRecordIsRefusedAndCountedAndTheRestGoesOn) {
  std::size_t verdicts = 0;
  Correlator correlator(config(), [&](const Verdict&) { ++verdicts; }, {}, quiet());
  EXPECT_FALSE(correlator.push(R"({"type":"wifi.client","ts":)"));
  EXPECT_FALSE(correlator.push(R"({"type":"no.such.type","ts":"2026-03-02T09:00:00Z"})"));
  for (const auto& [type, line] : demo_records_in_time_order()) correlator.push(line);
  correlator.flush();
  EXPECT_EQ(correlator.stats().records - correlator.stats().accepted, 2u);
  EXPECT_GT(verdicts, 0u);
}

TEST(Correlator, BrokenRulesAreRefusedAtStartAndNeverReplaceRunningOnes) {
  TempDir dir("correlator-rules");
  const auto file = (dir.path() / "site.rules").string();
  std::ofstream(file) << "rule broken {\n  when: client.wifi.no_such_field.avg > 3\n}\n";
  EXPECT_THROW(Correlator(config({file}), [](const Verdict&) {}, {}, quiet()), std::runtime_error);

  std::ofstream(file, std::ios::trunc) << "";  // an empty pack: the published targets alone
  Correlator correlator(config({file}), [](const Verdict&) {}, {}, quiet());
  std::ofstream(file, std::ios::trunc) << "rule broken {\n  when: client.wifi.no_such_field.avg > 3\n}\n";
  std::vector<std::string> diagnostics;
  EXPECT_FALSE(correlator.reload_rules(diagnostics));
  ASSERT_FALSE(diagnostics.empty());
  EXPECT_NE(diagnostics.front().find("site.rules:1:6: error["), std::string::npos) << diagnostics.front();
}

TEST(Correlator, AnUnknownMethodIsASetupError) {
  Config c = config();
  c.attribution.method = "007";  // the evaluation's reference: not the runtime's unless the caller brings it
  EXPECT_THROW(Correlator(c, [](const Verdict&) {}, {}, quiet()), std::runtime_error);
}

TEST(Correlator, ACheckpointCarriesTheWaitingSegmentsToTheNextProcess) {
  TempDir dir("correlator-checkpoint");
  const auto path = (dir.path() / "state.ckpt").string();
  const auto records = demo_records_in_time_order();
  const auto expected = replayed_verdicts({});
  std::multiset<std::string> got;
  {
    Correlator first(config(), [&](const Verdict& v) { got.insert(to_json(v)); }, {}, quiet());
    for (std::size_t i = 0; i < records.size() / 2; ++i) first.push(records[i].second);
    first.save_checkpoint(path);
  }
  Correlator second(config(), [&](const Verdict& v) { got.insert(to_json(v)); }, {}, quiet());
  second.restore_checkpoint(path);
  EXPECT_GT(second.engine_stats().segments_received + got.size(), 0u);
  for (std::size_t i = records.size() / 2; i < records.size(); ++i) second.push(records[i].second);
  second.flush();
  // Every segment has its verdict once; those scored after the restart lack
  // the telemetry from before it that the checkpoint does not keep.
  std::set<std::string> ids;
  for (const auto& v : got) ids.insert(nlohmann::json::parse(v).at("segment_id").get<std::string>());
  EXPECT_EQ(ids.size(), expected.size());
  EXPECT_EQ(got.size(), expected.size());
}

}  // namespace
}  // namespace callroot::runtime::testing
