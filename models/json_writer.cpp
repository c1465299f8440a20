#include "models/json_writer.h"

#include <charconv>
#include <cstdio>
#include <cstring>

#include "models/time.h"

namespace callroot {

std::size_t format_number(double v, int max_decimals, char* out) noexcept {
  if (!std::isfinite(v)) {
    std::memcpy(out, "null", 4);
    return 4;
  }
  // Fixed notation with at most max_decimals digits after the point; a huge
  // magnitude (1e300 has 301 digits) falls back to the shortest exact form.
  auto r = std::to_chars(out, out + kMaxNumberChars, v, std::chars_format::fixed, max_decimals);
  // Fixed notation with decimals always has a point and never an exponent;
  // only the shortest form needs looking at.
  bool trim = max_decimals > 0;
  if (r.ec != std::errc()) {
    r = std::to_chars(out, out + kMaxNumberChars, v);
    const auto len = static_cast<std::size_t>(r.ptr - out);
    trim = std::memchr(out, '.', len) != nullptr && std::memchr(out, 'e', len) == nullptr;
  }
  std::size_t n = static_cast<std::size_t>(r.ptr - out);
  if (trim) {
    while (n > 0 && out[n - 1] == '0') --n;
    if (n > 0 && out[n - 1] == '.') --n;
  }
  if (n == 2 && out[0] == '-' && out[1] == '0') {
    out[0] = '0';
    n = 1;
  }
  return n;
}

std::string format_number(double v, int max_decimals) {
  char buf[kMaxNumberChars];
  return std::string(buf, format_number(v, max_decimals, buf));
}

JsonWriter& JsonWriter::value(double v, int max_decimals) {
  sep();
  char buf[kMaxNumberChars];
  out_.append(buf, format_number(v, max_decimals, buf));
  return *this;
}

JsonWriter& JsonWriter::time(std::int64_t ms) {
  sep();
  char buf[32];
  const std::size_t n = format_rfc3339(ms, buf);
  out_ += '"';
  out_.append(buf, n);
  out_ += '"';
  return *this;
}

namespace {

/// Whether any of the 8 bytes of w needs escaping in a JSON string (a
/// control character, '"' or '\\'); a true answer may be a false alarm
/// after a byte that does, never a miss.
constexpr bool needs_escape(std::uint64_t w) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  const auto zero_byte = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  return ((w - 0x20 * kOnes) & ~w & kHigh) != 0 || zero_byte(w ^ ('"' * kOnes)) != 0 ||
         zero_byte(w ^ ('\\' * kOnes)) != 0;
}

}  // namespace

void JsonWriter::write_string(std::string_view s) {
  out_ += '"';
  // Append runs that need no escaping in one go: most strings are one run,
  // found eight bytes at a time.
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i % 8 == 0) {
      while (i + 8 <= s.size()) {
        std::uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        if (needs_escape(w)) break;
        i += 8;
      }
      if (i == s.size()) break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out_.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
        out_ += buf;
      }
    }
  }
  out_.append(s.data() + run, s.size() - run);
  out_ += '"';
}

}  // namespace callroot
