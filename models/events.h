#pragma once
/// Normalized events: what decoders produce and the engine consumes. Names are
/// already interned (see Directory); telemetry samples are fixed-size values,
/// so the hot path moves them without allocating.

#include <array>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "models/catalog.h"
#include "models/ids.h"
#include "models/net.h"
#include "models/segment.h"
#include "models/time.h"

namespace callroot {

/// The organization itself: which directory tenants are its own, so that a
/// call endpoint of another tenant is a remote party (docs/contract.md §3).
struct OrgInventory {
  std::string name;
  std::vector<std::string> tenants;  ///< Entra ID (Azure AD) tenant ids, compared without regard to case
};

struct SiteInventory {
  SiteId site;
  std::string name;
  std::vector<Cidr> subnets;
};

struct ApInventory {
  ApId ap;
  SiteId site;
  std::string name;
  std::vector<Mac> bssids;
  SwitchId uplink_switch;  ///< invalid when the AP has no known uplink
  PortId uplink_port;
};

struct SwitchInventory {
  SwitchId sw;
  SiteId site;
  std::string name;
  SwitchId uplink_switch;  ///< a parent switch, or
  PortId uplink_port;
  EdgeId uplink_edge;  ///< the WAN edge this switch hands traffic to
};

struct WanInventory {
  LinkId link;
  SiteId site;
  EdgeId edge;
  std::string provider;
  double capacity_mbps = kMissing;
  std::vector<IpAddr> public_ips;
};

/// Starts a new attachment interval (roaming): Wi-Fi (ap and/or bssid) or wired (switch port).
struct ClientAssoc {
  TimeMs ts = 0;
  ClientId client;
  ApId ap;
  std::optional<Mac> bssid;
  double band = kMissing;
  double channel = kMissing;
  SwitchId sw;
  PortId port;
};

struct ClientDisassoc {
  TimeMs ts = 0;
  ClientId client;
};

struct ClientInfo {
  TimeMs ts = kNoTime;  ///< kNoTime: valid from the beginning
  ClientId client;
  std::optional<IpAddr> ip;
  std::string user;
  std::string hostname;
  std::optional<DeviceType> device_type;
};

/// One telemetry record of a catalog family. `values[i]` / `counters[i]` hold
/// input field i of family_fields(family) when bit i of `present` is set.
struct TelemetrySample {
  Family family = Family::kWifiClient;
  TimeMs ts = 0;
  std::uint32_t entity = Id<void>::kInvalid;  ///< ClientId, ApId, PortId or LinkId by family
  ApId ap;                                    ///< wifi.client: the AP the sample names, if any
  std::optional<Mac> bssid;                   ///< wifi.client: the BSSID it names, if any
  std::uint32_t present = 0;
  std::array<double, kMaxFields> values{};
  std::array<std::uint64_t, kMaxFields> counters{};

  [[nodiscard]] bool has(std::size_t field) const noexcept { return (present >> field) & 1u; }
};

enum class RoomHealthState : std::uint8_t { kUnknown, kHealthy, kNonUrgent, kCritical, kOffline };
enum class PeripheralState : std::uint8_t { kConnected, kDisconnected, kUnhealthy };
std::string_view to_string(RoomHealthState s) noexcept;
std::string_view to_string(PeripheralState s) noexcept;

struct RoomHealth {
  TimeMs ts = 0;
  DeviceId device;
  ClientId client;  ///< the room system's network identity, if given
  RoomHealthState health = RoomHealthState::kUnknown;
  std::optional<bool> connected;
  struct Peripheral {
    NameId name;  ///< `microphone`, `speaker`, `roomCamera`, ...
    PeripheralState state = PeripheralState::kConnected;
  };
  std::vector<Peripheral> peripherals;
  /// False when the record says nothing about health / peripherals (a
  /// teamworkDevice carries no peripherals, a teamworkDeviceHealth no
  /// healthStatus): the device's previous reading then still holds, as a
  /// missing field means "not measured", not "all fine".
  bool health_reported = true;
  bool peripherals_reported = true;
};

using Event = std::variant<OrgInventory, SiteInventory, ApInventory, SwitchInventory, WanInventory, ClientAssoc, ClientDisassoc,
                           ClientInfo, TelemetrySample, RoomHealth, CallSegment>;

/// The event-time stamp that orders an event in replay: inventory has none
/// (kNoTime sorts first); a call segment is known once it has ended.
TimeMs event_time(const Event& e) noexcept;

}  // namespace callroot
