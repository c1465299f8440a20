// The reference methods (007 voting, first threshold crossed) on the shared
// engine test campus plus a third client, c3, on ap1.
#include "eval/reference_attribution.h"

#include <gtest/gtest.h>

#include "tests/engine/scene.h"

namespace callroot::eval::testing {
namespace {

using namespace callroot::engine::testing;
using engine::AttributorPtr;
using engine::EngineConfig;

AttributorPtr reference(std::string_view name) {
  engine::AttributorRegistry registry;
  add_reference_methods(registry);
  std::string error;
  AttributorPtr a = registry.make(name, {}, error);
  EXPECT_NE(a, nullptr) << error;
  return a;
}

TEST(Voting, BlamesTheMostVotedHopOnThePathAsPublished) {
  // 007 divides each poor call's vote among its hops; hops every poor call
  // crosses (the access uplink, the WAN link) collect the most votes. That is
  // the method's known weakness, and what this reference must reproduce.
  Scene s(reference("007"));
  s.campus.healthy(kT0, kT0 + 1'800'000);
  for (int i = 0; i < 3; ++i) s.call("c2-" + std::to_string(i), kC2, "10.1.5.21", kT0 + 60'000 * i, true);
  s.call("c1", kC1, "10.1.5.20", kT0 + 300'000, true);
  s.campus.engine.flush();
  const Verdict& v = s.verdict("c1");
  ASSERT_FALSE(v.blame.empty());
  // Tied between core1's port toward acc1 and wan1: the more specific wins.
  // That port is acc1's uplink, so acc1 (the link's downstream owner) is named.
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kSwitch);
  EXPECT_EQ(v.blame[0].id, "acc1");
  EXPECT_EQ(v.blame[0].evidence.at(0).id, "007.votes");
  // 0.8 of the 2.0 votes on c1's path: acc1 owns both its port toward ap1
  // (0.2) and its uplink (0.8), and a component counts its most-voted key.
  EXPECT_NEAR(v.blame[0].confidence, 0.8 / 2.0, 1e-9);
}

TEST(Threshold, BlamesTheFirstHopOverATargetNotTheWorst) {
  Scene s(reference("threshold"));
  s.campus.healthy(kT0, kT0 + 600'000);
  for (TimeMs t = kT0; t <= kT0 + 600'000; t += 30'000) {
    auto c = Campus::sample(Family::kWifiClient, t, s.campus.c1.value);
    Campus::set(c, 0, -68);  // just under the -67 dBm target
    s.campus.engine.apply(c);
  }
  s.busy_ap(s.campus.ap1, kT0, kT0 + 600'000);  // far over its target
  s.call("x", kC1, "10.1.5.20", kT0 + 60'000, true);
  s.campus.engine.flush();
  const Verdict& v = s.verdict("x");
  ASSERT_EQ(v.blame.size(), 1u);
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kClient);
  EXPECT_DOUBLE_EQ(v.blame[0].confidence, 0.5);  // two components crossed a target
}

}  // namespace
}  // namespace callroot::eval::testing
