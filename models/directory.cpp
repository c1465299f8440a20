#include "models/directory.h"

namespace callroot {

const char* to_string(ComponentKind kind) noexcept {
  switch (kind) {
    case ComponentKind::kClient: return "client";
    case ComponentKind::kAp: return "ap";
    case ComponentKind::kSwitch: return "switch";
    case ComponentKind::kWan: return "wan";
    case ComponentKind::kRemote: return "remote";
    case ComponentKind::kUnknown: break;
  }
  return "unknown";
}

Directory::Directory(std::size_t capacity_per_kind)
    : capacity_(capacity_per_kind),
      sites_(capacity_per_kind),
      aps_(capacity_per_kind),
      switches_(capacity_per_kind),
      edges_(capacity_per_kind),
      links_(capacity_per_kind),
      devices_(capacity_per_kind),
      names_(capacity_per_kind) {}

std::optional<ClientId> Directory::client(Mac mac) {
  if (auto it = clients_.find(mac.bits); it != clients_.end()) return it->second;
  if (client_macs_.size() >= capacity_) return std::nullopt;
  const ClientId id{static_cast<std::uint32_t>(client_macs_.size())};
  client_macs_.push_back(mac);
  clients_.emplace(mac.bits, id);
  return id;
}

std::optional<ClientId> Directory::find_client(Mac mac) const noexcept {
  if (auto it = clients_.find(mac.bits); it != clients_.end()) return it->second;
  return std::nullopt;
}

std::optional<PortId> Directory::port(SwitchId sw, std::string_view port_name) {
  const auto name_id = name(port_name);
  if (!name_id) return std::nullopt;
  const std::uint64_t key = (static_cast<std::uint64_t>(sw.value) << 32) | name_id->value;
  if (auto it = port_index_.find(key); it != port_index_.end()) return it->second;
  if (ports_.size() >= capacity_) return std::nullopt;
  const PortId id{static_cast<std::uint32_t>(ports_.size())};
  ports_.push_back({sw, *name_id});
  port_index_.emplace(key, id);
  return id;
}

std::string Directory::component_name(ComponentRef ref) const {
  // An id this directory never handed out (e.g. an invalid index) has no name.
  std::size_t count = 0;
  switch (ref.kind) {
    case ComponentKind::kClient: count = client_count(); break;
    case ComponentKind::kAp: count = ap_count(); break;
    case ComponentKind::kSwitch: count = switch_count(); break;
    case ComponentKind::kWan: count = link_count(); break;
    case ComponentKind::kRemote:
    case ComponentKind::kUnknown: break;
  }
  if (ref.index >= count) return {};
  switch (ref.kind) {
    case ComponentKind::kClient: return client_mac(ClientId{ref.index}).str();
    case ComponentKind::kAp: return std::string(ap_name(ApId{ref.index}));
    case ComponentKind::kSwitch: return std::string(switch_name(SwitchId{ref.index}));
    case ComponentKind::kWan: return std::string(link_name(LinkId{ref.index}));
    case ComponentKind::kRemote:
    case ComponentKind::kUnknown: break;
  }
  return {};
}

}  // namespace callroot
