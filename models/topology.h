#pragma once
/// The network as the inventory describes it, and where each client was when.
///
/// Components (sites' APs, switches, WAN edges, WAN links) are vertices of a
/// Boost.Graph; uplinks (AP -> switch port, switch -> switch port, switch -> edge)
/// and carriage (edge -> WAN link) are its edges. Client attachments are time
/// intervals per client, so path(client, t) gives the hops at the time of a
/// call, roaming included. Address maps answer "which site owns this client
/// address" (subnets) and "which WAN link is this public address" (reflexive IPs).

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "models/directory.h"
#include "models/flat_map.h"
#include "models/events.h"
#include "models/net.h"
#include "models/segment.h"
#include "models/time.h"

namespace callroot {

/// Where a client was attached over [from, to).
struct Attachment {
  TimeMs from = kNoTime;
  TimeMs to = std::numeric_limits<TimeMs>::max();
  ApId ap;
  std::optional<Mac> bssid;
  double band = kMissing;
  double channel = kMissing;
  SwitchId sw;  ///< wired: the access switch
  PortId port;  ///< wired: its port
};

/// A switch on a path, with the port through which the path enters it.
///
/// That port is one end of the link below the switch, and a link belongs to
/// its downstream device: the cable between an access switch and the core
/// is the access switch's uplink (its failure harms exactly the calls below
/// the access switch, while the core's other ports stay clean), and an AP's
/// cable is its access switch's port. So `owner` is the switch itself on the
/// first hop (the port faces an AP or a wired client) and the switch one hop
/// down on every later hop.
struct SwitchHop {
  SwitchId sw;
  PortId port;
  SwitchId owner;  ///< the switch that owns the link `port` terminates
};

inline constexpr std::size_t kMaxSwitchHops = 8;
inline constexpr std::size_t kMaxLinks = 8;

/// The hops between an organization endpoint and the Internet.
struct Path {
  SiteId site;
  ClientId client;
  ApId ap;
  std::optional<Mac> bssid;
  double band = kMissing;  ///< Wi-Fi band of the attachment in GHz, when reported
  std::uint8_t switch_count = 0;
  std::array<SwitchHop, kMaxSwitchHops> switches{};
  EdgeId edge;
  /// The WAN link the media used when known (by reflexive IP); otherwise the
  /// candidate links of the site, in inventory order.
  std::uint8_t link_count = 0;
  std::array<LinkId, kMaxLinks> links{};
  bool link_known = false;

  [[nodiscard]] std::span<const SwitchHop> switch_hops() const noexcept { return {switches.data(), switch_count}; }
  [[nodiscard]] std::span<const LinkId> wan_links() const noexcept { return {links.data(), link_count}; }
};

/// What is known of a client besides its attachments.
struct ClientProfile {
  std::string user;
  std::string hostname;
  DeviceType device_type = DeviceType::kUnknown;
  std::optional<IpAddr> ip;
};

/// How a call endpoint maps onto the organization.
struct EndpointResolution {
  bool organization = false;  ///< false: a remote party; its hops are never blamed by name
  bool client_known = false;
  /// Remote because the endpoint's tenant is not one of the organization's
  /// (`inventory.org`), whatever else matched.
  bool other_tenant = false;
  Path path;
  enum class By : std::uint8_t { kNone, kMac, kIp, kUser, kBssid, kSubnet } by = By::kNone;
};
std::string_view to_string(EndpointResolution::By by) noexcept;

struct TopologyConfig {
  std::size_t max_attachments_per_client = 64;
  std::size_t max_ip_history = 8;  ///< per address
};

class Topology {
 public:
  explicit Topology(TopologyConfig config = {});

  /// Replaces the organization's tenants.
  void apply(const OrgInventory& e);
  void apply(const SiteInventory& e);
  void apply(const ApInventory& e);
  void apply(const SwitchInventory& e);
  void apply(const WanInventory& e);
  void apply(const ClientAssoc& e);
  void apply(const ClientDisassoc& e);
  void apply(const ClientInfo& e);

  [[nodiscard]] std::optional<Attachment> attachment(ClientId client, TimeMs t) const;
  /// The path of `client` at `t`; nullopt when it was not attached then.
  [[nodiscard]] std::optional<Path> path(ClientId client, TimeMs t) const;
  /// The path above an AP. Every segment reads its endpoints' paths, so the
  /// answer is kept per AP until the inventory next changes (which makes the
  /// const methods unsafe to call from two threads at once, like the rest of
  /// the engine's state).
  [[nodiscard]] Path path_from_ap(ApId ap) const;
  /// Maps a call endpoint onto the organization: the client by MAC, then by
  /// IP at the time (client.info history), then by user; failing that, the AP
  /// by BSSID, the site by subnet, the WAN link by reflexive IP. `directory`
  /// turns the endpoint's MAC into a client id.
  [[nodiscard]] EndpointResolution resolve(const Endpoint& ep, TimeMs t, const Directory& directory) const;
  /// True once inventory, association or client.info has mentioned the client.
  [[nodiscard]] bool is_known(ClientId client) const noexcept;

