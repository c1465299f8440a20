// The event time against records that lie about theirs: one record stamped
// decades ahead must not make the rest of the stream late, while a real jump
// (the network comes back after a gap) is followed once several origins agree.
#include <gtest/gtest.h>

#include "fixture.h"

namespace callroot::engine::testing {
namespace {

constexpr TimeMs kYear2099 = 4'070'908'800'000;

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
  EXPECT_EQ(campus.engine.held(), 0u);
  EXPECT_EQ(campus.engine.watermark(), later + 30'000 - EngineConfig{}.allowed_lateness);
  EXPECT_EQ(campus.engine.stats().late_dropped, 0u);
  EXPECT_EQ(campus.engine.stats().future_dropped, 0u);
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

}  // namespace
}  // namespace callroot::engine::testing
