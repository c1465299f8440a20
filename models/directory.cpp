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
  if (auto id = clients_.find(mac.bits)) return ClientId{*id};
  if (client_macs_.size() >= capacity_) return std::nullopt;
  const ClientId id{static_cast<std::uint32_t>(client_macs_.size())};
  client_macs_.push_back(mac);
  clients_.set(mac.bits, id.value);
  return id;
}

std::optional<ClientId> Directory::find_client(Mac mac) const noexcept {
  if (auto id = clients_.find(mac.bits)) return ClientId{*id};
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
  if (sw.value >= switch_ports_.size()) switch_ports_.resize(sw.value + 1);
  switch_ports_[sw.value].push_back(id);
  return id;
}

std::span<const PortId> Directory::ports_of(SwitchId sw) const noexcept {
  if (!sw.valid() || sw.value >= switch_ports_.size()) return {};
  return switch_ports_[sw.value];
}

std::optional<std::uint32_t> Directory::radio(ApId ap, std::uint8_t band_code) {
  if (auto r = find_radio(ap, band_code)) return r;
  if (!ap.valid() || radios_.size() >= capacity_) return std::nullopt;
  const auto id = static_cast<std::uint32_t>(radios_.size());
  radios_.push_back({ap, band_code});
  if (ap.value >= ap_radios_.size()) ap_radios_.resize(ap.value + 1);
  ap_radios_[ap.value].push_back(id);
  return id;
}

std::optional<std::uint32_t> Directory::find_radio(ApId ap, std::uint8_t band_code) const noexcept {
  for (const std::uint32_t r : radios_of(ap)) {
    if (radios_[r].band == band_code) return r;
  }
  return std::nullopt;
}

std::span<const std::uint32_t> Directory::radios_of(ApId ap) const noexcept {
  if (!ap.valid() || ap.value >= ap_radios_.size()) return {};
  return ap_radios_[ap.value];
}

std::uint8_t Directory::band_code(double ghz) noexcept {
  if (ghz > 2.3 && ghz < 2.5) return 1;
  if (ghz > 4.9 && ghz < 5.9) return 2;
  if (ghz > 5.9 && ghz < 7.2) return 3;
  return 0;
}

std::string_view Directory::band_name(std::uint8_t code) noexcept {
  switch (code) {
    case 1: return "2.4 GHz";
    case 2: return "5 GHz";
    case 3: return "6 GHz";
    default: return "band not reported";
  }
}

std::string Directory::component_name(ComponentRef ref) const {
  std::string out;
  component_name(ref, out);
  return out;
}

void Directory::component_name(ComponentRef ref, std::string& out) const {
  out.clear();
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
  if (ref.index >= count) return;
  switch (ref.kind) {
    case ComponentKind::kClient: client_mac(ClientId{ref.index}).append_to(out); break;
    case ComponentKind::kAp: out.assign(ap_name(ApId{ref.index})); break;
    case ComponentKind::kSwitch: out.assign(switch_name(SwitchId{ref.index})); break;
    case ComponentKind::kWan: out.assign(link_name(LinkId{ref.index})); break;
    case ComponentKind::kRemote:
    case ComponentKind::kUnknown: break;
  }
}

}  // namespace callroot
