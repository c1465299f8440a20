#include "engine/evidence.h"

#include <algorithm>

namespace callroot::engine {

bool HopEvidence::any_samples() const noexcept {
  return std::any_of(stats.begin(), stats.end(), [](const WindowStats& s) { return s.count > 0; });
}

void RoomHealthBook::apply(const RoomHealth& r) {
  if (!r.device.valid()) return;
  if (r.device.value >= by_device_.size() || by_device_[r.device.value].empty()) {
    if (devices_ >= kMaxDevices) {
      ++dropped_;
      return;
    }
    if (r.device.value >= by_device_.size()) by_device_.resize(r.device.value + 1);
    ++devices_;
  }
  if (r.client.valid()) {
    if (r.client.value >= device_of_client_.size()) device_of_client_.resize(r.client.value + 1);
    device_of_client_[r.client.value] = r.device;
  }
  auto& history = by_device_[r.device.value];
  RoomState state;
  state.ts = r.ts;
  state.device = r.device;
  state.health = r.health;
  state.connected = r.connected;
  state.own_health = r.health_reported;
  state.own_connected = r.connected.has_value();
  state.own_peripherals = r.peripherals_reported;
  const std::size_t n = std::min(r.peripherals.size(), kMaxPeripherals);
  state.peripherals.assign(r.peripherals.begin(), r.peripherals.begin() + static_cast<std::ptrdiff_t>(n));
  auto pos = std::upper_bound(history.begin(), history.end(), r.ts,
                              [](TimeMs t, const RoomState& s) { return t < s.ts; });
  const auto from = static_cast<std::size_t>(pos - history.begin());
  history.insert(pos, std::move(state));
  // Readings arrive out of order (a device and its health are polled
  // separately): carry what each did not report forward from the one
  // before it, from the new reading on.
  for (std::size_t i = from; i < history.size(); ++i) {
    RoomState& s = history[i];
    const RoomState* prev = i > 0 ? &history[i - 1] : nullptr;
    if (!s.own_health) s.health = prev ? prev->health : RoomHealthState::kUnknown;
    if (!s.own_connected) s.connected = prev ? prev->connected : std::nullopt;
    if (!s.own_peripherals) {
      if (prev) s.peripherals = prev->peripherals;
      else s.peripherals.clear();
    }
  }
  if (history.size() > kHistory) history.erase(history.begin());
}

DeviceId RoomHealthBook::device_of(ClientId client) const noexcept {
  if (!client.valid() || client.value >= device_of_client_.size()) return DeviceId{};
  return device_of_client_[client.value];
}

const RoomState* RoomHealthBook::at(ClientId client, TimeMs t) const noexcept {
  const DeviceId device = device_of(client);
  if (!device.valid() || device.value >= by_device_.size()) return nullptr;
  const auto& history = by_device_[device.value];
  auto pos = std::upper_bound(history.begin(), history.end(), t, [](TimeMs x, const RoomState& s) { return x < s.ts; });
  return pos == history.begin() ? nullptr : &*std::prev(pos);
}

namespace {

void add_hop(SideEvidence& side, ComponentKind kind, std::uint32_t component, Family family, std::uint32_t entity) {
  HopEvidence& hop = side.hops.emplace_back();
  hop.kind = kind;
  hop.component = component;
  hop.family = family;
  hop.entity = entity;
}

}  // namespace

void gather_evidence(const CallSegment& segment, TimeWindow window, const Directory& directory,
                     const Topology& topology, const MetricStore& store, const RoomHealthBook& rooms,
                     ScoringContext& ctx, bool quantiles) {
  // Where the endpoint was in the middle of the segment: a segment that
  // spans a roam is attributed to the attachment that carried most of it.
  const TimeMs at = segment.start + (segment.end - segment.start) / 2;
  for (const Side s : {Side::kCaller, Side::kCallee}) {
    SideEvidence& side = ctx.sides[static_cast<std::size_t>(s)];
    side.side = s;
    side.hops.clear();
    side.room = nullptr;
    side.resolution = topology.resolve(segment.endpoint(s), at, directory);
    if (!side.resolution.organization) continue;
    const Path& path = side.resolution.path;
    if (path.client.valid()) {
      add_hop(side, ComponentKind::kClient, path.client.value, Family::kWifiClient, path.client.value);
      add_hop(side, ComponentKind::kClient, path.client.value, Family::kClientDevice,
              path.client.value);
      side.room = rooms.at(path.client, at);
    }
    if (path.ap.valid()) {
      // The radio of the client's band; all of the AP's radios when the band is not known.
      const std::uint8_t band = Directory::band_code(path.band);
      if (const auto radio = band != 0 ? directory.find_radio(path.ap, band) : std::nullopt) {
        add_hop(side, ComponentKind::kAp, path.ap.value, Family::kWifiAp, *radio);
      } else {
        for (const std::uint32_t r : directory.radios_of(path.ap)) {
          add_hop(side, ComponentKind::kAp, path.ap.value, Family::kWifiAp, r);
        }
      }
    }
    for (const SwitchHop& hop : path.switch_hops()) {
      if (hop.port.valid()) {
        add_hop(side, ComponentKind::kSwitch, hop.sw.value, Family::kSwitchPort, hop.port.value);
      }
    }
    for (const LinkId link : path.wan_links()) {
      add_hop(side, ComponentKind::kWan, link.value, Family::kWanLink, link.value);
    }
  }
  // A dozen series of entities spread over the network: cache misses dominate,
  // so ask for all of them before reading any.
  for (const SideEvidence& side : ctx.sides) {
    for (const HopEvidence& hop : side.hops) store.prefetch_series(hop.family, hop.entity);
  }
  for (const SideEvidence& side : ctx.sides) {
    for (const HopEvidence& hop : side.hops) store.prefetch_rows(hop.family, hop.entity, window.begin);
  }
  for (SideEvidence& side : ctx.sides) {
    for (HopEvidence& hop : side.hops) {
      // Quantiles cost a sort per column: only when the attribution reads them.
      store.window(hop.family, hop.entity, window, hop.stats, quantiles);
    }
  }
}

SiteId component_site(const Topology& topology, const SideEvidence& side, ComponentKind kind, std::uint32_t component) {
  switch (kind) {
    case ComponentKind::kAp: return topology.site_of(ApId{component});
    case ComponentKind::kSwitch: return topology.site_of(SwitchId{component});
    case ComponentKind::kWan: return topology.site_of(LinkId{component});
    default: return side.resolution.path.site;
  }
}

}  // namespace callroot::engine
