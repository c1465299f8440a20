#pragma once
/// The raw material of attribution: for each organization endpoint of a
/// segment, its path at the time of the call and the telemetry of every hop
/// over the segment window.

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/quality.h"
#include "models/catalog.h"
#include "models/directory.h"
#include "models/events.h"
#include "models/metric_store.h"
#include "models/segment.h"
#include "models/topology.h"

namespace callroot::engine {

class Statistics;
class UplinkPorts;

/// What the far end of a switch port is, so evidence can name both ends of a link.
struct LinkPeer {
  enum class Kind : std::uint8_t { kNone, kClient, kAp, kSwitch, kEdge } kind = Kind::kNone;
  std::uint32_t id = 0;  ///< ClientId / ApId / SwitchId / EdgeId, by kind
  PortId port;           ///< the far end's port, when it is a switch port we know
};

/// One telemetry family observed on one hop.
struct HopEvidence {
  ComponentKind kind = ComponentKind::kUnknown;
  /// ClientId / ApId / SwitchId / LinkId, by kind. For a switch port, the
  /// switch that owns the port's link (SwitchHop::owner), which is not the
  /// switch hosting the port on the upstream end of a switch-to-switch link.
  std::uint32_t component = 0;
  Family family = Family::kWifiClient;
  std::uint32_t entity = 0;  ///< the store's entity of `family` (PortId for switch ports)
  LinkPeer peer;             ///< switch ports: the link's other end
  /// A switch's own uplink port: its `in` is traffic coming down and its
  /// `out` traffic going up, the reverse of every other port on a path.
  bool faces_up = false;
  std::array<WindowStats, kMaxColumns> stats{};

  [[nodiscard]] std::span<const ColumnSpec> columns() const noexcept { return family_columns(family); }
  [[nodiscard]] const WindowStats& column(std::size_t c) const noexcept { return stats[c]; }
  [[nodiscard]] bool any_samples() const noexcept;
};

/// The latest Teams Rooms health of a device at or before a time. Health,
/// connection and peripherals a reading did not report are those of the
/// device's reading before it.
struct RoomState {
  TimeMs ts = kNoTime;
  DeviceId device;
  RoomHealthState health = RoomHealthState::kUnknown;
  std::optional<bool> connected;
  std::vector<RoomHealth::Peripheral> peripherals;
  // What the reading itself reported; the rest was carried forward.
  bool own_health = true;
  bool own_connected = true;
  bool own_peripherals = true;
};

/// Room-system health per device, and which client (MAC) is which device.
///
/// A reading may name only the device (a Graph teamworkDeviceHealth has no
/// MAC): it is kept under the device, and any reading that names both (a
/// teamworkDevice, a native `room.health` with `client`) ties a client to
/// its device, before or after, so a call from that client sees the device's
/// state. A client belongs to one device at a time (the latest tie wins).
///
/// Bounded: at most kMaxDevices devices (readings of further devices are
/// counted in dropped() and ignored), kHistory readings per device (the
/// oldest goes), kMaxPeripherals peripherals per reading; the client -> device
/// tie is one DeviceId per client id, which the Directory caps.
class RoomHealthBook {
 public:
  static constexpr std::size_t kHistory = 16;
  static constexpr std::size_t kMaxDevices = 100'000;
  static constexpr std::size_t kMaxPeripherals = 32;

  void apply(const RoomHealth& r);
  /// The state of the room system that is `client`, as of `t`.
  [[nodiscard]] const RoomState* at(ClientId client, TimeMs t) const noexcept;
  /// The device `client` is tied to, if any.
  [[nodiscard]] DeviceId device_of(ClientId client) const noexcept;
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }

 private:
  std::vector<std::vector<RoomState>> by_device_;  // indexed by DeviceId
  std::vector<DeviceId> device_of_client_;         // indexed by ClientId
  std::size_t devices_ = 0;
  std::uint64_t dropped_ = 0;
};

