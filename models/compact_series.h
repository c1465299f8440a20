#pragma once
/// The rows of one telemetry series, stored as compactly as their values
/// allow without losing a bit of what is read back (MetricStore's storage).
///
/// Two hours of a 1,000-AP network at 30 s is about 12 million rows: as
/// floats that is some 340 MB. Yet telemetry is mostly small decimals and
/// constants: an RSSI of -67 dBm, a retry rate of 3.4 %, a port's speed of
/// 1000 that never changes, error rates of zero on an idle port. So each
/// column of a series has its own encoding, the narrowest that reproduces
/// every float stored so far exactly:
/// - constant: the value lives in the column's layout, not in the rows;
/// - 8 or 16-bit integers q with a decimal exponent d: the value is
///   float(q / 10^d), bit for bit the float that was recorded (the lowest
///   integer stands for "not measured");
/// - the float itself.
/// Timestamps are 16-bit offsets in seconds from the series' base while
/// every one is a whole second within 18 hours of it, else 32-bit offsets in
/// milliseconds. A value that does not fit widens its column (or the
/// timestamps) once, re-encoding the rows: encodings only widen while the
/// series has rows, so a series re-encodes a handful of times in its life.
///
/// Rows sit in a ring (a power-of-two count, doubling only while the oldest
/// row is still within the retention), after the column layouts, in one
/// allocation. The header is one cache line: a reader prefetches it, then
/// the layouts and the window's rows together.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "models/catalog.h"
#include "models/time.h"

namespace callroot::detail {

class alignas(64) CompactSeries {
 public:
  /// How a column is stored (see the file comment).
  struct Column {
    std::uint8_t width = 0;     // 0 constant, 1 or 2 integer bytes, 4 a float
    std::uint8_t decimals = 0;  // integers: the value is q / 10^decimals
    std::uint16_t offset = 0;   // within a row
    float constant = 0;         // width 0: the value of every row
  };
  static_assert(sizeof(Column) == 8);

  /// What insert() did.
  enum class Insert : std::int8_t { kDropped = -2, kOutOfOrder = -1, kReplaced = 0, kAppended = 1 };

  CompactSeries() = default;
  CompactSeries(CompactSeries&&) noexcept = default;
  CompactSeries& operator=(CompactSeries&&) noexcept = default;

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t columns() const noexcept { return columns_; }
  /// Allocated bytes (layouts and rows).
  [[nodiscard]] std::size_t bytes() const noexcept { return allocated_; }

  [[nodiscard]] TimeMs ts(std::size_t i) const noexcept { return decode_ts(row(i)); }
  /// The bytes of row i, for value().
  [[nodiscard]] const std::uint8_t* row(std::size_t i) const noexcept {
    return data_.get() + layout_bytes() + slot(i) * row_bytes_;
  }
  [[nodiscard]] TimeMs decode_ts(const std::uint8_t* row) const noexcept;
  /// Column c of a row: exactly the float that was recorded, NaN when not measured.
  [[nodiscard]] float value(const std::uint8_t* row, std::size_t c) const noexcept {
    return decode(layout()[c], row);
  }
  [[nodiscard]] const Column* layout() const noexcept { return reinterpret_cast<const Column*>(data_.get()); }
  /// The measured values of column c in rows [begin, end), in row order,
  /// into `out` (room for end - begin); returns how many, with the rows of
  /// the first and the last. The column's layout is read once, not per value.
  std::size_t gather(std::size_t c, std::size_t begin, std::size_t end, float* out, std::size_t& first_row,
                     std::size_t& last_row) const noexcept;
  static float decode(const Column& col, const std::uint8_t* row) noexcept;

  /// The oldest and newest timestamps (kept in the header: no row is read).
  [[nodiscard]] TimeMs first_ts() const noexcept { return base_ + first_; }
  [[nodiscard]] TimeMs last_ts() const noexcept { return base_ + last_; }
  /// The shorter of the two latest sample spacings; 0 with fewer than three rows.
  [[nodiscard]] DurationMs interval() const noexcept { return interval_; }

  /// Inserts a row of `columns` floats in time order (the first insert fixes
  /// the column count, at most kMaxColumns). A row at a timestamp already
  /// stored merges into it: its measured values win. Rows older than
  /// `retention` before the newest are dropped first; at `max_rows` the
  /// oldest row makes room (`evicted` counts it).
  Insert insert(TimeMs t, const float* values, std::size_t columns, DurationMs retention, std::size_t max_rows,
                bool& evicted);
  /// Drops rows older than t; frees the memory when none is left.
  void drop_before(TimeMs t);

  /// Where a row at time t would be if rows were evenly spaced, as they
  /// nearly are (one sample per reporting interval).
  [[nodiscard]] std::size_t guess(TimeMs t) const noexcept;
  /// First row with ts >= t: from the interpolated guess, a few steps at most.
  [[nodiscard]] std::size_t lower_bound(TimeMs t) const noexcept;
  /// Hints the layouts and the rows from time t on: a window's first rows.
  void prefetch_from(TimeMs t) const noexcept;

 private:
  [[nodiscard]] std::size_t slot(std::size_t i) const noexcept { return (head_ + i) & (capacity_ - 1); }
  [[nodiscard]] std::size_t layout_bytes() const noexcept { return columns_ * sizeof(Column); }
  [[nodiscard]] Column* layout_mut() noexcept { return reinterpret_cast<Column*>(data_.get()); }
  [[nodiscard]] std::uint8_t* row_mut(std::size_t i) noexcept {
    return data_.get() + layout_bytes() + slot(i) * row_bytes_;
  }

  /// Whether t can be written with the current encoding.
  [[nodiscard]] bool fits_ts(TimeMs t) const noexcept;
  /// Writes a row with the current encodings; false when t or a value does
  /// not fit them (the row is then partly written).
  [[nodiscard]] bool try_encode(std::uint8_t* row, TimeMs t, const float* values) const noexcept;
  /// Encodes a row into `staged`, widening the encodings first if it must.
  void stage(std::uint8_t* staged, TimeMs t, const float* values);
  /// Widens what `values` (and t) need, re-encoding every row.
  void widen(TimeMs t, const float* values);
  /// Copies the rows into a fresh allocation of `capacity` rows with the
  /// given encodings (layout offsets and row size are computed here).
  void reencode(const Column* layout, bool seconds, TimeMs base, std::size_t capacity);
  void decode_row(const std::uint8_t* row, float* values) const noexcept;
  void start(TimeMs t, const float* values, std::size_t columns);
  void pop_front() noexcept;
  /// Recomputes the header's summary of the rows (first, last, interval).
  void update_summary() noexcept;
  void after_pop() noexcept;

  TimeMs base_ = 0;
  std::unique_ptr<std::uint8_t[]> data_;  // columns_ layouts, then capacity_ rows of row_bytes_
  std::uint32_t allocated_ = 0;
  std::uint32_t capacity_ = 0;  // rows; a power of two
  std::uint32_t head_ = 0;
  std::uint32_t size_ = 0;
  std::uint32_t interval_ = 0;  // spacings fit: rows span at most the retention (< 2^32 ms)
  std::uint32_t first_ = 0, last_ = 0;  // offsets of the oldest and newest rows from base_, in ms
  std::uint32_t last_gap_ = 0;          // between the two newest rows
  std::uint8_t columns_ = 0;
  std::uint8_t row_bytes_ = 0;
  bool seconds_ = true;  // timestamps: 16-bit seconds, else 32-bit milliseconds
};

}  // namespace callroot::detail
