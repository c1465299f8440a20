#include "models/topology.h"

#include "models/ascii.h"

#include <algorithm>

namespace callroot {

std::string_view to_string(EndpointResolution::By by) noexcept {
  switch (by) {
    case EndpointResolution::By::kMac: return "mac";
    case EndpointResolution::By::kIp: return "ip";
    case EndpointResolution::By::kUser: return "user";
    case EndpointResolution::By::kBssid: return "bssid";
    case EndpointResolution::By::kSubnet: return "subnet";
    case EndpointResolution::By::kNone: break;
  }
  return "none";
}

namespace {

template <class T, class IdT>
T& grow_to(std::vector<T>& v, IdT id) {
  if (id.value >= v.size()) v.resize(id.value + 1);
  return v[id.value];
}

template <class T, class IdT>
const T* at_or_null(const std::vector<T>& v, IdT id) noexcept {
  return id.valid() && id.value < v.size() ? &v[id.value] : nullptr;
}

}  // namespace

Topology::Topology(TopologyConfig config) : config_(config) {}

Topology::Vertex Topology::vertex(VertexKind kind, std::uint32_t index) {
  auto& table = vertex_of_[static_cast<std::size_t>(kind)];
  if (index >= table.size()) table.resize(index + 1, kNoVertex);
  if (table[index] == kNoVertex) {
    // add_vertex(graph) then the bundle: add_vertex(props, graph) goes through
    // Boost's named-graph lookup, which GCC 12 flags as maybe-uninitialized.
    table[index] = boost::add_vertex(graph_);
    graph_[table[index]] = VertexProps{kind, index};
  }
  return table[index];
}

void Topology::set_uplink(Vertex child, Vertex parent, EdgeProps props) {
  // An inventory record restates the whole uplink: replace what was there.
  boost::remove_out_edge_if(
      child, [&](const Graph::edge_descriptor& e) { return graph_[e].kind == props.kind; }, graph_);
  boost::add_edge(child, parent, props, graph_);
}

void Topology::add_site_link(SiteId site, LinkId link) {
  auto& links = grow_to(site_links_, site);
  if (std::find(links.begin(), links.end(), link) == links.end()) links.push_back(link);
}

void Topology::apply(const SiteInventory& e) {
  if (!e.site.valid()) return;
  ++inventory_generation_;
  std::erase_if(subnets_, [&](const auto& entry) { return entry.second == e.site; });
  for (const auto& cidr : e.subnets) subnets_.emplace_back(cidr, e.site);
  std::stable_sort(subnets_.begin(), subnets_.end(),
                   [](const auto& a, const auto& b) { return a.first.bits > b.first.bits; });
  grow_to(site_links_, e.site);
}

void Topology::apply(const ApInventory& e) {
  if (!e.ap.valid()) return;
  ++inventory_generation_;
  grow_to(ap_site_, e.ap) = e.site;
  const Vertex v = vertex(VertexKind::kAp, e.ap.value);
  for (const Mac bssid : e.bssids) bssid_ap_.set(bssid.bits, e.ap.value);
  if (e.uplink_switch.valid()) {
    set_uplink(v, vertex(VertexKind::kSwitch, e.uplink_switch.value), EdgeProps{EdgeKind::kUplink, e.uplink_port});
    mark_down(e.uplink_port, e.uplink_switch);
  }
}

void Topology::mark_down(PortId port, SwitchId owner) {
  if (port.valid() && owner.valid()) grow_to(port_owner_, port) = owner;
}

bool Topology::faces_down(PortId port) const noexcept { return link_owner(port).valid(); }

SwitchId Topology::link_owner(PortId port) const noexcept {
  if (!port.valid() || port.value >= port_owner_.size()) return SwitchId{};
  return port_owner_[port.value];
}

bool Topology::has_uplink(SwitchId sw) const noexcept {
  return sw.valid() && sw.value < switch_has_uplink_.size() && switch_has_uplink_[sw.value] != 0;
}

void Topology::apply(const SwitchInventory& e) {
  if (!e.sw.valid()) return;
  ++inventory_generation_;
  grow_to(switch_site_, e.sw) = e.site;
  const Vertex v = vertex(VertexKind::kSwitch, e.sw.value);
  if (e.uplink_switch.valid()) {
    set_uplink(v, vertex(VertexKind::kSwitch, e.uplink_switch.value), EdgeProps{EdgeKind::kUplink, e.uplink_port});
    mark_down(e.uplink_port, e.sw);
  } else if (e.uplink_edge.valid()) {
    set_uplink(v, vertex(VertexKind::kEdge, e.uplink_edge.value), EdgeProps{EdgeKind::kUplink, PortId{}});
  }
  grow_to(switch_has_uplink_, e.sw) = e.uplink_switch.valid() || e.uplink_edge.valid() ? 1 : 0;
}

void Topology::apply(const WanInventory& e) {
  if (!e.link.valid() || !e.edge.valid()) return;
  ++inventory_generation_;
  grow_to(link_site_, e.link) = e.site;
  const Vertex edge = vertex(VertexKind::kEdge, e.edge.value);
  const Vertex link = vertex(VertexKind::kLink, e.link.value);
  // A link belongs to one edge: drop any earlier carriage of it.
  boost::remove_in_edge_if(link, [&](const Graph::edge_descriptor& ed) { return graph_[ed].kind == EdgeKind::kCarries; },
                           graph_);
  boost::add_edge(edge, link, EdgeProps{EdgeKind::kCarries, PortId{}}, graph_);
  add_site_link(e.site, e.link);
  for (const auto& ip : e.public_ips) public_ip_link_[ip] = e.link;
}

void Topology::apply(const ClientAssoc& e) {
  if (!e.client.valid()) return;
  auto& list = grow_to(attachments_, e.client);
  Attachment a;
  a.from = e.ts;
  a.ap = e.ap;
  a.bssid = e.bssid;
  a.band = e.band;
  a.channel = e.channel;
  a.sw = e.sw;
  a.port = e.port;
  mark_down(e.port, e.sw);
  if (!a.ap.valid() && a.bssid) {
    if (auto ap = ap_of_bssid(*a.bssid)) a.ap = *ap;
  }
  // Keep intervals ordered by start; a new one closes the one it interrupts
  // and inherits its end (a later disassociation still ends the client's
  // attachment when the roam is recorded out of order).
  auto pos = std::upper_bound(list.begin(), list.end(), e.ts, [](TimeMs t, const Attachment& x) { return t < x.from; });
  if (pos != list.begin()) {
    auto prev = std::prev(pos);
    if (prev->from == e.ts) {
      // The same association again (or restated): the newer record wins, no new interval.
      a.to = prev->to;
      *prev = a;
      return;
    }
    if (prev->to > e.ts) {
      a.to = prev->to;
      prev->to = e.ts;
    }
  }
  if (pos != list.end()) a.to = std::min(a.to, pos->from);
  list.insert(pos, a);
  if (list.size() > config_.max_attachments_per_client) list.erase(list.begin());
}

void Topology::apply(const ClientDisassoc& e) {
  if (!e.client.valid() || e.client.value >= attachments_.size()) return;
  auto& list = attachments_[e.client.value];
  for (auto it = list.rbegin(); it != list.rend(); ++it) {
    if (it->from <= e.ts) {
      if (it->to > e.ts) it->to = e.ts;
      break;
    }
  }
}

void Topology::apply(const ClientInfo& e) {
  if (!e.client.valid()) return;
  ClientProfile& p = grow_to(profiles_, e.client);
  if (!e.user.empty()) {
    p.user = e.user;
    user_client_[e.user] = e.client;
  }
  if (!e.hostname.empty()) p.hostname = e.hostname;
  if (e.device_type) p.device_type = *e.device_type;
  if (e.ip) {
    p.ip = e.ip;
    auto& leases = ip_history_[*e.ip];
    auto pos = std::upper_bound(leases.begin(), leases.end(), e.ts,
                                [](TimeMs t, const IpLease& l) { return t < l.since; });
    leases.insert(pos, IpLease{e.ts, e.client});
    if (leases.size() > config_.max_ip_history) leases.erase(leases.begin());
  }
}

std::optional<Attachment> Topology::attachment(ClientId client, TimeMs t) const {
  const auto* list = at_or_null(attachments_, client);
  if (list == nullptr) return std::nullopt;
  auto pos = std::upper_bound(list->begin(), list->end(), t, [](TimeMs x, const Attachment& a) { return x < a.from; });
  if (pos == list->begin()) return std::nullopt;
  const Attachment& a = *std::prev(pos);
  if (t >= a.to) return std::nullopt;
  Attachment out = a;
  if (!out.ap.valid() && out.bssid) {
    if (auto ap = ap_of_bssid(*out.bssid)) out.ap = *ap;  // inventory may have come after the association
  }
  return out;
}

void Topology::climb(Vertex v, PortId entry_port, Path& path) const {
  // Uplink chains are short; the depth bound also stops a cycle in a bad inventory.
  for (std::size_t depth = 0; depth < 2 * kMaxSwitchHops && v != kNoVertex; ++depth) {
    const VertexProps& props = graph_[v];
    if (props.kind == VertexKind::kSwitch) {
      if (path.switch_count >= kMaxSwitchHops) break;
      const SwitchId sw{props.index};
      for (std::size_t i = 0; i < path.switch_count; ++i) {
        if (path.switches[i].sw == sw) return;  // a cycle
      }
      const SwitchId owner = path.switch_count == 0 ? sw : path.switches[path.switch_count - 1].sw;
      path.switches[path.switch_count++] = SwitchHop{sw, entry_port, owner};
      if (!path.site.valid()) path.site = site_of(sw);
    } else if (props.kind == VertexKind::kEdge) {
      path.edge = EdgeId{props.index};
      for (auto [it, end] = boost::out_edges(v, graph_); it != end; ++it) {
        if (graph_[*it].kind != EdgeKind::kCarries || path.link_count >= kMaxLinks) continue;
        path.links[path.link_count++] = LinkId{graph_[boost::target(*it, graph_)].index};
      }
      return;
    }
    Vertex next = kNoVertex;
    for (auto [it, end] = boost::out_edges(v, graph_); it != end; ++it) {
      if (graph_[*it].kind == EdgeKind::kUplink) {
        next = boost::target(*it, graph_);
        entry_port = graph_[*it].port;
        break;
      }
    }
    v = next;
  }
}

Path Topology::path_from_ap(ApId ap) const {
  if (!ap.valid()) return climb_from_ap(ap);
  if (ap.value >= ap_paths_.size()) ap_paths_.resize(std::max<std::size_t>(ap.value + 1, ap_paths_.size() * 3 / 2));
  CachedPath& cached = ap_paths_[ap.value];
  if (cached.generation != inventory_generation_) {
    cached.path = climb_from_ap(ap);
    cached.generation = inventory_generation_;
  }
  return cached.path;
}

Path Topology::climb_from_ap(ApId ap) const {
  Path path;
  path.ap = ap;
  path.site = site_of(ap);
  const auto& table = vertex_of_[static_cast<std::size_t>(VertexKind::kAp)];
  if (ap.value < table.size() && table[ap.value] != kNoVertex) {
    // Start above the AP: its uplink edge names the first switch and port.
    const Vertex v = table[ap.value];
    for (auto [it, end] = boost::out_edges(v, graph_); it != end; ++it) {
      if (graph_[*it].kind == EdgeKind::kUplink) {
        climb(boost::target(*it, graph_), graph_[*it].port, path);
        break;
      }
    }
  }
  if (path.link_count == 0) add_site_links(path);
  return path;
}

std::optional<Path> Topology::path(ClientId client, TimeMs t) const {
  const auto a = attachment(client, t);
  if (!a) return std::nullopt;
  Path p;
  if (a->ap.valid()) {
    p = path_from_ap(a->ap);
  } else if (a->sw.valid()) {
    const auto& table = vertex_of_[static_cast<std::size_t>(VertexKind::kSwitch)];
    if (a->sw.value < table.size() && table[a->sw.value] != kNoVertex) climb(table[a->sw.value], a->port, p);
    if (!p.site.valid()) p.site = site_of(a->sw);
    if (p.link_count == 0) add_site_links(p);
  }
  p.client = client;
  p.bssid = a->bssid;
  p.band = a->band;
  return p;
}

std::size_t Topology::NoCaseHash::operator()(std::string_view s) const noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a over the lower-cased bytes
  for (const char c : s) h = (h ^ static_cast<unsigned char>(ascii_lower(c))) * 0x100000001b3ULL;
  return static_cast<std::size_t>(h);
}

