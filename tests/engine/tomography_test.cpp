#include "engine/tomography.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <vector>

namespace callroot::engine {
namespace {

constexpr TimeMs kT0 = 1'772'442'000'000;

double additive(double loss_pct) { return -100 * std::log1p(-loss_pct / 100); }
double from_additive(double x) { return 100 * -std::expm1(-x / 100); }

/// Three sites. Site 0: APs 0-3 on access ports 0-3; ports 0 and 1 hang off
/// core port 50, ports 2 and 3 off core port 51; WAN links 0 and 1. Sites 1
/// and 2 are healthy: two APs each (10, 11 and 20, 21) on their own ports
/// (110, 111, 120, 121), an uplink (130, 140) and a link (2, 3). Ten clients
/// per AP. The Internet adds 0.5 % loss and 2 ms jitter to every stream.
struct Net {
  Tomography tomo;
  std::mt19937_64 rng{11};
  std::map<std::uint32_t, double> loss;    // true contributions, by packed key, in %
  std::map<std::uint32_t, double> jitter;  // in ms
  TimeMs t = kT0;
  double background_loss = 0.5, background_jitter = 2;

  explicit Net(TomographyConfig cfg = {}) : tomo(cfg) {
    for (std::uint32_t ap : {0u, 1u, 2u, 3u, 10u, 11u, 20u, 21u}) {
      for (std::uint32_t client = 0; client < 10; ++client) {
        for (const FateKey k : path(ap, client, link_of(ap, 0))) tomo.note_site(k, SiteId{site_of(ap)});
      }
    }
    tomo.note_site(FateKey::link(LinkId{1}), SiteId{0});
  }
  static std::uint32_t site_of(std::uint32_t ap) { return ap / 10; }
  static std::uint32_t link_of(std::uint32_t ap, std::uint32_t choice) {
    return ap < 10 ? choice : site_of(ap) + 1;
  }
  static std::vector<FateKey> path(std::uint32_t ap, std::uint32_t client, std::uint32_t link) {
    const std::uint32_t port = ap < 10 ? ap : ap + 100;
    const std::uint32_t uplink = ap < 10 ? (ap < 2 ? 50u : 51u) : 130u + 10 * (site_of(ap) - 1);
    return {FateKey::client(ClientId{1000 + ap * 10 + client}), FateKey::ap(ApId{ap}), FateKey::port(PortId{port}),
            FateKey::port(PortId{uplink}), FateKey::link(LinkId{link})};
  }
  static std::uint32_t key(FateKey k) { return static_cast<std::uint32_t>(k.kind) << 30 | k.id; }

