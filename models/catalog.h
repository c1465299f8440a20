#pragma once
/// The one catalog of telemetry: which record types carry which measurements,
/// their units and valid ranges, and what the metric store keeps of them.
/// Decoders, the store, evidence text and (later) the rule checker all read
/// this table, so a field is declared exactly once.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace callroot {

/// A telemetry family: one record type and the entity its samples describe.
enum class Family : std::uint8_t {
  kWifiClient,    ///< `wifi.client`, per client
  kWifiAp,        ///< `wifi.ap`, per AP
  kSwitchPort,    ///< `switch.port`, per (switch, port)
  kWanLink,       ///< `wan.link`, per WAN link
  kClientDevice,  ///< `client.device`, per client
};
inline constexpr std::size_t kFamilyCount = 5;

enum class Unit : std::uint8_t { kNone, kMs, kPct, kDbm, kDb, kMbps, kKbps, kCount, kPerSecond, kBool, kGhz, kOctets };

enum class FieldKind : std::uint8_t {
  kGauge,    ///< a number, checked against [min, max]
  kCounter,  ///< a monotonic unsigned counter (`_total`), may reset
  kBool,     ///< JSON true/false, stored as 1/0
  kBand,     ///< Wi-Fi band: "2.4", "5", "6" (string or number), stored in GHz
};

/// One input field of a telemetry record.
struct FieldSpec {
  std::string_view json;  ///< the JSON key
  FieldKind kind;
  Unit unit;
  double min;
  double max;
};

/// How a stored column is derived from the input fields of its record.
enum class Derivation : std::uint8_t {
  kDirect,       ///< the value of input field `source`
  kRate,         ///< per-second rate of counter `source` between consecutive samples
  kUtilization,  ///< 100 * 8 * rate(octets counter `source`) / (1e6 * speed field `speed`), in percent
};

/// One column of the metric store: what rules and evidence talk about.
struct ColumnSpec {
  std::string_view name;  ///< e.g. `rssi_dbm`, `in_fcs_errors_per_s`
  Unit unit;
  Derivation derivation;
  std::uint8_t source;  ///< index into the family's FieldSpec list
  std::uint8_t speed;   ///< for kUtilization: index of the speed field
};

inline constexpr std::size_t kMaxFields = 12;   ///< max input fields of one family
inline constexpr std::size_t kMaxColumns = 12;  ///< max stored columns of one family

std::string_view family_record_type(Family f) noexcept;  ///< e.g. "wifi.client"
std::span<const FieldSpec> family_fields(Family f) noexcept;
std::span<const ColumnSpec> family_columns(Family f) noexcept;
std::string_view unit_suffix(Unit u) noexcept;  ///< e.g. " ms", "%", " dBm"

/// Field index of `json` in `f`, or -1. A short linear scan over string_views:
/// families have at most a dozen fields, so this beats hashing.
int find_field(Family f, std::string_view json) noexcept;
/// Column index of `name` in `f`, or -1.
int find_column(Family f, std::string_view name) noexcept;

/// Column indexes for direct use in code (checked against the tables in catalog.cpp).
namespace col {
enum WifiClient : std::uint8_t { kRssi, kSnr, kTxRetry, kRxRetry, kTxRate, kRxRate };
enum WifiAp : std::uint8_t { kApBand, kApChannel, kChannelUtil, kInterference, kNoise, kApClients, kApTxRetry, kApCpu };
enum SwitchPort : std::uint8_t {
  kSpeed, kOperUp, kInUtil, kOutUtil, kInErrors, kOutErrors, kInDiscards, kOutDiscards, kInFcsErrors
};
enum WanLink : std::uint8_t { kLatency, kJitter, kLoss, kUtilIn, kUtilOut };
enum ClientDevice : std::uint8_t { kCpu, kMem, kBattery };

/// The switch-port columns that count errors or discards: the ones read as
/// a share of the frames and by persistence.
constexpr bool is_port_counter(std::size_t column) noexcept {
  return column == kInErrors || column == kOutErrors || column == kInFcsErrors || column == kInDiscards ||
         column == kOutDiscards;
}
}  // namespace col

}  // namespace callroot
