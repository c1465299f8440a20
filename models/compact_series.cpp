#include "models/compact_series.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

namespace callroot::detail {
namespace {

constexpr std::array<double, 5> kPow10{1, 10, 100, 1000, 10000};
constexpr std::uint8_t kMaxDecimals = kPow10.size() - 1;
constexpr std::int8_t kMissing8 = std::numeric_limits<std::int8_t>::min();
constexpr std::int16_t kMissing16 = std::numeric_limits<std::int16_t>::min();
constexpr TimeMs kMaxSecondsSpan = TimeMs{std::numeric_limits<std::uint16_t>::max()} * 1000;
constexpr TimeMs kMaxMillisSpan = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t kFirstCapacity = 8;
constexpr std::size_t kMaxRowBytes = 4 + 4 * kMaxColumns;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

bool same_bits(float a, float b) noexcept { return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b); }

/// The integer q for f at `decimals`, when q fits `width` bytes and
/// float(q / 10^decimals) is f again, bit for bit.
std::optional<std::int32_t> quantize(float f, std::uint8_t decimals, std::uint8_t width) noexcept {
  const double limit = width == 1 ? 127.0 : 32767.0;  // the lowest integer means "not measured"
  const double scaled = std::nearbyint(static_cast<double>(f) * kPow10[decimals]);
  if (!(std::abs(scaled) <= limit)) return std::nullopt;
  // Whole numbers (an RSSI, a count) need no division to check.
  const double back = decimals == 0 ? scaled : scaled / kPow10[decimals];
  if (!same_bits(static_cast<float>(back), f)) return std::nullopt;
  return static_cast<std::int32_t>(scaled);
}

bool fits_column(const CompactSeries::Column& col, float f) noexcept {
  switch (col.width) {
    case 0: return std::isnan(f) ? std::isnan(col.constant) : same_bits(f, col.constant);
    case 1:
    case 2: return std::isnan(f) || quantize(f, col.decimals, col.width).has_value();
    default: return true;
  }
}

void put(std::uint8_t* at, const void* value, std::size_t n) noexcept { std::memcpy(at, value, n); }

}  // namespace

float CompactSeries::decode(const Column& col, const std::uint8_t* row) noexcept {
  switch (col.width) {
    case 0: return col.constant;
    case 1: {
      std::int8_t q;
      std::memcpy(&q, row + col.offset, 1);
      return q == kMissing8 ? kNaN : static_cast<float>(q / kPow10[col.decimals]);
    }
    case 2: {
      std::int16_t q;
      std::memcpy(&q, row + col.offset, 2);
      return q == kMissing16 ? kNaN : static_cast<float>(q / kPow10[col.decimals]);
    }
    default: {
      float f;
      std::memcpy(&f, row + col.offset, 4);
      return f;
    }
  }
}

std::size_t CompactSeries::gather(std::size_t c, std::size_t begin, std::size_t end, float* out,
                                 std::size_t& first_row, std::size_t& last_row) const noexcept {
  const Column col = layout()[c];
  std::size_t n = 0;
  if (col.width == 0) {
    if (std::isnan(col.constant)) return 0;
    for (std::size_t i = begin; i < end; ++i) out[n++] = col.constant;
    first_row = begin;
    last_row = end - 1;
    return n;
  }
  const auto keep = [&](std::size_t i, float v) {
    if (n == 0) first_row = i;
    last_row = i;
    out[n++] = v;
  };
  const double scale = kPow10[col.decimals];
  for (std::size_t i = begin; i < end; ++i) {
    const std::uint8_t* at = row(i) + col.offset;
    if (col.width == 1) {
      std::int8_t q;
      std::memcpy(&q, at, 1);
      if (q != kMissing8) keep(i, static_cast<float>(q / scale));
    } else if (col.width == 2) {
      std::int16_t q;
      std::memcpy(&q, at, 2);
      if (q != kMissing16) keep(i, static_cast<float>(q / scale));
    } else {
      float f;
      std::memcpy(&f, at, 4);
      if (!std::isnan(f)) keep(i, f);
    }
  }
  return n;
}

