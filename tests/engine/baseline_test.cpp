#include "engine/baseline.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>

namespace callroot::engine {
namespace {

constexpr TimeMs kMidnight = 1'772'409'600'000;  // 2026-03-02T00:00:00Z
constexpr DurationMs kHour = 3'600'000;
constexpr DurationMs kDay = 24 * kHour;
constexpr DurationMs kFive = 300'000;

TelemetrySample sample(Family f, TimeMs ts, std::uint32_t entity, std::size_t field, double v) {
  TelemetrySample s;
  s.family = f;
  s.ts = ts;
  s.entity = entity;
  s.values[field] = v;
  s.present |= 1u << field;
  return s;
}

/// Channel utilization of one AP radio: 80 % from 14:00 to 15:00, 10 % from
/// 03:00 to 04:00, 40 % otherwise, +-2 % noise, a sample a minute.
double daily(TimeMs t, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> noise(-2, 2);
  const auto hour = (t % kDay) / kHour;
  const double level = hour == 14 ? 80 : hour == 3 ? 10 : 40;
  return level + noise(rng);
}

TEST(Baselines, LearnsADailyPattern) {
  MetricStore store;
  Baselines b;
  std::mt19937_64 rng(3);
  const std::size_t util = col::kChannelUtil;
  for (TimeMs t = kMidnight; t < kMidnight + 6 * kDay; t += 60'000) {
    store.record(sample(Family::kWifiAp, t, 0, 2, daily(t, rng)));
    if ((t - kMidnight) % kFive == 0) b.update(store, t);
  }
  EXPECT_EQ(b.passes(), 6u * 288u);
  const TimeMs day7 = kMidnight + 6 * kDay;
  const TimeMs afternoon = day7 + 14 * kHour + 30 * 60'000;
  const TimeMs night = day7 + 3 * kHour + 30 * 60'000;
  // A high value is normal at 14:00 and very abnormal at 03:00; a low one the reverse.
  EXPECT_LT(std::abs(b.z(Family::kWifiAp, 0, util, afternoon, 81)), 2);
  EXPECT_GT(b.z(Family::kWifiAp, 0, util, night, 81), 20);
  EXPECT_LT(std::abs(b.z(Family::kWifiAp, 0, util, night, 11)), 2);
  EXPECT_LT(b.z(Family::kWifiAp, 0, util, afternoon, 11), -20);
  const BaselineEstimate* e = b.estimate(Family::kWifiAp, 0, util, afternoon);
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->bucket);
  EXPECT_NEAR(e->median, 80, 1.5);
  EXPECT_GE(e->scale, 1.0);  // the floor of a percentage
  // The all-day estimate sits at the usual level.
  const auto noon = b.lookup(Family::kWifiAp, 0, util, day7 + 12 * kHour);
  ASSERT_TRUE(noon.has_value());
  EXPECT_NEAR(noon->median, 40, 1.5);
  // Untracked columns and unknown entities have no baseline.
  EXPECT_TRUE(std::isnan(b.z(Family::kWifiAp, 0, col::kApChannel, afternoon, 36)));
  EXPECT_TRUE(std::isnan(b.z(Family::kWifiAp, 7, util, afternoon, 50)));
}

TEST(Baselines, WarmupGivesNaNThenTheAllDayEstimateThenTheBucket) {
  Baselines b;  // warmup 6
  const TimeMs ten = kMidnight + 10 * kHour;
  for (int i = 0; i < 5; ++i) b.learn(Family::kWifiClient, 3, col::kRssi, ten + i * kFive, -60 + i % 2);
  EXPECT_TRUE(std::isnan(b.z(Family::kWifiClient, 3, col::kRssi, ten, -70)));
  EXPECT_EQ(b.estimate(Family::kWifiClient, 3, col::kRssi, ten), nullptr);
  b.learn(Family::kWifiClient, 3, col::kRssi, ten + 5 * kFive, -60);
  EXPECT_LT(b.z(Family::kWifiClient, 3, col::kRssi, ten, -70), -5);  // low RSSI: bad_direction -1
  EXPECT_EQ(bad_direction(Family::kWifiClient, col::kRssi), -1);
  EXPECT_EQ(bad_direction(Family::kWanLink, col::kLoss), 1);
  EXPECT_EQ(bad_direction(Family::kSwitchPort, col::kSpeed), 0);

  // Infrastructure: a bucket with too few values falls back to the all-day estimate.
  for (int i = 0; i < 6; ++i) b.learn(Family::kWanLink, 1, col::kLatency, ten + i * kFive, 20);
  const auto at_ten = b.lookup(Family::kWanLink, 1, col::kLatency, ten + 30 * 60'000);
  ASSERT_TRUE(at_ten.has_value());
  EXPECT_TRUE(at_ten->bucket);
  const auto at_four = b.lookup(Family::kWanLink, 1, col::kLatency, kMidnight + 16 * kHour);
  ASSERT_TRUE(at_four.has_value());
  EXPECT_FALSE(at_four->bucket);
  EXPECT_EQ(at_four->n, 6u);
}

TEST(Baselines, AFlatSeriesHasAFloorOnItsScale) {
  Baselines b;
  for (int i = 0; i < 50; ++i) b.learn(Family::kSwitchPort, 0, col::kInFcsErrors, kMidnight + i * kFive, 0);
  const double z = b.z(Family::kSwitchPort, 0, col::kInFcsErrors, kMidnight, 1.0);
  EXPECT_TRUE(std::isfinite(z));
  EXPECT_NEAR(z, 1.0 / scale_floor(Family::kSwitchPort, col::kInFcsErrors), 1e-6);
}

/// Learns `level` +-1 every 5 minutes for `days`.
void learn_level(Baselines& b, TimeMs& t, double level, double days, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> noise(-1, 1);
  for (const TimeMs end = t + static_cast<TimeMs>(days * kDay); t < end; t += kFive) {
    b.learn(Family::kWanLink, 0, col::kLatency, t, level + noise(rng));
  }
}

TEST(Baselines, DecayForgetsAnOldLevel) {
  BaselineConfig fast;
  fast.half_life_days = 0.25;
  BaselineConfig slow;
  slow.half_life_days = 1000;
  Baselines forgetting(fast), remembering(slow);
  std::mt19937_64 rng(5);
  TimeMs t1 = kMidnight, t2 = kMidnight;
  learn_level(forgetting, t1, 20, 2, rng);
  learn_level(remembering, t2, 20, 2, rng);
  learn_level(forgetting, t1, 50, 8, rng);
  learn_level(remembering, t2, 50, 8, rng);
  const auto f = forgetting.lookup(Family::kWanLink, 0, col::kLatency, t1);
  const auto r = remembering.lookup(Family::kWanLink, 0, col::kLatency, t2);
  ASSERT_TRUE(f && r);
  EXPECT_NEAR(f->median, 50, 2);
  EXPECT_LT(std::abs(forgetting.z(Family::kWanLink, 0, col::kLatency, t1, 50)), 2);
  EXPECT_LT(forgetting.z(Family::kWanLink, 0, col::kLatency, t1, 20), -5);
  // Without decay the old level still dominates: the new one is an anomaly.
  EXPECT_LT(r->median, 30);
  EXPECT_GT(remembering.z(Family::kWanLink, 0, col::kLatency, t2, 50), 5);
}

TEST(Baselines, ALongFaultIsNotNormalAfterADay) {
  Baselines b;  // default half-life: 7 days
  std::mt19937_64 rng(9);
  TimeMs t = kMidnight;
  learn_level(b, t, 20, 3, rng);
  learn_level(b, t, 80, 1, rng);  // a day-long fault
  EXPECT_GT(b.z(Family::kWanLink, 0, col::kLatency, t, 80), 10);
}

TEST(Baselines, MemoryIsBoundedAtTheBenchmarkScale) {
  Baselines b;
  // 20,000 clients, 1,000 APs with 3 radios, 9,600 ports, 50 links: the
  // arrays are sized by the highest entity.
  b.learn(Family::kWifiClient, 19'999, col::kRssi, kMidnight, -60);
  b.learn(Family::kClientDevice, 19'999, col::kCpu, kMidnight, 20);
  b.learn(Family::kWifiAp, 2'999, col::kChannelUtil, kMidnight, 30);
  b.learn(Family::kSwitchPort, 9'599, col::kInUtil, kMidnight, 10);
  b.learn(Family::kWanLink, 49, col::kLatency, kMidnight, 20);
  const std::size_t bytes = b.memory_bytes();
  EXPECT_LE(bytes, 16'000'000u);
  EXPECT_GT(bytes, 10'000'000u);  // a sanity check that the arrays are all there
  for (int i = 0; i < 1000; ++i) b.learn(Family::kSwitchPort, i, col::kInUtil, kMidnight + i * kFive, 10);
  EXPECT_EQ(b.memory_bytes(), bytes);  // learning never grows it
}

struct Names {
  ClientId c1, c2;
  std::uint32_t radio_a24, radio_a5, radio_b5;
  PortId p1, p2;
  LinkId wan_a, wan_b;
};

Names intern(Directory& dir, bool reversed) {
  Names n;
  if (reversed) {
    // Other names first, and everything in another order: every id differs.
    (void)dir.client(*Mac::parse("aa:00:00:00:00:99"));
    (void)dir.ap("ap-z");
    (void)dir.radio(*dir.ap("ap-z"), 1);
    (void)dir.switch_("sw0");
    (void)dir.port(*dir.switch_("sw0"), "ge-9");
    (void)dir.link("wan-z");
    n.c2 = *dir.client(*Mac::parse("aa:00:00:00:00:02"));
    n.c1 = *dir.client(*Mac::parse("aa:00:00:00:00:01"));
    n.radio_b5 = *dir.radio(*dir.ap("ap-b"), 2);
    n.radio_a5 = *dir.radio(*dir.ap("ap-a"), 2);
    n.radio_a24 = *dir.radio(*dir.ap("ap-a"), 1);
    n.p2 = *dir.port(*dir.switch_("sw1"), "ge-2");
    n.p1 = *dir.port(*dir.switch_("sw1"), "ge-1");
    n.wan_b = *dir.link("wan-b");
    n.wan_a = *dir.link("wan-a");
  } else {
    n.c1 = *dir.client(*Mac::parse("aa:00:00:00:00:01"));
    n.c2 = *dir.client(*Mac::parse("aa:00:00:00:00:02"));
    n.radio_a24 = *dir.radio(*dir.ap("ap-a"), 1);
    n.radio_a5 = *dir.radio(*dir.ap("ap-a"), 2);
    n.radio_b5 = *dir.radio(*dir.ap("ap-b"), 2);
    n.p1 = *dir.port(*dir.switch_("sw1"), "ge-1");
    n.p2 = *dir.port(*dir.switch_("sw1"), "ge-2");
    n.wan_a = *dir.link("wan-a");
    n.wan_b = *dir.link("wan-b");
  }
  return n;
}

/// Every (family, entity, column) the round trip checks, with its entity in `n`.
std::vector<std::pair<Family, std::uint32_t>> entities(const Names& n) {
  return {{Family::kWifiClient, n.c1.value},    {Family::kWifiClient, n.c2.value},
          {Family::kClientDevice, n.c2.value},  {Family::kWifiAp, n.radio_a24},
          {Family::kWifiAp, n.radio_a5},        {Family::kWifiAp, n.radio_b5},
          {Family::kSwitchPort, n.p1.value},    {Family::kSwitchPort, n.p2.value},
          {Family::kWanLink, n.wan_a.value},    {Family::kWanLink, n.wan_b.value}};
}

std::size_t first_tracked(Family f) {
  for (std::size_t c = 0; c < family_columns(f).size(); ++c) {
    if (bad_direction(f, c) != 0) return c;
  }
  return 0;
}

Baselines trained(const Names& n) {
  Baselines b;
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0, 10);
  double base = 5;
  for (const auto& [family, entity] : entities(n)) {
    base += 7;
    for (int i = 0; i < 40; ++i) {
      b.learn(family, entity, first_tracked(family), kMidnight + i * kFive, base + u(rng));
    }
  }
  return b;
}

TEST(Baselines, CheckpointRoundTripsThroughAnotherDirectory) {
  Directory a;
  const Names na = intern(a, false);
  const Baselines original = trained(na);
  const std::string blob = original.serialize(a);

  Directory b;
  const Names nb = intern(b, true);
  Baselines restored;
  restored.deserialize(blob, b);
  const auto ea = entities(na), eb = entities(nb);
  for (std::size_t i = 0; i < ea.size(); ++i) {
    const Family f = ea[i].first;
    for (const TimeMs t : {kMidnight, kMidnight + 2 * kHour}) {  // a learned bucket, and the all-day fallback
      const auto x = original.lookup(f, ea[i].second, first_tracked(f), t);
      const auto y = restored.lookup(f, eb[i].second, first_tracked(f), t);
      ASSERT_TRUE(x && y) << "entity " << i;
      EXPECT_EQ(x->median, y->median) << "entity " << i;
      EXPECT_EQ(x->mad, y->mad);
      EXPECT_EQ(x->n, y->n);
      EXPECT_EQ(x->bucket, y->bucket);
    }
  }
  EXPECT_EQ(restored.passes(), original.passes());
  // The distractors learned nothing: nothing was restored for them.
  EXPECT_FALSE(restored.lookup(Family::kWanLink, b.link("wan-z")->value, col::kLatency, kMidnight));

  // Names the directory did not know are interned on load.
  Directory fresh;
  Baselines into_fresh;
  into_fresh.deserialize(blob, fresh);
  EXPECT_EQ(fresh.link_count(), 2u);
  EXPECT_EQ(fresh.port_count(), 2u);
  EXPECT_EQ(fresh.client_count(), 2u);
  const auto wan_b = into_fresh.lookup(Family::kWanLink, fresh.link("wan-b")->value, col::kLatency, kMidnight);
  ASSERT_TRUE(wan_b.has_value());
  EXPECT_EQ(wan_b->median, original.lookup(Family::kWanLink, na.wan_b.value, col::kLatency, kMidnight)->median);
}

TEST(Baselines, MalformedCheckpointsThrowAndChangeNothing) {
  Directory dir;
  const Names n = intern(dir, false);
  const Baselines original = trained(n);
  const std::string blob = original.serialize(dir);
  Baselines target = trained(n);
  const auto before = target.lookup(Family::kWanLink, n.wan_a.value, col::kLatency, kMidnight);

  EXPECT_THROW(target.deserialize("", dir), std::runtime_error);
  EXPECT_THROW(target.deserialize("XXXX" + blob.substr(4), dir), std::runtime_error);
  for (std::size_t len = 0; len < blob.size(); len += 1 + len / 50) {
    EXPECT_THROW(target.deserialize(std::string_view(blob).substr(0, len), dir), std::runtime_error) << len;
  }
  EXPECT_THROW(target.deserialize(blob + "x", dir), std::runtime_error);
  std::string version = blob;
  version[4] = 2;
  EXPECT_THROW(target.deserialize(version, dir), std::runtime_error);
  // A family whose entity count claims far more than the blob holds.
  std::string huge = blob;
  // Header (magic, version, bucket, update_every, passes, last pass, families),
  // then wifi.client: family, column count, its 4 columns, slots, and the count.
  const std::size_t count_at = 4 + 4 + 8 + 8 + 8 + 8 + 1 + 1 + 1 + 4 + 4;
  huge[count_at + 3] = '\x7f';
  EXPECT_THROW(target.deserialize(huge, dir), std::runtime_error);

  const auto after = target.lookup(Family::kWanLink, n.wan_a.value, col::kLatency, kMidnight);
  ASSERT_TRUE(before && after);
  EXPECT_EQ(before->median, after->median);
  EXPECT_EQ(before->n, after->n);
}

TEST(Baselines, RejectsABadConfiguration) {
  BaselineConfig cfg;
  cfg.bucket = 0;
  EXPECT_THROW(Baselines{cfg}, std::invalid_argument);
  cfg = {};
  cfg.warmup = 0;
  EXPECT_THROW(Baselines{cfg}, std::invalid_argument);
}

}  // namespace
}  // namespace callroot::engine
