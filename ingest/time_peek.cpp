#include "ingest/time_peek.h"

#include <charconv>
#include <cstdint>

namespace callroot::ingest {

namespace {

/// The value after `"key":` at nesting depth 1 of the object `line`, as raw
/// text (a string without its quotes, or a number); empty when absent.
std::string_view top_level_value(std::string_view line, std::string_view key) {
  int depth = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (c == '"') {
      // A string: a key when depth is 1 and a colon follows.
      std::size_t j = i + 1;
      while (j < line.size() && line[j] != '"') j += line[j] == '\\' ? 2 : 1;
      if (j >= line.size()) return {};
      const std::string_view text = line.substr(i + 1, j - i - 1);
      std::size_t k = j + 1;
      while (k < line.size() && (line[k] == ' ' || line[k] == '\t')) ++k;
      if (depth == 1 && k < line.size() && line[k] == ':' && text == key) {
        ++k;
        while (k < line.size() && (line[k] == ' ' || line[k] == '\t')) ++k;
        if (k >= line.size()) return {};
        if (line[k] == '"') {
          const std::size_t end = line.find('"', k + 1);
          return end == std::string_view::npos ? std::string_view{} : line.substr(k + 1, end - k - 1);
        }
        std::size_t end = k;
        while (end < line.size() && line[end] != ',' && line[end] != '}' && line[end] != ' ') ++end;
        return line.substr(k, end - k);
      }
      i = j;
    }
  }
  return {};
}

}  // namespace

std::string_view peek_record_type(std::string_view line) noexcept { return top_level_value(line, "type"); }

TimeMs peek_event_time(std::string_view line) noexcept {
  const bool segment = top_level_value(line, "type") == "call.segment";
  const std::string_view value = top_level_value(line, segment ? "end" : "ts");
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