bool Topology::NoCaseEqual::operator()(std::string_view a, std::string_view b) const noexcept {
  return ascii_iequals(a, b);
}

void Topology::apply(const OrgInventory& e) {
  tenants_.clear();
  for (const auto& t : e.tenants) tenants_.push_back(ascii_lowercase(t));
  std::sort(tenants_.begin(), tenants_.end());
  tenants_.erase(std::unique(tenants_.begin(), tenants_.end()), tenants_.end());
}

bool Topology::own_tenant(std::string_view tenant) const noexcept {
  if (tenants_.empty() || tenant.empty()) return true;
  for (const auto& t : tenants_) {
    if (ascii_iequals(t, tenant)) return true;
  }
  return false;
}

EndpointResolution Topology::resolve(const Endpoint& ep, TimeMs t, const Directory& directory) const {
  using By = EndpointResolution::By;
  EndpointResolution r;
  if (!ep.present) return r;
  // Another organization's user is a remote party wherever they sit (a guest
  // on the office Wi-Fi included): nothing of theirs is named or kept.
  if (!own_tenant(ep.tenant)) {
    r.other_tenant = true;
    return r;
  }
  std::optional<ClientId> client;
  // A privacy placeholder MAC identifies nobody.
  if (ep.client && !ep.client->is_placeholder()) {
    if (auto id = directory.find_client(*ep.client); id && is_known(*id)) {
      client = id;
      r.by = By::kMac;
    }
  }
  if (!client && ep.ip) {
    if ((client = client_at_ip(*ep.ip, t))) r.by = By::kIp;
  }
  if (!client && !ep.user.empty()) {
    if ((client = client_of_user(ep.user))) r.by = By::kUser;
  }
  if (client) {
    r.organization = true;
    r.client_known = true;
    if (auto p = path(*client, t)) {
      r.path = *p;
    } else if (auto ap = ep.bssid ? ap_of_bssid(*ep.bssid) : std::nullopt) {
      // No association known at `t`: the BSSID the call reported still names the AP.
      r.path = path_from_ap(*ap);
      r.path.client = *client;
      r.path.bssid = ep.bssid;
    } else {
      r.path.client = *client;
    }
  } else if (ep.bssid && ap_of_bssid(*ep.bssid)) {
    r.organization = true;
    r.by = By::kBssid;
    r.path = path_from_ap(*ap_of_bssid(*ep.bssid));
    r.path.bssid = ep.bssid;
  }
  if (!r.path.site.valid()) {
    std::optional<SiteId> site;
    if (ep.ip) site = site_of_ip(*ep.ip);
    if (!site && ep.subnet) site = site_of_ip(ep.subnet->base);
    if (site) {
      r.path.site = *site;
      r.organization = true;
      if (r.by == By::kNone) r.by = By::kSubnet;
    }
  }
  // The reflexive address tells which WAN link the media actually left through.
  if (ep.reflexive_ip) {
    if (auto link = link_of_public_ip(*ep.reflexive_ip)) {
      r.organization = true;
      r.path.links[0] = *link;
      r.path.link_count = 1;
      r.path.link_known = true;
      if (!r.path.site.valid()) r.path.site = site_of(*link);
    }
  }
  if (!r.path.link_known && r.path.link_count == 0) add_site_links(r.path);
  return r;
}

