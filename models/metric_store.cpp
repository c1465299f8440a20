#include "models/metric_store.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace callroot {

std::string_view to_string(Aggregate a) noexcept {
  switch (a) {
    case Aggregate::kAvg: return "avg";
    case Aggregate::kMin: return "min";
    case Aggregate::kMax: return "max";
    case Aggregate::kP50: return "p50";
    case Aggregate::kP95: return "p95";
    case Aggregate::kLast: return "last";
    case Aggregate::kCount: return "count";
  }
  return "?";
}

double pick(const WindowStats& s, Aggregate a) noexcept {
  switch (a) {
    case Aggregate::kAvg: return s.avg;
    case Aggregate::kMin: return s.min;
    case Aggregate::kMax: return s.max;
    case Aggregate::kP50: return s.p50;
    case Aggregate::kP95: return s.p95;
    case Aggregate::kLast: return s.last;
    case Aggregate::kCount: return static_cast<double>(s.count);
  }
  return kMissing;
}

/// A ring of rows: timestamps as 32-bit offsets from a base (49 days of range,
/// rebased if ever exceeded), values as floats, row-major.
class MetricStore::Series {
 public:
  std::size_t columns = 0;

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] TimeMs ts(std::size_t i) const noexcept { return base_ + offsets_[slot(i)]; }
  [[nodiscard]] const float* row(std::size_t i) const noexcept { return &values_[slot(i) * columns]; }
  [[nodiscard]] std::size_t bytes() const noexcept {
    return offsets_.capacity() * sizeof(std::uint32_t) + values_.capacity() * sizeof(float);
  }

  /// Inserts in time order; returns +1 appended, 0 replaced, -1 inserted out of
  /// order, -2 dropped (older than the retention or than everything kept at the cap).
  int insert(TimeMs t, const float* row, const MetricStoreConfig& cfg, MetricStoreStats& stats) {
    // Drop rows that fell out of the retention before deciding to grow (and
    // before any rebase, so that offsets only ever span the retention).
    if (size_ > 0) {
      const TimeMs newest = ts(size_ - 1);
      if (t < newest - cfg.retention) return -2;  // already outside the retention
      const TimeMs horizon = std::max(newest, t) - cfg.retention;
      while (size_ > 0 && ts(0) < horizon) pop_front();
    }
    if (size_ == 0) {
      base_ = t;
    } else if (t < base_ || t - base_ > std::numeric_limits<std::uint32_t>::max()) {
      rebase(t);
    }
    // Find the position: almost always the end.
    std::size_t pos = size_;
    while (pos > 0 && ts(pos - 1) > t) --pos;
    if (pos > 0 && ts(pos - 1) == t) {
      // The newer record wins where it has a value; a column it lacks keeps the
      // earlier one (a counter sample delivered twice has no rate the second time).
      float* dst = &values_[slot(pos - 1) * columns];
      for (std::size_t c = 0; c < columns; ++c) {
        if (!std::isnan(row[c])) dst[c] = row[c];
      }
      return 0;
    }
    if (size_ == capacity()) {
      if (capacity() < cfg.max_rows_per_series) {
        grow(std::min(cfg.max_rows_per_series, std::max<std::size_t>(8, capacity() * 2)));
      } else {
        if (pos == 0) return -2;  // older than everything kept, and no room: ignore
        pop_front();
        --pos;
        ++stats.rows_evicted_early;
      }
    }
    // Shift the rows after pos one place right (rare: out-of-order arrival).
    for (std::size_t i = size_; i > pos; --i) {
      offsets_[slot(i)] = offsets_[slot(i - 1)];
      std::copy_n(&values_[slot(i - 1) * columns], columns, &values_[slot(i) * columns]);
    }
    offsets_[slot(pos)] = static_cast<std::uint32_t>(t - base_);
    std::copy(row, row + columns, &values_[slot(pos) * columns]);
    ++size_;
    return pos == size_ - 1 ? 1 : -1;
  }

  void drop_before(TimeMs t) {
    while (size_ > 0 && ts(0) < t) pop_front();
    if (size_ == 0 && capacity() > 0) {
      // Release the memory (`v = {}` would keep the capacity).
      std::vector<std::uint32_t>().swap(offsets_);
      std::vector<float>().swap(values_);
      head_ = 0;
    }
  }

  /// First row with ts >= t.
  [[nodiscard]] std::size_t lower_bound(TimeMs t) const noexcept {
    std::size_t lo = 0, hi = size_;
    while (lo < hi) {
      const std::size_t mid = (lo + hi) / 2;
      if (ts(mid) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

 private:
  [[nodiscard]] std::size_t capacity() const noexcept { return offsets_.size(); }
  [[nodiscard]] std::size_t slot(std::size_t i) const noexcept { return (head_ + i) & (capacity() - 1); }

  void pop_front() {
    head_ = (head_ + 1) & (capacity() - 1);
    --size_;
  }

  void grow(std::size_t new_capacity) {
    new_capacity = std::bit_ceil(new_capacity);
    std::vector<std::uint32_t> offsets(new_capacity);
    std::vector<float> values(new_capacity * columns);
    for (std::size_t i = 0; i < size_; ++i) {
      offsets[i] = offsets_[slot(i)];
      std::copy_n(&values_[slot(i) * columns], columns, &values[i * columns]);
    }
    offsets_.swap(offsets);
    values_.swap(values);
    head_ = 0;
  }

  void rebase(TimeMs t) {
    const TimeMs new_base = size_ ? std::min(t, ts(0)) : t;
    for (std::size_t i = 0; i < size_; ++i) {
      offsets_[slot(i)] = static_cast<std::uint32_t>(ts(i) - new_base);
    }
    base_ = new_base;
  }

  TimeMs base_ = 0;
  std::vector<std::uint32_t> offsets_;
  std::vector<float> values_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

MetricStore::MetricStore(MetricStoreConfig config) : config_(config) {
  // Row times are 32-bit offsets within a series, which spans at most the retention.
  config_.retention = std::clamp<DurationMs>(config_.retention, 0, std::numeric_limits<std::uint32_t>::max());
  config_.max_rows_per_series = std::bit_ceil(std::max<std::size_t>(8, config_.max_rows_per_series));
  scratch_.reserve(config_.max_rows_per_series);
}

MetricStore::~MetricStore() = default;

MetricStore::Series& MetricStore::series(Family family, std::uint32_t entity) {
  auto& list = series_[static_cast<std::size_t>(family)];
  if (entity >= list.size()) {
    list.resize(entity + 1);
  }
  Series& s = list[entity];
  s.columns = family_columns(family).size();
  return s;
}

const MetricStore::Series* MetricStore::find(Family family, std::uint32_t entity) const noexcept {
  const auto& list = series_[static_cast<std::size_t>(family)];
  if (entity >= list.size() || list[entity].size() == 0) return nullptr;
  return &list[entity];
}

void MetricStore::record(const TelemetrySample& sample) {
  if (sample.entity == Id<void>::kInvalid) return;  // would wrap entity + 1 below
  const auto fields = family_fields(sample.family);
  const auto columns = family_columns(sample.family);
  std::array<float, kMaxColumns> row;
  row.fill(std::numeric_limits<float>::quiet_NaN());

  CounterState* counters = nullptr;
  double dt_s = 0;
  if (sample.family == Family::kSwitchPort) {
    if (sample.entity >= counters_.size()) counters_.resize(sample.entity + 1);
    counters = &counters_[sample.entity];
    if (sample.has(0)) counters->speed_mbps = sample.values[0];
  }

  for (std::size_t c = 0; c < columns.size(); ++c) {
    const ColumnSpec& spec = columns[c];
    const std::size_t src = spec.source;
    if (!sample.has(src)) continue;
    if (spec.derivation == Derivation::kDirect) {
      row[c] = static_cast<float>(sample.values[src]);
      continue;
    }
    // Rates: need the previous reading of the same counter.
    if (counters == nullptr || !((counters->have >> src) & 1u)) continue;
    const TimeMs prev_ts = counters->last_ts[src];
    if (sample.ts <= prev_ts) continue;
    dt_s = static_cast<double>(sample.ts - prev_ts) / 1000.0;
    const std::uint64_t prev = counters->last[src];
    const std::uint64_t now = sample.counters[src];
    const std::uint64_t delta = now >= prev ? now - prev : now;  // decrease = reset, counted from zero
    const double rate = static_cast<double>(delta) / dt_s;
    if (spec.derivation == Derivation::kRate) {
      row[c] = static_cast<float>(rate);
    } else if (measured(counters->speed_mbps) && counters->speed_mbps > 0) {
      row[c] = static_cast<float>(std::min(100.0, 100.0 * 8.0 * rate / (counters->speed_mbps * 1e6)));
    }
  }
  if (counters != nullptr) {
    for (std::size_t f = 0; f < fields.size(); ++f) {
      if (fields[f].kind != FieldKind::kCounter || !sample.has(f)) continue;
      const bool had = (counters->have >> f) & 1u;
      if (had && sample.ts <= counters->last_ts[f]) continue;  // a late reading does not move the baseline
      if (had && sample.counters[f] < counters->last[f]) ++stats_.counter_resets;
      counters->last[f] = sample.counters[f];
      counters->last_ts[f] = sample.ts;
      counters->have |= 1u << f;
    }
  }

  const int where = series(sample.family, sample.entity).insert(sample.ts, row.data(), config_, stats_);
  if (where == -2) {
    ++stats_.rows_too_old;
    return;
  }
  ++stats_.rows_recorded;
  if (where == 0) ++stats_.rows_replaced;
  if (where < 0) ++stats_.rows_out_of_order;
}

bool MetricStore::window_rows(Family family, std::uint32_t entity, TimeWindow w, const Series*& series,
                              std::size_t& begin, std::size_t& end) const noexcept {
  series = find(family, entity);
  if (series == nullptr) return false;
  begin = series->lower_bound(w.begin);
  end = begin;
  while (end < series->size() && series->ts(end) <= w.end) ++end;
  return begin != end;
}

void MetricStore::column_stats(const Series& s, std::size_t begin, std::size_t end, std::size_t c,
                               WindowStats& st) const {
  st = WindowStats{};
  scratch_.clear();
  double sum = 0;
  float lo = std::numeric_limits<float>::infinity();
  float hi = -lo;
  for (std::size_t i = begin; i < end; ++i) {
    const float v = s.row(i)[c];
    if (std::isnan(v)) continue;
    scratch_.push_back(v);
    sum += v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    st.last = v;
    st.last_ts = s.ts(i);
  }
  st.count = static_cast<std::uint32_t>(scratch_.size());
  if (st.count == 0) return;
  st.avg = sum / st.count;
  st.min = lo;
  st.max = hi;
  // Nearest-rank quantiles on the window's samples.
  auto quantile = [&](double q) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(scratch_.size()))) - 1;
    const auto k = std::min(rank, scratch_.size() - 1);
    std::nth_element(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(k), scratch_.end());
    return static_cast<double>(scratch_[k]);
  };
  st.p50 = quantile(0.5);
  st.p95 = quantile(0.95);
}

