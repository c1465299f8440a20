#pragma once
/// Event time. Every record carries its own timestamp; the engine never reads
/// a wall clock, so replaying the same input always gives the same verdicts.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace callroot {

/// Milliseconds since the Unix epoch (UTC).
using TimeMs = std::int64_t;
/// A span of event time in milliseconds.
using DurationMs = std::int64_t;

inline constexpr TimeMs kNoTime = std::numeric_limits<TimeMs>::min();

/// Parses RFC 3339 (`2026-03-02T10:15:30.250Z`, `...+02:00`, fraction of any
/// length, which is truncated to milliseconds). Returns nullopt on anything else.
std::optional<TimeMs> parse_rfc3339(std::string_view text) noexcept;

/// Formats as RFC 3339 UTC with millisecond precision: `2026-03-02T10:15:30.250Z`.
std::string format_rfc3339(TimeMs t);

/// Writes the same text into `out` (at least 24 bytes); returns the length.
std::size_t format_rfc3339(TimeMs t, char* out) noexcept;

/// Parses an ISO 8601 duration such as `PT0.016S`, `PT1M2.5S`, `P1DT2H`
/// (years and months are rejected: their length is not fixed). Milliseconds.
std::optional<double> parse_iso8601_duration_ms(std::string_view text) noexcept;

/// A half-open event-time window [begin, end).
struct TimeWindow {
  TimeMs begin = 0;
  TimeMs end = 0;
  [[nodiscard]] bool contains(TimeMs t) const noexcept { return t >= begin && t < end; }
  [[nodiscard]] DurationMs length() const noexcept { return end - begin; }
};

}  // namespace callroot
