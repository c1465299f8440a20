#include "engine/shared_fate.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace callroot::engine {
namespace {

constexpr TimeMs kT0 = 1'772'442'000'000;
using Basis = FateAssessment::Basis;

/// Two sites. Site 0: APs 0-3 on access ports 0-3 of one access switch, whose
/// uplink is port 10 on the core; WAN links 0 and 1. Site 1: APs 10-11 on
/// ports 20-21, uplink port 30, link 2. Every segment is one client's call
/// with a remote party, on a link of its choice.
struct Net {
  SharedFate fate;
  std::uint32_t next_client = 1000;
  TimeMs t = kT0;

  explicit Net(SharedFateConfig cfg = {}) : fate(cfg) {
    for (std::uint32_t ap : {0u, 1u, 2u, 3u}) {
      fate.note_site(FateKey::ap(ApId{ap}), SiteId{0});
      fate.note_site(FateKey::port(PortId{ap}), SiteId{0});
    }
    fate.note_site(FateKey::port(PortId{10}), SiteId{0});
    fate.note_site(FateKey::link(LinkId{0}), SiteId{0});
    fate.note_site(FateKey::link(LinkId{1}), SiteId{0});
    for (std::uint32_t ap : {10u, 11u}) {
      fate.note_site(FateKey::ap(ApId{ap}), SiteId{1});
      fate.note_site(FateKey::port(PortId{ap + 10}), SiteId{1});
    }
    fate.note_site(FateKey::port(PortId{30}), SiteId{1});
    fate.note_site(FateKey::link(LinkId{2}), SiteId{1});
  }

  static std::vector<FateKey> keys(ClientId client, std::uint32_t ap, std::uint32_t link) {
    const bool site0 = ap < 10;
    return {FateKey::client(client), FateKey::ap(ApId{ap}), FateKey::port(PortId{site0 ? ap : ap + 10}),
            FateKey::port(PortId{site0 ? 10u : 30u}), FateKey::link(LinkId{link})};
  }