std::optional<SiteId> Topology::site_of_ip(const IpAddr& ip) const noexcept {
  for (const auto& [cidr, site] : subnets_) {
    if (cidr.contains(ip)) return site;
  }
  return std::nullopt;
}

std::optional<LinkId> Topology::link_of_public_ip(const IpAddr& ip) const noexcept {
  if (auto it = public_ip_link_.find(ip); it != public_ip_link_.end()) return it->second;
  return std::nullopt;
}

std::optional<ClientId> Topology::client_at_ip(const IpAddr& ip, TimeMs t) const noexcept {
  auto it = ip_history_.find(ip);
  if (it == ip_history_.end()) return std::nullopt;
  const auto& leases = it->second;
  auto pos = std::upper_bound(leases.begin(), leases.end(), t, [](TimeMs x, const IpLease& l) { return x < l.since; });
  if (pos == leases.begin()) return std::nullopt;
  return std::prev(pos)->client;
}

std::optional<ClientId> Topology::client_of_user(std::string_view user) const noexcept {
  if (auto it = user_client_.find(user); it != user_client_.end()) return it->second;
  return std::nullopt;
}

std::optional<ApId> Topology::ap_of_bssid(Mac bssid) const noexcept {
  if (auto ap = bssid_ap_.find(bssid.bits)) return ApId{*ap};
  return std::nullopt;
}

