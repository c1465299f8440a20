#pragma once
/// Robust baselines per (entity, metric) that follow daily patterns, and the
/// z-scores of a hop's telemetry against them: "how far is this AP's channel
/// utilization from what it usually is at this hour".
///
/// Learning happens in housekeeping, never per sample (the ingest path stays
/// at its > 2 M records/s): every `update_every` of event time, update() reads
/// each tracked column's average over the interval since its last pass from
/// the metric store, for every series, and feeds it to two estimates of that
/// (entity, column): the one of the time-of-day bucket of the interval (UTC) and
/// the all-day one. Clients keep only the all-day estimate (their normal
/// depends on where they sit more than on the hour); infrastructure (AP
/// radios, switch ports, WAN links) keeps both.
///
/// The estimator (docs/statistics.md): a Robbins-Monro stochastic
/// approximation of the median and of the MAD, with steps scaled by the
/// current robust scale S = max(1.4826 MAD, floors). Each value v moves them
/// toward itself by at most a step, never past it:
///   median += clip(v - median, +-eta 1.2533 S)
///   MAD    += clip(|v - median| - MAD, +-eta 0.7867 S)
/// (1.2533 S and 0.7867 S are the asymptotically optimal gains for a normal
/// distribution: 1 / (2 f) at the median and at the MAD; the clip keeps a
/// value close to the estimate from overshooting it.) The first `warmup`
/// values bootstrap it with a running mean and mean absolute deviation. The
/// learning rate eta = max(1/n, alpha) is a running average at first, then an
/// exponential forgetting with alpha set so that the estimate's memory has the
/// configured half-life in event time (per bucket: in days of that hour).
///
/// Failure modes and what limits them:
/// - A long fault slowly becomes "normal". An outlier moves the median by at
///   most eta * 1.25 S however large it is (winsorized), and values beyond
///   `outlier_z` robust sigmas learn at `outlier_weight` of the rate; a level
///   shift of D sigmas is absorbed only as the MAD grows geometrically, which
///   takes about 2 ln(D) / (1.17 alpha * outlier_weight) updates: with the
///   defaults, weeks for a fault that stays (docs/statistics.md has the numbers).
///   A genuine change of normal (an AP moved to a busy floor) takes as long.
/// - Too little data: NaN until an estimate has `warmup` values; a bucket
///   without them falls back to the all-day estimate.
/// - A flat series (error counters at 0) has MAD 0: the scale has a floor per
///   column (1 dB(m), 1 %, 1 ms, 0.1 % loss, 0.05 errors/s) and a relative
///   floor of 0.2 % of the median, so a perfectly flat series does not make
///   every change infinitely significant.
/// - Buckets are UTC hours of the day: a site's local daylight-saving shift
///   moves its pattern by one bucket twice a year, which the decay absorbs.
///
/// Memory: each estimate is 6 bytes (median and MAD as IEEE half floats with
/// stochastic rounding, so that steps far below the half's resolution still
/// move them on average; n as 16 bits). At 20,000 clients, 2,500 AP radios,
/// 9,600 ports and 50 links with 24 buckets: about 13 MB. Values beyond
/// +-65,000 (the half's range) are clamped before learning.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/catalog.h"
#include "models/directory.h"
#include "models/metric_store.h"
#include "models/time.h"

namespace callroot::engine {

struct BaselineConfig {
  DurationMs bucket = 3'600'000;       ///< time-of-day bucket; must divide into a day
  DurationMs update_every = 300'000;   ///< event time between learning passes
  double half_life_days = 7;           ///< memory of the estimates
  std::uint32_t warmup = 6;            ///< values an estimate needs before z() uses it
  double outlier_z = 6;                ///< values this many robust sigmas away learn slower...
  double outlier_weight = 0.25;        ///< ...at this share of the learning rate
};

/// +1 when high values are bad (retries, utilization, interference, noise,
/// errors, discards, loss, latency, jitter, CPU, memory), -1 when low values
/// are (RSSI, SNR), 0 when the column is not tracked.
int bad_direction(Family family, std::size_t column) noexcept;
/// The floor of the robust scale of a tracked column (0 when not tracked).
double scale_floor(Family family, std::size_t column) noexcept;

struct BaselineEstimate {
  double median = 0;
  double mad = 0;
  double scale = 0;        ///< what z() divides by: max(1.4826 mad, floors)
  std::uint32_t n = 0;     ///< values learned (saturates at 65,535)
  bool bucket = false;     ///< the time-of-day bucket's estimate (else the all-day one)
};

class Baselines {
 public:
  explicit Baselines(BaselineConfig config = {});

