#include "engine/statistics.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "engine/published_targets.h"
#include "fixture.h"

namespace callroot::engine::testing {
namespace {

/// Sees what an evidence source would, then weighs as the published targets do.
class Spy final : public EvidenceProvider {
 public:
  void weigh(const ScoringContext& ctx, Candidates& out) override {
    saw_stats = ctx.stats != nullptr;
    window.push_back(ctx.stats ? ctx.stats->fate().size() : 0);
    keys.clear();
    for (const SideEvidence& side : ctx.sides) path_keys(side, keys);
    heuristic_.weigh(ctx, out);
  }
  bool saw_stats = false;
  std::vector<std::size_t> window;  // shared-fate entries when each poor segment was attributed
  std::vector<FateKey> keys;

 private:
  PublishedTargets heuristic_;
};

Spy& spy_on(Campus& campus) {
  auto spy = std::make_unique<Spy>();
  Spy& ref = *spy;
  std::vector<EvidenceProviderPtr> sources;
  sources.push_back(std::move(spy));
  campus.engine.set_attributor(std::make_unique<Attributor>("spy", std::move(sources)));
  return ref;
}

CallSegment poor_segment(std::string id, TimeMs start, bool pinned = true) {
  auto seg = Campus::segment(std::move(id), start, start + 120'000);
  if (!pinned) seg.caller.reflexive_ip.reset();
  seg.streams.push_back(Campus::audio(Side::kCaller, 45, 12, 80));
  seg.streams.push_back(Campus::audio(Side::kCallee, 40, 11, 80));
  return seg;
}

CallSegment good_segment(std::string id, TimeMs start) {
  auto seg = Campus::segment(std::move(id), start, start + 120'000);
  seg.streams.push_back(Campus::audio(Side::kCaller, 4, 0.1, 60));
  seg.streams.push_back(Campus::audio(Side::kCallee, 5, 0.2, 60));
  return seg;
}

TEST(PathKeys, AreTheResolvedPathMostSpecificFirst) {
  Campus campus;
  Spy& spy = spy_on(campus);
  campus.healthy(kT0, kT0 + 300'000);
  campus.engine.apply(poor_segment("s1", kT0 + 30'000));
  campus.engine.flush();
  const std::vector<FateKey> expected{FateKey::client(campus.c1), FateKey::ap(campus.ap1),
                                      FateKey::port(campus.ap1_port), FateKey::port(campus.acc1_uplink),
                                      FateKey::link(campus.wan1)};
  EXPECT_EQ(spy.keys, expected);
}

TEST(PathKeys, LeaveOutCandidateLinks) {
  Campus campus;
  Spy& spy = spy_on(campus);
  campus.healthy(kT0, kT0 + 300'000);
  campus.engine.apply(poor_segment("s1", kT0 + 30'000, /*pinned=*/false));  // wan1 or wan2: unknown
  campus.engine.flush();
  const std::vector<FateKey> expected{FateKey::client(campus.c1), FateKey::ap(campus.ap1),
                                      FateKey::port(campus.ap1_port), FateKey::port(campus.acc1_uplink)};
  EXPECT_EQ(spy.keys, expected);
  // Appending a side whose keys are already there adds nothing.
  std::vector<FateKey> again = expected;
  SideEvidence side;
  side.resolution.organization = true;
  side.resolution.path.client = campus.c1;
  side.resolution.path.ap = campus.ap1;
  path_keys(side, again);
  EXPECT_EQ(again, expected);
}

TEST(Statistics, TheEngineFeedsThemAfterAttribution) {
  Campus campus;
  Spy& spy = spy_on(campus);
  campus.healthy(kT0, kT0 + 600'000);
  campus.engine.apply(poor_segment("s1", kT0 + 30'000));
  campus.engine.apply(good_segment("s2", kT0 + 60'000));
  campus.engine.apply(poor_segment("s3", kT0 + 90'000));
  campus.engine.flush();
  ASSERT_EQ(campus.sink.verdicts.size(), 3u);
  EXPECT_TRUE(spy.saw_stats);
  // The segment being attributed is not in the window yet.
  EXPECT_EQ(spy.window, (std::vector<std::size_t>{0, 2}));
  const Statistics& stats = campus.engine.statistics();
  EXPECT_EQ(stats.fate().size(), 3u);
  EXPECT_EQ(stats.fate().segments(FateKey::ap(campus.ap1)), 3u);
  EXPECT_EQ(stats.fate().poor_segments(FateKey::ap(campus.ap1)), 2u);
  EXPECT_EQ(stats.fate().segments(FateKey::link(campus.wan1)), 3u);
  EXPECT_EQ(stats.fate().segments(FateKey::link(campus.wan2)), 0u);
  EXPECT_EQ(stats.tomography().size(), 6u);  // two streams each
  EXPECT_EQ(stats.newest_end(), kT0 + 90'000 + 120'000);
  EXPECT_GT(stats.memory_bytes(), 0u);
}

// A poor segment blamed with confidence on its AP counts against the AP, and
// not against the hops above it: the AP explains it, as 007 removes the
// flows its top link explains. Without this, a bad AP makes its site's WAN
// link look bad to every other call.
TEST(Statistics, APoorSegmentCountsOnlyUpToTheComponentItIsBlamedOn) {
  EngineConfig cfg;
  cfg.allowed_lateness = 3'600'000;  // the fault rows replace healthy ones at the same timestamps
  Campus campus(cfg);  // the published targets alone: a busy radio is named at once
  campus.healthy(kT0, kT0 + 600'000);
  for (TimeMs t = kT0; t <= kT0 + 600'000; t += 30'000) {
    auto s = Campus::sample(Family::kWifiAp, t, campus.ap1.value);
    Campus::set(s, 2, 92);  // channel utilization
    Campus::set(s, 3, 40);  // interference
    campus.engine.apply(s);
  }
  campus.engine.apply(poor_segment("s1", kT0 + 30'000));
  campus.engine.apply(good_segment("s2", kT0 + 60'000));
  campus.engine.apply(poor_segment("s3", kT0 + 90'000));
  campus.engine.flush();
  ASSERT_EQ(campus.sink.verdicts.size(), 3u);
  for (const Verdict& v : campus.sink.verdicts) {
    if (v.quality != Quality::kPoor) continue;
    ASSERT_FALSE(v.blame.empty());
    EXPECT_EQ(v.blame[0].kind, ComponentKind::kAp) << v.segment_id;
    EXPECT_GE(v.blame[0].confidence, 0.5);
  }
  const SharedFate& fate = campus.engine.statistics().fate();
  EXPECT_EQ(fate.poor_segments(FateKey::ap(campus.ap1)), 2u);
  EXPECT_EQ(fate.poor_segments(FateKey::port(campus.ap1_port)), 0u) << "above the AP: explained by it";
  EXPECT_EQ(fate.poor_segments(FateKey::link(campus.wan1)), 0u);
  EXPECT_EQ(fate.segments(FateKey::link(campus.wan1)), 1u) << "the good segment still vouches for the link";
}

std::vector<std::string> replay(bool statistics) {
  EngineConfig cfg;
  cfg.statistics.enabled = statistics;
  Campus campus(cfg);
  campus.healthy(kT0, kT0 + 1'200'000);
  for (int i = 0; i < 8; ++i) {
    const TimeMs start = kT0 + 60'000 * i;
    campus.engine.apply(i % 3 == 0 ? good_segment("g" + std::to_string(i), start)
                                   : poor_segment("p" + std::to_string(i), start, i % 2 == 0));
  }
  campus.engine.flush();
  std::vector<std::string> out;
  for (const Verdict& v : campus.sink.verdicts) {
    out.emplace_back();
    append_json(out.back(), v);
  }
  EXPECT_EQ(campus.engine.statistics().fate().size(), statistics ? 8u : 0u);
  return out;
}

TEST(Statistics, DoNotChangeTheVerdictsOfAnAttributorThatIgnoresThem) {
  const auto with = replay(true);
  const auto without = replay(false);
  ASSERT_EQ(with.size(), 8u);
  EXPECT_EQ(with, without);
}

TEST(Statistics, BaselinesLearnInHousekeeping) {
  Campus campus;
  campus.healthy(kT0, kT0 + 3'600'000);  // an hour: about a dozen housekeeping passes
  const Statistics& stats = campus.engine.statistics();
  EXPECT_GE(stats.baselines().passes(), 10u);
  const TimeMs t = kT0 + 3'000'000;
  const double normal = stats.baselines().z(Family::kWanLink, campus.wan1.value, col::kLatency, t, 20);
  const double high = stats.baselines().z(Family::kWanLink, campus.wan1.value, col::kLatency, t, 80);
  EXPECT_NEAR(normal, 0, 0.5);
  EXPECT_GT(high, 20);
  // AP radios are the store's entities: the fixture's APs report without a band.
  const auto radio = campus.dir.find_radio(campus.ap1, 0);
  ASSERT_TRUE(radio.has_value());
  EXPECT_TRUE(stats.baselines().lookup(Family::kWifiAp, *radio, col::kChannelUtil, t).has_value());
}

TEST(Statistics, CheckpointRoundTrip) {
  Campus campus;
  campus.healthy(kT0, kT0 + 3'600'000);
  const std::string blob = campus.engine.statistics().serialize(campus.dir);

  Directory dir;
  (void)dir.link("other");  // ids differ from the campus's
  Statistics restored;
  restored.deserialize(blob, dir);
  const TimeMs t = kT0 + 3'000'000;
  const auto a = campus.engine.statistics().baselines().lookup(Family::kWanLink, campus.wan2.value, col::kJitter, t);
  const auto b = restored.baselines().lookup(Family::kWanLink, dir.link("wan2")->value, col::kJitter, t);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->median, b->median);
  EXPECT_EQ(a->n, b->n);

  EXPECT_THROW(restored.deserialize(blob.substr(0, blob.size() - 1), dir), std::runtime_error);
  EXPECT_THROW(restored.deserialize("CRST", dir), std::runtime_error);
  EXPECT_THROW(restored.deserialize(std::string(64, '\0'), dir), std::runtime_error);
  const auto still = restored.baselines().lookup(Family::kWanLink, dir.link("wan2")->value, col::kJitter, t);
  ASSERT_TRUE(still.has_value());
  EXPECT_EQ(still->median, b->median);
}

}  // namespace
}  // namespace callroot::engine::testing
