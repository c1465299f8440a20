#include "models/metric_store.h"

#include "models/compact_series.h"

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

/// The rows of one series, compact (compact_series.h).
class MetricStore::Series final : public detail::CompactSeries {};

namespace {

/// Count, average, extremes, first and last of a window's measured values
/// (in row order; the sum in that order, as a double).
void summarize(std::span<const float> values, WindowStats& st) noexcept {
  double sum = 0;
  float lo = values.front(), hi = values.front();
  for (const float v : values) {
    sum += v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  st.count = static_cast<std::uint32_t>(values.size());
  st.avg = sum / static_cast<double>(st.count);
  st.min = lo;
  st.max = hi;
  st.first = values.front();
  st.last = values.back();
}

/// Column c of rows [begin, end) summarized into `st` (quantiles aside), its
/// measured values left in `values` in row order; returns how many there are.
std::size_t read_column(const detail::CompactSeries& s, std::size_t begin, std::size_t end, std::size_t c,
                        float* values, WindowStats& st) noexcept {
  std::size_t first_row = 0, last_row = 0;
  const std::size_t count = s.gather(c, begin, end, values, first_row, last_row);
  if (count == 0) return 0;
  summarize(std::span<const float>(values, count), st);
  st.first_ts = s.ts(first_row);
  st.last_ts = s.ts(last_row);
  return count;
}

}  // namespace

MetricStore::MetricStore(MetricStoreConfig config) : config_(config) {
  static_assert(sizeof(Series) == 64, "a series header is one cache line: window reads prefetch it alone");
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
  return list[entity];
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

  using Insert = detail::CompactSeries::Insert;
  bool evicted = false;
  const Insert where = series(sample.family, sample.entity)
                           .insert(sample.ts, row.data(), columns.size(), config_.retention,
                                   config_.max_rows_per_series, evicted);
  stats_.rows_evicted_early += evicted;
  if (where == Insert::kDropped) {
    ++stats_.rows_too_old;
    return;
  }
  ++stats_.rows_recorded;
  if (where == Insert::kReplaced) ++stats_.rows_replaced;
  if (where == Insert::kOutOfOrder) ++stats_.rows_out_of_order;
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
  scratch_.resize(end - begin);
  const std::size_t count = read_column(s, begin, end, c, scratch_.data(), st);
  if (count > 0) fill_quantiles(std::span<float>(scratch_.data(), count), st);
}

void MetricStore::fill_quantiles(std::span<float> values, WindowStats& st) noexcept {
  // Nearest-rank quantiles. Windows hold a dozen or so samples: one
  // insertion sort is cheaper than two nth_element passes.
  if (values.size() <= 64) {
    for (std::size_t i = 1; i < values.size(); ++i) {
      const float x = values[i];
      std::size_t j = i;
      for (; j > 0 && values[j - 1] > x; --j) values[j] = values[j - 1];
      values[j] = x;
    }
  } else {
    std::sort(values.begin(), values.end());
  }
  auto quantile = [&](double q) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size()))) - 1;
    return static_cast<double>(values[std::min(rank, values.size() - 1)]);
  };
  st.p50 = quantile(0.5);
  st.p95 = quantile(0.95);
}

void MetricStore::window(Family family, std::uint32_t entity, TimeWindow w, std::span<WindowStats> out,
                         bool quantiles) const {
  for (auto& st : out) st = WindowStats{};
  const Series* s = nullptr;
  std::size_t begin = 0, end = 0;
  if (!window_rows(family, entity, w, s, begin, end)) return;
  const std::size_t ncols = std::min<std::size_t>(out.size(), s->columns());
  const std::size_t n = end - begin;
  // Column by column, each into its own stretch of the scratch buffer for the quantiles.
  scratch_.resize(n * ncols);
  for (std::size_t c = 0; c < ncols; ++c) {
    float* values = &scratch_[c * n];
    const std::size_t count = read_column(*s, begin, end, c, values, out[c]);
    if (quantiles && count > 0) fill_quantiles(std::span<float>(values, count), out[c]);
  }
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

void MetricStore::samples(Family family, std::uint32_t entity, std::size_t column, TimeWindow w,
                          std::vector<std::pair<TimeMs, double>>& out, bool keep_unmeasured) const {
  const Series* s = nullptr;
  std::size_t begin = 0, end = 0;
  if (column >= family_columns(family).size() || !window_rows(family, entity, w, s, begin, end)) return;
  for (std::size_t i = begin; i < end; ++i) {
    const float v = s->value(s->row(i), column);
    if (keep_unmeasured || !std::isnan(v)) out.emplace_back(s->ts(i), v);
  }
}

void MetricStore::prefetch_series(Family family, std::uint32_t entity) const noexcept {
  const auto& list = series_[static_cast<std::size_t>(family)];
  if (entity < list.size()) __builtin_prefetch(&list[entity]);
}

DurationMs MetricStore::interval(Family family, std::uint32_t entity) const noexcept {
  const Series* s = find(family, entity);
  return s == nullptr ? 0 : s->interval();
}

void MetricStore::prefetch_rows(Family family, std::uint32_t entity, TimeMs from) const noexcept {
  if (const Series* s = find(family, entity)) s->prefetch_from(from);
}

std::size_t MetricStore::rows(Family family, std::uint32_t entity) const noexcept {
  const Series* s = find(family, entity);
  return s ? s->size() : 0;
}

std::size_t MetricStore::series_count(Family family) const noexcept {
  return series_[static_cast<std::size_t>(family)].size();
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
