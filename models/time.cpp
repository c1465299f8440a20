#include "models/time.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

namespace callroot {
namespace {

// Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t y;
  unsigned m, d;
};

constexpr Civil civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) noexcept {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  out = v;
  return true;
}

constexpr bool is_leap(std::int64_t y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
  constexpr std::array<unsigned, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

}  // namespace

std::optional<TimeMs> parse_rfc3339(std::string_view s) noexcept {
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(s, 0, 4, year) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
      !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, hour) ||
      s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' || !digits(s, 17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 ||
      second > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::int64_t millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 3) millis = millis * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return std::nullopt;
    for (std::size_t i = n; i < 3; ++i) millis *= 10;
  }
  if (pos >= s.size()) return std::nullopt;  // RFC 3339 requires an offset
  std::int64_t offset_min = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    unsigned oh = 0, om = 0;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, om) ||
        oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_min = static_cast<std::int64_t>(oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const std::int64_t days = days_from_civil(year, month, day);
  const std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + std::min(second, 59u) - offset_min * 60;
  return secs * 1000 + millis;
}

std::size_t format_rfc3339(TimeMs t, char* out) noexcept {
  // RFC 3339 has four-digit years: clamp to 0000-01-01 .. 9999-12-31 so the
  // text is always exactly 24 characters (and fits the caller's 24 bytes).
  constexpr TimeMs kMinTime = -62'167'219'200'000;  // 0000-01-01T00:00:00.000Z
  constexpr TimeMs kMaxTime = 253'402'300'799'999;  // 9999-12-31T23:59:59.999Z
  t = std::clamp(t, kMinTime, kMaxTime);
  std::int64_t days = t / 86'400'000;
  std::int64_t rem = t % 86'400'000;
  if (rem < 0) {
    rem += 86'400'000;
    --days;
  }
  const Civil c = civil_from_days(days);
  const auto ms = static_cast<unsigned>(rem % 1000);
  const auto sec = static_cast<unsigned>((rem / 1000) % 60);
  const auto min = static_cast<unsigned>((rem / 60'000) % 60);
  const auto hr = static_cast<unsigned>(rem / 3'600'000);
  // Written digit by digit: verdicts carry two timestamps each, and snprintf
  // would be most of the cost of writing them.
  auto put = [&out](std::size_t pos, unsigned value, int width) {
    for (int i = width - 1; i >= 0; --i) {
      out[pos + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, static_cast<unsigned>(c.y), 4);
  out[4] = '-';
  put(5, c.m, 2);
  out[7] = '-';
  put(8, c.d, 2);
  out[10] = 'T';
  put(11, hr, 2);
  out[13] = ':';
  put(14, min, 2);
  out[16] = ':';
  put(17, sec, 2);
  out[19] = '.';
  put(20, ms, 3);
  out[23] = 'Z';
  return 24;
}

std::string format_rfc3339(TimeMs t) {
  char buf[32];
  return std::string(buf, format_rfc3339(t, buf));
}

std::optional<double> parse_iso8601_duration_ms(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  std::size_t pos = 0;
  if (s[0] == '-') {
    negative = true;
    ++pos;
  }
  if (pos >= s.size() || s[pos] != 'P') return std::nullopt;
  ++pos;
  // Designators must come in this order, each at most once (W stands alone in
  // ISO 8601 but is accepted before D); Y and date-part M have no fixed length.
  struct Unit {
    char designator;
    bool time_part;
    double ms;
  };
  constexpr std::array<Unit, 5> kUnits{{{'W', false, 7 * 86'400'000.0},
                                        {'D', false, 86'400'000.0},
                                        {'H', true, 3'600'000.0},
                                        {'M', true, 60'000.0},
                                        {'S', true, 1000.0}}};
  std::size_t next_unit = 0;  // index in kUnits of the earliest designator still allowed
  bool in_time = false;
  bool any_in_time = false;
  bool any = false;
  double total = 0;
  while (pos < s.size()) {
    if (s[pos] == 'T') {
      if (in_time) return std::nullopt;
      in_time = true;
      ++pos;
      continue;
    }
    // Digits, then an optional fraction: kept as integers and scaled once, so
    // that PT0.3S is exactly 300 and not 300.00000000000006.
    double int_part = 0;
    double frac_digits = 0;
    double frac_scale = 1;
    bool fraction = false;
    const std::size_t start = pos;
    while (pos < s.size() && ((s[pos] >= '0' && s[pos] <= '9') || s[pos] == '.' || s[pos] == ',')) {
      if (s[pos] == '.' || s[pos] == ',') {
        if (fraction) return std::nullopt;
        fraction = true;
      } else if (fraction) {
        if (frac_scale < 1e15) {  // further digits are below double precision
          frac_digits = frac_digits * 10 + (s[pos] - '0');
          frac_scale *= 10;
        }
      } else {
        int_part = int_part * 10 + (s[pos] - '0');
      }
      ++pos;
    }
    if (pos == start || pos >= s.size()) return std::nullopt;
    const char designator = s[pos++];
    std::size_t u = next_unit;
    while (u < kUnits.size() && kUnits[u].designator != designator) ++u;
    if (u == kUnits.size() || kUnits[u].time_part != in_time) return std::nullopt;
    next_unit = u + 1;
    total += int_part * kUnits[u].ms + frac_digits * kUnits[u].ms / frac_scale;
    any = true;
    any_in_time = any_in_time || in_time;
  }
  if (!any || (in_time && !any_in_time)) return std::nullopt;  // "P", "PT", "P1DT"
  return negative ? -total : total;
}

}  // namespace callroot
