// RemoteFate: which outside parties' calls go badly, and through how many
// different local access points.
#include "engine/remote_fate.h"

#include <gtest/gtest.h>

namespace callroot::engine {
namespace {

constexpr TimeMs kT0 = 1'772'442'000'000;

Endpoint guest(const char* user, const char* ip) {
  Endpoint ep;
  ep.present = true;
  ep.user = user;
  ep.ip = IpAddr::parse(ip);
  return ep;
}

TEST(RemoteFate, APartyIsItsDomainThenItsTenantThenItsPrefix) {
  const auto a = RemoteFate::party(guest("ana@Partner.example", "192.0.2.10"));
  const auto b = RemoteFate::party(guest("bo@partner.EXAMPLE", "198.51.100.7"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b) << "one domain, whatever the case and the address";
  Endpoint t = guest("", "192.0.2.10");
  t.tenant = "tenant-1";
  EXPECT_NE(RemoteFate::party(t), a);
  // Without a user or tenant: the /24 of the address.
  EXPECT_EQ(RemoteFate::party(guest("", "203.0.113.5")), RemoteFate::party(guest("", "203.0.113.200")));
  EXPECT_NE(RemoteFate::party(guest("", "203.0.113.5")), RemoteFate::party(guest("", "203.0.114.5")));
  EXPECT_FALSE(RemoteFate::party(Endpoint{}).has_value());
}

TEST(RemoteFate, RecurrentWhenPoorCallsComeThroughSeveralAccessPoints) {
  RemoteFate fate;
  const std::uint64_t party = *RemoteFate::party(guest("x@partner.example", "192.0.2.1"));
  fate.add(kT0, party, true, ClientId{1}, FateKey::ap(ApId{1}));
  fate.add(kT0 + 1'000, party, true, ClientId{2}, FateKey::ap(ApId{1}));
  RemoteAssessment one_ap = fate.assess(party, ClientId{});
  EXPECT_EQ(one_ap.k, 2u);
  EXPECT_EQ(one_ap.access, 1u);
  EXPECT_FALSE(one_ap.recurrent) << "one AP: the AP may be what they share";
  fate.add(kT0 + 2'000, party, true, ClientId{3}, FateKey::port(PortId{7}));
  const RemoteAssessment two = fate.assess(party, ClientId{});
  EXPECT_EQ(two.access, 2u);
  EXPECT_TRUE(two.recurrent);
  // Leaving out client 3 walks the calls: one access point again.
  EXPECT_FALSE(fate.assess(party, ClientId{3}).recurrent);
  // Mostly good calls: not recurrent, however many poor ones.
  for (int i = 0; i < 6; ++i) fate.add(kT0 + 3'000 + i, party, false, ClientId{4}, FateKey::ap(ApId{2}));
  EXPECT_FALSE(fate.assess(party, ClientId{}).recurrent);
}

TEST(RemoteFate, CallsLeaveTheWindowAndTheBound) {
  RemoteFateConfig cfg;
  cfg.max_entries = 3;
  RemoteFate fate(cfg);
  const std::uint64_t p = 1, q = 2;
  fate.add(kT0, p, true, ClientId{1}, FateKey::ap(ApId{1}));
  fate.add(kT0 + 1, q, true, ClientId{2}, FateKey::ap(ApId{2}));
  fate.add(kT0 + 2, p, true, ClientId{3}, FateKey::ap(ApId{3}));
  fate.add(kT0 + 3, q, false, ClientId{4}, FateKey::ap(ApId{4}));  // the bound drops p's first call
  EXPECT_EQ(fate.size(), 3u);
  EXPECT_EQ(fate.assess(p, ClientId{}).n, 1u);
  EXPECT_EQ(fate.assess(p, ClientId{}).access, 1u);
  fate.expire(kT0 + 2 + cfg.window);  // horizon kT0 + 2: the calls before it go
  EXPECT_EQ(fate.size(), 2u);
  EXPECT_EQ(fate.assess(q, ClientId{}).n, 1u);
  EXPECT_EQ(fate.assess(q, ClientId{}).k, 0u);
  fate.expire(kT0 + 10 + cfg.window);
  EXPECT_EQ(fate.size(), 0u);
  EXPECT_EQ(fate.assess(p, ClientId{}).n, 0u);
}

}  // namespace
}  // namespace callroot::engine
