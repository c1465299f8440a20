#include <gtest/gtest.h>

#include "fixture.h"

namespace callroot::engine::testing {
namespace {

TEST(Engine, SegmentWaitsForTheWatermarkThenIsScored) {
  EngineConfig cfg;
  cfg.allowed_lateness = 60'000;
  cfg.grace = 30'000;
  Campus campus(cfg);
  campus.healthy(kT0, kT0 + 120'000);
  auto seg = Campus::segment("s1", kT0 + 60'000, kT0 + 120'000);
  seg.streams.push_back(Campus::audio(Side::kCaller, 5, 0.1, 40));
  // watermark = 120 s - 60 s = 60 s; due = 120 s + 30 s = 150 s
  EXPECT_EQ(campus.engine.apply(std::move(seg)), ApplyResult::kPending);
  EXPECT_TRUE(campus.sink.verdicts.empty());
  campus.healthy(kT0 + 150'000, kT0 + 180'000);  // watermark 120 s: not yet
  EXPECT_TRUE(campus.sink.verdicts.empty());
  campus.healthy(kT0 + 210'000, kT0 + 210'000);  // watermark 150 s: due
  ASSERT_EQ(campus.sink.verdicts.size(), 1u);
  EXPECT_EQ(campus.sink.verdicts[0].segment_id, "s1");
  EXPECT_EQ(campus.sink.verdicts[0].quality, Quality::kGood);
  EXPECT_TRUE(campus.sink.verdicts[0].blame.empty());
  EXPECT_EQ(campus.engine.pending(), 0u);
}

TEST(Engine, LateCallRecordIsScoredAtArrival) {
  Campus campus;
  campus.healthy(kT0, kT0 + 600'000);
  auto seg = Campus::segment("s1", kT0 + 60'000, kT0 + 120'000);
  seg.streams.push_back(Campus::audio(Side::kCaller, 5, 0.1, 40));
  EXPECT_EQ(campus.engine.apply(std::move(seg)), ApplyResult::kScored);
  EXPECT_EQ(campus.sink.verdicts.size(), 1u);
}

TEST(Engine, LateTelemetryIsCountedNotMerged) {
  Campus campus;
  campus.healthy(kT0, kT0 + 600'000);
  auto late = Campus::sample(Family::kWifiClient, kT0 + 60'000, campus.c1.value);
  Campus::set(late, 0, -90);
  const auto rows_before = campus.engine.store().rows(Family::kWifiClient, campus.c1.value);
  EXPECT_EQ(campus.engine.apply(late), ApplyResult::kLate);
  EXPECT_EQ(campus.engine.stats().late_dropped, 1u);
  EXPECT_EQ(campus.engine.store().rows(Family::kWifiClient, campus.c1.value), rows_before);
}

TEST(Engine, FlushScoresPendingInDueOrder) {
  Campus campus;
  campus.healthy(kT0, kT0 + 60'000);
  for (int i = 3; i >= 1; --i) {
    auto seg = Campus::segment("s" + std::to_string(i), kT0, kT0 + i * 10'000);
    seg.streams.push_back(Campus::audio(Side::kCaller, 5, 0.1, 40));
    campus.engine.apply(std::move(seg));
  }
  EXPECT_TRUE(campus.sink.verdicts.empty());
  campus.engine.flush();
  ASSERT_EQ(campus.sink.verdicts.size(), 3u);
  EXPECT_EQ(campus.sink.verdicts[0].segment_id, "s1");
  EXPECT_EQ(campus.sink.verdicts[2].segment_id, "s3");
}

TEST(Engine, PendingSegmentsAreBounded) {
  EngineConfig cfg;
  cfg.max_pending_segments = 2;
  Campus campus(cfg);
  for (int i = 0; i < 5; ++i) {
    auto seg = Campus::segment("s" + std::to_string(i), kT0, kT0 + 10'000);
    seg.streams.push_back(Campus::audio(Side::kCaller, 5, 0.1, 40));
    campus.engine.apply(std::move(seg));
  }
  EXPECT_EQ(campus.engine.pending(), 2u);
  EXPECT_EQ(campus.engine.stats().segments_scored_early, 3u);
  EXPECT_EQ(campus.sink.verdicts.size(), 3u);
}

TEST(Engine, UnclassifiedWhenNoStreamIsMeasured) {
  Campus campus;
  auto seg = Campus::segment("s1", kT0, kT0 + 10'000);
  Stream empty;
  seg.streams.push_back(empty);
  campus.engine.apply(std::move(seg));
  campus.engine.flush();
  ASSERT_EQ(campus.sink.verdicts.size(), 1u);
  EXPECT_EQ(campus.sink.verdicts[0].quality, Quality::kUnclassified);
  EXPECT_TRUE(std::isnan(campus.sink.verdicts[0].mos));
}

TEST(Engine, VerdictCarriesThePathWithHopTelemetry) {
  Campus campus;
  campus.healthy(kT0, kT0 + 300'000);
  auto seg = Campus::segment("s1", kT0 + 60'000, kT0 + 120'000);
  seg.streams.push_back(Campus::audio(Side::kCaller, 5, 0.1, 40));
  campus.engine.apply(std::move(seg));
  campus.engine.flush();
  const Verdict& v = campus.sink.verdicts.at(0);
  ASSERT_EQ(v.paths.size(), 1u);  // the callee is remote: no path for it
  const PathReport& p = v.paths[0];
  EXPECT_EQ(p.side, Side::kCaller);
  EXPECT_EQ(p.site, "hq");
  ASSERT_EQ(p.hops.size(), 5u);  // client, ap1, acc1 (port ge-0/0/10), core1 (ge-0/0/1), wan1
  EXPECT_EQ(p.hops[0].kind, ComponentKind::kClient);
  EXPECT_EQ(p.hops[0].id, "aa:00:00:00:00:01");
  EXPECT_EQ(p.hops[1].id, "ap1");
  EXPECT_EQ(p.hops[1].detail, "bb:00:00:00:01:01");
  EXPECT_EQ(p.hops[2].id, "acc1");
  EXPECT_EQ(p.hops[2].detail, "ge-0/0/10");
  EXPECT_EQ(p.hops[3].id, "core1");
  EXPECT_EQ(p.hops[3].detail, "ge-0/0/1");
  EXPECT_EQ(p.hops[4].kind, ComponentKind::kWan);
  EXPECT_EQ(p.hops[4].id, "wan1");  // by the reflexive IP, not wan2
  bool found_rssi = false;
  for (const auto& m : p.hops[0].metrics) {
    if (m.column == "rssi_dbm" && m.aggregate == "avg") {
      found_rssi = true;
      EXPECT_DOUBLE_EQ(m.value, -55);
    }
  }
  EXPECT_TRUE(found_rssi);
}

TEST(Engine, SameInputSameVerdicts) {
  auto run = [] {
    Campus campus;
    campus.healthy(kT0, kT0 + 300'000);
    for (int i = 0; i < 4; ++i) {
      auto seg = Campus::segment("s" + std::to_string(i), kT0 + i * 30'000, kT0 + i * 30'000 + 60'000);
      seg.streams.push_back(Campus::audio(Side::kCaller, 10.0 * i + 5, 0.1, 40));
      campus.engine.apply(std::move(seg));
    }
    campus.engine.flush();
    std::string out;
    for (const auto& v : campus.sink.verdicts) out += to_json(v) + "\n";
    return out;
  };
  EXPECT_EQ(run(), run());
}

}  // namespace
}  // namespace callroot::engine::testing