TimeMs CompactSeries::decode_ts(const std::uint8_t* row) const noexcept {
  if (seconds_) {
    std::uint16_t s;
    std::memcpy(&s, row, 2);
    return base_ + TimeMs{s} * 1000;
  }
  std::uint32_t ms;
  std::memcpy(&ms, row, 4);
  return base_ + ms;
}

void CompactSeries::decode_row(const std::uint8_t* row, float* values) const noexcept {
  const Column* cols = layout();
  for (std::size_t c = 0; c < columns_; ++c) values[c] = decode(cols[c], row);
}

bool CompactSeries::try_encode(std::uint8_t* row, TimeMs t, const float* values) const noexcept {
  if (!fits_ts(t)) return false;
  if (seconds_) {
    const auto s = static_cast<std::uint16_t>((t - base_) / 1000);
    put(row, &s, 2);
  } else {
    const auto ms = static_cast<std::uint32_t>(t - base_);
    put(row, &ms, 4);
  }
  const Column* cols = layout();
  for (std::size_t c = 0; c < columns_; ++c) {
    const Column& col = cols[c];
    const float f = values[c];
    switch (col.width) {
      case 0:
        if (!fits_column(col, f)) return false;
        break;
      case 1: {
        std::int8_t q = kMissing8;
        if (!std::isnan(f)) {
          const auto v = quantize(f, col.decimals, 1);
          if (!v) return false;
          q = static_cast<std::int8_t>(*v);
        }
        put(row + col.offset, &q, 1);
        break;
      }
      case 2: {
        std::int16_t q = kMissing16;
        if (!std::isnan(f)) {
          const auto v = quantize(f, col.decimals, 2);
          if (!v) return false;
          q = static_cast<std::int16_t>(*v);
        }
        put(row + col.offset, &q, 2);
        break;
      }
      default: put(row + col.offset, &f, 4);
    }
  }
  return true;
}

void CompactSeries::stage(std::uint8_t* staged, TimeMs t, const float* values) {
  if (try_encode(staged, t, values)) return;
  widen(t, values);
  [[maybe_unused]] const bool fits = try_encode(staged, t, values);
}

bool CompactSeries::fits_ts(TimeMs t) const noexcept {
  if (t < base_) return false;
  if (seconds_) return t % 1000 == 0 && t - base_ <= kMaxSecondsSpan;
  return t - base_ <= kMaxMillisSpan;
}

void CompactSeries::widen(TimeMs t, const float* values) {
  std::array<Column, kMaxColumns> next{};
  std::copy_n(layout(), columns_, next.begin());
  for (std::size_t c = 0; c < columns_; ++c) {
    if (fits_column(next[c], values[c])) continue;
    // The narrowest encoding of every value the column holds, and the new one.
    const auto all_fit = [&](std::uint8_t decimals, std::uint8_t width) {
      const Column candidate{width, decimals, 0, 0};
      if (!fits_column(candidate, values[c])) return false;
      for (std::size_t i = 0; i < size_; ++i) {
        if (!fits_column(candidate, value(row(i), c))) return false;
      }
      return true;
    };
    Column chosen{4, 0, 0, 0};
    for (const std::uint8_t width : {std::uint8_t{1}, std::uint8_t{2}}) {
      for (std::uint8_t d = 0; d <= kMaxDecimals && chosen.width == 4; ++d) {
        if (all_fit(d, width)) chosen = Column{width, d, 0, 0};
      }
    }
    next[c] = chosen;
  }
  bool seconds = seconds_;
  TimeMs base = base_;
  if (!fits_ts(t)) {
    base = std::min(t, first_ts());
    const TimeMs newest = std::max(t, last_ts());
    seconds = seconds_ && t % 1000 == 0 && base % 1000 == 0 && newest - base <= kMaxSecondsSpan;
  }
  reencode(next.data(), seconds, base, capacity_);
}