struct SideEvidence {
  Side side = Side::kCaller;
  EndpointResolution resolution;
  std::vector<HopEvidence> hops;  ///< client, AP, switch ports upward, WAN links
  const RoomState* room = nullptr;
};

/// Everything an attributor may look at for one segment.
struct ScoringContext {
  const CallSegment* segment = nullptr;
  TimeWindow telemetry_window;
  std::array<SideEvidence, 2> sides;               ///< [caller, callee]
  std::vector<StreamAssessment> streams;           ///< parallel to segment->streams
  const Directory* directory = nullptr;
  const Topology* topology = nullptr;
  const MetricStore* store = nullptr;  ///< for attributors that read raw samples
  /// Baselines, shared fate and tomography (statistics.h). The segment being
  /// attributed is not in their windows yet. Null when the engine has none.
  const Statistics* stats = nullptr;

  [[nodiscard]] const SideEvidence& side(Side s) const noexcept { return sides[static_cast<std::size_t>(s)]; }
};

/// Fills `ctx.sides` for `segment`: resolves each endpoint and reads each
/// hop's window (with p50/p95 only when `quantiles`). Every link a path
/// crosses is read at both ends when `uplinks` knows the lower switch's own
/// uplink port: the port the path enters each switch by, and the port it
/// leaves by, both owned by the downstream switch.
void gather_evidence(const CallSegment& segment, TimeWindow telemetry_window, const Directory& directory,
                     const Topology& topology, const MetricStore& store, const RoomHealthBook& rooms,
                     ScoringContext& ctx, bool quantiles = false, const UplinkPorts* uplinks = nullptr);

/// The switch-port limits of the published targets
/// (rules/published_targets.rules: port_fault_share_max,
/// port_persistent_samples, port_steady_samples).
struct PortLimits {
  double fault_share;         ///< of the frames: one in ten thousand
  double persistent_samples;  ///< more than one sample's worth of growth
  /// The heuristic weighs a persistent counter by samples / steady_samples,
  /// up to 1: full weight from a minute and a half of growth at 30 s polling.
  double steady_samples;
};
const PortLimits& port_limits();

/// A port's error or discard counter read as an engineer reads it: by rate
/// against the traffic, and by persistence. A healthy link corrupts
/// practically nothing, so a counter that grows by one frame in ten thousand
/// (PortLimits::fault_share) or more, in more than one sample, says the
/// cable, optic or queue is failing; a single CRC now and then, a
/// micro-burst of discards on an idle port, or the first reading after a
/// counter reset does not.
struct PortFaultShare {
  double share = 0;    ///< the counter's mean rate / the frames per second in its direction
  double samples = 0;  ///< how many samples' worth of growth: sum / max (1 for a lone spike)
  [[nodiscard]] bool persistent() const noexcept { return samples >= port_limits().persistent_samples; }
};
/// Frames are counted as octets / kMeanFrameBytes: ports report octets, and
/// a mixed enterprise load averages well under a kilobyte a frame, so this
/// errs toward fewer frames (a larger share), never toward hiding errors.
inline constexpr double kMeanFrameBytes = 1000;
/// The column of `hop` that reads `column` in the path's direction: `in` is
/// what comes up from the endpoint's side, `out` what goes down to it
/// (in and out swap on a faces_up port).
std::uint8_t path_column(const HopEvidence& hop, std::uint8_t column) noexcept;

/// The share of `column` (an errors or discards column of a switch-port hop).
PortFaultShare port_fault_share(const HopEvidence& hop, std::size_t column) noexcept;

/// "port Te1/0/1 of hq-core (link to hq-acc1 Te1/1/1)": where a switch-port
/// hop is, with the link's other end when known.
std::string describe_port(const Directory& directory, const HopEvidence& hop);

/// The site of a blameable component on `side`'s path (clients: the path's site).
SiteId component_site(const Topology& topology, const SideEvidence& side, ComponentKind kind, std::uint32_t component);

}  // namespace callroot::engine
