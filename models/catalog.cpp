#include "models/catalog.h"

#include <array>
#include <limits>

namespace callroot {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Input fields, in record order of SPEC.md.
constexpr std::array kWifiClientFields{
    FieldSpec{"rssi_dbm", FieldKind::kGauge, Unit::kDbm, -130, 0},
    FieldSpec{"snr_db", FieldKind::kGauge, Unit::kDb, -20, 100},
    FieldSpec{"tx_retry_pct", FieldKind::kGauge, Unit::kPct, 0, 100},
    FieldSpec{"rx_retry_pct", FieldKind::kGauge, Unit::kPct, 0, 100},
    FieldSpec{"tx_rate_mbps", FieldKind::kGauge, Unit::kMbps, 0, 100000},
    FieldSpec{"rx_rate_mbps", FieldKind::kGauge, Unit::kMbps, 0, 100000},
};
constexpr std::array kWifiApFields{
    FieldSpec{"band", FieldKind::kBand, Unit::kGhz, 2.4, 6},
    FieldSpec{"channel", FieldKind::kGauge, Unit::kNone, 1, 233},
    FieldSpec{"channel_util_pct", FieldKind::kGauge, Unit::kPct, 0, 100},
    FieldSpec{"interference_pct", FieldKind::kGauge, Unit::kPct, 0, 100},
    FieldSpec{"noise_dbm", FieldKind::kGauge, Unit::kDbm, -130, 0},
    FieldSpec{"clients", FieldKind::kGauge, Unit::kCount, 0, 100000},
    FieldSpec{"tx_retry_pct", FieldKind::kGauge, Unit::kPct, 0, 100},
    FieldSpec{"cpu_pct", FieldKind::kGauge, Unit::kPct, 0, 100},
};
constexpr std::array kSwitchPortFields{
    FieldSpec{"speed_mbps", FieldKind::kGauge, Unit::kMbps, 0, 10'000'000},
    FieldSpec{"oper_up", FieldKind::kBool, Unit::kBool, 0, 1},
    FieldSpec{"in_octets_total", FieldKind::kCounter, Unit::kOctets, 0, kInf},
    FieldSpec{"out_octets_total", FieldKind::kCounter, Unit::kOctets, 0, kInf},
    FieldSpec{"in_errors_total", FieldKind::kCounter, Unit::kCount, 0, kInf},
    FieldSpec{"out_errors_total", FieldKind::kCounter, Unit::kCount, 0, kInf},
    FieldSpec{"in_discards_total", FieldKind::kCounter, Unit::kCount, 0, kInf},
    FieldSpec{"out_discards_total", FieldKind::kCounter, Unit::kCount, 0, kInf},
    FieldSpec{"in_fcs_errors_total", FieldKind::kCounter, Unit::kCount, 0, kInf},
};
constexpr std::array kWanLinkFields{
    FieldSpec{"latency_ms", FieldKind::kGauge, Unit::kMs, 0, 600'000},
    FieldSpec{"jitter_ms", FieldKind::kGauge, Unit::kMs, 0, 600'000},
    FieldSpec{"loss_pct", FieldKind::kGauge, Unit::kPct, 0, 100},
    FieldSpec{"util_in_pct", FieldKind::kGauge, Unit::kPct, 0, 100},
    FieldSpec{"util_out_pct", FieldKind::kGauge, Unit::kPct, 0, 100},
};
constexpr std::array kClientDeviceFields{
    FieldSpec{"cpu_pct", FieldKind::kGauge, Unit::kPct, 0, 100},
    FieldSpec{"mem_pct", FieldKind::kGauge, Unit::kPct, 0, 100},
    FieldSpec{"battery_pct", FieldKind::kGauge, Unit::kPct, 0, 100},
};

constexpr ColumnSpec direct(std::string_view name, Unit unit, std::uint8_t source) {
  return {name, unit, Derivation::kDirect, source, 0};
}

constexpr std::array kWifiClientColumns{
    direct("rssi_dbm", Unit::kDbm, 0),       direct("snr_db", Unit::kDb, 1),
    direct("tx_retry_pct", Unit::kPct, 2),   direct("rx_retry_pct", Unit::kPct, 3),
    direct("tx_rate_mbps", Unit::kMbps, 4),  direct("rx_rate_mbps", Unit::kMbps, 5),
};
constexpr std::array kWifiApColumns{
    direct("band", Unit::kGhz, 0),          direct("channel", Unit::kNone, 1),
    direct("channel_util_pct", Unit::kPct, 2), direct("interference_pct", Unit::kPct, 3),
    direct("noise_dbm", Unit::kDbm, 4),     direct("clients", Unit::kCount, 5),
    direct("tx_retry_pct", Unit::kPct, 6),  direct("cpu_pct", Unit::kPct, 7),
};
constexpr std::array kSwitchPortColumns{
    direct("speed_mbps", Unit::kMbps, 0),
    direct("oper_up", Unit::kBool, 1),
    ColumnSpec{"in_util_pct", Unit::kPct, Derivation::kUtilization, 2, 0},
    ColumnSpec{"out_util_pct", Unit::kPct, Derivation::kUtilization, 3, 0},
    ColumnSpec{"in_errors_per_s", Unit::kPerSecond, Derivation::kRate, 4, 0},
    ColumnSpec{"out_errors_per_s", Unit::kPerSecond, Derivation::kRate, 5, 0},
    ColumnSpec{"in_discards_per_s", Unit::kPerSecond, Derivation::kRate, 6, 0},
    ColumnSpec{"out_discards_per_s", Unit::kPerSecond, Derivation::kRate, 7, 0},
    ColumnSpec{"in_fcs_errors_per_s", Unit::kPerSecond, Derivation::kRate, 8, 0},
};
constexpr std::array kWanLinkColumns{
    direct("latency_ms", Unit::kMs, 0), direct("jitter_ms", Unit::kMs, 1), direct("loss_pct", Unit::kPct, 2),
    direct("util_in_pct", Unit::kPct, 3), direct("util_out_pct", Unit::kPct, 4),
};
constexpr std::array kClientDeviceColumns{
    direct("cpu_pct", Unit::kPct, 0), direct("mem_pct", Unit::kPct, 1), direct("battery_pct", Unit::kPct, 2)};

static_assert(kWifiApFields.size() <= kMaxFields && kSwitchPortFields.size() <= kMaxFields);
static_assert(kWifiApColumns.size() <= kMaxColumns && kSwitchPortColumns.size() <= kMaxColumns);
static_assert(kWifiClientColumns[col::kRxRate].name == "rx_rate_mbps");
static_assert(kWifiApColumns[col::kApCpu].name == "cpu_pct");
static_assert(kSwitchPortColumns[col::kInFcsErrors].name == "in_fcs_errors_per_s");
static_assert(kWanLinkColumns[col::kUtilOut].name == "util_out_pct");
static_assert(kClientDeviceColumns[col::kBattery].name == "battery_pct");

}  // namespace

std::string_view family_record_type(Family f) noexcept {
  switch (f) {
    case Family::kWifiClient: return "wifi.client";
    case Family::kWifiAp: return "wifi.ap";
    case Family::kSwitchPort: return "switch.port";
    case Family::kWanLink: return "wan.link";
    case Family::kClientDevice: return "client.device";
  }
  return "?";
}

std::span<const FieldSpec> family_fields(Family f) noexcept {
  switch (f) {
    case Family::kWifiClient: return kWifiClientFields;
    case Family::kWifiAp: return kWifiApFields;
    case Family::kSwitchPort: return kSwitchPortFields;
    case Family::kWanLink: return kWanLinkFields;
    case Family::kClientDevice: return kClientDeviceFields;
  }
  return {};
}

std::span<const ColumnSpec> family_columns(Family f) noexcept {
  switch (f) {
    case Family::kWifiClient: return kWifiClientColumns;
    case Family::kWifiAp: return kWifiApColumns;
    case Family::kSwitchPort: return kSwitchPortColumns;
    case Family::kWanLink: return kWanLinkColumns;
    case Family::kClientDevice: return kClientDeviceColumns;
  }
  return {};
}

std::string_view unit_suffix(Unit u) noexcept {
  switch (u) {
    case Unit::kMs: return " ms";
    case Unit::kPct: return "%";
    case Unit::kDbm: return " dBm";
    case Unit::kDb: return " dB";
    case Unit::kMbps: return " Mbps";
    case Unit::kKbps: return " kbps";
    case Unit::kPerSecond: return "/s";
    case Unit::kGhz: return " GHz";
    case Unit::kOctets: return " octets";
    case Unit::kNone:
    case Unit::kCount:
    case Unit::kBool: return "";
  }
  return "";
}

int find_field(Family f, std::string_view json) noexcept {
  const auto fields = family_fields(f);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].json == json) return static_cast<int>(i);
  }
  return -1;
}

int find_column(Family f, std::string_view name) noexcept {
  const auto cols = family_columns(f);
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (cols[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace callroot
