#include "models/events.h"

namespace callroot {

std::string_view to_string(RoomHealthState s) noexcept {
  switch (s) {
    case RoomHealthState::kHealthy: return "healthy";
    case RoomHealthState::kNonUrgent: return "nonUrgent";
    case RoomHealthState::kCritical: return "critical";
    case RoomHealthState::kOffline: return "offline";
    case RoomHealthState::kUnknown: break;
  }
  return "unknown";
}

std::string_view to_string(PeripheralState s) noexcept {
  switch (s) {
    case PeripheralState::kConnected: return "connected";
    case PeripheralState::kDisconnected: return "disconnected";
    case PeripheralState::kUnhealthy: return "unhealthy";
  }
  return "connected";
}

TimeMs event_time(const Event& e) noexcept {
  struct Visitor {
    TimeMs operator()(const OrgInventory&) const { return kNoTime; }
    TimeMs operator()(const SiteInventory&) const { return kNoTime; }
    TimeMs operator()(const ApInventory&) const { return kNoTime; }
    TimeMs operator()(const SwitchInventory&) const { return kNoTime; }
    TimeMs operator()(const WanInventory&) const { return kNoTime; }
    TimeMs operator()(const ClientAssoc& a) const { return a.ts; }
    TimeMs operator()(const ClientDisassoc& d) const { return d.ts; }
    TimeMs operator()(const ClientInfo& i) const { return i.ts; }
    TimeMs operator()(const TelemetrySample& s) const { return s.ts; }
    TimeMs operator()(const RoomHealth& r) const { return r.ts; }
    TimeMs operator()(const CallSegment& c) const { return c.end; }
  };
  return std::visit(Visitor{}, e);
}

}  // namespace callroot
