#include "models/topology.h"

#include <gtest/gtest.h>

#include <vector>

namespace callroot {
namespace {

constexpr TimeMs kT0 = 1772446530000;
constexpr TimeMs kMin = 60'000;

Mac mac(const char* s) { return *Mac::parse(s); }
IpAddr ip(const char* s) { return *IpAddr::parse(s); }
Cidr cidr(const char* s) { return *Cidr::parse(s); }

/// hq: core (-> edge e1) <- access1 (xe-0/0/1), access2 (xe-0/0/2);
/// ap1 on access1 ge-0/0/1, ap2 on access2 ge-0/0/5; WAN links isp-a, isp-b on e1.
/// lab: a /24 inside hq's /8, no equipment.
class TopologyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hq = *dir.site("hq");
    lab = *dir.site("lab");
    core = *dir.switch_("core");
    access1 = *dir.switch_("access1");
    access2 = *dir.switch_("access2");
    e1 = *dir.edge("e1");
    isp_a = *dir.link("isp-a");
    isp_b = *dir.link("isp-b");
    ap1 = *dir.ap("ap1");
    ap2 = *dir.ap("ap2");
    core_xe1 = *dir.port(core, "xe-0/0/1");
    core_xe2 = *dir.port(core, "xe-0/0/2");
    access1_ge1 = *dir.port(access1, "ge-0/0/1");
    access2_ge5 = *dir.port(access2, "ge-0/0/5");
    access2_ge10 = *dir.port(access2, "ge-0/0/10");

    topo.apply(SiteInventory{hq, "HQ", {cidr("10.0.0.0/8"), cidr("2001:db8::/32")}});
    topo.apply(SiteInventory{lab, "Lab", {cidr("10.1.5.0/24")}});
    topo.apply(SwitchInventory{core, hq, "", SwitchId{}, PortId{}, e1});
    topo.apply(SwitchInventory{access1, hq, "", core, core_xe1, EdgeId{}});
    topo.apply(SwitchInventory{access2, hq, "", core, core_xe2, EdgeId{}});
    topo.apply(ApInventory{ap1, hq, "", {mac("00:11:22:33:44:01"), mac("00:11:22:33:44:02")}, access1, access1_ge1});
    topo.apply(ApInventory{ap2, hq, "", {mac("00:11:22:33:44:11")}, access2, access2_ge5});
    topo.apply(WanInventory{isp_a, hq, e1, "A", 1000, {ip("203.0.113.10")}});
    topo.apply(WanInventory{isp_b, hq, e1, "B", 500, {ip("198.51.100.7"), ip("2001:db8:ffff::7")}});
  }

  ClientId client(const char* m) { return *dir.client(mac(m)); }
  void assoc_ap(ClientId c, TimeMs t, ApId ap) {
    ClientAssoc a;
    a.ts = t;
    a.client = c;
    a.ap = ap;
    topo.apply(a);
  }
  void assoc_bssid(ClientId c, TimeMs t, Mac bssid) {
    ClientAssoc a;
    a.ts = t;
    a.client = c;
    a.bssid = bssid;
    topo.apply(a);
  }
  void assoc_wired(ClientId c, TimeMs t, SwitchId sw, PortId p) {
    ClientAssoc a;
    a.ts = t;
    a.client = c;
    a.sw = sw;
    a.port = p;
    topo.apply(a);
  }
  void disassoc(ClientId c, TimeMs t) { topo.apply(ClientDisassoc{t, c}); }
  void info(ClientId c, TimeMs t, const char* addr, std::string user = {}) {
    ClientInfo i;
    i.ts = t;
    i.client = c;
    if (addr) i.ip = ip(addr);
    i.user = std::move(user);
    topo.apply(i);
  }
  static std::vector<LinkId> links(const Path& p) { return {p.wan_links().begin(), p.wan_links().end()}; }

  Directory dir;
  Topology topo;
  SiteId hq, lab;
  SwitchId core, access1, access2;
  EdgeId e1;
  LinkId isp_a, isp_b;
  ApId ap1, ap2;
  PortId core_xe1, core_xe2, access1_ge1, access2_ge5, access2_ge10;
};

