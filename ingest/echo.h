#pragma once
/// Text helpers for decode errors, shared by the decoders: input echoed into a
/// DecodeError detail is cut short, since details are log lines, not copies
/// of the record.

#include <charconv>
#include <string>
#include <string_view>

namespace callroot::ingest::detail {

inline constexpr std::size_t kMaxEcho = 64;

/// `s` in double quotes, cut at kMaxEcho characters with "...".
inline std::string quoted(std::string_view s) {
  std::string out = "\"";
  out += s.substr(0, kMaxEcho);
  if (s.size() > kMaxEcho) out += "...";
  out += '"';
  return out;
}

/// The shortest text that reads back as `v`.
inline std::string number_text(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

}  // namespace callroot::ingest::detail