void MetricStore::window(Family family, std::uint32_t entity, TimeWindow w, std::span<WindowStats> out) const {
  for (auto& st : out) st = WindowStats{};
  const Series* s = nullptr;
  std::size_t begin = 0, end = 0;
  if (!window_rows(family, entity, w, s, begin, end)) return;
  const std::size_t ncols = std::min(out.size(), s->columns);
  for (std::size_t c = 0; c < ncols; ++c) column_stats(*s, begin, end, c, out[c]);
}

WindowStats MetricStore::window(Family family, std::uint32_t entity, std::size_t column, TimeWindow w) const {
  // Only the asked column: the others would cost a pass and two nth_element each.
  WindowStats st;
  const Series* s = nullptr;
  std::size_t begin = 0, end = 0;
  if (column < family_columns(family).size() && window_rows(family, entity, w, s, begin, end)) {
    column_stats(*s, begin, end, column, st);
  }
  return st;
}

std::size_t MetricStore::rows(Family family, std::uint32_t entity) const noexcept {
  const Series* s = find(family, entity);
  return s ? s->size() : 0;
}

void MetricStore::expire(TimeMs now) {
  for (auto& list : series_) {
    for (auto& s : list) s.drop_before(now - config_.retention);
  }
}

std::size_t MetricStore::memory_bytes() const noexcept {
  std::size_t total = counters_.capacity() * sizeof(CounterState) + scratch_.capacity() * sizeof(float);
  for (const auto& list : series_) {
    total += list.capacity() * sizeof(Series);
    for (const auto& s : list) total += s.bytes();
  }
  return total;
}

}  // namespace callroot