TEST_F(TopologyTest, PathFromApClimbsToTheEdgeAndLinks) {
  const Path p = topo.path_from_ap(ap1);
  EXPECT_EQ(p.site, hq);
  EXPECT_EQ(p.ap, ap1);
  ASSERT_EQ(p.switch_count, 2u);
  EXPECT_EQ(p.switches[0].sw, access1);
  EXPECT_EQ(p.switches[0].port, access1_ge1);  // the port the AP is plugged into
  EXPECT_EQ(p.switches[1].sw, core);
  EXPECT_EQ(p.switches[1].port, core_xe1);  // the port access1 is plugged into
  EXPECT_EQ(p.edge, e1);
  EXPECT_EQ(links(p), (std::vector<LinkId>{isp_a, isp_b}));
  EXPECT_FALSE(p.link_known);
  EXPECT_FALSE(p.client.valid());

  const Path q = topo.path_from_ap(ap2);
  ASSERT_EQ(q.switch_count, 2u);
  EXPECT_EQ(q.switches[0].sw, access2);
  EXPECT_EQ(q.switches[0].port, access2_ge5);
  EXPECT_EQ(q.switches[1].port, core_xe2);
  EXPECT_EQ(dir.port_name(q.switches[1].port), "xe-0/0/2");
}

TEST_F(TopologyTest, PathFromApFollowsEveryInventoryChange) {
  // Read once (and kept), then the AP moves, its switch is re-homed, a link
  // is added: each change shows in the next path.
  ASSERT_EQ(topo.path_from_ap(ap1).switches[0].sw, access1);
  topo.apply(ApInventory{ap1, hq, "", {mac("00:11:22:33:44:01")}, access2, access2_ge10});
  Path p = topo.path_from_ap(ap1);
  EXPECT_EQ(p.switches[0].sw, access2);
  EXPECT_EQ(p.switches[0].port, access2_ge10);
  EXPECT_EQ(p.switches[1].port, core_xe2);
  topo.apply(SwitchInventory{access2, hq, "", core, core_xe1, EdgeId{}});
  EXPECT_EQ(topo.path_from_ap(ap1).switches[1].port, core_xe1);
  const LinkId isp_c = *dir.link("isp-c");
  topo.apply(WanInventory{isp_c, hq, e1, "C", 100, {ip("192.0.2.77")}});
  EXPECT_EQ(links(topo.path_from_ap(ap1)), (std::vector<LinkId>{isp_a, isp_b, isp_c}));
  const SiteId annex = *dir.site("annex");
  topo.apply(SiteInventory{annex, "Annex", {cidr("172.16.0.0/16")}});
  topo.apply(ApInventory{ap1, annex, "", {}, SwitchId{}, PortId{}});
  p = topo.path_from_ap(ap1);
  EXPECT_EQ(p.site, annex);
}

TEST_F(TopologyTest, UnknownApHasNoHops) {
  const ApId ghost = *dir.ap("ghost");
  const Path p = topo.path_from_ap(ghost);
  EXPECT_EQ(p.switch_count, 0u);
  EXPECT_FALSE(p.site.valid());
  EXPECT_EQ(p.link_count, 0u);
  EXPECT_FALSE(topo.is_known(ghost));
  EXPECT_TRUE(topo.is_known(ap1));
}

TEST_F(TopologyTest, ApWithoutUplinkGetsTheSiteLinks) {
  const ApId lone = *dir.ap("lone");
  topo.apply(ApInventory{lone, hq, "", {}, SwitchId{}, PortId{}});
  const Path p = topo.path_from_ap(lone);
  EXPECT_EQ(p.switch_count, 0u);
  EXPECT_EQ(p.site, hq);
  EXPECT_FALSE(p.edge.valid());
  EXPECT_EQ(links(p), (std::vector<LinkId>{isp_a, isp_b}));
}

TEST_F(TopologyTest, WiredClientPath) {
  const ClientId c = client("aa:00:00:00:00:01");
  assoc_wired(c, kT0, access2, access2_ge10);
  const auto p = topo.path(c, kT0 + kMin);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->client, c);
  EXPECT_FALSE(p->ap.valid());
  EXPECT_EQ(p->site, hq);
  ASSERT_EQ(p->switch_count, 2u);
  EXPECT_EQ(p->switches[0].sw, access2);
  EXPECT_EQ(p->switches[0].port, access2_ge10);
  EXPECT_EQ(p->switches[1].sw, core);
  EXPECT_EQ(p->switches[1].port, core_xe2);
  EXPECT_EQ(p->edge, e1);
  EXPECT_EQ(links(*p), (std::vector<LinkId>{isp_a, isp_b}));
}