  [[nodiscard]] std::optional<SiteId> site_of_ip(const IpAddr& ip) const noexcept;
  [[nodiscard]] std::optional<LinkId> link_of_public_ip(const IpAddr& ip) const noexcept;
  [[nodiscard]] std::optional<ClientId> client_at_ip(const IpAddr& ip, TimeMs t) const noexcept;
  /// The client whose `client.info` named `user`, compared without regard
  /// to ASCII case (UPNs and e-mail addresses are case-insensitive).
  [[nodiscard]] std::optional<ClientId> client_of_user(std::string_view user) const noexcept;
  /// False when the organization lists its tenants and `tenant` is given and
  /// not one of them.
  [[nodiscard]] bool own_tenant(std::string_view tenant) const noexcept;
  [[nodiscard]] std::optional<ApId> ap_of_bssid(Mac bssid) const noexcept;
  [[nodiscard]] SiteId site_of(ApId ap) const noexcept;
  [[nodiscard]] SiteId site_of(SwitchId sw) const noexcept;
  [[nodiscard]] SiteId site_of(LinkId link) const noexcept;
  [[nodiscard]] std::span<const LinkId> links_of_site(SiteId site) const noexcept;
  [[nodiscard]] const ClientProfile* profile(ClientId client) const noexcept;
  [[nodiscard]] bool is_known(ApId ap) const noexcept;
  /// True when the inventory or an association says what `port` leads down
  /// to (an AP, a child switch, a wired client): it is not its switch's uplink.
  [[nodiscard]] bool faces_down(PortId port) const noexcept;
  /// The switch that owns the link `port` leads down by: the child switch
  /// for a port a child switch is uplinked to, the port's own switch for one
  /// facing an AP or a wired client; invalid when the port is not known to
  /// lead down.
  [[nodiscard]] SwitchId link_owner(PortId port) const noexcept;
  /// True when the inventory gives `sw` an uplink (to a switch or an edge).
  [[nodiscard]] bool has_uplink(SwitchId sw) const noexcept;

  /// Forgets attachment intervals and address history that ended before `horizon`.
  void expire(TimeMs horizon);

 private:
  enum class VertexKind : std::uint8_t { kAp, kSwitch, kEdge, kLink };
  struct VertexProps {
    VertexKind kind = VertexKind::kAp;
    std::uint32_t index = 0;
  };
  enum class EdgeKind : std::uint8_t { kUplink, kCarries };
  struct EdgeProps {
    EdgeKind kind = EdgeKind::kUplink;
    PortId port;  ///< for uplinks into a switch: the port on that switch
  };
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, VertexProps, EdgeProps>;
  using Vertex = Graph::vertex_descriptor;
  static constexpr Vertex kNoVertex = std::numeric_limits<Vertex>::max();

  Vertex vertex(VertexKind kind, std::uint32_t index);
  void set_uplink(Vertex child, Vertex parent, EdgeProps props);
  /// Follows uplinks from `start`, filling switches, edge and links.
  void climb(Vertex start, PortId entry_port, Path& path) const;
  [[nodiscard]] Path climb_from_ap(ApId ap) const;
  void add_site_link(SiteId site, LinkId link);
  void add_site_links(Path& path) const;

  TopologyConfig config_;
  Graph graph_;
  std::array<std::vector<Vertex>, 4> vertex_of_;  // per VertexKind, by index
  void mark_down(PortId port, SwitchId owner);

  std::vector<SiteId> ap_site_, switch_site_, link_site_;
  std::vector<SwitchId> port_owner_;  // by PortId: the owner of the link it leads down by
  std::vector<std::uint8_t> switch_has_uplink_;  // by SwitchId
  std::vector<std::vector<LinkId>> site_links_;
  std::vector<std::pair<Cidr, SiteId>> subnets_;  // longest prefix first
  FlatMap64 bssid_ap_;  // BSSID bits -> ApId
  std::unordered_map<IpAddr, LinkId> public_ip_link_;
  std::vector<std::vector<Attachment>> attachments_;  // per client, by time
  // path_from_ap's answers, valid while their generation is the inventory's.
  struct CachedPath {
    std::uint64_t generation = 0;
    Path path;
  };
  mutable std::vector<CachedPath> ap_paths_;
  std::uint64_t inventory_generation_ = 1;  // changes with every inventory record
  std::vector<ClientProfile> profiles_;
  struct IpLease {
    TimeMs since;
    ClientId client;
  };
  std::unordered_map<IpAddr, std::vector<IpLease>> ip_history_;
  /// ASCII case-insensitive, and transparent: a lookup by string_view
  /// neither allocates nor copies.
  struct NoCaseHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept;
  };
  struct NoCaseEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept;
  };
  std::unordered_map<std::string, ClientId, NoCaseHash, NoCaseEqual> user_client_;
  std::vector<std::string> tenants_;  // lower case, sorted
};

}  // namespace callroot
