#include "engine/evidence.h"

#include <algorithm>

#include "engine/uplink_ports.h"
#include "rules/published_targets.h"

namespace callroot::engine {

const PortLimits& port_limits() {
  // `.share` reads in percent in the rule language, a fraction here.
  static const PortLimits limits{rules::published_target("port_fault_share_max") / 100.0,
                                 rules::published_target("port_persistent_samples"),
                                 rules::published_target("port_steady_samples")};
  return limits;
}

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

/// A side's hops, written over the previous segment's: a hop's window
/// statistics (a kilobyte) are all written by the store's window read, so
/// building each hop afresh only zeroed them to be overwritten.
class HopList {
 public:
  explicit HopList(std::vector<HopEvidence>& hops) noexcept : hops_(hops) {}
  HopEvidence& add(ComponentKind kind, std::uint32_t component, Family family, std::uint32_t entity) {
    HopEvidence& hop = used_ < hops_.size() ? hops_[used_] : hops_.emplace_back();
    ++used_;
    hop.kind = kind;
    hop.component = component;
    hop.family = family;
    hop.entity = entity;
    hop.peer = LinkPeer{};
    hop.faces_up = false;
    return hop;
  }
  /// Drops the hops the previous segment had beyond this one's.
  void finish() { hops_.resize(used_); }

 private:
  std::vector<HopEvidence>& hops_;
  std::size_t used_ = 0;
};

/// The switch ports of a path, both ends of every link, each owned by the
/// link's downstream device (SwitchHop::owner).
void add_switch_hops(HopList& list, const Path& path, const UplinkPorts* uplinks) {
  const auto hops = path.switch_hops();
  for (std::size_t i = 0; i < hops.size(); ++i) {
    const SwitchHop& hop = hops[i];
    // The upper end of the link below this switch: the port the path enters by.
    if (hop.port.valid()) {
      HopEvidence& e = list.add(ComponentKind::kSwitch, hop.owner.value, Family::kSwitchPort, hop.port.value);
      if (i > 0) {
        e.peer = LinkPeer{LinkPeer::Kind::kSwitch, hops[i - 1].sw.value, uplinks ? uplinks->of(hops[i - 1].sw) : PortId{}};
      } else if (path.ap.valid()) {
        e.peer = LinkPeer{LinkPeer::Kind::kAp, path.ap.value, PortId{}};
      } else if (path.client.valid()) {
        e.peer = LinkPeer{LinkPeer::Kind::kClient, path.client.value, PortId{}};
      }
    }
    // The lower end of the link above it: this switch's own uplink port.
    const PortId up = uplinks ? uplinks->of(hop.sw) : PortId{};
    if (up.valid() && up != hop.port) {
      HopEvidence& e = list.add(ComponentKind::kSwitch, hop.sw.value, Family::kSwitchPort, up.value);
      e.faces_up = true;
      if (i + 1 < hops.size()) {
        e.peer = LinkPeer{LinkPeer::Kind::kSwitch, hops[i + 1].sw.value, hops[i + 1].port};
      } else if (path.edge.valid()) {
        e.peer = LinkPeer{LinkPeer::Kind::kEdge, path.edge.value, PortId{}};
      }
    }
  }
}

}  // namespace