TEST_F(TopologyTest, RoamingGivesThePathAtTheTime) {
  const ClientId c = client("aa:00:00:00:00:02");
  assoc_ap(c, kT0, ap1);
  assoc_ap(c, kT0 + 10 * kMin, ap2);
  disassoc(c, kT0 + 20 * kMin);
  EXPECT_FALSE(topo.path(c, kT0 - 1));
  ASSERT_TRUE(topo.path(c, kT0));
  EXPECT_EQ(topo.path(c, kT0)->ap, ap1);
  EXPECT_EQ(topo.path(c, kT0 + 10 * kMin - 1)->ap, ap1);
  EXPECT_EQ(topo.path(c, kT0 + 10 * kMin)->ap, ap2);
  EXPECT_EQ(topo.path(c, kT0 + 15 * kMin)->switches[0].sw, access2);
  EXPECT_FALSE(topo.path(c, kT0 + 20 * kMin));  // disassociated: the interval is half-open
  EXPECT_FALSE(topo.path(c, kT0 + 30 * kMin));
  const auto a = topo.attachment(c, kT0 + 5 * kMin);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->from, kT0);
  EXPECT_EQ(a->to, kT0 + 10 * kMin);
  // Back on ap1 later.
  assoc_ap(c, kT0 + 40 * kMin, ap1);
  EXPECT_EQ(topo.path(c, kT0 + 50 * kMin)->ap, ap1);
  EXPECT_FALSE(topo.path(c, kT0 + 30 * kMin));
}

TEST_F(TopologyTest, AssocInsertedOutOfOrder) {
  const ClientId c = client("aa:00:00:00:00:03");
  assoc_ap(c, kT0, ap1);
  disassoc(c, kT0 + 30 * kMin);
  assoc_ap(c, kT0 + 10 * kMin, ap2);  // late record: roamed to ap2 before the disassociation
  EXPECT_EQ(topo.path(c, kT0 + 5 * kMin)->ap, ap1);
  EXPECT_EQ(topo.path(c, kT0 + 20 * kMin)->ap, ap2);
  // The disassociation still ends the client's attachment.
  EXPECT_FALSE(topo.path(c, kT0 + 30 * kMin));
  EXPECT_FALSE(topo.path(c, kT0 + 40 * kMin));

  const ClientId d = client("aa:00:00:00:00:04");
  assoc_ap(d, kT0 + 20 * kMin, ap2);
  assoc_ap(d, kT0, ap1);  // an earlier interval arrives last: it ends where the next begins
  EXPECT_EQ(topo.path(d, kT0 + 10 * kMin)->ap, ap1);
  EXPECT_EQ(topo.path(d, kT0 + 25 * kMin)->ap, ap2);
  EXPECT_EQ(topo.attachment(d, kT0)->to, kT0 + 20 * kMin);
}

TEST_F(TopologyTest, DuplicateAssocDoesNotPileUpIntervals) {
  // The same client.assoc delivered again must not spend the history cap on copies.
  Topology t(TopologyConfig{4, 8});
  const ClientId c = client("aa:00:00:00:00:05");
  ClientAssoc a;
  a.client = c;
  a.ts = kT0;
  a.ap = ap1;
  t.apply(a);
  a.ts = kT0 + kMin;
  a.ap = ap2;
  for (int i = 0; i < 10; ++i) t.apply(a);
  ASSERT_TRUE(t.attachment(c, kT0));
  EXPECT_EQ(t.attachment(c, kT0)->ap, ap1);
  EXPECT_EQ(t.attachment(c, kT0)->to, kT0 + kMin);
  EXPECT_EQ(t.attachment(c, kT0 + kMin)->ap, ap2);
  // A restated association at the same time wins (the newer record).
  a.ap = ap1;
  t.apply(a);
  EXPECT_EQ(t.attachment(c, kT0 + kMin)->ap, ap1);
}

TEST_F(TopologyTest, AttachmentHistoryIsCapped) {
  Topology t(TopologyConfig{4, 8});
  t.apply(ApInventory{ap1, hq, "", {}, access1, access1_ge1});
  const ClientId c = client("aa:00:00:00:00:06");
  for (int i = 0; i < 10; ++i) {
    ClientAssoc a;
    a.ts = kT0 + i * kMin;
    a.client = c;
    a.ap = ap1;
    t.apply(a);
  }
  EXPECT_FALSE(t.attachment(c, kT0 + 5 * kMin));  // dropped
  EXPECT_TRUE(t.attachment(c, kT0 + 6 * kMin));
  EXPECT_TRUE(t.attachment(c, kT0 + 100 * kMin));
}

