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

/// One telemetry family observed on one hop.
struct HopEvidence {
  ComponentKind kind = ComponentKind::kUnknown;
  std::uint32_t component = 0;  ///< ClientId / ApId / SwitchId / LinkId, by kind
  Family family = Family::kWifiClient;
  std::uint32_t entity = 0;  ///< the store's entity of `family` (PortId for switch ports)
  std::array<WindowStats, kMaxColumns> stats{};

  [[nodiscard]] std::span<const ColumnSpec> columns() const noexcept { return family_columns(family); }
  [[nodiscard]] const WindowStats& column(std::size_t c) const noexcept { return stats[c]; }
  [[nodiscard]] bool any_samples() const noexcept;
};

/// The latest Teams Rooms health of a device at or before a time.
struct RoomState {
  TimeMs ts = kNoTime;
  RoomHealthState health = RoomHealthState::kUnknown;
  std::optional<bool> connected;
  std::vector<RoomHealth::Peripheral> peripherals;
};

/// Room-system health per client, bounded history per device.
class RoomHealthBook {
 public:
  void apply(const RoomHealth& r);
  /// The state of the room system that is `client`, as of `t`.
  [[nodiscard]] const RoomState* at(ClientId client, TimeMs t) const noexcept;

 private:
  static constexpr std::size_t kHistory = 16;
  std::vector<std::vector<RoomState>> by_client_;  // indexed by ClientId
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
/// hop's window (with p50/p95 only when `quantiles`).
void gather_evidence(const CallSegment& segment, TimeWindow telemetry_window, const Directory& directory,
                     const Topology& topology, const MetricStore& store, const RoomHealthBook& rooms,
                     ScoringContext& ctx, bool quantiles = false);

/// The site of a blameable component on `side`'s path (clients: the path's site).
SiteId component_site(const Topology& topology, const SideEvidence& side, ComponentKind kind, std::uint32_t component);

}  // namespace callroot::engine