void gather_evidence(const CallSegment& segment, TimeWindow window, const Directory& directory,
                     const Topology& topology, const MetricStore& store, const RoomHealthBook& rooms,
                     ScoringContext& ctx, bool quantiles, const UplinkPorts* uplinks) {
  // Where the endpoint was in the middle of the segment: a segment that
  // spans a roam is attributed to the attachment that carried most of it.
  const TimeMs at = segment.start + (segment.end - segment.start) / 2;
  for (const Side s : {Side::kCaller, Side::kCallee}) {
    SideEvidence& side = ctx.sides[static_cast<std::size_t>(s)];
    side.side = s;
    side.room = nullptr;
    side.resolution = topology.resolve(segment.endpoint(s), at, directory);
    HopList list(side.hops);
    if (side.resolution.organization) {
      const Path& path = side.resolution.path;
      if (path.client.valid()) {
        list.add(ComponentKind::kClient, path.client.value, Family::kWifiClient, path.client.value);
        list.add(ComponentKind::kClient, path.client.value, Family::kClientDevice, path.client.value);
        side.room = rooms.at(path.client, at);
      }
      if (path.ap.valid()) {
        // The radio of the client's band; all of the AP's radios when the band is not known.
        const std::uint8_t band = Directory::band_code(path.band);
        if (const auto radio = band != 0 ? directory.find_radio(path.ap, band) : std::nullopt) {
          list.add(ComponentKind::kAp, path.ap.value, Family::kWifiAp, *radio);
        } else {
          for (const std::uint32_t r : directory.radios_of(path.ap)) {
            list.add(ComponentKind::kAp, path.ap.value, Family::kWifiAp, r);
          }
        }
      }
      add_switch_hops(list, path, uplinks);
      for (const LinkId link : path.wan_links()) {
        list.add(ComponentKind::kWan, link.value, Family::kWanLink, link.value);
      }
    }
    list.finish();
  }
  // A dozen series of entities spread over the network: cache misses dominate,
  // so ask for all of them before reading any.
  for (const SideEvidence& side : ctx.sides) {
    for (const HopEvidence& hop : side.hops) store.prefetch_series(hop.family, hop.entity);
  }
  for (const SideEvidence& side : ctx.sides) {
    for (const HopEvidence& hop : side.hops) store.prefetch_rows(hop.family, hop.entity, window.begin);
  }
  // A sample describes the stretch since the one before it, so a series
  // polled less often than the padding (SNMP every 5 minutes) is read one
  // interval wider on each side: the sample after the segment's end covers
  // its last stretch, and persistence needs the samples around it.
  const DurationMs padding = std::max<DurationMs>(0, segment.start - window.begin);
  for (SideEvidence& side : ctx.sides) {
    for (HopEvidence& hop : side.hops) {
      const DurationMs extra = std::max<DurationMs>(0, store.interval(hop.family, hop.entity) - padding);
      const TimeWindow hop_window{window.begin - extra, window.end + extra};
      // Quantiles cost a sort per column: only when the attribution reads them.
      store.window(hop.family, hop.entity, hop_window, hop.stats, quantiles);
    }
  }
}

std::uint8_t path_column(const HopEvidence& hop, std::uint8_t column) noexcept {
  if (hop.family != Family::kSwitchPort || !hop.faces_up) return column;
  switch (column) {
    case col::kInUtil: return col::kOutUtil;
    case col::kOutUtil: return col::kInUtil;
    case col::kInErrors: return col::kOutErrors;
    case col::kOutErrors: return col::kInErrors;
    case col::kInDiscards: return col::kOutDiscards;
    case col::kOutDiscards: return col::kInDiscards;
    default: return column;  // FCS errors have no outward twin: they stay what the port received
  }
}

PortFaultShare port_fault_share(const HopEvidence& hop, std::size_t column) noexcept {
  PortFaultShare out;
  const WindowStats& st = hop.column(column);
  if (st.count == 0 || !measured(st.avg) || !(st.max > 0)) return out;
  out.samples = st.avg * st.count / st.max;
  const bool inbound = column == col::kInErrors || column == col::kInFcsErrors || column == col::kInDiscards;
  const WindowStats& util = hop.column(inbound ? col::kInUtil : col::kOutUtil);
  const WindowStats& speed = hop.column(col::kSpeed);
  double frames = 0;
  if (util.count > 0 && measured(util.avg) && speed.count > 0 && measured(speed.max)) {
    frames = util.avg / 100.0 * speed.max * 1e6 / 8.0 / kMeanFrameBytes;
  }
  // A port that moves next to nothing still carries the call: a floor of one
  // small call's worth of frames keeps the share finite.
  constexpr double kMinFrames = 100;
  out.share = st.avg / std::max(frames, kMinFrames);
  return out;
}

std::string describe_port(const Directory& directory, const HopEvidence& hop) {
  const PortId port{hop.entity};
  std::string text = "port ";
  text += directory.port_name(port);
  text += " of ";
  text += directory.switch_name(directory.port_switch(port));
  const LinkPeer& peer = hop.peer;
  if (peer.kind == LinkPeer::Kind::kNone) return text;
  text += " (link to ";
  switch (peer.kind) {
    case LinkPeer::Kind::kClient: text += "client "; text += directory.client_mac(ClientId{peer.id}).str(); break;
    case LinkPeer::Kind::kAp: text += "AP "; text += directory.ap_name(ApId{peer.id}); break;
    case LinkPeer::Kind::kSwitch: text += directory.switch_name(SwitchId{peer.id}); break;
    case LinkPeer::Kind::kEdge: text += "edge "; text += directory.edge_name(EdgeId{peer.id}); break;
    case LinkPeer::Kind::kNone: break;
  }
  if (peer.port.valid()) {
    text += ' ';
    text += directory.port_name(peer.port);
  }
  text += ')';
  return text;
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