SiteId Topology::site_of(ApId ap) const noexcept {
  const auto* s = at_or_null(ap_site_, ap);
  return s ? *s : SiteId{};
}
SiteId Topology::site_of(SwitchId sw) const noexcept {
  const auto* s = at_or_null(switch_site_, sw);
  return s ? *s : SiteId{};
}
SiteId Topology::site_of(LinkId link) const noexcept {
  const auto* s = at_or_null(link_site_, link);
  return s ? *s : SiteId{};
}

std::span<const LinkId> Topology::links_of_site(SiteId site) const noexcept {
  const auto* l = at_or_null(site_links_, site);
  return l ? std::span<const LinkId>(*l) : std::span<const LinkId>{};
}

const ClientProfile* Topology::profile(ClientId client) const noexcept { return at_or_null(profiles_, client); }

bool Topology::is_known(ClientId client) const noexcept {
  const auto* a = at_or_null(attachments_, client);
  const auto* p = at_or_null(profiles_, client);
  return (a != nullptr && !a->empty()) || (p != nullptr && (!p->user.empty() || p->ip || !p->hostname.empty() ||
                                                            p->device_type != DeviceType::kUnknown));
}

void Topology::add_site_links(Path& path) const {
  if (!path.site.valid()) return;
  for (const LinkId l : links_of_site(path.site)) {
    if (path.link_count < kMaxLinks) path.links[path.link_count++] = l;
  }
}

bool Topology::is_known(ApId ap) const noexcept {
  const auto* s = at_or_null(ap_site_, ap);
  return s != nullptr && s->valid();
}

void Topology::expire(TimeMs horizon) {
  for (auto& list : attachments_) {
    // Keep the latest interval even when old: it may still be open.
    while (list.size() > 1 && list.front().to < horizon) list.erase(list.begin());
  }
  for (auto it = ip_history_.begin(); it != ip_history_.end();) {
    auto& leases = it->second;
    while (leases.size() > 1 && leases[1].since < horizon) leases.erase(leases.begin());
    ++it;
  }
}

}  // namespace callroot
