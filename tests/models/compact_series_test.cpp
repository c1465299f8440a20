#include "models/compact_series.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <vector>

namespace callroot::detail {
namespace {

constexpr TimeMs kT0 = 1'772'442'000'000;
constexpr DurationMs kHour = 3'600'000;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

using Row = std::vector<float>;

bool same(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) || std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
}

/// Every row of the series against a plain map of what was inserted.
void expect_rows(const CompactSeries& s, const std::map<TimeMs, Row>& want) {
  ASSERT_EQ(s.size(), want.size());
  std::size_t i = 0;
  for (const auto& [t, values] : want) {
    ASSERT_EQ(s.ts(i), t) << "row " << i;
    for (std::size_t c = 0; c < values.size(); ++c) {
      EXPECT_TRUE(same(s.value(s.row(i), c), values[c]))
          << "row " << i << " column " << c << ": " << s.value(s.row(i), c) << " != " << values[c];
    }
    ++i;
  }
  if (!want.empty()) {
    EXPECT_EQ(s.first_ts(), want.begin()->first);
    EXPECT_EQ(s.last_ts(), want.rbegin()->first);
  }
  DurationMs interval = 0;
  if (want.size() >= 3) {
    const auto last = std::prev(want.end()), before = std::prev(last), third = std::prev(before);
    interval = std::min(last->first - before->first, before->first - third->first);
  }
  EXPECT_EQ(s.interval(), interval);
}

CompactSeries::Insert insert(CompactSeries& s, TimeMs t, const Row& row, DurationMs retention = 2 * kHour,
                             std::size_t max_rows = 4096) {
  bool evicted = false;
  return s.insert(t, row.data(), row.size(), retention, max_rows, evicted);
}

TEST(CompactSeries, GivesBackEveryFloatBitForBit) {
  // Random values of every kind telemetry has: integers, short decimals,
  // long ones, negative, huge, tiny, missing, constant.
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0, 1);
  CompactSeries s;
  std::map<TimeMs, Row> want;
  for (int i = 0; i < 600; ++i) {
    Row row(7);
    row[0] = static_cast<float>(-40 - std::floor(u(rng) * 50));             // RSSI: integers
    row[1] = static_cast<float>(std::round(u(rng) * 1000) / 10);            // retries: one decimal
    row[2] = static_cast<float>(u(rng) * 100);                              // utilization: any float
    row[3] = 1000;                                                          // a constant
    row[4] = u(rng) < 0.3 ? kNaN : static_cast<float>(std::round(u(rng) * 5000) / 1000);  // gaps, 3 decimals
    row[5] = i < 300 ? 0.0f : static_cast<float>(u(rng) * 1e9);             // zero, then huge
    row[6] = static_cast<float>(-std::round(u(rng) * 9) / 100 - 1e-7 * (i % 2));  // tiny, odd
    const TimeMs t = kT0 + i * 30'000;
    insert(s, t, row, 24 * kHour);
    want[t] = row;
  }
  expect_rows(s, want);
}

TEST(CompactSeries, ShortDecimalsAndConstantsTakeLittleRoom) {
  CompactSeries ints, floats;
  for (int i = 0; i < 240; ++i) {
    const TimeMs t = kT0 + i * 30'000;
    insert(ints, t, Row{static_cast<float>(-50 - i % 20), 1000, static_cast<float>(i % 10) / 10});
    insert(floats, t, Row{static_cast<float>(-50 - i / 7.0), 1000, static_cast<float>(i / 3.0)});
  }
  // Timestamps in 2 bytes; RSSI in 1; the constant in none; one decimal in 1.
  EXPECT_LE(ints.bytes(), 3 * sizeof(CompactSeries::Column) + 256 * 4);
  EXPECT_GE(floats.bytes(), 256 * 10u);
  EXPECT_LT(ints.bytes() * 2, floats.bytes());
}

