#include "models/metric_store.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <utility>

namespace callroot {
namespace {

constexpr TimeMs kT0 = 1772446530000;  // 2026-03-02T10:15:30Z
constexpr TimeMs kSec = 1000;

/// A sample with the given (field, value) pairs set.
TelemetrySample gauge(Family family, std::uint32_t entity, TimeMs ts,
                      std::initializer_list<std::pair<std::size_t, double>> fields) {
  TelemetrySample s;
  s.family = family;
  s.entity = entity;
  s.ts = ts;
  for (const auto& [f, v] : fields) {
    s.present |= 1u << f;
    s.values[f] = v;
  }
  return s;
}

TelemetrySample wifi(std::uint32_t client, TimeMs ts, double rssi) {
  return gauge(Family::kWifiClient, client, ts, {{col::kRssi, rssi}});
}

/// switch.port fields: 0 speed_mbps, 2 in_octets_total, 3 out_octets_total, 4 in_errors_total.
TelemetrySample port(std::uint32_t entity, TimeMs ts, std::initializer_list<std::pair<std::size_t, std::uint64_t>> counters,
                     double speed_mbps = kMissing) {
  TelemetrySample s;
  s.family = Family::kSwitchPort;
  s.entity = entity;
  s.ts = ts;
  if (!std::isnan(speed_mbps)) {
    s.present |= 1u;
    s.values[0] = speed_mbps;
  }
  for (const auto& [f, v] : counters) {
    s.present |= 1u << f;
    s.counters[f] = v;
  }
  return s;
}

WindowStats rssi_at(const MetricStore& m, std::uint32_t client, TimeMs t) {
  return m.window(Family::kWifiClient, client, col::kRssi, TimeWindow{t, t});
}

TEST(MetricStore, IntervalIsTheRecentSpacingWithOneGapIgnored) {
  MetricStore store;
  EXPECT_EQ(store.interval(Family::kWifiClient, 1), 0) << "no series";
  store.record(wifi(1, kT0, -50));
  store.record(wifi(1, kT0 + 300 * kSec, -50));
  EXPECT_EQ(store.interval(Family::kWifiClient, 1), 0) << "two samples are not a rate";
  store.record(wifi(1, kT0 + 600 * kSec, -50));
  EXPECT_EQ(store.interval(Family::kWifiClient, 1), 300 * kSec);
  store.record(wifi(1, kT0 + 1500 * kSec, -50));  // a gap
  EXPECT_EQ(store.interval(Family::kWifiClient, 1), 300 * kSec);
}

TEST(MetricStore, ConfigRoundsTheRowCapToAPowerOfTwo) {
  EXPECT_EQ(MetricStore(MetricStoreConfig{60'000, 10}).config().max_rows_per_series, 16u);
  EXPECT_EQ(MetricStore(MetricStoreConfig{60'000, 4096}).config().max_rows_per_series, 4096u);
  EXPECT_EQ(MetricStore(MetricStoreConfig{60'000, 1}).config().max_rows_per_series, 8u);
}

TEST(MetricStore, RingGrowsThenRetentionBoundsIt) {
  MetricStore m(MetricStoreConfig{60 * kSec, 4096});
  EXPECT_EQ(m.rows(Family::kWifiClient, 0), 0u);
  for (int i = 0; i <= 200; ++i) m.record(wifi(0, kT0 + i * kSec, -50 - (i % 10)));
  // Rows within [newest - 60 s, newest]: 61 of them.
  EXPECT_EQ(m.rows(Family::kWifiClient, 0), 61u);
  const std::size_t bytes_at_200 = m.memory_bytes();
  for (int i = 201; i <= 2000; ++i) m.record(wifi(0, kT0 + i * kSec, -50));
  EXPECT_EQ(m.rows(Family::kWifiClient, 0), 61u);
  // Memory is a function of rate and retention, not of uptime.
  EXPECT_EQ(m.memory_bytes(), bytes_at_200);
  EXPECT_EQ(m.stats().rows_recorded, 2001u);
  EXPECT_EQ(m.stats().rows_evicted_early, 0u);
  // The oldest kept row is exactly newest - retention.
  const WindowStats all = m.window(Family::kWifiClient, 0, col::kRssi, TimeWindow{kT0, kT0 + 3000 * kSec});
  EXPECT_EQ(all.count, 61u);
  EXPECT_EQ(rssi_at(m, 0, kT0 + 1939 * kSec).count, 0u);
  EXPECT_EQ(rssi_at(m, 0, kT0 + 1940 * kSec).count, 1u);
}

TEST(MetricStore, RowCapEvictsOldestEarly) {
  MetricStore m(MetricStoreConfig{24 * 3600 * kSec, 8});
  for (int i = 0; i < 20; ++i) m.record(wifi(3, kT0 + i * kSec, -i));
  EXPECT_EQ(m.rows(Family::kWifiClient, 3), 8u);
  EXPECT_EQ(m.stats().rows_evicted_early, 12u);
  const WindowStats w = m.window(Family::kWifiClient, 3, col::kRssi, TimeWindow{kT0, kT0 + 100 * kSec});
  EXPECT_EQ(w.count, 8u);
  EXPECT_EQ(w.max, -12.0);
  EXPECT_EQ(w.min, -19.0);
  EXPECT_EQ(w.last_ts, kT0 + 19 * kSec);
  // At the cap, a row older than everything kept is ignored.
  m.record(wifi(3, kT0, 0));
  EXPECT_EQ(m.rows(Family::kWifiClient, 3), 8u);
  EXPECT_EQ(rssi_at(m, 3, kT0).count, 0u);
  EXPECT_EQ(m.stats().rows_too_old, 1u);
  // At the cap, an out-of-order row inside the kept range evicts the oldest.
  m.record(wifi(3, kT0 + 15 * kSec + 500, 7));
  EXPECT_EQ(m.rows(Family::kWifiClient, 3), 8u);
  EXPECT_EQ(rssi_at(m, 3, kT0 + 12 * kSec).count, 0u);
  EXPECT_EQ(rssi_at(m, 3, kT0 + 15 * kSec + 500).last, 7.0);
  EXPECT_EQ(m.stats().rows_evicted_early, 13u);
}

TEST(MetricStore, OutOfOrderInsertKeepsTimeOrder) {
  MetricStore m;
  m.record(wifi(1, kT0, -40));
  m.record(wifi(1, kT0 + 20 * kSec, -60));
  m.record(wifi(1, kT0 + 10 * kSec, -50));  // late
  m.record(wifi(1, kT0 - 10 * kSec, -30));  // later still, before everything
  EXPECT_EQ(m.rows(Family::kWifiClient, 1), 4u);
  EXPECT_EQ(m.stats().rows_out_of_order, 2u);
  const WindowStats w = m.window(Family::kWifiClient, 1, col::kRssi, TimeWindow{kT0 - 60 * kSec, kT0 + 60 * kSec});
  EXPECT_EQ(w.count, 4u);
  EXPECT_EQ(w.last, -60.0);
  EXPECT_EQ(w.last_ts, kT0 + 20 * kSec);
  EXPECT_EQ(rssi_at(m, 1, kT0 + 10 * kSec).last, -50.0);
  EXPECT_EQ(rssi_at(m, 1, kT0 - 10 * kSec).last, -30.0);
  // A window that ends at the late row sees it as the last.
  const WindowStats early = m.window(Family::kWifiClient, 1, col::kRssi, TimeWindow{kT0 - 60 * kSec, kT0 + 15 * kSec});
  EXPECT_EQ(early.count, 3u);
  EXPECT_EQ(early.last, -50.0);
}

TEST(MetricStore, OutOfOrderInsertAcrossTheRingWrap) {
  MetricStore m(MetricStoreConfig{7 * kSec, 8});
  // 8 rows fill the ring; retention then pops the head, so the ring wraps.
  for (int i = 0; i < 12; ++i) m.record(wifi(0, kT0 + i * kSec * 2, i));
  m.record(wifi(0, kT0 + 21 * kSec, 100));  // between the last two rows
  const WindowStats w = m.window(Family::kWifiClient, 0, col::kRssi, TimeWindow{kT0, kT0 + 100 * kSec});
  EXPECT_EQ(w.count, 5u);  // 16, 18, 20, 21, 22 s
  EXPECT_EQ(w.last, 11.0);
  EXPECT_EQ(rssi_at(m, 0, kT0 + 21 * kSec).last, 100.0);
  EXPECT_EQ(rssi_at(m, 0, kT0 + 20 * kSec).last, 10.0);
  EXPECT_EQ(rssi_at(m, 0, kT0 + 16 * kSec).last, 8.0);
}

TEST(MetricStore, DuplicateTimestampReplaces) {
  MetricStore m;
  m.record(wifi(2, kT0, -70));
  m.record(wifi(2, kT0 + kSec, -71));
  m.record(wifi(2, kT0, -42));
  EXPECT_EQ(m.rows(Family::kWifiClient, 2), 2u);
  EXPECT_EQ(m.stats().rows_replaced, 1u);
  EXPECT_EQ(m.stats().rows_out_of_order, 0u);
  EXPECT_EQ(rssi_at(m, 2, kT0).last, -42.0);
  EXPECT_EQ(rssi_at(m, 2, kT0).count, 1u);
}

TEST(MetricStore, WindowAggregates) {
  MetricStore m;
  // rssi 1..20 at 1..20 s; snr only on even seconds; tx_retry never.
  for (int i = 1; i <= 20; ++i) {
    auto s = gauge(Family::kWifiClient, 7, kT0 + i * kSec, {{col::kRssi, -i}});
    if (i % 2 == 0) {
      s.present |= 1u << col::kSnr;
      s.values[col::kSnr] = i;
    }
    m.record(s);
  }
  std::array<WindowStats, 6> out;
  m.window(Family::kWifiClient, 7, TimeWindow{kT0 + 5 * kSec, kT0 + 14 * kSec}, out);  // inclusive both ends
  const WindowStats& r = out[col::kRssi];
  EXPECT_EQ(r.count, 10u);  // -5 .. -14
  EXPECT_DOUBLE_EQ(r.avg, -9.5);
  EXPECT_EQ(r.min, -14.0);
  EXPECT_EQ(r.max, -5.0);
  EXPECT_EQ(r.p50, -10.0);  // nearest rank: 5th of 10 sorted ascending (-14..-5)
  EXPECT_EQ(r.p95, -5.0);   // 10th of 10
  EXPECT_EQ(r.last, -14.0);
  EXPECT_EQ(r.last_ts, kT0 + 14 * kSec);

  const WindowStats& snr = out[col::kSnr];  // NaN rows are skipped
  EXPECT_EQ(snr.count, 5u);                 // 6, 8, 10, 12, 14
  EXPECT_DOUBLE_EQ(snr.avg, 10.0);
  EXPECT_EQ(snr.min, 6.0);
  EXPECT_EQ(snr.max, 14.0);
  EXPECT_EQ(snr.p50, 10.0);
  EXPECT_EQ(snr.p95, 14.0);
  EXPECT_EQ(snr.last, 14.0);
  EXPECT_EQ(snr.last_ts, kT0 + 14 * kSec);

  const WindowStats& never = out[col::kTxRetry];
  EXPECT_EQ(never.count, 0u);
  EXPECT_TRUE(std::isnan(never.avg));
  EXPECT_TRUE(std::isnan(never.min));
  EXPECT_TRUE(std::isnan(never.max));
  EXPECT_TRUE(std::isnan(never.p50));
  EXPECT_TRUE(std::isnan(never.p95));
  EXPECT_TRUE(std::isnan(never.last));
  EXPECT_EQ(never.last_ts, kNoTime);

  // The single-column form agrees with the span form.
  const WindowStats one = m.window(Family::kWifiClient, 7, col::kSnr, TimeWindow{kT0 + 5 * kSec, kT0 + 14 * kSec});
  EXPECT_EQ(one.count, snr.count);
  EXPECT_EQ(one.avg, snr.avg);
  EXPECT_EQ(one.p95, snr.p95);
  EXPECT_EQ(one.last_ts, snr.last_ts);
  EXPECT_EQ(m.window(Family::kWifiClient, 7, 99, TimeWindow{kT0, kT0 + 100 * kSec}).count, 0u);

  EXPECT_EQ(pick(r, Aggregate::kAvg), -9.5);
  EXPECT_EQ(pick(r, Aggregate::kMin), -14.0);
  EXPECT_EQ(pick(r, Aggregate::kMax), -5.0);
  EXPECT_EQ(pick(r, Aggregate::kP50), -10.0);
  EXPECT_EQ(pick(r, Aggregate::kP95), -5.0);
  EXPECT_EQ(pick(r, Aggregate::kLast), -14.0);
  EXPECT_EQ(pick(r, Aggregate::kCount), 10.0);
  EXPECT_EQ(to_string(Aggregate::kP95), "p95");
}

TEST(MetricStore, Percentiles) {
  MetricStore m;
  for (int i = 1; i <= 100; ++i) m.record(wifi(0, kT0 + (101 - i) * kSec, i));  // reverse order of values
  const WindowStats w = m.window(Family::kWifiClient, 0, col::kRssi, TimeWindow{kT0, kT0 + 200 * kSec});
  EXPECT_EQ(w.count, 100u);
  EXPECT_EQ(w.p50, 50.0);
  EXPECT_EQ(w.p95, 95.0);
  EXPECT_EQ(w.last, 1.0);
  const WindowStats one = rssi_at(m, 0, kT0 + 1 * kSec);
  EXPECT_EQ(one.count, 1u);
  EXPECT_EQ(one.p50, 100.0);
  EXPECT_EQ(one.p95, 100.0);
}

TEST(MetricStore, EmptyWindowAndUnknownSeries) {
  MetricStore m;
  m.record(wifi(0, kT0, -50));
  for (const WindowStats& w : {m.window(Family::kWifiClient, 0, col::kRssi, TimeWindow{kT0 + 1, kT0 + 10 * kSec}),
                               m.window(Family::kWifiClient, 0, col::kRssi, TimeWindow{kT0 - 10 * kSec, kT0 - 1}),
                               m.window(Family::kWifiClient, 5, col::kRssi, TimeWindow{kT0, kT0}),
                               m.window(Family::kWifiAp, 0, 0, TimeWindow{kT0, kT0})}) {
    EXPECT_EQ(w.count, 0u);
    EXPECT_TRUE(std::isnan(w.avg));
    EXPECT_TRUE(std::isnan(w.p50));
    EXPECT_TRUE(std::isnan(w.last));
    EXPECT_EQ(w.last_ts, kNoTime);
  }
  // Stale stats in the output are cleared.
  std::array<WindowStats, 6> out;
  out[0].count = 99;
  m.window(Family::kWifiClient, 0, TimeWindow{kT0 + 1, kT0 + 2}, out);
  EXPECT_EQ(out[0].count, 0u);
}

TEST(MetricStore, FamiliesAndEntitiesAreSeparate) {
  MetricStore m;
  m.record(wifi(0, kT0, -50));
  m.record(gauge(Family::kClientDevice, 0, kT0, {{col::kCpu, 90}}));
  m.record(gauge(Family::kWanLink, 3, kT0, {{col::kLatency, 25}, {col::kLoss, 1.5}}));
  EXPECT_EQ(rssi_at(m, 0, kT0).last, -50.0);
  EXPECT_EQ(m.window(Family::kClientDevice, 0, col::kCpu, TimeWindow{kT0, kT0}).last, 90.0);
  EXPECT_EQ(m.window(Family::kWanLink, 3, col::kLoss, TimeWindow{kT0, kT0}).last, 1.5);
  EXPECT_EQ(m.window(Family::kWanLink, 3, col::kJitter, TimeWindow{kT0, kT0}).count, 0u);
  EXPECT_EQ(m.rows(Family::kWanLink, 0), 0u);
  EXPECT_EQ(m.rows(Family::kWanLink, 3), 1u);
  EXPECT_EQ(m.rows(Family::kWifiAp, 0), 0u);
}

TEST(MetricStore, CounterRatesAndResets) {
  MetricStore m;
  constexpr std::size_t kInErrorsField = 4;
  m.record(port(0, kT0, {{kInErrorsField, 1000}}));
  m.record(port(0, kT0 + 10 * kSec, {{kInErrorsField, 1050}}));
  m.record(port(0, kT0 + 20 * kSec, {{kInErrorsField, 20}}));  // reset: counts from zero
  m.record(port(0, kT0 + 30 * kSec, {{kInErrorsField, 20}}));
  auto rate = [&](TimeMs t) { return m.window(Family::kSwitchPort, 0, col::kInErrors, TimeWindow{t, t}); };
  EXPECT_EQ(rate(kT0).count, 0u);  // the first reading gives no rate
  EXPECT_EQ(m.rows(Family::kSwitchPort, 0), 4u);
  EXPECT_DOUBLE_EQ(rate(kT0 + 10 * kSec).last, 5.0);
  EXPECT_DOUBLE_EQ(rate(kT0 + 20 * kSec).last, 2.0);
  EXPECT_DOUBLE_EQ(rate(kT0 + 30 * kSec).last, 0.0);
  EXPECT_EQ(m.stats().counter_resets, 1u);
  // Other counters of the same port were never read: no rate.
  EXPECT_EQ(m.window(Family::kSwitchPort, 0, col::kOutErrors, TimeWindow{kT0, kT0 + 60 * kSec}).count, 0u);
  // Ports are separate.
  m.record(port(1, kT0 + 40 * kSec, {{kInErrorsField, 5}}));
  EXPECT_EQ(m.window(Family::kSwitchPort, 1, col::kInErrors, TimeWindow{kT0, kT0 + 60 * kSec}).count, 0u);
  EXPECT_EQ(m.stats().counter_resets, 1u);
}

TEST(MetricStore, LateCounterReadingDoesNotMoveTheBaseline) {
  MetricStore m;
  constexpr std::size_t kInErrorsField = 4;
  m.record(port(0, kT0, {{kInErrorsField, 100}}));
  m.record(port(0, kT0 + 20 * kSec, {{kInErrorsField, 300}}));
  m.record(port(0, kT0 + 10 * kSec, {{kInErrorsField, 200}}));  // late: no rate, no reset
  m.record(port(0, kT0 + 30 * kSec, {{kInErrorsField, 400}}));
  EXPECT_EQ(m.stats().counter_resets, 0u);
  auto rate = [&](TimeMs t) { return m.window(Family::kSwitchPort, 0, col::kInErrors, TimeWindow{t, t}); };
  EXPECT_DOUBLE_EQ(rate(kT0 + 20 * kSec).last, 10.0);
  EXPECT_EQ(rate(kT0 + 10 * kSec).count, 0u);
  EXPECT_DOUBLE_EQ(rate(kT0 + 30 * kSec).last, 10.0);
}

TEST(MetricStore, DuplicateCounterSampleKeepsItsRate) {
  // The same switch.port record delivered twice must not erase the rate it gave the first time.
  MetricStore m;
  constexpr std::size_t kInErrorsField = 4;
  m.record(port(0, kT0, {{kInErrorsField, 100}}, 1000));
  m.record(port(0, kT0 + 10 * kSec, {{kInErrorsField, 150}}, 1000));
  m.record(port(0, kT0 + 10 * kSec, {{kInErrorsField, 150}}, 1000));
  EXPECT_EQ(m.stats().rows_replaced, 1u);
  const auto w = m.window(Family::kSwitchPort, 0, col::kInErrors, TimeWindow{kT0 + 10 * kSec, kT0 + 10 * kSec});
  EXPECT_EQ(w.count, 1u);
  EXPECT_DOUBLE_EQ(w.last, 5.0);
  EXPECT_EQ(m.window(Family::kSwitchPort, 0, col::kSpeed, TimeWindow{kT0 + 10 * kSec, kT0 + 10 * kSec}).last, 1000.0);
}

TEST(MetricStore, UtilisationFromOctetsAndSpeed) {
  MetricStore m;
  constexpr std::size_t kIn = 2, kOut = 3;
  m.record(port(4, kT0, {{kIn, 0}, {kOut, 1'000'000}}, 1000));
  // 125,000,000 octets in 10 s = 100 Mbit/s on a 1000 Mbit/s port: 10 %.
  m.record(port(4, kT0 + 10 * kSec, {{kIn, 125'000'000}, {kOut, 1'000'000 + 12'500'000}}, 1000));
  auto at = [&](std::size_t column, TimeMs t) { return m.window(Family::kSwitchPort, 4, column, TimeWindow{t, t}); };
  EXPECT_EQ(at(col::kInUtil, kT0).count, 0u);
  EXPECT_NEAR(at(col::kInUtil, kT0 + 10 * kSec).last, 10.0, 1e-5);
  EXPECT_NEAR(at(col::kOutUtil, kT0 + 10 * kSec).last, 1.0, 1e-6);
  EXPECT_EQ(at(col::kSpeed, kT0 + 10 * kSec).last, 1000.0);
  // Speed remembered from an earlier record; utilisation capped at 100 %.
  m.record(port(4, kT0 + 20 * kSec, {{kIn, 125'000'000 + 10'000'000'000ULL}}));
  EXPECT_EQ(at(col::kInUtil, kT0 + 20 * kSec).last, 100.0);
  EXPECT_EQ(at(col::kSpeed, kT0 + 20 * kSec).count, 0u);
  // Without a known speed there is no utilisation.
  m.record(port(5, kT0, {{kIn, 0}}));
  m.record(port(5, kT0 + 10 * kSec, {{kIn, 1000}}));
  EXPECT_EQ(m.window(Family::kSwitchPort, 5, col::kInUtil, TimeWindow{kT0, kT0 + 10 * kSec}).count, 0u);
}

TEST(MetricStore, OperUpAsBool) {
  MetricStore m;
  m.record(gauge(Family::kSwitchPort, 0, kT0, {{1, 1.0}}));
  m.record(gauge(Family::kSwitchPort, 0, kT0 + kSec, {{1, 0.0}}));
  const auto w = m.window(Family::kSwitchPort, 0, col::kOperUp, TimeWindow{kT0, kT0 + kSec});
  EXPECT_EQ(w.count, 2u);
  EXPECT_EQ(w.min, 0.0);
  EXPECT_EQ(w.last, 0.0);
}

TEST(MetricStore, ExpireDropsOldRowsAndMemoryShrinks) {
  MetricStore m(MetricStoreConfig{60 * kSec, 4096});
  const std::size_t empty = m.memory_bytes();
  for (std::uint32_t c = 0; c < 50; ++c) {
    // Values no short decimal gives back: stored as floats.
    for (int i = 0; i < 60; ++i) m.record(wifi(c, kT0 + i * kSec, -50 - i / 7.0));
  }
  const std::size_t full = m.memory_bytes();
  EXPECT_GT(full, empty + 50 * 60 * sizeof(float));
  m.expire(kT0 + 90 * kSec);  // keeps rows at >= 30 s
  EXPECT_EQ(m.rows(Family::kWifiClient, 0), 30u);
  EXPECT_EQ(m.rows(Family::kWifiClient, 49), 30u);
  EXPECT_EQ(rssi_at(m, 0, kT0 + 29 * kSec).count, 0u);
  EXPECT_EQ(rssi_at(m, 0, kT0 + 30 * kSec).count, 1u);
  m.expire(kT0 + 200 * kSec);
  EXPECT_EQ(m.rows(Family::kWifiClient, 0), 0u);
  const std::size_t after = m.memory_bytes();
  EXPECT_LT(after - empty, (full - empty) / 4);
  // An expired series starts again cleanly.
  m.record(wifi(0, kT0 + 300 * kSec, -33));
  EXPECT_EQ(m.rows(Family::kWifiClient, 0), 1u);
  EXPECT_EQ(rssi_at(m, 0, kT0 + 300 * kSec).last, -33.0);
}

TEST(MetricStore, SampleFarOlderThanTheSeriesDoesNotCorruptIt) {
  // A bogus timestamp decades before the series (epoch 0) must not wrap the
  // 32-bit row offsets of the rows already kept.
  MetricStore m;
  m.record(wifi(0, kT0, -50));
  m.record(wifi(0, kT0 + 30 * kSec, -51));
  m.record(wifi(0, 0, -99));
  const auto w = m.window(Family::kWifiClient, 0, col::kRssi, TimeWindow{kT0, kT0 + 60 * kSec});
  EXPECT_EQ(w.count, 2u);
  EXPECT_EQ(w.last, -51.0);
  EXPECT_EQ(w.last_ts, kT0 + 30 * kSec);
  // It is older than the retention: not kept, and counted.
  EXPECT_EQ(m.window(Family::kWifiClient, 0, col::kRssi, TimeWindow{0, 0}).count, 0u);
  EXPECT_EQ(m.rows(Family::kWifiClient, 0), 2u);
  EXPECT_EQ(m.stats().rows_too_old, 1u);
  EXPECT_EQ(m.stats().rows_recorded, 2u);
  // Just inside the retention is still an (out-of-order) row.
  m.record(wifi(0, kT0 + 30 * kSec - m.config().retention, -70));
  EXPECT_EQ(m.rows(Family::kWifiClient, 0), 3u);
  EXPECT_EQ(m.stats().rows_out_of_order, 1u);
}

TEST(MetricStore, LongGapBetweenSamples) {
  // More than 2^32 ms (49.7 days) between two samples of one series, no expire() in between.
  MetricStore m;
  const TimeMs later = kT0 + 60LL * 86'400'000;
  m.record(wifi(0, kT0, -50));
  m.record(wifi(0, later, -60));
  EXPECT_EQ(m.rows(Family::kWifiClient, 0), 1u);
  const auto w = rssi_at(m, 0, later);
  EXPECT_EQ(w.count, 1u);
  EXPECT_EQ(w.last, -60.0);
  EXPECT_EQ(w.last_ts, later);
  m.record(wifi(0, later + kSec, -61));
  EXPECT_EQ(rssi_at(m, 0, later + kSec).last, -61.0);
}

TEST(MetricStore, InvalidEntityIsIgnored) {
  MetricStore m;
  TelemetrySample s = wifi(0, kT0, -50);
  s.entity = Id<void>::kInvalid;
  m.record(s);
  s.family = Family::kSwitchPort;
  m.record(s);
  EXPECT_EQ(m.stats().rows_recorded, 0u);
}

}  // namespace
}  // namespace callroot

namespace callroot {
namespace {

TEST(MetricStoreExtras, FirstSampleAndColumnSamples) {
  MetricStore store;
  for (int i = 0; i < 5; ++i) {
    TelemetrySample s;
    s.family = Family::kWanLink;
    s.ts = 1'000'000 + i * 30'000;
    s.entity = 3;
    if (i != 2) {  // row 2 has no loss measured
      s.values[2] = 1.0 + i;
      s.present |= 1u << 2;
    }
    s.values[0] = 10;
    s.present |= 1u;
    store.record(s);
  }
  const TimeWindow w{1'000'000 + 30'000, 1'000'000 + 120'000};
  const WindowStats st = store.window(Family::kWanLink, 3, col::kLoss, w);
  EXPECT_EQ(st.count, 3u);
  EXPECT_DOUBLE_EQ(st.first, 2.0);
  EXPECT_EQ(st.first_ts, 1'000'000 + 30'000);
  EXPECT_DOUBLE_EQ(st.last, 5.0);
  std::array<WindowStats, kMaxColumns> all;
  store.window(Family::kWanLink, 3, w, all, false);
  EXPECT_DOUBLE_EQ(all[col::kLoss].first, 2.0);
  EXPECT_EQ(all[col::kLatency].first_ts, 1'000'000 + 30'000);

  std::vector<std::pair<TimeMs, double>> out;
  store.samples(Family::kWanLink, 3, col::kLoss, w, out);
  ASSERT_EQ(out.size(), 3u);  // the unmeasured row is skipped
  EXPECT_EQ(out[0].first, 1'000'000 + 30'000);
  EXPECT_DOUBLE_EQ(out[1].second, 4.0);
  out.clear();
  store.samples(Family::kWanLink, 3, col::kLoss, w, out, /*keep_unmeasured=*/true);
  ASSERT_EQ(out.size(), 4u);  // aligned with the family's rows
  EXPECT_TRUE(std::isnan(out[1].second));
  out.clear();
  store.samples(Family::kWanLink, 99, col::kLoss, w, out);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace callroot
