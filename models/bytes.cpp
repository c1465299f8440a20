#include "models/bytes.h"

#include <cstring>
#include <stdexcept>

namespace callroot {

void ByteWriter::f64(double v) {
  std::uint64_t bits = 0;
  static_assert(sizeof bits == sizeof v);
  std::memcpy(&bits, &v, sizeof bits);
  u64(bits);
}

void ByteWriter::str(std::string_view s) {
  if (s.size() > 0xffffffffu) throw std::length_error("a string over 4 GiB in saved state");
  u32(static_cast<std::uint32_t>(s.size()));
  out_.append(s);
}

void ByteWriter::str16(std::string_view s) {
  if (s.size() > 0xffffu) throw std::length_error("a name over 64 KiB in saved state");
  u16(static_cast<std::uint16_t>(s.size()));
  out_.append(s);
}

std::uint64_t ByteReader::get(int n) {
  if (data_.size() - pos_ < static_cast<std::size_t>(n)) fail("truncated");
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(data_[pos_ + i])) << (8 * i);
  pos_ += static_cast<std::size_t>(n);
  return v;
}

std::uint8_t ByteReader::u8() { return static_cast<std::uint8_t>(get(1)); }
std::uint16_t ByteReader::u16() { return static_cast<std::uint16_t>(get(2)); }
std::uint32_t ByteReader::u32() { return static_cast<std::uint32_t>(get(4)); }
std::uint64_t ByteReader::u64() { return get(8); }

double ByteReader::f64() {
  const std::uint64_t bits = get(8);
  double v = 0;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

std::string ByteReader::str() {
  const std::uint32_t n = u32();
  if (data_.size() - pos_ < n) fail("truncated in a string");
  std::string s(data_.substr(pos_, n));
  pos_ += n;
  return s;
}

std::string_view ByteReader::str16() { return view(u16()); }

std::string_view ByteReader::view(std::size_t n) {
  if (data_.size() - pos_ < n) fail("truncated");
  const std::string_view s = data_.substr(pos_, n);
  pos_ += n;
  return s;
}

std::size_t ByteReader::count(std::size_t min_bytes) {
  const std::uint32_t n = u32();
  if (min_bytes == 0) min_bytes = 1;
  if (n > (data_.size() - pos_) / min_bytes)
    fail("a count of " + std::to_string(n) + " that the bytes left cannot hold");
  return n;
}

void ByteReader::expect_done() const {
  if (!done()) fail(std::to_string(data_.size() - pos_) + " unexpected bytes at the end");
}

void ByteReader::fail(std::string_view what) const { throw std::runtime_error(context_ + ": " + std::string(what)); }

}  // namespace callroot
