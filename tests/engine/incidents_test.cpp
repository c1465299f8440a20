// IncidentTracker: when repeated blame becomes an incident, how it is
// updated, when it closes, and the bounds; fed with hand-made verdicts.

#include "engine/incidents.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <stdexcept>

#include "fixture.h"

namespace callroot::engine::testing {
namespace {

constexpr DurationMs kMin = 60'000;

/// A poor verdict whose top blame is (kind, id) at site hq, ending at `end`.
/// The caller is an organization endpoint on c1 -> ap1 -> acc1 -> wan1; the
/// callee is remote unless `callee_org` (then on c2 -> ap2 -> acc1 -> wan1).
Verdict blamed(const std::string& segment, TimeMs end, ComponentKind kind, const std::string& id,
               double confidence = 0.9, bool callee_org = false) {
  Verdict v;
  v.call_id = "call-" + segment;
  v.segment_id = segment;
  v.start = end - 2 * kMin;
  v.end = end;
  v.quality = Quality::kPoor;
  Blame b;
  b.kind = kind;
  b.id = id;
  b.site = "hq";
  b.confidence = confidence;
  b.evidence.push_back({EvidenceSource::kRule, "heuristic.test", "observed " + segment});
  v.blame.push_back(b);
  PathReport caller;
  caller.side = Side::kCaller;
  caller.site = "hq";
  caller.hops = {{ComponentKind::kClient, "aa:00:00:00:00:01", "", {}},
                 {ComponentKind::kAp, "ap1", "", {}},
                 {ComponentKind::kSwitch, "acc1", "ge-0/0/10", {}},
                 {ComponentKind::kWan, "wan1", "", {}}};
  v.paths.push_back(caller);
  if (callee_org) {
    PathReport callee;
    callee.side = Side::kCallee;
    callee.site = "hq";
    callee.hops = {{ComponentKind::kClient, "aa:00:00:00:00:02", "", {}},
                   {ComponentKind::kAp, "ap2", "", {}},
                   {ComponentKind::kSwitch, "acc1", "ge-0/0/11", {}},
                   {ComponentKind::kWan, "wan1", "", {}}};
    v.paths.push_back(callee);
  }
  return v;
}

struct Tracked {
  std::vector<Incident> records;
  IncidentTracker tracker;
  explicit Tracked(IncidentConfig cfg = {}) : tracker(cfg, [this](const Incident& x) { records.push_back(x); }) {}
  void client(const std::string& seg, TimeMs end, const std::string& user = "ann@contoso.example") {
    tracker.observe(blamed(seg, end, ComponentKind::kClient, "aa:00:00:00:00:01"), user, "guest@partner.example");
  }
  void ap(const std::string& seg, TimeMs end, const std::string& user) {
    tracker.observe(blamed(seg, end, ComponentKind::kAp, "ap1"), user, "guest@partner.example");
  }
};

TEST(Incidents, OpenAtTheThirdBlamedSegmentNotTheSecond) {
  Tracked t;
  t.client("s1", kT0 + 1 * kMin);
  t.client("s2", kT0 + 5 * kMin);
  t.tracker.advance(kT0 + 6 * kMin);
  EXPECT_TRUE(t.records.empty());
  EXPECT_EQ(t.tracker.open_count(), 0u);
  t.client("s3", kT0 + 9 * kMin);
  ASSERT_EQ(t.records.size(), 1u);
  const Incident& x = t.records[0];
  EXPECT_EQ(x.state, IncidentState::kOpen);
  EXPECT_EQ(x.kind, ComponentKind::kClient);
  EXPECT_EQ(x.component, "aa:00:00:00:00:01");
  EXPECT_EQ(x.site, "hq");
  EXPECT_EQ(x.since, kT0 - 1 * kMin);  // the first segment's start
  EXPECT_EQ(x.id, "inc-hq-client-aa:00:00:00:00:01-" + std::to_string(kT0 - kMin));
  EXPECT_EQ(x.segments, (std::vector<std::string>{"s1", "s2", "s3"}));
  EXPECT_EQ(x.count, 3u);
  // Organization users only: the remote callee is never listed.
  EXPECT_EQ(x.users, (std::vector<std::string>{"ann@contoso.example"}));
  EXPECT_EQ(x.user_count, 1u);
  EXPECT_DOUBLE_EQ(x.confidence, 0.9);
  ASSERT_EQ(x.evidence.size(), 1u);
  EXPECT_EQ(x.evidence[0].evidence.id, "heuristic.test");
  EXPECT_EQ(x.evidence[0].evidence.text, "observed s3");  // the latest text
  EXPECT_EQ(x.evidence[0].segments, 3u);
  EXPECT_EQ(t.tracker.stats().opened, 1u);
}

TEST(Incidents, ThreeBlamesSpreadOverMoreThanTheWindowDoNotOpen) {
  Tracked t;
  t.client("s1", kT0);
  t.client("s2", kT0 + 8 * kMin);
  t.client("s3", kT0 + 15 * kMin + 1);  // s1 has left the 15-minute window
  EXPECT_TRUE(t.records.empty());
  t.client("s4", kT0 + 16 * kMin);  // s2, s3, s4 are within it
  ASSERT_EQ(t.records.size(), 1u);
  EXPECT_EQ(t.records[0].segments, (std::vector<std::string>{"s2", "s3", "s4"}));
}

TEST(Incidents, TheSameSegmentTwiceCountsOnce) {
  Tracked t;
  t.client("s1", kT0);
  t.client("s1", kT0);
  t.client("s2", kT0 + kMin);
  EXPECT_TRUE(t.records.empty());
}

TEST(Incidents, AnApNeedsTwoDistinctPeopleBehindIt) {
  Tracked t;
  // One person's bad afternoon: three blames on the AP, all from ann.
  t.ap("s1", kT0 + 1 * kMin, "ann@contoso.example");
  t.ap("s2", kT0 + 2 * kMin, "ann@contoso.example");
  t.ap("s3", kT0 + 3 * kMin, "ann@contoso.example");
  EXPECT_TRUE(t.records.empty());
  t.ap("s4", kT0 + 4 * kMin, "bob@contoso.example");
  ASSERT_EQ(t.records.size(), 1u);
  EXPECT_EQ(t.records[0].kind, ComponentKind::kAp);
  EXPECT_EQ(t.records[0].count, 4u);
  EXPECT_EQ(t.records[0].users, (std::vector<std::string>{"ann@contoso.example", "bob@contoso.example"}));
}

TEST(Incidents, PeopleBehindTheComponentNotOnTheOtherSide) {
  Tracked t;
  // Internal calls: ann (on ap1) always, with a different colleague on ap2
  // each time. Only ann is behind ap1: no AP incident, yet all are listed.
  for (int i = 0; i < 4; ++i) {
    t.tracker.observe(blamed("s" + std::to_string(i), kT0 + i * kMin, ComponentKind::kAp, "ap1", 0.9, true),
                      "ann@contoso.example", "colleague" + std::to_string(i) + "@contoso.example");
  }
  EXPECT_TRUE(t.records.empty());
  // acc1 carries both sides: two people behind it at once.
  Tracked s;
  for (int i = 0; i < 3; ++i) {
    s.tracker.observe(blamed("s" + std::to_string(i), kT0 + i * kMin, ComponentKind::kSwitch, "acc1", 0.9, true),
                      "ann@contoso.example", "bob@contoso.example");
  }
  ASSERT_EQ(s.records.size(), 1u);
  EXPECT_EQ(s.records[0].user_count, 2u);
}

TEST(Incidents, PeopleWithoutAUserNameAreCountedByDevice) {
  Tracked t;
  for (int i = 0; i < 3; ++i) {
    t.tracker.observe(blamed("s" + std::to_string(i), kT0 + i * kMin, ComponentKind::kSwitch, "acc1", 0.9, true), "",
                      "");
  }
  ASSERT_EQ(t.records.size(), 1u);
  EXPECT_TRUE(t.records[0].users.empty());
  EXPECT_EQ(t.records[0].user_count, 0u);
}

TEST(Incidents, OnlyConfidentTopBlamesOnNamedComponentsCount) {
  Tracked t;
  for (int i = 0; i < 5; ++i) {
    const TimeMs end = kT0 + i * kMin;
    const std::string n = std::to_string(i);
    t.tracker.observe(blamed("weak" + n, end, ComponentKind::kAp, "ap1", 0.49), "user" + n + "@x", "");
    t.tracker.observe(blamed("remote" + n, end, ComponentKind::kRemote, ""), "ann@x", "");
    t.tracker.observe(blamed("unknown" + n, end, ComponentKind::kUnknown, ""), "ann@x", "");
    Verdict good = blamed("good" + n, end, ComponentKind::kAp, "ap1");
    good.quality = Quality::kGood;
    t.tracker.observe(good, "ann@x", "");
    // Second-ranked blame on wan1: never counts.
    Verdict second = blamed("second" + n, end, ComponentKind::kClient, "aa:00:00:00:00:0" + n);
    Blame wan = second.blame[0];
    wan.kind = ComponentKind::kWan;
    wan.id = "wan1";
    second.blame.push_back(wan);
    t.tracker.observe(second, "user" + n + "@x", "");
  }
  EXPECT_TRUE(t.records.empty());
  EXPECT_EQ(t.tracker.open_count(), 0u);
}

TEST(Incidents, UpdatesAreRateLimitedAndCarryEverythingSinceTheLastRecord) {
  Tracked t;
  t.client("s1", kT0 + 1 * kMin);
  t.client("s2", kT0 + 2 * kMin);
  t.tracker.advance(kT0 + 2 * kMin);
  t.client("s3", kT0 + 3 * kMin);  // opens at now = 3 min
  ASSERT_EQ(t.records.size(), 1u);
  t.tracker.advance(kT0 + 4 * kMin);
  t.client("s4", kT0 + 4 * kMin);
  t.tracker.advance(kT0 + 6 * kMin);
  t.client("s5", kT0 + 6 * kMin);
  t.tracker.advance(kT0 + 8 * kMin - 1);
  EXPECT_EQ(t.records.size(), 1u) << "an update within 5 minutes of the open";
  t.tracker.advance(kT0 + 8 * kMin);  // 5 minutes after the open: the held-back update goes out
  ASSERT_EQ(t.records.size(), 2u);
  EXPECT_EQ(t.records[1].state, IncidentState::kUpdate);
  EXPECT_EQ(t.records[1].id, t.records[0].id);
  EXPECT_EQ(t.records[1].segments, (std::vector<std::string>{"s1", "s2", "s3", "s4", "s5"}));
  EXPECT_EQ(t.records[1].updated, kT0 + 8 * kMin);
  // Nothing new: no update, however far the watermark goes (short of closing).
  t.tracker.advance(kT0 + 20 * kMin);
  EXPECT_EQ(t.records.size(), 2u);
  // A blame more than 5 minutes after the last record goes out at once.
  t.client("s6", kT0 + 21 * kMin);
  ASSERT_EQ(t.records.size(), 3u);
  EXPECT_EQ(t.records[2].state, IncidentState::kUpdate);
  EXPECT_EQ(t.records[2].count, 6u);
  EXPECT_EQ(t.tracker.stats().updates, 2u);
}

TEST(Incidents, ClosesAfterTwentyQuietMinutesNotBefore) {
  Tracked t;
  t.client("s1", kT0 + 1 * kMin);
  t.client("s2", kT0 + 2 * kMin);
  t.client("s3", kT0 + 3 * kMin);
  t.tracker.advance(kT0 + 23 * kMin - 1);
  for (const auto& r : t.records) EXPECT_NE(r.state, IncidentState::kClosed);
  EXPECT_EQ(t.tracker.open_count(), 1u);
  t.tracker.advance(kT0 + 23 * kMin);
  ASSERT_FALSE(t.records.empty());
  const Incident& closed = t.records.back();
  EXPECT_EQ(closed.state, IncidentState::kClosed);
  EXPECT_EQ(closed.until, kT0 + 3 * kMin);
  EXPECT_EQ(closed.reason, IncidentCloseReason::kQuiet);
  EXPECT_EQ(closed.segments.size(), 3u);
  EXPECT_EQ(t.tracker.open_count(), 0u);
  EXPECT_EQ(t.tracker.stats().closed, 1u);
}

TEST(Incidents, ABlameEverySixteenMinutesNeitherOpensNorFlaps) {
  // Never three within 15 minutes: no incident at all.
  Tracked quiet;
  for (int i = 0; i < 8; ++i) {
    quiet.tracker.advance(kT0 + i * 16 * kMin);
    quiet.client("s" + std::to_string(i), kT0 + i * 16 * kMin);
  }
  EXPECT_TRUE(quiet.records.empty());

  // Once open, a blame every 16 minutes keeps it open: 16 < 20 quiet minutes.
  Tracked t;
  t.client("a", kT0);
  t.client("b", kT0 + kMin);
  t.client("c", kT0 + 2 * kMin);
  for (int i = 1; i <= 8; ++i) {
    const TimeMs at = kT0 + 2 * kMin + i * 16 * kMin;
    t.tracker.advance(at);
    t.client("s" + std::to_string(i), at);
  }
  for (const auto& r : t.records) {
    EXPECT_NE(r.state, IncidentState::kClosed);
    EXPECT_EQ(r.id, t.records[0].id);
  }
  EXPECT_EQ(t.tracker.stats().opened, 1u);
  EXPECT_EQ(t.tracker.open_count(), 1u);
}

TEST(Incidents, ReFiringSoonAfterACloseReopensTheSameIncident) {
  Tracked t;
  t.client("s1", kT0 + 1 * kMin);
  t.client("s2", kT0 + 2 * kMin);
  t.client("s3", kT0 + 3 * kMin);
  t.tracker.advance(kT0 + 23 * kMin);  // closed
  const std::string id = t.records.front().id;
  t.tracker.advance(kT0 + 40 * kMin);
  t.client("s4", kT0 + 40 * kMin);
  t.client("s5", kT0 + 41 * kMin);
  t.client("s6", kT0 + 42 * kMin);  // 19 minutes after the close
  const Incident& again = t.records.back();
  EXPECT_EQ(again.state, IncidentState::kOpen);
  EXPECT_EQ(again.id, id);
  EXPECT_EQ(again.reopened, 1u);
  EXPECT_EQ(again.count, 6u);
  EXPECT_EQ(t.tracker.stats().reopened, 1u);

  // Long after a close, the same component starts a new incident.
  t.tracker.advance(kT0 + 62 * kMin);  // closed again
  ASSERT_EQ(t.records.back().state, IncidentState::kClosed);
  t.tracker.advance(kT0 + 100 * kMin);
  t.client("s7", kT0 + 100 * kMin);
  t.client("s8", kT0 + 101 * kMin);
  t.client("s9", kT0 + 102 * kMin);
  EXPECT_EQ(t.records.back().state, IncidentState::kOpen);
  EXPECT_NE(t.records.back().id, id);
  EXPECT_EQ(t.records.back().reopened, 0u);
  EXPECT_EQ(t.records.back().count, 3u);
}

TEST(Incidents, IncidentsArePerSiteAndComponent) {
  Tracked t;
  for (int i = 0; i < 3; ++i) {
    Verdict v = blamed("a" + std::to_string(i), kT0 + i * kMin, ComponentKind::kClient, "aa:00:00:00:00:01");
    t.tracker.observe(v, "ann@x", "");
    v = blamed("b" + std::to_string(i), kT0 + i * kMin, ComponentKind::kClient, "aa:00:00:00:00:01");
    v.blame[0].site = "branch";
    t.tracker.observe(v, "ann@x", "");
  }
  ASSERT_EQ(t.records.size(), 2u);
  EXPECT_EQ(t.records[0].site, "hq");
  EXPECT_EQ(t.records[1].site, "branch");
  EXPECT_NE(t.records[0].id, t.records[1].id);
}

TEST(Incidents, ListsAreCappedAndCountsStayExact) {
  IncidentConfig cfg;
  cfg.max_segments = 4;
  cfg.max_users = 2;
  Tracked t(cfg);
  for (int i = 0; i < 10; ++i) t.client("s" + std::to_string(i), kT0 + i * 10'000, "u" + std::to_string(i) + "@x");
  t.tracker.flush();
  const Incident& x = t.records.back();
  EXPECT_EQ(x.segments, (std::vector<std::string>{"s6", "s7", "s8", "s9"}));  // the most recent
  EXPECT_EQ(x.count, 10u);
  EXPECT_EQ(x.users, (std::vector<std::string>{"u0@x", "u1@x"}));  // the first seen
  EXPECT_EQ(x.user_count, 10u);
}

TEST(Incidents, TooManyOpenIncidentsCloseTheOneBlamedLongestAgo) {
  IncidentConfig cfg;
  cfg.max_open = 2;
  Tracked t(cfg);
  const auto open = [&](const std::string& ap, TimeMs at) {
    for (int i = 0; i < 3; ++i) {
      t.tracker.observe(blamed(ap + std::to_string(i), at + i * 1000, ComponentKind::kAp, ap),
                        "user" + std::to_string(i) + "@x", "");
    }
  };
  open("apA", kT0);
  open("apB", kT0 + kMin);
  open("apC", kT0 + 2 * kMin);
  EXPECT_EQ(t.tracker.open_count(), 2u);
  ASSERT_EQ(t.records.size(), 4u);  // open A, open B, closed A, open C
  EXPECT_EQ(t.records[2].state, IncidentState::kClosed);
  EXPECT_EQ(t.records[2].component, "apA");
  EXPECT_EQ(t.records[2].reason, IncidentCloseReason::kCapacity);
  EXPECT_EQ(t.records[3].component, "apC");
  EXPECT_EQ(t.tracker.stats().closed_for_capacity, 1u);
}

TEST(Incidents, WatchedComponentsAreBounded) {
  IncidentConfig cfg;
  cfg.max_watched = 3;
  Tracked t(cfg);
  for (int i = 0; i < 10; ++i) {
    t.tracker.observe(blamed("s" + std::to_string(i), kT0 + i * 1000, ComponentKind::kAp, "ap" + std::to_string(i)),
                      "ann@x", "");
  }
  EXPECT_LE(t.tracker.watched_count(), 3u);
  EXPECT_EQ(t.tracker.stats().watched_dropped, 7u);
}

TEST(Incidents, FlushSendsUnsentSegmentsAndKeepsTheIncidentOpen) {
  Tracked t;
  t.client("s1", kT0 + 1 * kMin);
  t.client("s2", kT0 + 2 * kMin);
  t.client("s3", kT0 + 3 * kMin);
  t.tracker.flush();
  EXPECT_EQ(t.records.size(), 1u) << "nothing unsent: no update";
  t.client("s4", kT0 + 4 * kMin);
  t.tracker.flush();
  ASSERT_EQ(t.records.size(), 2u);
  EXPECT_EQ(t.records[1].state, IncidentState::kUpdate);
  EXPECT_EQ(t.records[1].count, 4u);
  EXPECT_EQ(t.tracker.open_count(), 1u);
}

TEST(Incidents, DisabledTrackerEmitsNothing) {
  IncidentConfig cfg;
  cfg.enabled = false;
  Tracked t(cfg);
  for (int i = 0; i < 5; ++i) t.client("s" + std::to_string(i), kT0 + i * kMin);
  t.tracker.advance(kT0 + 60 * kMin);
  t.tracker.flush();
  EXPECT_TRUE(t.records.empty());
}

TEST(Incidents, SerializedStateContinuesWhereItLeftOff) {
  // Two runs of the same input, one with a save and restore in the middle,
  // give the same records after the restore.
  const auto first_half = [](Tracked& t) {
    t.client("s1", kT0 + 1 * kMin);
    t.client("s2", kT0 + 2 * kMin);
    t.client("s3", kT0 + 3 * kMin);
    t.tracker.advance(kT0 + 4 * kMin);
    t.client("s4", kT0 + 4 * kMin);       // held back: unsent
    t.ap("a1", kT0 + 4 * kMin, "ann@x");  // a watched AP, not yet an incident
    t.ap("a2", kT0 + 5 * kMin, "bob@x");
  };
  const auto second_half = [](Tracked& t) {
    t.ap("a3", kT0 + 6 * kMin, "cid@x");  // opens from the restored blames
    t.tracker.advance(kT0 + 9 * kMin);    // the held-back update
    t.tracker.advance(kT0 + 30 * kMin);   // both close
  };
  Tracked straight;
  first_half(straight);
  const std::size_t cut = straight.records.size();
  second_half(straight);

  Tracked before;
  first_half(before);
  const std::string saved = before.tracker.serialize();
  Tracked after;
  after.tracker.deserialize(saved);
  EXPECT_EQ(after.tracker.open_count(), 1u);
  EXPECT_EQ(after.tracker.watched_count(), 1u);
  EXPECT_EQ(after.tracker.now(), before.tracker.now());
  EXPECT_EQ(after.tracker.serialize(), saved);
  second_half(after);
  ASSERT_EQ(after.records.size(), straight.records.size() - cut);
  for (std::size_t i = 0; i < after.records.size(); ++i) {
    EXPECT_EQ(to_json(after.records[i]), to_json(straight.records[cut + i]));
  }
  EXPECT_EQ(after.records.back().state, IncidentState::kClosed);
}

TEST(Incidents, AMalformedStateIsRefusedAndChangesNothing) {
  Tracked t;
  t.client("s1", kT0 + 1 * kMin);
  t.client("s2", kT0 + 2 * kMin);
  t.client("s3", kT0 + 3 * kMin);
  const std::string saved = t.tracker.serialize();
  Tracked other;
  EXPECT_THROW(other.tracker.deserialize(saved.substr(0, saved.size() - 3)), std::runtime_error);
  EXPECT_THROW(other.tracker.deserialize(saved + "x"), std::runtime_error);
  std::string bad_version = saved;
  bad_version[0] = 9;
  EXPECT_THROW(other.tracker.deserialize(bad_version), std::runtime_error);
  EXPECT_THROW(other.tracker.deserialize(""), std::runtime_error);
  EXPECT_EQ(other.tracker.open_count(), 0u);
  EXPECT_EQ(other.tracker.serialize(), IncidentTracker().serialize());
}

// Through the engine: three poor segments of a client on weak Wi-Fi open an
// incident, and a checkpoint carries it into a new engine.
TEST(EngineIncidents, ThreeWeakWifiSegmentsOpenAClientIncidentThatACheckpointKeeps) {
  EngineConfig cfg;
  cfg.allowed_lateness = 3'600'000;  // fault rows replace healthy ones whatever their order
  Campus campus(cfg);
  campus.healthy(kT0, kT0 + 20 * kMin);
  for (TimeMs t = kT0; t <= kT0 + 20 * kMin; t += 30'000) {
    auto s = Campus::sample(Family::kWifiClient, t, campus.c1.value);
    Campus::set(s, 0, -81);
    Campus::set(s, 1, 11);
    Campus::set(s, 2, 32);
    campus.engine.apply(s);
  }
  for (int i = 0; i < 3; ++i) {
    auto seg = Campus::segment("s" + std::to_string(i), kT0 + (1 + 5 * i) * kMin, kT0 + (4 + 5 * i) * kMin);
    seg.caller.user = "ann@contoso.example";
    seg.streams.push_back(Campus::audio(Side::kCaller, 45, 12, 80));
    seg.streams.push_back(Campus::audio(Side::kCallee, 40, 11, 80));
    campus.engine.apply(std::move(seg));
  }
  campus.engine.flush();
  ASSERT_EQ(campus.sink.verdicts.size(), 3u);
  EXPECT_EQ(campus.engine.stats().incidents_opened, 1u);
  EXPECT_EQ(campus.engine.stats().incidents_closed, 0u);
  const auto open = campus.engine.incidents().open_incidents();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].kind, ComponentKind::kClient);
  EXPECT_EQ(open[0].component, "aa:00:00:00:00:01");
  EXPECT_EQ(open[0].users, (std::vector<std::string>{"ann@contoso.example"}));  // not the remote guest

  const std::string path = ::testing::TempDir() + "engine-incidents.ckpt";
  campus.engine.save_checkpoint(path);
  Campus restarted(cfg);
  restarted.engine.restore_checkpoint(path);
  const auto restored = restarted.engine.incidents().open_incidents();
  ASSERT_EQ(restored.size(), 1u);
  EXPECT_EQ(to_json(restored[0]), to_json(open[0]));
  EXPECT_EQ(restarted.engine.checkpoint_time(), kT0 + 20 * kMin);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace callroot::engine::testing
