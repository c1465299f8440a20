#pragma once
/// The one binary codec for saved state: little-endian integers, IEEE 754
/// doubles bit for bit, length-prefixed strings. Checkpoint sections
/// (engine/checkpoint.h) and saved segments (models/segment_codec.h) are
/// written with it. Not on the per-record path: a bad payload throws.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace callroot {

/// Little-endian encoding of binary state (checkpoint sections, segments).
class ByteWriter {
 public:
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) { put(v, 2); }
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  void i64(std::int64_t v) { put(static_cast<std::uint64_t>(v), 8); }
  /// The IEEE 754 bits, so a value reads back exactly (NaN included).
  void f64(double v);
  /// Length (u32) then bytes.
  void str(std::string_view s);
  /// Length (u16) then bytes, for names (which are capped far below 64 KiB).
  void str16(std::string_view s);
  /// Bytes another writer wrote, as they are.
  void raw(std::string_view s) { out_.append(s); }
  [[nodiscard]] std::string& bytes() noexcept { return out_; }

 private:
  void put(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string out_;
};

/// Reads what ByteWriter wrote. Every read checks the bytes left and throws
/// std::runtime_error("<context>: truncated ...") rather than read past the end.
class ByteReader {
 public:
  ByteReader(std::string_view data, std::string context) : data_(data), context_(std::move(context)) {}
  std::uint8_t u8();
  std::uint16_t u16();
  std::uint32_t u32();
  std::uint64_t u64();
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  double f64();
  std::string str();
  /// What str16 wrote, as a view into the bytes being read.
  std::string_view str16();
  /// The next `n` bytes, as a view.
  std::string_view view(std::size_t n);
  [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }
  /// Bytes read so far.
  [[nodiscard]] std::size_t position() const noexcept { return pos_; }
  /// A count of elements that each take at least `min_bytes`: refused when
  /// the bytes left cannot hold that many, so a corrupt count never makes the
  /// reader allocate gigabytes.
  std::size_t count(std::size_t min_bytes = 1);
  [[nodiscard]] bool done() const noexcept { return pos_ == data_.size(); }
  /// Throws unless every byte was read: a payload longer than its reader
  /// expects is as wrong as a short one.
  void expect_done() const;
  /// Throws std::runtime_error("<context>: <what>").
  [[noreturn]] void fail(std::string_view what) const;

 private:
  std::uint64_t get(int n);
  std::string_view data_;
  std::size_t pos_ = 0;
  std::string context_;
};

}  // namespace callroot