TEST(CompactSeries, WidensAColumnWithoutDisturbingTheRowsBefore) {
  CompactSeries s;
  std::map<TimeMs, Row> want;
  const std::vector<float> steps{5, 5, kNaN, 7, 120, 300, 3.5f, 0.25f, 1.0f / 3, 40000, kNaN, -1e-30f};
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const TimeMs t = kT0 + static_cast<TimeMs>(i) * 1000;
    const Row row{steps[i], 2};
    insert(s, t, row);
    want[t] = row;
    expect_rows(s, want);
  }
}

TEST(CompactSeries, TimestampsOffWholeSecondsOrFarApartStillExact) {
  CompactSeries s;
  std::map<TimeMs, Row> want;
  // Whole seconds first (16-bit offsets), then a millisecond, then a span
  // far beyond 18 hours (a retention of two days).
  const std::vector<TimeMs> times{kT0, kT0 + 30'000, kT0 + 60'000, kT0 + 60'123, kT0 + 30 * kHour, kT0 - 5'000};
  for (const TimeMs t : times) {
    const Row row{static_cast<float>(t % 977)};
    insert(s, t, row, 48 * kHour);
    want[t] = row;
    expect_rows(s, want);
  }
}

TEST(CompactSeries, MergesASecondRecordOfTheSameTime) {
  CompactSeries s;
  insert(s, kT0, Row{1, kNaN});
  EXPECT_EQ(insert(s, kT0, Row{kNaN, 2.5f}), CompactSeries::Insert::kReplaced);
  std::map<TimeMs, Row> want{{kT0, Row{1, 2.5f}}};
  expect_rows(s, want);
}

TEST(CompactSeries, AgreesWithAPlainMapUnderRandomInsertsAndExpiry) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  CompactSeries s;
  std::map<TimeMs, Row> want;
  const DurationMs retention = 10 * 60'000;
  TimeMs newest = kT0;
  for (int i = 0; i < 3000; ++i) {
    // Mostly in order, some late, some repeated, now and then a gap.
    TimeMs t = newest + 30'000;
    const double r = u(rng);
    if (r < 0.1) t = newest - static_cast<TimeMs>(u(rng) * 300'000) / 1000 * 1000;
    if (r > 0.97) t = newest + 20 * 60'000;
    if (r > 0.95 && r <= 0.97) t = newest + 30'007;
    Row row(3);
    row[0] = u(rng) < 0.1 ? kNaN : static_cast<float>(std::round(u(rng) * 200) / 10);
    row[1] = static_cast<float>(i % 50 == 0 ? u(rng) : 4.0);
    row[2] = u(rng) < 0.5 ? kNaN : -60.0f;
    bool evicted = false;
    const auto what = s.insert(t, row.data(), row.size(), retention, 64, evicted);
    if (what == CompactSeries::Insert::kDropped) continue;
    if (auto it = want.find(t); it != want.end()) {
      for (std::size_t c = 0; c < row.size(); ++c) {
        if (!std::isnan(row[c])) it->second[c] = row[c];
      }
    } else {
      want[t] = row;
    }
    newest = std::max(newest, t);
    while (!want.empty() && want.begin()->first < newest - retention) want.erase(want.begin());
    if (evicted) want.erase(want.begin());
    ASSERT_NO_FATAL_FAILURE(expect_rows(s, want)) << "after insert " << i;
    if (i % 500 == 499) {
      s.drop_before(newest - 60'000);
      while (!want.empty() && want.begin()->first < newest - 60'000) want.erase(want.begin());
      ASSERT_NO_FATAL_FAILURE(expect_rows(s, want));
    }
  }
}

TEST(CompactSeries, ReleasesItsMemoryWhenEmptyAndStartsAfresh) {
  CompactSeries s;
  for (int i = 0; i < 100; ++i) insert(s, kT0 + i * 1000, Row{static_cast<float>(i) / 3});
  EXPECT_GT(s.bytes(), 0u);
  s.drop_before(kT0 + 1000 * kHour);
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.bytes(), 0u);
  insert(s, kT0 + 1001 * kHour, Row{-33});
  expect_rows(s, {{kT0 + 1001 * kHour, Row{-33}}});
}

}  // namespace
}  // namespace callroot::detail
