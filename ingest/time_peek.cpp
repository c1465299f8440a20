#include "ingest/time_peek.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace callroot::ingest {

namespace {

/// The closing quote of the string whose opening quote is at `open`: the
/// next quote with an even run of backslashes before it; npos when the
/// string does not end.
std::size_t string_end(std::string_view line, std::size_t open) noexcept {
  std::size_t from = open + 1;
  for (;;) {
    const void* hit = from < line.size() ? std::memchr(line.data() + from, '"', line.size() - from) : nullptr;
    if (hit == nullptr) return std::string_view::npos;
    const auto q = static_cast<std::size_t>(static_cast<const char*>(hit) - line.data());
    std::size_t backslashes = 0;
    while (q - backslashes > open + 1 && line[q - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return q;
    from = q + 1;
  }
}

/// The value after `"key":` at nesting depth 1, as raw text (a string without
/// its quotes, or a number), for each of the keys asked: the first
/// occurrence of each, found in one pass that stops once `done` says the
/// values found so far are enough.
template <std::size_t N, typename Done>
void top_level_values(std::string_view line, const std::array<std::string_view, N>& keys,
                      std::array<std::string_view, N>& values, std::array<bool, N>& found, Done done) {
  int depth = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (c == '"') {
      // A string: a key when depth is 1 and a colon follows.
      const std::size_t j = string_end(line, i);
      if (j == std::string_view::npos) return;
      const std::string_view text = line.substr(i + 1, j - i - 1);
      std::size_t k = j + 1;
      while (k < line.size() && (line[k] == ' ' || line[k] == '\t')) ++k;
      if (depth == 1 && k < line.size() && line[k] == ':') {
        for (std::size_t n = 0; n < N; ++n) {
          if (found[n] || text != keys[n]) continue;
          found[n] = true;
          std::size_t v = k + 1;
          while (v < line.size() && (line[v] == ' ' || line[v] == '\t')) ++v;
          if (v >= line.size()) {
            values[n] = {};
          } else if (line[v] == '"') {
            const std::size_t close = line.find('"', v + 1);
            values[n] = close == std::string_view::npos ? std::string_view{} : line.substr(v + 1, close - v - 1);
          } else {
            std::size_t e = v;
            while (e < line.size() && line[e] != ',' && line[e] != '}' && line[e] != ' ') ++e;
            values[n] = line.substr(v, e - v);
          }
          if (done()) return;
          break;
        }
      }
      i = j;
    }
  }
}

}  // namespace

std::string_view peek_record_type(std::string_view line) noexcept {
  std::array<std::string_view, 1> values{};
  std::array<bool, 1> found{};
  top_level_values(line, std::array<std::string_view, 1>{"type"}, values, found, [] { return true; });
  return values[0];
}

TimeMs peek_event_time(std::string_view line) noexcept {
  // One pass for the type and both times: which time counts depends on the
  // type, which need not come first.
  constexpr std::array<std::string_view, 3> kKeys{"type", "end", "ts"};
  std::array<std::string_view, 3> values{};
  std::array<bool, 3> found{};
  top_level_values(line, kKeys, values, found, [&] {
    return found[0] && (values[0] == "call.segment" ? found[1] : found[2]);
  });
  const bool segment = values[0] == "call.segment";
  const std::string_view value = segment ? values[1] : values[2];
  if (value.empty()) return kNoTime;
  if (value.front() == '-' || (value.front() >= '0' && value.front() <= '9')) {
    if (value.find_first_of("-T:", 1) == std::string_view::npos) {
      std::int64_t ms = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
      return ec == std::errc{} && end == value.data() + value.size() ? ms : kNoTime;
    }
  }
  return parse_rfc3339(value).value_or(kNoTime);
}

}  // namespace callroot::ingest