  /// `count` segments at random APs among `aps`, two streams each.
  void segments(const std::vector<std::uint32_t>& aps, int count) {
    std::uniform_int_distribution<std::size_t> pick_ap(0, aps.size() - 1);
    std::uniform_int_distribution<std::uint32_t> pick_client(0, 9), pick_link(0, 1);
    std::uniform_real_distribution<double> noise(-0.05, 0.05);
    for (int i = 0; i < count; ++i) {
      const std::uint32_t ap = aps[pick_ap(rng)];
      const auto keys = path(ap, pick_client(rng), link_of(ap, pick_link(rng)));
      for (int direction = 0; direction < 2; ++direction) {
        // Losses compose as survivals; the solver works on -ln(1 - loss).
        double x = additive(background_loss), j = background_jitter;
        for (const FateKey k : keys) {
          if (auto it = loss.find(key(k)); it != loss.end()) x += additive(it->second);
          if (auto it = jitter.find(key(k)); it != jitter.end()) j += it->second;
        }
        x = std::max(0.0, x + noise(rng));
        j = std::max(0.0, j + 10 * noise(rng));
        tomo.add(t, from_additive(x), j, keys, TomographyGroup::kRemote);
      }
      t += 500;
    }
  }
};

TEST(Tomography, RecoversKnownPerHopLoss) {
  Net net;
  net.loss[Net::key(FateKey::ap(ApId{1}))] = 3.0;
  net.loss[Net::key(FateKey::port(PortId{51}))] = 1.0;
  net.loss[Net::key(FateKey::link(LinkId{0}))] = 2.0;
  net.jitter[Net::key(FateKey::ap(ApId{1}))] = 10.0;
  net.jitter[Net::key(FateKey::link(LinkId{0}))] = 5.0;
  net.segments({10, 11, 20, 21}, 400);
  net.segments({0, 1, 2, 3}, 600);

  auto expect = [&](FateKey k, double loss, double jitter) {
    const TomographyEstimate e = net.tomo.estimate(k, net.t);
    EXPECT_GT(e.observations, 0u);
    EXPECT_NEAR(e.loss_pct, loss, 0.15) << "key kind " << int(k.kind) << " id " << k.id;
    EXPECT_NEAR(e.jitter_ms, jitter, 0.75) << "key kind " << int(k.kind) << " id " << k.id;
    return e;
  };
  const auto ap1 = expect(FateKey::ap(ApId{1}), 3.0, 10.0);
  expect(FateKey::port(PortId{51}), 1.0, 0);
  const auto link0 = expect(FateKey::link(LinkId{0}), 2.0, 5.0);
  expect(FateKey::ap(ApId{0}), 0, 0);
  expect(FateKey::ap(ApId{2}), 0, 0);
  expect(FateKey::port(PortId{50}), 0, 0);
  expect(FateKey::link(LinkId{1}), 0, 0);
  expect(FateKey::client(ClientId{1000 + 10 + 3}), 0, 0);  // a client of the bad AP is not blamed
  EXPECT_TRUE(link0.identifiable);
  EXPECT_FALSE(ap1.identifiable);  // see the next test
  // The healthy sites: nothing, the Internet's share is the background.
  expect(FateKey::link(LinkId{2}), 0, 0);
  expect(FateKey::ap(ApId{20}), 0, 0);
  const auto bg = net.tomo.background(TomographyGroup::kRemote);
  EXPECT_NEAR(bg[0], 0.5, 0.05);
  EXPECT_NEAR(bg[1], 2.0, 0.3);
}

TEST(Tomography, AnApAndItsOnlyPortAreNotIdentifiable) {
  Net net;
  net.loss[Net::key(FateKey::ap(ApId{2}))] = 4.0;
  net.segments({10, 11, 20, 21}, 200);
  net.segments({0, 1, 2, 3}, 400);
  const auto ap = net.tomo.estimate(FateKey::ap(ApId{2}), net.t);
  const auto port = net.tomo.estimate(FateKey::port(PortId{2}), net.t);
  EXPECT_FALSE(ap.identifiable);
  EXPECT_FALSE(port.identifiable);
  ASSERT_TRUE(ap.twin.has_value());
  EXPECT_EQ(*ap.twin, FateKey::port(PortId{2}));
  ASSERT_TRUE(port.twin.has_value());
  EXPECT_EQ(*port.twin, FateKey::ap(ApId{2}));
  // Both carry the combined contribution: which of the two is unknown.
  EXPECT_NEAR(ap.loss_pct, 4.0, 0.15);
  EXPECT_NEAR(port.loss_pct, 4.0, 0.15);
  // The uplink above them is crossed by other APs' streams as well: identifiable.
  const auto uplink = net.tomo.estimate(FateKey::port(PortId{51}), net.t);
  EXPECT_TRUE(uplink.identifiable);
  EXPECT_FALSE(uplink.twin.has_value());
  EXPECT_NEAR(uplink.loss_pct, 0, 0.15);
}

TEST(Tomography, ContributionsAreNeverNegative) {
  Net net;
  // Site 0's streams are cleaner than the Internet background seen elsewhere:
  // least squares would give its hops negative loss.
  net.segments({10, 11, 20, 21}, 300);
  net.background_loss = 0.1;
  net.background_jitter = 0.5;
  net.segments({0, 1, 2, 3}, 300);
  for (const FateKey k : {FateKey::ap(ApId{0}), FateKey::ap(ApId{3}), FateKey::port(PortId{50}),
                          FateKey::port(PortId{51}), FateKey::link(LinkId{0}), FateKey::link(LinkId{1}),
                          FateKey::client(ClientId{1000 + 2})}) {
    const auto e = net.tomo.estimate(k, net.t);
    EXPECT_GT(e.observations, 0u);
    EXPECT_GE(e.loss_pct, 0.0);
    EXPECT_GE(e.jitter_ms, 0.0);
    EXPECT_LT(e.loss_pct, 0.05);
  }
}

TEST(Tomography, SolvesLazilyPerSite) {
  TomographyConfig cfg;
  cfg.solve_every = 60'000;
  cfg.resolve_after = 1'000'000;
  Net net(cfg);
  net.segments({10, 11, 20, 21}, 100);
  net.segments({0, 1, 2, 3}, 100);
  EXPECT_EQ(net.tomo.solves(), 0u);
  (void)net.tomo.estimate(FateKey::ap(ApId{0}), net.t);
  (void)net.tomo.estimate(FateKey::ap(ApId{1}), net.t);
  (void)net.tomo.estimate(FateKey::link(LinkId{0}), net.t);
  EXPECT_EQ(net.tomo.solves(), 1u);  // one solve for site 0
  (void)net.tomo.estimate(FateKey::ap(ApId{10}), net.t);
  EXPECT_EQ(net.tomo.solves(), 2u);  // and one for site 1
  net.segments({0}, 5);
  (void)net.tomo.estimate(FateKey::ap(ApId{0}), net.t);
  EXPECT_EQ(net.tomo.solves(), 2u);  // new rows, but not due yet
  (void)net.tomo.estimate(FateKey::ap(ApId{0}), net.t + 60'000);
  EXPECT_EQ(net.tomo.solves(), 3u);
  (void)net.tomo.estimate(FateKey::ap(ApId{0}), net.t + 180'000);
  EXPECT_EQ(net.tomo.solves(), 3u);  // nothing new since
}

TEST(Tomography, ExpiryAndUnknownKeys) {
  TomographyConfig cfg;
  cfg.window = 60'000;
  Net net(cfg);
  net.segments({0, 1, 2, 3}, 100);  // 50 s
  EXPECT_EQ(net.tomo.size(), 200u);
  net.tomo.expire(net.t + 30'000);  // horizon: 20 s into the segments
  EXPECT_EQ(net.tomo.size(), 120u);
  net.tomo.expire(net.t + 120'000);
  EXPECT_EQ(net.tomo.size(), 0u);
  const auto e = net.tomo.estimate(FateKey::ap(ApId{0}), net.t + 120'000);
  EXPECT_EQ(e.observations, 0u);
  EXPECT_TRUE(std::isnan(e.loss_pct));
  const auto unknown = net.tomo.estimate(FateKey::ap(ApId{77}), net.t);
  EXPECT_EQ(unknown.observations, 0u);
  // Streams with nothing measured are not observations.
  net.tomo.add(net.t, std::nan(""), std::nan(""), Net::path(0, 0, 0));
  EXPECT_EQ(net.tomo.size(), 0u);
}

TEST(Tomography, TheObservationCapBoundsTheWindow) {
  TomographyConfig cfg;
  cfg.max_observations = 100;
  Net net(cfg);
  net.segments({0, 1, 2, 3}, 500);
  EXPECT_EQ(net.tomo.size(), 100u);
  const auto e = net.tomo.estimate(FateKey::link(LinkId{0}), net.t);
  EXPECT_GT(e.observations, 0u);
  EXPECT_LE(e.observations, 100u);
}

}  // namespace
}  // namespace callroot::engine
