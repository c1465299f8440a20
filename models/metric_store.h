#pragma once
/// Telemetry time series per entity, bounded by a retention.
///
/// One series per (family, entity) holds rows of all the family's columns
/// (see catalog.h), because a record carries them together: one timestamp per
/// row, float values, NaN for "not measured". Each column is kept in the
/// narrowest encoding that gives every float back exactly (a constant, a
/// short decimal, the float; compact_series.h). Rows sit in a ring that grows
/// (doubling) only while its oldest row is still within the retention, so the
/// memory is a function of the sampling rate and the retention, never of uptime.
/// Counters are turned into per-second rates when recorded (a decrease is a
/// reset: the new value counts from zero, as Prometheus does).

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "models/catalog.h"
#include "models/events.h"
#include "models/time.h"

namespace callroot {

struct MetricStoreConfig {
  DurationMs retention = 2 * 3600 * 1000;  ///< at most 2^32 - 1 ms (49 days)
  std::size_t max_rows_per_series = 4096;  ///< hard cap, whatever the sampling rate
};

/// Aggregates of one column over a window. `count == 0` means no sample, and
/// then every other figure is NaN.
struct WindowStats {
  std::uint32_t count = 0;
  double avg = kMissing;
  double min = kMissing;
  double max = kMissing;
  double p50 = kMissing;
  double p95 = kMissing;
  double last = kMissing;
  TimeMs last_ts = kNoTime;
  double first = kMissing;  ///< the earliest sample in the window (for rates of change)
  TimeMs first_ts = kNoTime;
};

enum class Aggregate : std::uint8_t { kAvg, kMin, kMax, kP50, kP95, kLast, kCount };
std::string_view to_string(Aggregate a) noexcept;
double pick(const WindowStats& s, Aggregate a) noexcept;

struct MetricStoreStats {
  std::uint64_t rows_recorded = 0;
  std::uint64_t rows_out_of_order = 0;  ///< inserted behind newer rows
  std::uint64_t rows_replaced = 0;      ///< same entity and timestamp again: the newer wins
  std::uint64_t rows_evicted_early = 0; ///< dropped by the row cap while still within retention
  std::uint64_t rows_too_old = 0;       ///< not kept: older than the retention (or, at the cap, than every row kept)
  std::uint64_t counter_resets = 0;
};

class MetricStore {
 public:
  explicit MetricStore(MetricStoreConfig config = {});
  ~MetricStore();  // out of line: Series is complete only in the .cpp

  /// Records one sample (the entity index must be valid for its family).
  void record(const TelemetrySample& sample);

  /// Aggregates of every column of `family` for `entity` over samples with
  /// timestamps in [window.begin, window.end]; `out` has family_columns(family).size() entries.
  /// p50 and p95 cost a sort per column: with `quantiles` false they are left
  /// NaN, for callers that need only count, avg, min, max and last.
  void window(Family family, std::uint32_t entity, TimeWindow window, std::span<WindowStats> out,
              bool quantiles = true) const;
  [[nodiscard]] WindowStats window(Family family, std::uint32_t entity, std::size_t column, TimeWindow window) const;

  /// How often `entity` reports: the shorter of its two latest sample
  /// spacings (so that one gap does not count as the rate); 0 with fewer than
  /// three samples.
  [[nodiscard]] DurationMs interval(Family family, std::uint32_t entity) const noexcept;

  /// Cache hints for callers about to read several series: the misses of
  /// many series then overlap instead of queueing. First the series headers,
  /// then (once those have arrived) the rows from time `from` on.
  void prefetch_series(Family family, std::uint32_t entity) const noexcept;
  void prefetch_rows(Family family, std::uint32_t entity, TimeMs from) const noexcept;

  /// The samples of one column over [window.begin, window.end], in time order,
  /// appended to `out`. Rows where the column was not measured are skipped,
  /// or kept as NaN with `keep_unmeasured` (so that the columns of one family
  /// line up row for row).
  void samples(Family family, std::uint32_t entity, std::size_t column, TimeWindow window,
               std::vector<std::pair<TimeMs, double>>& out, bool keep_unmeasured = false) const;

  /// Rows of a series, for tests and tools.
  [[nodiscard]] std::size_t rows(Family family, std::uint32_t entity) const noexcept;
  /// One past the highest entity of `family` that has (or had) a series:
  /// enumerate entities below it and skip those with rows() == 0.
  [[nodiscard]] std::size_t series_count(Family family) const noexcept;

  /// Drops rows older than `now - retention` and frees empty series.
  void expire(TimeMs now);

  [[nodiscard]] std::size_t memory_bytes() const noexcept;
  [[nodiscard]] const MetricStoreStats& stats() const noexcept { return stats_; }
  [[nodiscard]] const MetricStoreConfig& config() const noexcept { return config_; }

 private:
  class Series;
  struct CounterState {
    std::array<std::uint64_t, kMaxFields> last{};
    std::array<TimeMs, kMaxFields> last_ts{};
    std::uint32_t have = 0;
    double speed_mbps = kMissing;
  };

  /// Fills p50 and p95 of `st` from `values` (reordered in place).
  static void fill_quantiles(std::span<float> values, WindowStats& st) noexcept;
  Series& series(Family family, std::uint32_t entity);
  /// The rows of a series within `w`: [begin, end); false when there are none.
  bool window_rows(Family family, std::uint32_t entity, TimeWindow w, const Series*& series, std::size_t& begin,
                   std::size_t& end) const noexcept;
  void column_stats(const Series& s, std::size_t begin, std::size_t end, std::size_t column, WindowStats& out) const;
  [[nodiscard]] const Series* find(Family family, std::uint32_t entity) const noexcept;

  MetricStoreConfig config_;
  std::array<std::vector<Series>, kFamilyCount> series_;
  std::vector<CounterState> counters_;  // per switch port
  MetricStoreStats stats_;
  mutable std::vector<float> scratch_;  // for quantiles; reused, so queries do not allocate
};

}  // namespace callroot