  /// `count` segments of fresh clients (each its own client) on `ap` via `link`.
  void segments(std::uint32_t ap, std::uint32_t link, int count, bool poor) {
    for (int i = 0; i < count; ++i) segment(ClientId{next_client++}, ap, link, poor);
  }
  void segment(ClientId client, std::uint32_t ap, std::uint32_t link, bool poor) {
    const std::uint32_t site = ap < 10 ? 0 : 1;
    fate.note_site(FateKey::client(client), SiteId{site});
    const auto k = keys(client, ap, link);
    fate.add(t, poor, client, k);
    t += 1'000;
  }
  /// A healthy second site: the network's background.
  void healthy_site1(int good = 40, int poor = 2) {
    segments(10, 2, good / 2, false);
    segments(11, 2, good - good / 2, false);
    segments(10, 2, poor, true);
  }
};

const ClientId kNobody{};

TEST(SharedFate, BadApIsBlamedAndTheSwitchAboveItIsNot) {
  Net net;
  net.healthy_site1();
  net.segments(0, 0, 10, true);  // AP 0 is bad
  for (std::uint32_t ap : {1u, 2u, 3u}) net.segments(ap, 0, 10, false);

  const auto ap0 = net.fate.assess(FateKey::ap(ApId{0}), kNobody, nullptr);
  EXPECT_EQ(ap0.basis, Basis::kOwn);
  EXPECT_EQ(ap0.n, 10u);
  EXPECT_EQ(ap0.k, 10u);
  EXPECT_GT(ap0.llr, 5);
  EXPECT_TRUE(ap0.site_background);

  // The uplink carries AP 0's poor calls, so on its own counts it looks somewhat bad...
  const FateKey uplink = FateKey::port(PortId{10});
  const auto uplink_own = net.fate.assess(uplink, kNobody, nullptr);
  EXPECT_GT(uplink_own.llr, 0);
  // ...but without the segments through AP 0's access port it is clean.
  const FateKey ap0_port = FateKey::port(PortId{0});
  const auto uplink_rest = net.fate.assess(uplink, kNobody, &ap0_port);
  EXPECT_EQ(uplink_rest.basis, Basis::kExcludingChild);
  EXPECT_EQ(uplink_rest.n, 30u);
  EXPECT_EQ(uplink_rest.k, 0u);
  EXPECT_LT(uplink_rest.llr, -5);
  EXPECT_EQ(uplink_rest.child, ap0_port);

  // An AP and its only access port carry the same segments: shared fate cannot split them.
  const FateKey ap0_key = FateKey::ap(ApId{0});
  const auto port_vs_ap = net.fate.assess(ap0_port, kNobody, &ap0_key);
  EXPECT_EQ(port_vs_ap.basis, Basis::kIndistinguishable);
  EXPECT_EQ(port_vs_ap.child, ap0_key);
  EXPECT_DOUBLE_EQ(port_vs_ap.llr, ap0.llr);
}

TEST(SharedFate, BadSwitchPortWithSeveralApsUnderIt) {
  Net net;
  net.healthy_site1();
  for (std::uint32_t ap : {0u, 1u, 2u, 3u}) net.segments(ap, 0, 8, true);  // everything behind the uplink

  const FateKey uplink = FateKey::port(PortId{10});
  const FateKey ap0_port = FateKey::port(PortId{0});
  const auto rest = net.fate.assess(uplink, kNobody, &ap0_port);
  EXPECT_EQ(rest.basis, Basis::kExcludingChild);
  EXPECT_EQ(rest.n, 24u);
  EXPECT_EQ(rest.k, 24u);
  EXPECT_GT(rest.llr, 5);
  EXPECT_FALSE(rest.site_background);  // every segment of site 0 crosses it: the network is the background

  // Each AP on its own is a weaker explanation: its site background is as poor as it is.
  const auto ap0 = net.fate.assess(FateKey::ap(ApId{0}), kNobody, nullptr);
  EXPECT_TRUE(ap0.site_background);
  EXPECT_LT(ap0.llr, 4);
  EXPECT_GT(rest.llr, ap0.llr + 4);
}

TEST(SharedFate, OneBadClientDoesNotMakeItsApLookBad) {
  Net net;
  net.healthy_site1();
  for (std::uint32_t ap : {1u, 2u, 3u}) net.segments(ap, 0, 10, false);
  const ClientId bad{7};
  for (int i = 0; i < 6; ++i) net.segment(bad, 0, 0, true);
  net.segments(0, 0, 6, false);  // the AP's other clients are fine

  const FateKey ap0 = FateKey::ap(ApId{0});
  const auto with_client = net.fate.assess(ap0, kNobody, nullptr);
  EXPECT_EQ(with_client.n, 12u);
  EXPECT_EQ(with_client.k, 6u);
  EXPECT_GT(with_client.llr, 3);  // what counting the client's calls against the AP would say

  const auto without = net.fate.assess(ap0, bad, nullptr);
  EXPECT_EQ(without.basis, Basis::kOwn);
  EXPECT_EQ(without.n, 6u);
  EXPECT_EQ(without.k, 0u);
  EXPECT_LT(without.llr, 0);

  // The client itself: its own segments are never excluded from its own key.
  const auto client = net.fate.assess(FateKey::client(bad), bad, nullptr);
  EXPECT_EQ(client.n, 6u);
  EXPECT_GT(client.llr, 5);
}

TEST(SharedFate, BadWanLinkVersusTheSitesOtherLink) {
  Net net;
  net.healthy_site1();
  for (std::uint32_t ap : {0u, 1u, 2u, 3u}) {
    net.segments(ap, 0, 5, true);   // link 0 is bad
    net.segments(ap, 1, 5, false);  // link 1 is fine
  }
  const auto bad = net.fate.assess(FateKey::link(LinkId{0}), kNobody, nullptr);
  const auto good = net.fate.assess(FateKey::link(LinkId{1}), kNobody, nullptr);
  EXPECT_TRUE(bad.site_background);
  EXPECT_GT(bad.llr, 5);
  EXPECT_LT(good.llr, -5);
}

TEST(SharedFate, ABadSiteIsNotBlamedOnOneOfItsLinks) {
  Net net;
  net.healthy_site1();
  for (std::uint32_t ap : {0u, 1u, 2u, 3u}) {
    net.segments(ap, 0, 5, true);
    net.segments(ap, 1, 5, true);
  }
  // Against their site, neither link stands out from the other, and neither
  // is cleared (as the good link is when only the other one is bad)...
  const auto link0 = net.fate.assess(FateKey::link(LinkId{0}), kNobody, nullptr);
  const auto link1 = net.fate.assess(FateKey::link(LinkId{1}), kNobody, nullptr);
  EXPECT_TRUE(link0.site_background);
  EXPECT_NEAR(link0.llr, link1.llr, 1e-9);
  EXPECT_GT(link0.llr, 0);
  EXPECT_LT(link0.llr, 5);
  // ...the site does stand out, against the network.
  const auto site = net.fate.assess_site(SiteId{0});
  EXPECT_EQ(site.n, 40u);
  EXPECT_GT(site.llr, link0.llr + 3);
  EXPECT_LT(net.fate.assess_site(SiteId{1}).llr, 0);
}

TEST(SharedFate, BusyApWithGoodCallsIsCleared) {
  Net net;
  net.healthy_site1();
  net.segments(0, 0, 50, false);
  net.segments(0, 0, 1, true);
  const auto a = net.fate.assess(FateKey::ap(ApId{0}), kNobody, nullptr);
  EXPECT_EQ(a.n, 51u);
  EXPECT_LT(a.llr, -5);
  EXPECT_GE(a.llr, -net.fate.config().cap);
}

TEST(SharedFate, TooFewSegmentsAreInsufficient) {
  Net net;
  net.healthy_site1();
  net.segments(0, 0, 2, true);
  const auto a = net.fate.assess(FateKey::ap(ApId{0}), kNobody, nullptr);
  EXPECT_EQ(a.basis, Basis::kInsufficient);
  EXPECT_EQ(a.n, 2u);
  EXPECT_EQ(a.llr, 0);
  // A key never seen at all.
  const auto unseen = net.fate.assess(FateKey::ap(ApId{99}), kNobody, nullptr);
  EXPECT_EQ(unseen.basis, Basis::kInsufficient);
  EXPECT_EQ(unseen.n, 0u);
  // Excluding the client can also leave too few.
  const ClientId c{5};
  for (int i = 0; i < 3; ++i) net.segment(c, 1, 0, true);
  EXPECT_EQ(net.fate.assess(FateKey::ap(ApId{1}), kNobody, nullptr).basis, Basis::kOwn);
  EXPECT_EQ(net.fate.assess(FateKey::ap(ApId{1}), c, nullptr).basis, Basis::kInsufficient);
}

TEST(SharedFate, ExpiryDropsOldSegments) {
  SharedFateConfig cfg;
  cfg.window = 60'000;
  Net net(cfg);
  net.segments(0, 0, 10, true);  // at t0 .. t0 + 9 s
  EXPECT_EQ(net.fate.size(), 10u);
  net.t = kT0 + 50'000;
  net.segments(1, 0, 5, false);
  net.fate.expire(kT0 + 65'000);  // horizon t0 + 5 s: the first 5 go
  EXPECT_EQ(net.fate.size(), 10u);
  EXPECT_EQ(net.fate.segments(FateKey::ap(ApId{0})), 5u);
  EXPECT_EQ(net.fate.poor_segments(FateKey::ap(ApId{0})), 5u);
  EXPECT_EQ(net.fate.segments(FateKey::link(LinkId{0})), 10u);
  net.fate.expire(kT0 + 200'000);
  EXPECT_EQ(net.fate.size(), 0u);
  EXPECT_EQ(net.fate.segments(FateKey::link(LinkId{0})), 0u);
  EXPECT_EQ(net.fate.assess(FateKey::ap(ApId{1}), kNobody, nullptr).basis, Basis::kInsufficient);

  // A segment older than the newest minus the window is not kept.
  net.t = kT0 + 300'000;
  net.segments(2, 0, 1, false);
  net.t = kT0;
  net.segments(2, 0, 1, false);
  EXPECT_EQ(net.fate.size(), 1u);
  EXPECT_EQ(net.fate.dropped_too_old(), 1u);
}

TEST(SharedFate, CountsSurviveTheRingWrappingAndItsMemoryStaysPut) {
  SharedFateConfig cfg;
  cfg.window = 100'000;
  Net net(cfg);
  std::size_t memory = 0;
  for (int round = 0; round < 40; ++round) {
    // The same 100 clients every round: new client ids would grow the per-key arrays.
    for (std::uint32_t ap : {0u, 1u, 2u, 3u}) {
      for (std::uint32_t i = 0; i < 25; ++i) net.segment(ClientId{ap * 25 + i}, ap, round % 2, ap == 0);
    }
    net.fate.expire(net.t);
    if (round == 10) memory = net.fate.memory_bytes();
  }
  EXPECT_EQ(net.fate.memory_bytes(), memory);  // the steady window allocates nothing
  // The window holds the last 100 s: 100 segments, 25 per AP.
  EXPECT_EQ(net.fate.size(), 100u);
  EXPECT_EQ(net.fate.segments(FateKey::ap(ApId{1})), 25u);
  EXPECT_EQ(net.fate.segments(FateKey::ap(ApId{3})), 25u);
  EXPECT_EQ(net.fate.poor_segments(FateKey::ap(ApId{0})), net.fate.segments(FateKey::ap(ApId{0})));
  EXPECT_EQ(net.fate.segments(FateKey::port(PortId{10})), 100u);
}

TEST(SharedFate, TheEntryCapBoundsTheWindow) {
  SharedFateConfig cfg;
  cfg.max_entries = 50;
  Net net(cfg);
  net.segments(0, 0, 200, false);
  EXPECT_EQ(net.fate.size(), 50u);
  EXPECT_EQ(net.fate.segments(FateKey::ap(ApId{0})), 50u);
}

TEST(SharedFate, SegmentsBetweenTwoClientsExcludeEither) {
  Net net;
  net.healthy_site1();
  const ClientId a{1}, b{2};
  // a (bad, AP 0) calls b (AP 1) six times; AP 1's other calls are fine.
  for (int i = 0; i < 6; ++i) {
    auto keys = Net::keys(a, 0, 0);
    const auto more = Net::keys(b, 1, 0);
    keys.insert(keys.end(), more.begin(), more.end());
    net.fate.add(net.t += 1000, true, a, b, keys);
  }
  net.segments(1, 0, 6, false);
  const auto ap1 = net.fate.assess(FateKey::ap(ApId{1}), a, nullptr);
  EXPECT_EQ(ap1.n, 6u);
  EXPECT_EQ(ap1.k, 0u);
  // The link is crossed once per segment, not once per side.
  EXPECT_EQ(net.fate.segments(FateKey::link(LinkId{0})), 12u);
}

/// assess() with a child counts the segments through both as they come when
/// the paths are given apart (add_paths), and walks the lists otherwise: the
/// two must agree, exclusions and expiry included.
TEST(SharedFate, PairCountsAgreeWithTheWalk) {
  SharedFateConfig cfg;
  cfg.window = 200'000;
  SharedFate walked(cfg), counted(cfg);
  std::mt19937_64 rng(17);
  std::uniform_int_distribution<std::uint32_t> pick_client(0, 11);
  std::bernoulli_distribution poor(0.3), two_clients(0.3);
  // Clients stay on their AP (client % 4, behind link ap % 2): a client left
  // out is then left out alike whether its own path or any path of its
  // segments is meant (the walk's reading; see LeavesOutTheClientWhereItsOwnPathCrossed).
  const auto keys_of = [](ClientId c) { return Net::keys(c, c.value % 4, c.value % 4 % 2); };
  TimeMs t = kT0;
  for (int i = 0; i < 400; ++i) {
    const ClientId a{pick_client(rng)}, b{100 + pick_client(rng)};
    const auto pa = keys_of(a);
    const auto pb = two_clients(rng) ? keys_of(b) : std::vector<FateKey>{};
    std::vector<FateKey> all = pa;
    all.insert(all.end(), pb.begin(), pb.end());
    const bool p = poor(rng);
    const ClientId other = pb.empty() ? ClientId{} : b;
    walked.add(t, p, a, other, all);
    counted.add_paths(t, p, a, other, pa, pb);
    walked.expire(t);
    counted.expire(t);
    t += 1'000;
    if (i % 50 != 49) continue;
    EXPECT_EQ(walked.size(), counted.size());
    for (std::uint32_t ap = 0; ap < 4; ++ap) {
      const FateKey ap_key = FateKey::ap(ApId{ap}), port = FateKey::port(PortId{ap});
      const FateKey uplink = FateKey::port(PortId{10}), link = FateKey::link(LinkId{ap % 2});
      const std::pair<FateKey, FateKey> pairs[] = {{port, ap_key}, {uplink, port}, {link, uplink}, {ap_key, FateKey::client(a)}};
      for (const auto& [key, child] : pairs) {
        // Those left out: nobody, or a client on this AP's path (as the
        // attribution does: the scored segment's client, on its own path).
        for (const ClientId x : {ClientId{}, ClientId{ap}, ClientId{ap + 4}, ClientId{100 + ap}}) {
          const auto w = walked.assess(key, x, &child);
          const auto c = counted.assess(key, x, &child);
          EXPECT_EQ(w.basis, c.basis);
          EXPECT_EQ(w.n, c.n);
          EXPECT_EQ(w.k, c.k);
          EXPECT_DOUBLE_EQ(w.llr, c.llr);
        }
      }
    }
  }
  EXPECT_GT(counted.size(), 150u);
}

TEST(SharedFate, LeavesOutTheClientWhereItsOwnPathCrossed) {
  // Client 1 sits on AP 0 and calls client 101 on AP 1, poorly, three times;
  // five other calls on AP 1 go well. Left out of AP 1's count, client 1
  // takes only what crossed AP 1 on its own path (nothing): the three poor
  // calls reached AP 1 through the other party, and stay.
  Net net;
  const ClientId roamer{1}, callee{101};
  for (int i = 0; i < 3; ++i) {
    net.fate.add_paths(net.t, true, roamer, callee, Net::keys(roamer, 0, 0), Net::keys(callee, 1, 1));
    net.t += 1'000;
  }
  for (std::uint32_t c = 200; c < 205; ++c) {
    net.fate.add_paths(net.t, false, ClientId{c}, ClientId{}, Net::keys(ClientId{c}, 1, 1), {});
    net.t += 1'000;
  }
  const FateAssessment ap1 = net.fate.assess(FateKey::ap(ApId{1}), roamer, nullptr);
  EXPECT_EQ(ap1.n, 8u);
  EXPECT_EQ(ap1.k, 3u);
  // On its own AP, its segments are left out.
  const FateAssessment ap0 = net.fate.assess(FateKey::ap(ApId{0}), roamer, nullptr);
  EXPECT_EQ(ap0.n, 0u);
  // Added without paths, its segments are left out wherever they went.
  Net flat;
  for (int i = 0; i < 3; ++i) {
    auto keys = Net::keys(roamer, 0, 0);
    const auto other = Net::keys(callee, 1, 1);
    keys.insert(keys.end(), other.begin(), other.end());
    flat.fate.add(flat.t, true, roamer, callee, keys);
    flat.t += 1'000;
  }
  EXPECT_EQ(flat.fate.assess(FateKey::ap(ApId{1}), roamer, nullptr).n, 0u);
}

TEST(SharedFate, RejectsABadConfiguration) {
  SharedFateConfig cfg;
  cfg.bad_rate = 1.0;
  EXPECT_THROW(SharedFate{cfg}, std::invalid_argument);
  cfg = {};
  cfg.prior_poor = 0;
  EXPECT_THROW(SharedFate{cfg}, std::invalid_argument);
}

}  // namespace
}  // namespace callroot::engine
