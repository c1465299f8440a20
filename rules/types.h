#pragma once
/// Value types and dimensions of the rule language (docs/rules.md §3), shared
/// by the field registry, the AST, the checker and the program.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace callroot::rules {

/// The base unit of a dimension. Every quantity is normalized to it when
/// lexed: durations to ms, bitrates to kbps.
enum class BaseUnit : std::uint8_t { kNone, kMs, kPct, kDbm, kDb, kKbps, kGhz, kFps };

/// A dimension: a base unit, divided `per_s` times by seconds (`2/s` is
/// {kNone, 1}; the `rate` of an `ms` column is {kMs, 1}).
struct Dim {
  BaseUnit base = BaseUnit::kNone;
  std::uint8_t per_s = 0;
  friend constexpr bool operator==(Dim, Dim) = default;
  [[nodiscard]] constexpr bool plain() const noexcept { return base == BaseUnit::kNone && per_s == 0; }
};

/// How a dimension is written in messages: "ms", "%", "dBm/s", "plain number".
std::string dim_name(Dim d);

/// The enum value sets of the language.
enum class EnumSet : std::uint8_t { kNone, kConnection, kDeviceType, kMedia, kDirection, kPeripheral, kRoomHealth };
/// The values of a set, in index order (the index is what a slot holds).
std::span<const std::string_view> enum_values(EnumSet s) noexcept;
std::string_view enum_set_name(EnumSet s) noexcept;  ///< "connection", ...
/// Index of `value` in `s`, or -1.
int enum_index(EnumSet s, std::string_view value) noexcept;

enum class ValueType : std::uint8_t { kNumber, kBool, kEnum, kString };

/// Aggregates of a hop column over the window (docs/rules.md §5). `share`
/// and `samples` read a switch port's error or discard counter as an
/// engineer does: its mean rate as a percentage of the frames the port moves
/// that way, and how many samples' worth of growth there was (1 for a lone
/// spike); they apply to those columns only.
enum class Agg : std::uint8_t { kAvg, kMin, kMax, kP50, kP95, kLast, kCount, kRate, kShare, kSamples };
inline constexpr std::size_t kAggCount = 10;
/// True for the aggregates that only switch-port error and discard columns have.
constexpr bool counter_only(Agg a) noexcept { return a == Agg::kShare || a == Agg::kSamples; }
std::string_view agg_name(Agg a) noexcept;
/// Agg of `name`, or -1.
int find_agg(std::string_view name) noexcept;

/// An observed value with its unit for explanations: "-78.4 dBm", "31%",
/// "1.5 s", "12 Mbps", "not measured" (NaN). Enums print their value name,
/// booleans `true`/`false`.
std::string format_value(double v, ValueType type, Dim dim, EnumSet set = EnumSet::kNone);
/// A plain number: integers without decimals, others with up to 2 decimals
/// (3 significant digits below 1).
std::string format_number(double v);

}  // namespace callroot::rules

namespace callroot::rules {
enum class Severity : std::uint8_t { kInfo, kMinor, kMajor, kCritical };
std::string_view severity_name(Severity s) noexcept;
/// Severity of `name`, or -1.
int find_severity(std::string_view name) noexcept;
}  // namespace callroot::rules