void CompactSeries::reencode(const Column* next_layout, bool seconds, TimeMs base, std::size_t capacity) {
  std::array<Column, kMaxColumns> cols{};
  std::copy_n(next_layout, columns_, cols.begin());
  std::size_t offset = seconds ? 2 : 4;
  for (std::size_t c = 0; c < columns_; ++c) {
    cols[c].offset = static_cast<std::uint16_t>(offset);
    offset += cols[c].width;
  }
  CompactSeries next;
  next.columns_ = columns_;
  next.row_bytes_ = static_cast<std::uint8_t>(offset);
  next.seconds_ = seconds;
  next.base_ = base;
  next.capacity_ = static_cast<std::uint32_t>(capacity);
  next.allocated_ = static_cast<std::uint32_t>(next.layout_bytes() + capacity * offset);
  next.data_ = std::make_unique_for_overwrite<std::uint8_t[]>(next.allocated_);
  std::copy_n(cols.begin(), columns_, next.layout_mut());
  std::array<float, kMaxColumns> values{};
  for (std::size_t i = 0; i < size_; ++i) {
    decode_row(row(i), values.data());
    // Fits: the encodings were chosen for these rows.
    [[maybe_unused]] const bool fits = next.try_encode(next.row_mut(i), ts(i), values.data());
  }
  next.size_ = size_;
  next.update_summary();
  *this = std::move(next);
}

void CompactSeries::start(TimeMs t, const float* values, std::size_t columns) {
  // Every column starts constant: the rows hold only their timestamps until a
  // value differs.
  columns_ = static_cast<std::uint8_t>(std::min(columns, kMaxColumns));
  std::array<Column, kMaxColumns> cols{};
  for (std::size_t c = 0; c < columns_; ++c) cols[c] = Column{0, 0, 0, values[c]};
  size_ = 0;
  head_ = 0;
  base_ = t;
  seconds_ = t % 1000 == 0;
  reencode(cols.data(), seconds_, t, std::max<std::size_t>(capacity_, kFirstCapacity));
}

CompactSeries::Insert CompactSeries::insert(TimeMs t, const float* values, std::size_t columns, DurationMs retention,
                                            std::size_t max_rows, bool& evicted) {
  evicted = false;
  if (size_ > 0) {
    // The layouts, the oldest rows and the slot of the new row are three
    // lines far apart, none of them cached (a series is written once per
    // polling interval): ask for all three at once.
    __builtin_prefetch(data_.get());
    __builtin_prefetch(row(0));
    if (size_ < capacity_) __builtin_prefetch(row_mut(size_), 1);
  }
  // Drop rows that fell out of the retention before deciding to grow (and
  // before any rebase, so that offsets only ever span the retention).
  if (size_ > 0) {
    const TimeMs newest = last_ts();
    if (t < newest - retention) return Insert::kDropped;
    const TimeMs horizon = std::max(newest, t) - retention;
    if (first_ts() < horizon) {
      while (size_ > 0 && ts(0) < horizon) pop_front();
      after_pop();
    }
  }
  if (size_ == 0) start(t, values, columns);
  // Find the position: almost always the end, which the header tells
  // without reading a row (the newest left the cache long ago).
  std::size_t pos = size_;
  const bool behind = size_ > 0 && t <= last_ts();
  if (behind) {
    while (pos > 0 && ts(pos - 1) > t) --pos;
  }
  std::array<std::uint8_t, kMaxRowBytes> staged;
  if (behind && pos > 0 && ts(pos - 1) == t) {
    // The newer record wins where it has a value; a column it lacks keeps the
    // earlier one (a counter sample delivered twice has no rate the second time).
    std::array<float, kMaxColumns> merged{};
    decode_row(row(pos - 1), merged.data());
    for (std::size_t c = 0; c < columns_; ++c) {
      if (!std::isnan(values[c])) merged[c] = values[c];
    }
    stage(staged.data(), t, merged.data());
    std::memcpy(row_mut(pos - 1), staged.data(), row_bytes_);
    return Insert::kReplaced;
  }
  stage(staged.data(), t, values);
  if (size_ == capacity_) {
    if (capacity_ < max_rows) {
      reencode(layout(), seconds_, base_, std::bit_ceil(std::min(max_rows, std::size_t{capacity_} * 2)));
    } else {
      if (pos == 0) return Insert::kDropped;  // older than everything kept, and no room: ignore
      pop_front();
      after_pop();
      --pos;
      evicted = true;
    }
  }
  // Shift the rows after pos one place right (rare: out-of-order arrival).
  for (std::size_t i = size_; i > pos; --i) std::memcpy(row_mut(i), row(i - 1), row_bytes_);
  std::memcpy(row_mut(pos), staged.data(), row_bytes_);
  ++size_;
  if (pos + 1 < size_) {
    update_summary();
    return Insert::kOutOfOrder;
  }
  // Appended: the header follows from what it held, without reading the
  // rows before (they left the cache long ago).
  const TimeMs gap = size_ > 1 ? t - last_ts() : 0;
  if (size_ == 1) first_ = static_cast<std::uint32_t>(t - base_);
  last_ = static_cast<std::uint32_t>(t - base_);
  interval_ = size_ >= 3 ? static_cast<std::uint32_t>(std::min<TimeMs>(gap, last_gap_)) : 0;
  last_gap_ = static_cast<std::uint32_t>(gap);
  return Insert::kAppended;
}