TEST_F(TopologyTest, BssidToAp) {
  EXPECT_EQ(topo.ap_of_bssid(mac("00:11:22:33:44:02")), ap1);
  EXPECT_EQ(topo.ap_of_bssid(mac("00:11:22:33:44:11")), ap2);
  EXPECT_EQ(topo.ap_of_bssid(mac("00:11:22:33:44:99")), std::nullopt);
  const ClientId c = client("aa:00:00:00:00:07");
  assoc_bssid(c, kT0, mac("00:11:22:33:44:11"));
  const auto p = topo.path(c, kT0);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->ap, ap2);
  EXPECT_EQ(p->bssid, mac("00:11:22:33:44:11"));
  EXPECT_EQ(p->switch_count, 2u);
}

TEST_F(TopologyTest, BssidLearnedAfterTheAssociation) {
  const ClientId c = client("aa:00:00:00:00:08");
  assoc_bssid(c, kT0, mac("00:11:22:33:55:01"));
  EXPECT_FALSE(topo.path(c, kT0)->ap.valid());
  const ApId ap3 = *dir.ap("ap3");
  topo.apply(ApInventory{ap3, hq, "", {mac("00:11:22:33:55:01")}, access1, access1_ge1});
  EXPECT_EQ(topo.path(c, kT0)->ap, ap3);
}

TEST_F(TopologyTest, SubnetsLongestPrefixWins) {
  EXPECT_EQ(topo.site_of_ip(ip("10.1.5.7")), lab);
  EXPECT_EQ(topo.site_of_ip(ip("10.1.6.7")), hq);
  EXPECT_EQ(topo.site_of_ip(ip("10.200.0.1")), hq);
  EXPECT_EQ(topo.site_of_ip(ip("2001:db8:1::5")), hq);
  EXPECT_EQ(topo.site_of_ip(ip("11.0.0.1")), std::nullopt);
  EXPECT_EQ(topo.site_of_ip(ip("8.8.8.8")), std::nullopt);
  // Order of the inventory does not matter: a broader prefix added later still loses.
  const SiteId wide = *dir.site("wide");
  topo.apply(SiteInventory{wide, "", {cidr("0.0.0.0/0")}});
  EXPECT_EQ(topo.site_of_ip(ip("10.1.5.7")), lab);
  EXPECT_EQ(topo.site_of_ip(ip("8.8.8.8")), wide);
  // A site restated replaces its subnets.
  topo.apply(SiteInventory{lab, "", {cidr("172.16.0.0/12")}});
  EXPECT_EQ(topo.site_of_ip(ip("10.1.5.7")), hq);
  EXPECT_EQ(topo.site_of_ip(ip("172.20.0.1")), lab);
}

TEST_F(TopologyTest, ReflexiveIpToLink) {
  EXPECT_EQ(topo.link_of_public_ip(ip("203.0.113.10")), isp_a);
  EXPECT_EQ(topo.link_of_public_ip(ip("198.51.100.7")), isp_b);
  EXPECT_EQ(topo.link_of_public_ip(ip("2001:db8:ffff::7")), isp_b);
  EXPECT_EQ(topo.link_of_public_ip(ip("203.0.113.11")), std::nullopt);
  EXPECT_EQ(topo.site_of(isp_b), hq);
  EXPECT_EQ(topo.links_of_site(hq).size(), 2u);
  EXPECT_EQ(topo.links_of_site(lab).size(), 0u);

  const ClientId c = client("aa:00:00:00:00:09");
  assoc_ap(c, kT0, ap1);
  Endpoint ep;
  ep.present = true;
  ep.client = mac("aa:00:00:00:00:09");
  ep.reflexive_ip = ip("198.51.100.7");
  const auto r = topo.resolve(ep, kT0 + kMin, dir);
  EXPECT_TRUE(r.organization);
  EXPECT_EQ(r.by, EndpointResolution::By::kMac);
  EXPECT_TRUE(r.path.link_known);
  EXPECT_EQ(links(r.path), (std::vector<LinkId>{isp_b}));
  EXPECT_EQ(r.path.ap, ap1);
  EXPECT_EQ(r.path.edge, e1);
}

