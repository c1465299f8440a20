#include "rules/types.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace callroot::rules {
namespace {

constexpr std::array<std::string_view, 5> kConnection{"wifi", "wired", "mobile", "tunnel", "unknown"};
constexpr std::array<std::string_view, 5> kDeviceType{"pc", "mobile", "room_system", "phone", "unknown"};
constexpr std::array<std::string_view, 3> kMedia{"audio", "video", "screen"};
constexpr std::array<std::string_view, 2> kDirection{"sent", "received"};
constexpr std::array<std::string_view, 4> kPeripheral{"connected", "disconnected", "unhealthy", "absent"};
constexpr std::array<std::string_view, 5> kRoomHealth{"healthy", "nonUrgent", "critical", "offline", "unknown"};
constexpr std::array<std::string_view, kAggCount> kAggs{"avg", "min", "max", "p50", "p95", "last", "count", "rate", "share", "samples"};

std::string_view base_name(BaseUnit b) noexcept {
  switch (b) {
    case BaseUnit::kNone: return "";
    case BaseUnit::kMs: return "ms";
    case BaseUnit::kPct: return "%";
    case BaseUnit::kDbm: return "dBm";
    case BaseUnit::kDb: return "dB";
    case BaseUnit::kKbps: return "kbps";
    case BaseUnit::kGhz: return "GHz";
    case BaseUnit::kFps: return "fps";
  }
  return "";
}

}  // namespace

std::string dim_name(Dim d) {
  if (d.plain()) return "plain number";
  std::string s(base_name(d.base));
  for (int i = 0; i < d.per_s; ++i) s += "/s";
  return s;
}

std::span<const std::string_view> enum_values(EnumSet s) noexcept {
  switch (s) {
    case EnumSet::kNone: return {};
    case EnumSet::kConnection: return kConnection;
    case EnumSet::kDeviceType: return kDeviceType;
    case EnumSet::kMedia: return kMedia;
    case EnumSet::kDirection: return kDirection;
    case EnumSet::kPeripheral: return kPeripheral;
    case EnumSet::kRoomHealth: return kRoomHealth;
  }
  return {};
}

std::string_view enum_set_name(EnumSet s) noexcept {
  switch (s) {
    case EnumSet::kNone: return "none";
    case EnumSet::kConnection: return "connection";
    case EnumSet::kDeviceType: return "device type";
    case EnumSet::kMedia: return "media";
    case EnumSet::kDirection: return "direction";
    case EnumSet::kPeripheral: return "peripheral state";
    case EnumSet::kRoomHealth: return "room health";
  }
  return "?";
}

int enum_index(EnumSet s, std::string_view value) noexcept {
  const auto vals = enum_values(s);
  for (std::size_t i = 0; i < vals.size(); ++i) {
    if (vals[i] == value) return static_cast<int>(i);
  }
  return -1;
}

std::string_view agg_name(Agg a) noexcept { return kAggs[static_cast<std::size_t>(a)]; }
int find_agg(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kAggs.size(); ++i) {
    if (kAggs[i] == name) return static_cast<int>(i);
  }
  return -1;
}

std::string format_number(double v) {
  if (std::isnan(v)) return "not measured";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // to_chars, not snprintf: explanations are rendered for every rule that
  // fires, on the scoring path. Same formats as printf's %.0f, %.2f and %.3g.
  char buf[64];
  const double a = std::fabs(v);
  std::to_chars_result r{};
  bool trim = false;
  if (a >= 100 || v == std::floor(v)) {
    r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 0);
  } else if (a >= 1) {
    r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 2);
    trim = true;
  } else {
    r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 3);
  }
  std::string s(buf, r.ec == std::errc() ? r.ptr : buf);
  if (trim) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string format_value(double v, ValueType type, Dim dim, EnumSet set) {
  if (std::isnan(v)) return "not measured";
  switch (type) {
    case ValueType::kBool: return v != 0 ? "true" : "false";
    case ValueType::kEnum: {
      const auto vals = enum_values(set);
      // Range first: casting a double beyond size_t is undefined.
      if (!(v >= 0 && v < static_cast<double>(vals.size()))) return format_number(v);
      return std::string(vals[static_cast<std::size_t>(v)]);
    }
    case ValueType::kString: return format_number(v);
    case ValueType::kNumber: break;
  }
  std::string s;
  std::string_view unit;
  switch (dim.base) {
    case BaseUnit::kMs:
      if (std::fabs(v) >= 10000) {
        s = format_number(v / 1000);
        unit = " s";
      } else {
        s = format_number(v);
        unit = " ms";
      }
      break;
    case BaseUnit::kKbps:
      if (std::fabs(v) >= 1000) {
        s = format_number(v / 1000);
        unit = " Mbps";
      } else {
        s = format_number(v);
        unit = " kbps";
      }
      break;
    case BaseUnit::kPct: s = format_number(v); unit = "%"; break;
    case BaseUnit::kDbm: s = format_number(v); unit = " dBm"; break;
    case BaseUnit::kDb: s = format_number(v); unit = " dB"; break;
    case BaseUnit::kGhz: s = format_number(v); unit = " GHz"; break;
    case BaseUnit::kFps: s = format_number(v); unit = " fps"; break;
    case BaseUnit::kNone: s = format_number(v); break;
  }
  s += unit;
  for (int i = 0; i < dim.per_s; ++i) s += "/s";
  return s;
}

}  // namespace callroot::rules

namespace callroot::rules {
namespace {
constexpr std::array<std::string_view, 4> kSeverities{"info", "minor", "major", "critical"};
}
std::string_view severity_name(Severity s) noexcept { return kSeverities[static_cast<std::size_t>(s)]; }
int find_severity(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kSeverities.size(); ++i) {
    if (kSeverities[i] == name) return static_cast<int>(i);
  }
  return -1;
}
}  // namespace callroot::rules
