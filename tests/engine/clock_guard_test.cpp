// The event time against records that lie about theirs: one record stamped
// decades ahead must not make the rest of the stream late, nor a whole source
// whose clock is an hour ahead, while a real jump (the network comes back
// after a gap) is followed once several origins, and sources, agree.
#include <gtest/gtest.h>

#include "fixture.h"

namespace callroot::engine::testing {
namespace {

constexpr TimeMs kYear2099 = 4'070'908'800'000;

/// The event time jumped to `newest`: nothing held, late or dropped.
void expect_clean_jump(const Campus& campus, TimeMs newest) {
  EXPECT_EQ(campus.engine.held(), 0u);
  EXPECT_EQ(campus.engine.watermark(), newest - EngineConfig{}.allowed_lateness);
  EXPECT_EQ(campus.engine.stats().late_dropped, 0u);
  EXPECT_EQ(campus.engine.stats().future_dropped, 0u);
}

TEST(ClockGuard, ARecordFromTheFarFutureIsHeldAndDoesNotMakeTheRestLate) {
  Campus campus;
  campus.healthy(kT0, kT0 + 300'000);
  const TimeMs before = campus.engine.watermark();
  auto bogus = Campus::sample(Family::kWifiClient, kYear2099, campus.c1.value);
  Campus::set(bogus, 0, -90);
  EXPECT_EQ(campus.engine.apply(bogus), ApplyResult::kHeld);
  EXPECT_EQ(campus.engine.watermark(), before);
  campus.healthy(kT0 + 330'000, kT0 + 600'000);  // the stream goes on: nothing is late
  EXPECT_EQ(campus.engine.stats().late_dropped, 0u);
  EXPECT_EQ(campus.engine.held(), 1u);
  auto seg = Campus::segment("s1", kT0 + 300'000, kT0 + 360'000);
  seg.streams.push_back(Campus::audio(Side::kCaller, 45, 12, 80));
  campus.engine.apply(std::move(seg));
  campus.engine.flush();
  ASSERT_EQ(campus.sink.verdicts.size(), 1u);
  EXPECT_EQ(campus.sink.verdicts[0].quality, Quality::kPoor);
  EXPECT_EQ(campus.engine.stats().future_held, 1u);
  EXPECT_EQ(campus.engine.stats().future_dropped, 1u);  // nothing corroborated 2099
  EXPECT_EQ(campus.engine.held(), 0u);
}

TEST(ClockGuard, AGapIsCrossedOnceSeveralOriginsAgree) {
  Campus campus;
  campus.healthy(kT0, kT0 + 300'000);
  const TimeMs later = kT0 + 3 * 3'600'000;  // three hours without input
  // Two records of one client are not enough: it may be one bad clock.
  for (TimeMs t : {later, later + 30'000}) {
    auto s = Campus::sample(Family::kWifiClient, t, campus.c1.value);
    Campus::set(s, 0, -60);
    EXPECT_EQ(campus.engine.apply(s), ApplyResult::kHeld);
  }
  auto other = Campus::sample(Family::kWifiClient, later, campus.c2.value);
  Campus::set(other, 0, -60);
  EXPECT_EQ(campus.engine.apply(other), ApplyResult::kHeld);
  // A third origin agrees: the event time jumps and every held record is applied in order.
  auto ap = Campus::sample(Family::kWifiAp, later + 10'000, campus.ap1.value);
  Campus::set(ap, 2, 20);
  EXPECT_EQ(campus.engine.apply(ap), ApplyResult::kApplied);
  expect_clean_jump(campus, later + 30'000);
}

TEST(ClockGuard, ABogusFirstRecordDoesNotStartTheClock) {
  Campus campus;  // the fixture's setup is inventory only: the clock has not started
  ASSERT_EQ(campus.engine.watermark(), kNoTime);
  auto bogus = Campus::sample(Family::kWifiClient, kYear2099, campus.c1.value);
  Campus::set(bogus, 0, -90);
  EXPECT_EQ(campus.engine.apply(bogus), ApplyResult::kHeld);
  campus.healthy(kT0, kT0 + 600'000);
  EXPECT_NE(campus.engine.watermark(), kNoTime);
  EXPECT_LT(campus.engine.watermark(), kT0 + 600'000);
  EXPECT_EQ(campus.engine.stats().late_dropped, 0u);
  EXPECT_EQ(campus.engine.held(), 1u);
}

TEST(ClockGuard, WithTooFewOriginsToCorroborateFlushAppliesWhatThereIs) {
  Directory dir;
  RecordingSink sink;
  Engine engine(EngineConfig{}, dir, sink);  // no inventory, no telemetry: one call is all there is
  auto seg = Campus::segment("only", kT0, kT0 + 60'000);
  seg.streams.push_back(Campus::audio(Side::kCaller, 5, 0.1, 40));
  EXPECT_EQ(engine.apply(std::move(seg)), ApplyResult::kHeld);
  engine.flush();
  ASSERT_EQ(sink.verdicts.size(), 1u);
  EXPECT_EQ(engine.stats().future_dropped, 0u);
}


/// Wi-Fi samples of both clients and one AP at `t`: three origins.
std::vector<TelemetrySample> three_origins(const Campus& campus, TimeMs t) {
  auto c1 = Campus::sample(Family::kWifiClient, t, campus.c1.value);
  auto c2 = Campus::sample(Family::kWifiClient, t, campus.c2.value);
  auto ap = Campus::sample(Family::kWifiAp, t, campus.ap1.value);
  Campus::set(c1, 0, -60);
  Campus::set(c2, 0, -60);
  Campus::set(ap, 2, 20);
  return {c1, c2, ap};
}

constexpr SourceId kController = 7;

TEST(ClockGuard, ASourceAnHourAheadCannotMoveTheTimeWhileAnotherKeepsUp) {
  Campus campus;
  campus.healthy(kT0, kT0 + 300'000);  // the switches and WAN links, on time
  const TimeMs before = campus.engine.watermark();
  // A controller whose clock is an hour ahead reports many entities: origins
  // alone would corroborate its time.
  std::size_t skewed = 0;
  for (TimeMs t = kT0 + 3'600'000; t <= kT0 + 3'900'000; t += 30'000) {
    for (auto& s : three_origins(campus, t)) {
      EXPECT_EQ(campus.engine.apply(s, kController), ApplyResult::kHeld);
      ++skewed;
    }
  }
  EXPECT_EQ(campus.engine.watermark(), before);
  campus.healthy(kT0 + 330'000, kT0 + 600'000);  // the other source goes on: nothing is late
  EXPECT_EQ(campus.engine.stats().late_dropped, 0u);
  EXPECT_EQ(campus.engine.stats().future_outvoted, skewed);
  campus.engine.flush();
  EXPECT_EQ(campus.engine.stats().future_dropped, skewed);
  EXPECT_LT(campus.engine.watermark(), kT0 + 600'000);
}

TEST(ClockGuard, AfterAGapTheFirstSourceToResumeWaitsForASecond) {
  Campus campus;
  campus.healthy(kT0, kT0 + 300'000);
  for (auto& s : three_origins(campus, kT0 + 300'000)) campus.engine.apply(s, kController);
  const TimeMs later = kT0 + 3 * 3'600'000;
  for (auto& s : three_origins(campus, later)) EXPECT_EQ(campus.engine.apply(s, kController), ApplyResult::kHeld);
  // The other source comes back at the same time: two sources agree.
  auto port = Campus::sample(Family::kSwitchPort, later + 5'000, campus.ap1_port.value);
  Campus::set(port, 0, 1000);
  EXPECT_EQ(campus.engine.apply(port), ApplyResult::kApplied);
  expect_clean_jump(campus, later + 5'000);
}

TEST(ClockGuard, ASourceThatFellSilentDoesNotBlockTheOthers) {
  EngineConfig config;
  config.clock.max_held = 16;  // a source silent for 8 arrivals no longer speaks
  Campus campus(config);
  campus.healthy(kT0, kT0 + 300'000);  // then this source dies
  const TimeMs later = kT0 + 3 * 3'600'000;
  std::size_t held = 0;
  ApplyResult last = ApplyResult::kHeld;
  for (TimeMs t = later; last == ApplyResult::kHeld && held < 16; t += 30'000) {
    for (auto& s : three_origins(campus, t)) {
      last = campus.engine.apply(s, kController);
      if (last != ApplyResult::kHeld) break;
      ++held;
    }
  }
  EXPECT_EQ(last, ApplyResult::kApplied);
  EXPECT_EQ(held, 7u);  // outvoted while the other source's last record was among the last 8
  EXPECT_EQ(campus.engine.held(), 0u);
  EXPECT_EQ(campus.engine.stats().future_dropped, 0u);
  EXPECT_GE(campus.engine.watermark(), later - EngineConfig{}.allowed_lateness);
}

TEST(ClockGuard, CallRecordsBehindByDesignDoNotVote) {
  Campus campus;
  campus.healthy(kT0, kT0 + 300'000);
  // A call-record source delivers a segment that ended an hour before: it
  // says nothing about the time now.
  constexpr SourceId kCallRecords = 3;
  auto seg = Campus::segment("old", kT0 - 3'600'000, kT0 - 3'540'000);
  seg.streams.push_back(Campus::audio(Side::kCaller, 5, 0.1, 40));
  campus.engine.apply(std::move(seg), kCallRecords);
  // After a gap, the telemetry source alone carries the jump.
  const TimeMs later = kT0 + 3 * 3'600'000;
  ApplyResult last = ApplyResult::kHeld;
  for (auto& s : three_origins(campus, later)) last = campus.engine.apply(s);
  EXPECT_EQ(last, ApplyResult::kApplied);
  EXPECT_EQ(campus.engine.held(), 0u);
  EXPECT_EQ(campus.engine.stats().future_outvoted, 0u);
}

TEST(ClockGuard, AtStartTheSourceBehindSetsTheTime) {
  Campus campus;  // inventory and two attachments at kT0: held, the clock has not started
  ASSERT_EQ(campus.engine.watermark(), kNoTime);
  // A controller an hour ahead brings three origins of its own, but the
  // attachments' source says the network is not an hour further on yet.
  for (auto& s : three_origins(campus, kT0 + 3'600'000)) {
    EXPECT_EQ(campus.engine.apply(s, kController), ApplyResult::kHeld);
  }
  EXPECT_EQ(campus.engine.watermark(), kNoTime);
  auto port = Campus::sample(Family::kSwitchPort, kT0 + 10'000, campus.ap1_port.value);
  Campus::set(port, 0, 1000);
  EXPECT_EQ(campus.engine.apply(port), ApplyResult::kApplied);  // a third origin of the first source
  EXPECT_EQ(campus.engine.watermark(), kT0 + 10'000 - EngineConfig{}.allowed_lateness);
  EXPECT_EQ(campus.engine.held(), 3u);  // the controller's hour-ahead records wait
  EXPECT_EQ(campus.engine.stats().late_dropped, 0u);
}

}  // namespace
}  // namespace callroot::engine::testing