TEST_F(TopologyTest, ResolveByMac) {
  const ClientId c = client("aa:00:00:00:00:0a");
  assoc_ap(c, kT0, ap2);
  Endpoint ep;
  ep.present = true;
  ep.client = mac("AA-00-00-00-00-0A");
  const auto r = topo.resolve(ep, kT0 + kMin, dir);
  EXPECT_TRUE(r.organization);
  EXPECT_TRUE(r.client_known);
  EXPECT_EQ(r.by, EndpointResolution::By::kMac);
  EXPECT_EQ(r.path.client, c);
  EXPECT_EQ(r.path.ap, ap2);
  EXPECT_EQ(r.path.site, hq);
  EXPECT_FALSE(r.path.link_known);
  EXPECT_EQ(links(r.path), (std::vector<LinkId>{isp_a, isp_b}));
  EXPECT_EQ(to_string(r.by), "mac");
  // Before the association the client is known but has no path; the IP gives the site.
  ep.ip = ip("10.1.5.9");
  const auto before = topo.resolve(ep, kT0 - kMin, dir);
  EXPECT_TRUE(before.organization);
  EXPECT_EQ(before.by, EndpointResolution::By::kMac);
  EXPECT_EQ(before.path.client, c);
  EXPECT_FALSE(before.path.ap.valid());
  EXPECT_EQ(before.path.site, lab);
}

TEST_F(TopologyTest, ResolveKnownClientWithoutAttachmentUsesTheBssid) {
  const ClientId c = client("aa:00:00:00:00:0b");
  info(c, kNoTime, "10.3.3.3", "bob@example.com");
  Endpoint ep;
  ep.present = true;
  ep.user = "bob@example.com";
  ep.bssid = mac("00:11:22:33:44:01");
  const auto r = topo.resolve(ep, kT0, dir);
  EXPECT_TRUE(r.organization);
  EXPECT_TRUE(r.client_known);
  EXPECT_EQ(r.by, EndpointResolution::By::kUser);
  EXPECT_EQ(r.path.client, c);
  EXPECT_EQ(r.path.ap, ap1);
  EXPECT_EQ(r.path.switch_count, 2u);
  EXPECT_EQ(r.path.bssid, mac("00:11:22:33:44:01"));
}

TEST_F(TopologyTest, ResolveByIpAtTheTime) {
  const ClientId b = client("aa:00:00:00:00:0c");
  const ClientId c = client("aa:00:00:00:00:0d");
  assoc_ap(b, kT0, ap1);
  assoc_ap(c, kT0, ap2);
  info(b, kT0, "10.9.0.5");
  info(c, kT0 + 60 * kMin, "10.9.0.5");  // the lease moved to c
  EXPECT_EQ(topo.client_at_ip(ip("10.9.0.5"), kT0 - 1), std::nullopt);
  EXPECT_EQ(topo.client_at_ip(ip("10.9.0.5"), kT0), b);
  EXPECT_EQ(topo.client_at_ip(ip("10.9.0.5"), kT0 + 60 * kMin), c);

  Endpoint ep;
  ep.present = true;
  ep.client = mac("02:00:00:00:00:00");  // Graph's privacy placeholder
  ep.ip = ip("10.9.0.5");
  const auto early = topo.resolve(ep, kT0 + 30 * kMin, dir);
  EXPECT_TRUE(early.organization);
  EXPECT_EQ(early.by, EndpointResolution::By::kIp);
  EXPECT_EQ(early.path.client, b);
  EXPECT_EQ(early.path.ap, ap1);
  const auto late = topo.resolve(ep, kT0 + 90 * kMin, dir);
  EXPECT_EQ(late.by, EndpointResolution::By::kIp);
  EXPECT_EQ(late.path.client, c);
  EXPECT_EQ(late.path.ap, ap2);
  EXPECT_EQ(to_string(late.by), "ip");
  // A lease recorded out of order.
  const ClientId d = client("aa:00:00:00:00:0e");
  info(d, kT0 + 30 * kMin, "10.9.0.5");
  EXPECT_EQ(topo.client_at_ip(ip("10.9.0.5"), kT0 + 20 * kMin), b);
  EXPECT_EQ(topo.client_at_ip(ip("10.9.0.5"), kT0 + 40 * kMin), d);
  EXPECT_EQ(topo.client_at_ip(ip("10.9.0.5"), kT0 + 70 * kMin), c);
  // A lease without a time is valid from the beginning.
  const ClientId e = client("aa:00:00:00:00:0f");
  info(e, kNoTime, "10.9.0.6");
  EXPECT_EQ(topo.client_at_ip(ip("10.9.0.6"), 0), e);
}

