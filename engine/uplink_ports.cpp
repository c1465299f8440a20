#include "engine/uplink_ports.h"

#include <cmath>

namespace callroot::engine {
namespace {

struct PortLoad {
  PortId port;
  double speed = 0;    // Mb/s
  double traffic = 0;  // Mb/s, in + out
};

PortLoad load_of(const MetricStore& store, PortId port, TimeWindow window) {
  PortLoad p{port};
  std::array<WindowStats, kMaxColumns> st{};
  store.window(Family::kSwitchPort, port.value, window, st, false);
  if (st[col::kSpeed].count > 0 && measured(st[col::kSpeed].max)) p.speed = st[col::kSpeed].max;
  for (const auto c : {col::kInUtil, col::kOutUtil}) {
    if (st[c].count > 0 && measured(st[c].avg)) p.traffic += st[c].avg / 100.0 * p.speed;
  }
  return p;
}

}  // namespace

void UplinkPorts::refresh(const Directory& directory, const Topology& topology, const MetricStore& store,
                          TimeMs now) {
  refreshed_ = true;
  ports_seen_ = directory.port_count();
  uplink_.assign(directory.switch_count(), PortId{});
  const TimeWindow window{now - kLookback, now};
  for (std::uint32_t s = 0; s < directory.switch_count(); ++s) {
    const SwitchId sw{s};
    if (!topology.has_uplink(sw)) continue;
    PortLoad best{}, second{};
    for (const PortId port : directory.ports_of(sw)) {
      if (topology.faces_down(port) || store.rows(Family::kSwitchPort, port.value) == 0) continue;
      const PortLoad p = load_of(store, port, window);
      if (p.speed > best.speed || (p.speed == best.speed && p.traffic > best.traffic)) {
        second = best;
        best = p;
      } else if (p.speed > second.speed || (p.speed == second.speed && p.traffic > second.traffic)) {
        second = p;
      }
    }
    if (!best.port.valid()) continue;
    const bool alone = !second.port.valid();
    const bool fastest = best.speed > second.speed;
    const bool busiest = best.speed == second.speed && best.traffic >= kTrafficRatio * second.traffic && best.traffic > 0;
    if (alone || fastest || busiest) uplink_[s] = best.port;
  }
}

PortId UplinkPorts::of(SwitchId sw) const noexcept {
  if (!sw.valid() || sw.value >= uplink_.size()) return PortId{};
  return uplink_[sw.value];
}

}  // namespace callroot::engine
