#include "engine/fate_key.h"

#include <algorithm>

namespace callroot::engine {
namespace {

void push_unique(std::vector<FateKey>& out, FateKey key) {
  if (key.id > kMaxFateId) return;
  if (std::find(out.begin(), out.end(), key) == out.end()) out.push_back(key);
}

}  // namespace

void path_keys(const SideEvidence& side, std::vector<FateKey>& out) {
  if (!side.resolution.organization) return;
  const Path& path = side.resolution.path;
  if (path.client.valid()) push_unique(out, FateKey::client(path.client));
  if (path.ap.valid()) push_unique(out, FateKey::ap(path.ap));
  for (const SwitchHop& hop : path.switch_hops()) {
    if (hop.port.valid()) push_unique(out, FateKey::port(hop.port));
  }
  if (path.link_known || path.link_count == 1) {
    for (const LinkId link : path.wan_links()) {
      if (link.valid()) push_unique(out, FateKey::link(link));
    }
  }
}

ComponentRef fate_owner(const Directory& directory, const Topology& topology, FateKey key) noexcept {
  switch (key.kind) {
    case FateKey::Kind::kClient: return {ComponentKind::kClient, key.id};
    case FateKey::Kind::kAp: return {ComponentKind::kAp, key.id};
    case FateKey::Kind::kPort: {
      const SwitchId owner = topology.link_owner(PortId{key.id});
      return {ComponentKind::kSwitch, owner.valid() ? owner.value : directory.port_switch(PortId{key.id}).value};
    }
    case FateKey::Kind::kLink: return {ComponentKind::kWan, key.id};
  }
  return {};
}

}  // namespace callroot::engine
