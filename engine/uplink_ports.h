#pragma once
/// Which port of a switch leads up, toward the core and the WAN edge.
///
/// The inventory names the parent's end of an uplink ({switch, port}) and
/// not the child's own port. A damaged cable or optic counts errors at both
/// ends, and often more at the child's end, so that end must be read too. It
/// is inferred from what the switch reports, as an engineer reading a port
/// list would: of the switch's ports seen in telemetry that do not lead down
/// (to an AP, a wired client or a child switch, as the inventory and the
/// associations say), the one that is faster than every other; among equally
/// fast ones, the one carrying at least twice the traffic of any other (an
/// uplink carries what all its access ports carry). When neither singles one
/// out, the switch has no known uplink port and only the parent's end is read.
///
/// Recomputed on refresh(): the engine calls it in housekeeping and before
/// scoring when switch ports have been named since (stale()), in event time,
/// so a replay gives the same answer every time.

#include <vector>

#include "models/directory.h"
#include "models/metric_store.h"
#include "models/topology.h"

namespace callroot::engine {

class UplinkPorts {
 public:
  /// Infers every switch's uplink port from telemetry in [now - lookback, now].
  void refresh(const Directory& directory, const Topology& topology, const MetricStore& store, TimeMs now);
  /// The uplink port of `sw`, invalid when unknown.
  [[nodiscard]] PortId of(SwitchId sw) const noexcept;
  /// True before the first refresh and when ports were named since the last.
  [[nodiscard]] bool stale(const Directory& directory) const noexcept {
    return !refreshed_ || directory.port_count() != ports_seen_;
  }

  static constexpr DurationMs kLookback = 15 * 60'000;
  /// Equally fast ports: the uplink carries at least this multiple of any other's traffic.
  static constexpr double kTrafficRatio = 2.0;

 private:
  std::vector<PortId> uplink_;  // by SwitchId
  bool refreshed_ = false;
  std::size_t ports_seen_ = 0;
};

}  // namespace callroot::engine