  /// A learning pass, when `update_every` has passed since the last one (the
  /// first call learns from the `update_every` before `now`). Reads each
  /// series' averages over (last pass, now], at most two `update_every` back.
  ///
  /// With `normal`, an interval average that it says is not a normal value
  /// (an impairment past a published target) is not learned: a baseline must
  /// not make a fault its normal, least of all in its first half hour, when
  /// every value counts as much as all the ones before.
  using NormalValue = bool (*)(Family family, std::size_t column, double value);
  void update(const MetricStore& store, TimeMs now, NormalValue normal = nullptr);
  /// One learning pass over the store's [window.begin, window.end] (what
  /// update() does when due), filed under the bucket of the window's middle.
  void learn_pass(const MetricStore& store, TimeWindow window, NormalValue normal = nullptr);
  /// Learns one value as a pass at time `t` would (tests, tools).
  void learn(Family family, std::uint32_t entity, std::size_t column, TimeMs t, double value);

  /// Robust z = (value - median) / scale against the bucket of `t` when it
  /// has `warmup` values, else the all-day estimate, else NaN. Signed: read it
  /// with bad_direction(). `entity` is the store's (a radio for wifi.ap).
  [[nodiscard]] double z(Family family, std::uint32_t entity, std::size_t column, TimeMs t, double value) const;
  /// The estimate z() would use, for evidence texts; nullptr when there is
  /// none. The pointee is a copy held by this object, valid until the next
  /// call of estimate() (estimates are stored compactly, not as this struct).
  [[nodiscard]] const BaselineEstimate* estimate(Family family, std::uint32_t entity, std::size_t column,
                                                 TimeMs t) const;
  /// The same by value.
  [[nodiscard]] std::optional<BaselineEstimate> lookup(Family family, std::uint32_t entity, std::size_t column,
                                                       TimeMs t) const;

  [[nodiscard]] std::size_t memory_bytes() const noexcept;
  [[nodiscard]] std::uint64_t passes() const noexcept { return passes_; }
  [[nodiscard]] TimeMs last_pass() const noexcept { return last_pass_; }
  [[nodiscard]] const BaselineConfig& config() const noexcept { return config_; }

  /// A checkpoint: binary, versioned, little-endian. Entities are written by
  /// name (client MAC, AP name and band, switch and port names, link name),
  /// because ids are only meaningful with the Directory that assigned them.
  [[nodiscard]] std::string serialize(const Directory& directory) const;
  /// Replaces the estimates with a checkpoint's, interning its names into
  /// `directory`. Throws std::runtime_error on malformed or incompatible input
  /// (the estimates are then unchanged; names interned before the error stay).
  /// A checkpoint taken with another bucket size restores only the all-day estimates.
  void deserialize(std::string_view blob, Directory& directory);

 private:
  struct Estimate {
    std::uint16_t median = 0;  // IEEE half
    std::uint16_t mad = 0;     // IEEE half
    std::uint16_t n = 0;
  };
  struct FamilyState {
    std::size_t tracked = 0;  // tracked columns
    std::size_t slots = 1;    // all-day, then the buckets
    std::vector<Estimate> estimates;  // [entity][tracked column][slot]
    [[nodiscard]] std::size_t entities() const noexcept { return estimates.size() / (tracked * slots); }
  };

  [[nodiscard]] std::size_t bucket_of(TimeMs t) const noexcept;
  [[nodiscard]] const Estimate* find(Family family, std::uint32_t entity, std::size_t column, TimeMs t,
                                     bool& bucket) const noexcept;
  void update_estimate(Estimate& e, double value, double alpha, double floor, std::uint64_t salt);
  void grow(Family family, std::size_t entities);

  BaselineConfig config_;
  std::size_t buckets_ = 24;
  double alpha_all_day_ = 0;
  double alpha_bucket_ = 0;
  std::array<FamilyState, kFamilyCount> families_;
  TimeMs last_pass_ = kNoTime;
  std::uint64_t passes_ = 0;
  std::vector<WindowStats> stats_;  // one series' window, reused
  mutable BaselineEstimate returned_;
};

}  // namespace callroot::engine