TEST_F(TopologyTest, UsersMatchWithoutRegardToCase) {
  const ClientId c = client("aa:00:00:00:00:21");
  info(c, kT0, nullptr, "Carol.Jones@Example.COM");
  EXPECT_EQ(topo.client_of_user("carol.jones@example.com"), c);
  EXPECT_EQ(topo.client_of_user("CAROL.JONES@EXAMPLE.COM"), c);
  EXPECT_EQ(topo.client_of_user("carol.jones@example.co"), std::nullopt);
}

TEST_F(TopologyTest, AnotherTenantIsRemoteWhateverElseMatches) {
  const ClientId c = client("aa:00:00:00:00:22");
  assoc_ap(c, kT0, ap1);
  Endpoint ep;
  ep.present = true;
  ep.client = mac("aa:00:00:00:00:22");
  ep.ip = ip("10.1.5.9");
  ep.tenant = "5F1B5E1C-0000-4000-8000-00000000BEEF";
  // Until the organization names its tenants, a tenant decides nothing.
  EXPECT_TRUE(topo.resolve(ep, kT0 + kMin, dir).organization);
  topo.apply(OrgInventory{"Contoso", {"5f1b5e1c-0000-4000-8000-00000000beef", "0b5e2c44-0000-4000-8000-000000000001"}});
  auto r = topo.resolve(ep, kT0 + kMin, dir);
  EXPECT_TRUE(r.organization) << "its own tenant, in another case";
  EXPECT_FALSE(r.other_tenant);
  ep.tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";  // a guest from another organization, on our Wi-Fi
  r = topo.resolve(ep, kT0 + kMin, dir);
  EXPECT_FALSE(r.organization);
  EXPECT_TRUE(r.other_tenant);
  EXPECT_FALSE(r.path.client.valid());
  EXPECT_FALSE(r.path.ap.valid());
  EXPECT_EQ(r.path.link_count, 0u);
  ep.tenant.clear();  // no tenant given: placed as usual
  EXPECT_TRUE(topo.resolve(ep, kT0 + kMin, dir).organization);
}

TEST_F(TopologyTest, ResolveByUser) {
  const ClientId c = client("aa:00:00:00:00:10");
  info(c, kT0, nullptr, "alice@example.com");
  assoc_wired(c, kT0, access2, access2_ge10);
  EXPECT_EQ(topo.client_of_user("alice@example.com"), c);
  EXPECT_EQ(topo.client_of_user("mallory@example.com"), std::nullopt);
  ASSERT_NE(topo.profile(c), nullptr);
  EXPECT_EQ(topo.profile(c)->user, "alice@example.com");
  Endpoint ep;
  ep.present = true;
  ep.user = "alice@example.com";
  ep.ip = ip("192.0.2.1");  // not a lease anyone has
  const auto r = topo.resolve(ep, kT0 + kMin, dir);
  EXPECT_TRUE(r.organization);
  EXPECT_EQ(r.by, EndpointResolution::By::kUser);
  EXPECT_EQ(r.path.client, c);
  EXPECT_EQ(r.path.switches[0].port, access2_ge10);
}

TEST_F(TopologyTest, ResolveByBssid) {
  Endpoint ep;
  ep.present = true;
  ep.client = mac("aa:00:00:00:99:99");  // never seen
  ep.bssid = mac("00:11:22:33:44:11");
  const auto r = topo.resolve(ep, kT0, dir);
  EXPECT_TRUE(r.organization);
  EXPECT_FALSE(r.client_known);
  EXPECT_EQ(r.by, EndpointResolution::By::kBssid);
  EXPECT_EQ(r.path.ap, ap2);
  EXPECT_EQ(r.path.bssid, mac("00:11:22:33:44:11"));
  EXPECT_EQ(r.path.site, hq);
  EXPECT_EQ(r.path.switch_count, 2u);
  EXPECT_FALSE(r.path.client.valid());
}

TEST_F(TopologyTest, ResolveBySubnet) {
  Endpoint ep;
  ep.present = true;
  ep.ip = ip("10.1.5.7");
  auto r = topo.resolve(ep, kT0, dir);
  EXPECT_TRUE(r.organization);
  EXPECT_FALSE(r.client_known);
  EXPECT_EQ(r.by, EndpointResolution::By::kSubnet);
  EXPECT_EQ(r.path.site, lab);
  EXPECT_EQ(r.path.link_count, 0u);  // lab has no WAN link of its own

  Endpoint by_subnet;
  by_subnet.present = true;
  by_subnet.subnet = cidr("10.77.0.0/16");
  r = topo.resolve(by_subnet, kT0, dir);
  EXPECT_TRUE(r.organization);
  EXPECT_EQ(r.by, EndpointResolution::By::kSubnet);
  EXPECT_EQ(r.path.site, hq);
  EXPECT_EQ(links(r.path), (std::vector<LinkId>{isp_a, isp_b}));
}