void CompactSeries::drop_before(TimeMs t) {
  while (size_ > 0 && ts(0) < t) pop_front();
  if (size_ == 0 && data_) {
    data_.reset();  // release the memory
    allocated_ = 0;
    capacity_ = 0;
    head_ = 0;
  }
  update_summary();
}

void CompactSeries::pop_front() noexcept {
  head_ = (head_ + 1) & (capacity_ - 1);
  --size_;
}

void CompactSeries::update_summary() noexcept {
  first_ = size_ > 0 ? static_cast<std::uint32_t>(ts(0) - base_) : 0;
  last_ = size_ > 0 ? static_cast<std::uint32_t>(ts(size_ - 1) - base_) : 0;
  last_gap_ = size_ < 2 ? 0 : static_cast<std::uint32_t>(ts(size_ - 1) - ts(size_ - 2));
  interval_ = size_ < 3 ? 0 : std::min<std::uint32_t>(last_gap_, static_cast<std::uint32_t>(ts(size_ - 2) - ts(size_ - 3)));
}

void CompactSeries::after_pop() noexcept {
  // The newest rows are as they were: only the oldest moved.
  if (size_ < 3) {
    update_summary();
    return;
  }
  first_ = static_cast<std::uint32_t>(ts(0) - base_);
}

std::size_t CompactSeries::guess(TimeMs t) const noexcept {
  if (size_ < 2) return 0;
  // From the header: reading the first and last rows would cost two cache
  // misses before the prefetch of the window's rows could even be issued.
  const TimeMs first = first_ts(), last = last_ts();
  if (t <= first) return 0;
  if (t >= last) return size_ - 1;
  return static_cast<std::size_t>(static_cast<double>(t - first) / static_cast<double>(last - first) *
                                  static_cast<double>(size_ - 1));
}

std::size_t CompactSeries::lower_bound(TimeMs t) const noexcept {
  std::size_t i = guess(t);
  while (i > 0 && ts(i - 1) >= t) --i;
  while (i < size_ && ts(i) < t) ++i;
  return i;
}

void CompactSeries::prefetch_from(TimeMs t) const noexcept {
  if (size_ == 0) return;
  __builtin_prefetch(data_.get());
  const std::uint8_t* first = row(guess(t));
  __builtin_prefetch(first);
  __builtin_prefetch(first + 64);
  __builtin_prefetch(first + 128);
}

}  // namespace callroot::detail
