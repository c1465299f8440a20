// Attribution with the statistics sources (make_combined, make_statistics), on the shared test campus
// plus a third client, c3, on ap1.
#include <gtest/gtest.h>

#include "engine/attributors.h"
#include "scene.h"

namespace callroot::engine::testing {
namespace {

bool has_evidence(const Blame& b, std::string_view id) {
  return std::any_of(b.evidence.begin(), b.evidence.end(), [&](const Evidence& e) { return e.id == id; });
}

TEST(Combined, PoorCallsPilingUpOnAnApWithoutTelemetryBlameTheAp) {
  // ap1 reports nothing useful (its telemetry is healthy, the baseline has
  // not learnt yet): only the pattern of calls points at it. c1 and c3 (on
  // ap1) have poor calls, c2 (on ap2) good ones.
  for (const bool with_stats : {false, true}) {
    Scene s(with_stats ? AttributorPtr(make_combined()) : AttributorPtr(make_heuristic()));
    s.campus.healthy(kT0, kT0 + 1'800'000);
    for (int i = 0; i < 8; ++i) {
      const TimeMs t = kT0 + 60'000 * i;
      s.call("c1-" + std::to_string(i), kC1, "10.1.5.20", t, true);
      s.call("c3-" + std::to_string(i), kC3, "10.1.5.23", t + 10'000, true);
      s.call("c2-" + std::to_string(i), kC2, "10.1.5.21", t + 20'000, false);
      s.call("c2b-" + std::to_string(i), kC2, "10.1.5.21", t + 30'000, false);
    }
    s.call("last", kC1, "10.1.5.20", kT0 + 600'000, true);
    s.campus.engine.flush();
    const Verdict& v = s.verdict("last");
    ASSERT_EQ(v.quality, Quality::kPoor);
    ASSERT_FALSE(v.blame.empty());
    if (!with_stats) {
      EXPECT_EQ(v.blame[0].kind, ComponentKind::kUnknown) << "the heuristic has no telemetry to go by";
      continue;
    }
    EXPECT_EQ(v.blame[0].kind, ComponentKind::kAp);
    EXPECT_EQ(v.blame[0].id, "ap1");
    EXPECT_TRUE(has_evidence(v.blame[0], "stats.shared_fate"));
    // The switch above ap1 carries ap2's good calls too: it is not accused.
    for (const Blame& b : v.blame) EXPECT_NE(b.id, "core1");
  }
}

// Retries on one client are the client's; on every client of one AP at once
// they are the AP's, even when its own radio statistics look fine.
TEST(Combined, RetriesOnManyClientsOfOneApAreTheAps) {
  Scene s(make_combined());
  s.campus.healthy(kT0, kT0 + 1'800'000);
  for (TimeMs t = kT0; t <= kT0 + 1'800'000; t += 30'000) {
    for (const ClientId c : {s.campus.c1, s.c3}) {
      auto w = Campus::sample(Family::kWifiClient, t, c.value);
      Campus::set(w, 0, -55);  // a good signal
      Campus::set(w, 1, 35);
      Campus::set(w, 2, 30);  // and heavy retries
      Campus::set(w, 3, 30);
      s.campus.engine.apply(w);
    }
  }
  for (int i = 0; i < 8; ++i) {
    const TimeMs t = kT0 + 60'000 * i;
    s.call("c3-" + std::to_string(i), kC3, "10.1.5.23", t, true);
    s.call("c2-" + std::to_string(i), kC2, "10.1.5.21", t + 20'000, false);
    s.call("c2b-" + std::to_string(i), kC2, "10.1.5.21", t + 30'000, false);
  }
  s.call("last", kC1, "10.1.5.20", kT0 + 600'000, true);
  s.campus.engine.flush();
  const Verdict& v = s.verdict("last");
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kAp);
  EXPECT_EQ(v.blame[0].id, "ap1");
  EXPECT_TRUE(has_evidence(v.blame[0], "stats.shared_fate.ap"));
  for (const Blame& b : v.blame) EXPECT_NE(b.kind, ComponentKind::kClient) << "its symptoms moved to the AP";
}

TEST(Combined, ABusyApWhoseCallsAreFineIsNotBlamedForAWeakClient) {
  // ap2 is busy (channel utilization over the 50 % target) all along, and
  // the calls of c4, another client of ap2, are fine; then c2's Wi-Fi turns weak.
  auto run = [](AttributorPtr attributor) {
    Scene s(std::move(attributor));
    const Mac c4_mac = *Mac::parse("aa:00:00:00:00:04");
    ClientAssoc a;
    a.ts = kT0;
    a.client = *s.campus.dir.client(c4_mac);
    a.ap = s.campus.ap2;
    s.campus.engine.apply(a);
    s.campus.healthy(kT0, kT0 + 1'800'000);
    s.busy_ap(s.campus.ap2, kT0, kT0 + 1'800'000);
    for (int i = 0; i < 6; ++i) s.call("ok-" + std::to_string(i), c4_mac, "10.1.5.24", kT0 + 60'000 * i, false);
    s.weak_client(s.campus.c2, kT0 + 600'000, kT0 + 900'000);
    s.call("weak", kC2, "10.1.5.21", kT0 + 660'000, true);
    s.campus.engine.flush();
    return s.verdict("weak");
  };
  const Verdict v = run(make_combined());
  ASSERT_FALSE(v.blame.empty());

  EXPECT_EQ(v.blame[0].kind, ComponentKind::kClient);
  EXPECT_EQ(v.blame[0].id, "aa:00:00:00:00:02");
  for (const Blame& b : v.blame) {
    if (b.kind == ComponentKind::kAp) {
      EXPECT_TRUE(has_evidence(b, "stats.shared_fate")) << "ap2 is cleared by c4's calls";
    }
  }
}

TEST(Combined, ABusyButCleanWanLinkIsNotBlamedForAWeakClient) {
  // wan1 runs at 85 % utilization (busy, under the 90 % target) with no loss
  // and its usual latency: load is not evidence, even far from its normal.
  Scene s(make_combined());
  s.campus.healthy(kT0, kT0 + 1'800'000);
  for (TimeMs t = kT0; t <= kT0 + 1'800'000; t += 30'000) {
    auto w = Campus::sample(Family::kWanLink, t, s.campus.wan1.value);
    Campus::set(w, 0, 20);
    Campus::set(w, 1, 3);
    Campus::set(w, 2, 0.1);
    Campus::set(w, 3, 85);
    Campus::set(w, 4, 85);
    s.campus.engine.apply(w);
  }
  s.weak_client(s.campus.c1, kT0 + 600'000, kT0 + 900'000);
  s.call("weak", kC1, "10.1.5.20", kT0 + 660'000, true);
  s.campus.engine.flush();
  const Verdict& v = s.verdict("weak");
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kClient);
  for (const Blame& b : v.blame) EXPECT_NE(b.kind, ComponentKind::kWan);
}

TEST(Combined, ABorderlineClientIsNotBlamedWhenItsApIsCongested) {
  // c1 sits at -66 dBm (just inside the -67 dBm target, as many do) while
  // ap1's channel is saturated.
  Scene s(make_combined());
  s.campus.healthy(kT0, kT0 + 1'800'000);
  for (TimeMs t = kT0; t <= kT0 + 1'800'000; t += 30'000) {
    auto c = Campus::sample(Family::kWifiClient, t, s.campus.c1.value);
    Campus::set(c, 0, -66);
    Campus::set(c, 1, 26);
    s.campus.engine.apply(c);
    auto a = Campus::sample(Family::kWifiAp, t, s.campus.ap1.value);
    Campus::set(a, 2, t >= kT0 + 600'000 ? 93 : 25);
    Campus::set(a, 6, t >= kT0 + 600'000 ? 35 : 5);
    s.campus.engine.apply(a);
  }
  s.call("congested", kC1, "10.1.5.20", kT0 + 700'000, true);
  s.campus.engine.flush();
  const Verdict& v = s.verdict("congested");
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kAp);
  EXPECT_EQ(v.blame[0].id, "ap1");
  for (const Blame& b : v.blame) EXPECT_NE(b.kind, ComponentKind::kClient);
}

TEST(Combined, ASegmentBlamedOnTheFarSideDoesNotCountAgainstTheOrganizationsHops) {
  Scene s(make_combined());
  s.campus.healthy(kT0, kT0 + 1'800'000);
  auto seg = Campus::segment("far", kT0 + 60'000, kT0 + 240'000);
  seg.streams.push_back(Campus::audio(Side::kCaller, 4, 0.1, 60));  // what c1 sent arrived well
  seg.streams.push_back(Campus::audio(Side::kCallee, 45, 12, 80));  // what the outside party sent did not
  s.campus.engine.apply(std::move(seg));
  // ap1's channel saturates after the first call (on the healthy samples'
  // 30 s grid, which it replaces): the second is its doing.
  s.busy_ap(s.campus.ap1, kT0 + 270'000, kT0 + 600'000);
  s.call("bad", kC1, "10.1.5.20", kT0 + 300'000, true);
  s.campus.engine.flush();
  ASSERT_FALSE(s.verdict("far").blame.empty());
  ASSERT_FALSE(s.verdict("bad").blame.empty());
  EXPECT_EQ(s.verdict("bad").blame[0].kind, ComponentKind::kAp);
  EXPECT_EQ(s.verdict("far").blame[0].kind, ComponentKind::kRemote);
  const SharedFate& fate = s.campus.engine.statistics().fate();
  EXPECT_EQ(fate.segments(FateKey::ap(s.campus.ap1)), 2u);
  EXPECT_EQ(fate.poor_segments(FateKey::ap(s.campus.ap1)), 1u) << "only the segment not explained by the far side";
}

// One poor call with an outside party and nothing else in the window: every
// local hop is clean by its telemetry, and the AP, with no other calls to
// speak for it, is vouched for by the client's own retries (its air link
// delivered). The far side is what is left.
TEST(Combined, StatisticsOnlyNameTheFarSideWhenEveryLocalHopIsCleanByTelemetry) {
  Scene s(make_statistics());
  s.campus.healthy(kT0, kT0 + 600'000);
  s.call("alone", kC1, "10.1.5.20", kT0 + 60'000, true);
  s.campus.engine.flush();
  const Verdict& v = s.verdict("alone");
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kRemote);
  EXPECT_EQ(v.blame[0].evidence.at(0).id, "stats.remote.elimination");
}

// The same call with no telemetry over it: nothing local can be called
// clean, so nothing is eliminated.
TEST(Combined, StatisticsOnlyWithNothingToGoByAnswersUnknown) {
  Scene s(make_statistics());
  s.campus.healthy(kT0, kT0 + 600'000);
  s.call("alone", kC1, "10.1.5.20", kT0 + 1'200'000, true);  // after the telemetry, within the clock's reach
  s.campus.engine.flush();
  const Verdict& v = s.verdict("alone");
  ASSERT_EQ(v.blame.size(), 1u);
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kUnknown);
  EXPECT_EQ(v.blame[0].evidence.at(0).id, "stats.insufficient");
}

// Either end of a switch-to-switch link measures it; a port no one polls is
// covered by its peer's counters, a port whose peer is silent too is not.
TEST(Elimination, ALinkIsMeasuredAtEitherEnd) {
  SideEvidence side;
  HopEvidence& lower = side.hops.emplace_back();  // the access switch's own uplink port
  lower.family = Family::kSwitchPort;
  lower.entity = 11;
  lower.faces_up = true;
  lower.peer = LinkPeer{LinkPeer::Kind::kSwitch, 2, PortId{12}};
  HopEvidence& upper = side.hops.emplace_back();  // the core's port toward it
  upper.family = Family::kSwitchPort;
  upper.entity = 12;
  upper.peer = LinkPeer{LinkPeer::Kind::kSwitch, 1, PortId{}};  // the far port not known from this end
  EXPECT_FALSE(other_end_measured(side, upper)) << "neither end has samples";
  side.hops[0].stats[0].count = 4;
  EXPECT_TRUE(other_end_measured(side, side.hops[1]));
  side.hops[0].stats[0].count = 0;
  side.hops[1].stats[0].count = 4;
  EXPECT_TRUE(other_end_measured(side, side.hops[0])) << "through the lower end's peer port";
  HopEvidence& ap_port = side.hops.emplace_back();
  ap_port.family = Family::kSwitchPort;
  ap_port.entity = 13;
  ap_port.peer = LinkPeer{LinkPeer::Kind::kAp, 5, PortId{}};
  EXPECT_FALSE(other_end_measured(side, side.hops[2])) << "an AP's port has no other end that counts frames";
}

}  // namespace
}  // namespace callroot::engine::testing