TEST_F(TopologyTest, ResolveRemote) {
  Endpoint ep;
  ep.present = true;
  ep.client = mac("aa:00:00:00:99:98");
  ep.ip = ip("8.8.8.8");
  ep.subnet = cidr("8.8.8.0/24");
  ep.bssid = mac("00:99:99:99:99:99");
  ep.reflexive_ip = ip("8.8.4.4");
  ep.user = "someone@elsewhere.example";
  const auto r = topo.resolve(ep, kT0, dir);
  EXPECT_FALSE(r.organization);
  EXPECT_FALSE(r.client_known);
  EXPECT_EQ(r.by, EndpointResolution::By::kNone);
  EXPECT_FALSE(r.path.site.valid());
  EXPECT_FALSE(r.path.ap.valid());
  EXPECT_EQ(r.path.switch_count, 0u);
  EXPECT_EQ(r.path.link_count, 0u);
  EXPECT_EQ(to_string(r.by), "none");

  Endpoint absent;
  EXPECT_FALSE(topo.resolve(absent, kT0, dir).organization);
}

TEST_F(TopologyTest, ReflexiveIpAloneMakesItOrganization) {
  Endpoint ep;
  ep.present = true;
  ep.ip = ip("192.168.1.20");  // a home-style address in no site subnet
  ep.reflexive_ip = ip("203.0.113.10");
  const auto r = topo.resolve(ep, kT0, dir);
  EXPECT_TRUE(r.organization);
  EXPECT_TRUE(r.path.link_known);
  EXPECT_EQ(links(r.path), (std::vector<LinkId>{isp_a}));
  EXPECT_EQ(r.path.site, hq);
}

TEST_F(TopologyTest, PlaceholderMacIsIgnored) {
  // Even if a decoder interned the placeholder and it was seen associating, it identifies nobody.
  const ClientId ph = client("02:00:00:00:00:00");
  assoc_ap(ph, kT0, ap1);
  Endpoint ep;
  ep.present = true;
  ep.client = mac("02:00:00:00:00:00");
  const auto r = topo.resolve(ep, kT0 + kMin, dir);
  EXPECT_FALSE(r.organization);
  EXPECT_FALSE(r.client_known);
  EXPECT_EQ(r.by, EndpointResolution::By::kNone);
  EXPECT_FALSE(r.path.ap.valid());
}

TEST_F(TopologyTest, UnknownMacNotInDirectory) {
  Endpoint ep;
  ep.present = true;
  ep.client = mac("aa:00:00:00:77:77");
  EXPECT_FALSE(topo.resolve(ep, kT0, dir).organization);
  // In the directory but never mentioned by inventory, assoc or client.info: not known.
  const ClientId c = client("aa:00:00:00:77:77");
  EXPECT_FALSE(topo.is_known(c));
  EXPECT_FALSE(topo.resolve(ep, kT0, dir).organization);
}

TEST_F(TopologyTest, UplinkCycleDoesNotHang) {
  const SwitchId s1 = *dir.switch_("loop1");
  const SwitchId s2 = *dir.switch_("loop2");
  const SwitchId s3 = *dir.switch_("loop3");
  const PortId p1 = *dir.port(s1, "p");
  const PortId p2 = *dir.port(s2, "p");
  const PortId p3 = *dir.port(s3, "p");
  topo.apply(SwitchInventory{s1, hq, "", s2, p2, EdgeId{}});
  topo.apply(SwitchInventory{s2, hq, "", s3, p3, EdgeId{}});
  topo.apply(SwitchInventory{s3, hq, "", s1, p1, EdgeId{}});
  const ApId ap = *dir.ap("ap-loop");
  topo.apply(ApInventory{ap, hq, "", {}, s1, p1});
  const Path p = topo.path_from_ap(ap);
  EXPECT_EQ(p.switch_count, 3u);
  EXPECT_EQ(p.switches[0].sw, s1);
  EXPECT_EQ(p.switches[1].sw, s2);
  EXPECT_EQ(p.switches[2].sw, s3);
  EXPECT_FALSE(p.edge.valid());
  EXPECT_EQ(links(p), (std::vector<LinkId>{isp_a, isp_b}));  // the site's candidates

  // A switch that is its own uplink.
  const SwitchId self = *dir.switch_("self");
  topo.apply(SwitchInventory{self, hq, "", self, *dir.port(self, "p"), EdgeId{}});
  const ClientId c = client("aa:00:00:00:00:11");
  assoc_wired(c, kT0, self, *dir.port(self, "q"));
  const auto wired = topo.path(c, kT0);
  ASSERT_TRUE(wired);
  EXPECT_EQ(wired->switch_count, 1u);

  // A chain deeper than kMaxSwitchHops is cut, not overrun.
  std::vector<SwitchId> chain;
  for (int i = 0; i < 20; ++i) chain.push_back(*dir.switch_("chain" + std::to_string(i)));
  for (int i = 0; i + 1 < 20; ++i) {
    topo.apply(SwitchInventory{chain[i], hq, "", chain[i + 1], *dir.port(chain[i + 1], "up"), EdgeId{}});
  }
  const ApId deep = *dir.ap("deep");
  topo.apply(ApInventory{deep, hq, "", {}, chain[0], *dir.port(chain[0], "ap")});
  EXPECT_EQ(topo.path_from_ap(deep).switch_count, kMaxSwitchHops);
}

TEST_F(TopologyTest, InventoryUpdateReplacesUplink) {
  const PortId access2_ge7 = *dir.port(access2, "ge-0/0/7");
  topo.apply(ApInventory{ap1, hq, "", {mac("00:11:22:33:44:01")}, access2, access2_ge7});
  const Path p = topo.path_from_ap(ap1);
  ASSERT_EQ(p.switch_count, 2u);
  EXPECT_EQ(p.switches[0].sw, access2);
  EXPECT_EQ(p.switches[0].port, access2_ge7);
  EXPECT_EQ(p.switches[1].sw, core);
  EXPECT_EQ(p.switches[1].port, core_xe2);
  // A switch moved to another parent.
  topo.apply(SwitchInventory{access2, hq, "", access1, *dir.port(access1, "ge-0/0/48"), EdgeId{}});
  const Path q = topo.path_from_ap(ap1);
  ASSERT_EQ(q.switch_count, 3u);
  EXPECT_EQ(q.switches[1].sw, access1);
  EXPECT_EQ(dir.port_name(q.switches[1].port), "ge-0/0/48");
  EXPECT_EQ(q.switches[2].sw, core);
  EXPECT_EQ(q.switches[2].port, core_xe1);
}

TEST_F(TopologyTest, WanLinkMovedToAnotherEdge) {
  const EdgeId e2 = *dir.edge("e2");
  topo.apply(WanInventory{isp_b, hq, e2, "B", 500, {ip("198.51.100.7")}});
  EXPECT_EQ(links(topo.path_from_ap(ap1)), (std::vector<LinkId>{isp_a}));
}

TEST_F(TopologyTest, ExpireForgetsOldIntervalsButKeepsTheLatest) {
  const ClientId c = client("aa:00:00:00:00:12");
  assoc_ap(c, kT0, ap1);
  assoc_ap(c, kT0 + 10 * kMin, ap2);
  info(c, kT0, "10.9.9.9");
  const ClientId d = client("aa:00:00:00:00:13");
  info(d, kT0 + 10 * kMin, "10.9.9.9");
  topo.expire(kT0 + 100 * kMin);
  EXPECT_FALSE(topo.attachment(c, kT0 + 5 * kMin));
  EXPECT_EQ(topo.path(c, kT0 + 200 * kMin)->ap, ap2);  // still open
  EXPECT_EQ(topo.client_at_ip(ip("10.9.9.9"), kT0 + 200 * kMin), d);
  EXPECT_EQ(topo.client_at_ip(ip("10.9.9.9"), kT0 + 5 * kMin), std::nullopt);
}

TEST_F(TopologyTest, InvalidIdsAreIgnored) {
  topo.apply(ClientAssoc{kT0, ClientId{}, ap1, std::nullopt, kMissing, kMissing, SwitchId{}, PortId{}});
  topo.apply(ClientDisassoc{kT0, ClientId{}});
  ClientInfo i;
  i.client = ClientId{};
  i.user = "x";
  topo.apply(i);
  EXPECT_EQ(topo.client_of_user("x"), std::nullopt);
  EXPECT_FALSE(topo.path(ClientId{}, kT0));
  EXPECT_FALSE(topo.is_known(ClientId{}));
}

}  // namespace
}  // namespace callroot
