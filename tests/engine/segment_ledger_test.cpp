#include "engine/segment_ledger.h"

#include <gtest/gtest.h>

#include "fixture.h"

namespace callroot::engine::testing {
namespace {

using Admission = SegmentLedger::Admission;

CallSegment poor_audio(std::string id, std::uint64_t version, double jitter) {
  CallSegment seg = Campus::segment(std::move(id), kT0 + 60'000, kT0 + 120'000);
  seg.version = version;
  seg.streams.push_back(Campus::audio(Side::kCaller, jitter, 0.1, 40));
  return seg;
}

TEST(SegmentLedger, TellsNewDuplicateStaleAndNewerApart) {
  SegmentLedger ledger;
  CallSegment a = poor_audio("s1", 1, 40);
  EXPECT_EQ(ledger.admit(a, kT0).admission, Admission::kNew);
  CallSegment again = poor_audio("s1", 1, 40);
  EXPECT_EQ(ledger.admit(again, kT0).admission, Admission::kDuplicate);
  // Not scored yet: the newer copy replaces the pending one.
  CallSegment v2 = poor_audio("s1", 2, 45);
  const auto t2 = ledger.admit(v2, kT0);
  EXPECT_EQ(t2.admission, Admission::kReplacePending);
  ledger.scored(t2, true);
  CallSegment v1 = poor_audio("s1", 1, 50);
  EXPECT_EQ(ledger.admit(v1, kT0).admission, Admission::kStale);
  CallSegment v3 = poor_audio("s1", 3, 55);
  const auto t3 = ledger.admit(v3, kT0);
  EXPECT_EQ(t3.admission, Admission::kReissue);
  EXPECT_TRUE(ledger.counted(t3));
  // A higher version with the same content is still the same segment.
  CallSegment v4 = poor_audio("s1", 4, 55);
  EXPECT_EQ(ledger.admit(v4, kT0).admission, Admission::kDuplicate);
}

TEST(SegmentLedger, OnlyTheLatestCopyIsCurrent) {
  SegmentLedger ledger;
  CallSegment a = poor_audio("s1", 0, 40);
  const auto ta = ledger.admit(a, kT0);
  CallSegment b = poor_audio("s1", 0, 41);
  const auto tb = ledger.admit(b, kT0);
  CallSegment a2 = poor_audio("s1", 0, 40);  // back to the first content: a third copy
  const auto ta2 = ledger.admit(a2, kT0);
  EXPECT_EQ(ta2.admission, Admission::kReplacePending);
  EXPECT_FALSE(ledger.current(ta));
  EXPECT_FALSE(ledger.current(tb));
  EXPECT_TRUE(ledger.current(ta2));
}

TEST(SegmentLedger, LaterPagesTakeTheirCallsVersion) {
  SegmentLedger ledger;
  CallSegment first_page = poor_audio("s1", 7, 40);
  ledger.admit(first_page, kT0);
  CallSegment second_page = poor_audio("s2", 0, 40);  // same call, a sessions page: no version
  second_page.call_id = first_page.call_id;
  ledger.admit(second_page, kT0);
  EXPECT_EQ(second_page.version, 7u);
  CallSegment other_call = poor_audio("s3", 0, 40);
  ledger.admit(other_call, kT0);
  EXPECT_EQ(other_call.version, 0u);
}

TEST(SegmentLedger, FingerprintIgnoresWhichNaNMeansNotMeasured) {
  CallSegment a = poor_audio("s1", 0, 40);
  CallSegment b = a;
  a.streams[0].set(StreamMetric::kRttMax, std::numeric_limits<double>::quiet_NaN());
  b.streams[0].set(StreamMetric::kRttMax, -std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(SegmentLedger::fingerprint(a), SegmentLedger::fingerprint(b));
  b.streams[0].set(StreamMetric::kRttMax, 0);  // measured zero is not "not measured"
  EXPECT_NE(SegmentLedger::fingerprint(a), SegmentLedger::fingerprint(b));
}

TEST(SegmentLedger, ForgetsAfterTwoGenerationsAndStaysBounded) {
  SegmentLedgerConfig cfg;
  cfg.generation = 60'000;
  cfg.max_entries = 64;
  SegmentLedger ledger(cfg);
  CallSegment a = poor_audio("s1", 0, 40);
  ledger.admit(a, kT0);
  CallSegment copy = poor_audio("s1", 0, 40);
  EXPECT_EQ(ledger.admit(copy, kT0 + 90'000).admission, Admission::kDuplicate);  // one rotation: still known
  CallSegment late = poor_audio("s1", 0, 40);
  EXPECT_EQ(ledger.admit(late, kT0 + 300'000).admission, Admission::kNew);  // two rotations later: forgotten
  for (int i = 0; i < 1000; ++i) {
    CallSegment s = poor_audio("x" + std::to_string(i), 0, 40);
    ledger.admit(s, kT0 + 300'000);
  }
  EXPECT_LE(ledger.size(), 2 * 64u + 2);
}

TEST(SegmentLedger, SurvivesACheckpointWithItsPendingSegments) {
  SegmentLedger ledger;
  CallSegment scored = poor_audio("s1", 3, 40);
  ledger.scored(ledger.admit(scored, kT0), true);
  CallSegment pending = poor_audio("s2", 0, 40);
  ledger.admit(pending, kT0);
  SegmentLedger restored;
  restored.deserialize(ledger.serialize());
  CallSegment again = poor_audio("s1", 3, 40);
  EXPECT_EQ(restored.admit(again, kT0).admission, Admission::kDuplicate);
  CallSegment page = poor_audio("s9", 0, 40);  // the call's version is remembered too
  page.call_id = scored.call_id;
  restored.admit(page, kT0);
  EXPECT_EQ(page.version, 3u);
  // Still waiting: the engine saved the segment beside the ledger, so a copy is a duplicate.
  CallSegment waiting = poor_audio("s2", 0, 40);
  EXPECT_EQ(restored.admit(waiting, kT0).admission, Admission::kDuplicate);
  // A corrupt payload changes nothing.
  std::string bytes = ledger.serialize();
  bytes.resize(bytes.size() - 3);
  EXPECT_THROW(restored.deserialize(bytes), std::runtime_error);
  CallSegment still = poor_audio("s1", 3, 40);
  EXPECT_EQ(restored.admit(still, kT0).admission, Admission::kDuplicate);
}

TEST(SegmentLedger, AVerdictThatMayHaveGoneOutMakesAnyLaterCopyAReissue) {
  SegmentLedger ledger;
  CallSegment scored = poor_audio("s0", 0, 40);
  ledger.scored(ledger.admit(scored, kT0), true);
  EXPECT_FALSE(ledger.mark_given(SegmentLedger::key("call-s0", "s0"))) << "known as scored already";

  EXPECT_TRUE(ledger.mark_given(SegmentLedger::key("call-s1", "s1")));
  SegmentLedger restored;  // the mark survives the next checkpoint
  restored.deserialize(ledger.serialize());
  CallSegment copy = poor_audio("s1", 0, 40);
  const auto t = restored.admit(copy, kT0);
  EXPECT_EQ(t.admission, Admission::kReissue) << "the content is unknown: never a duplicate";
  EXPECT_FALSE(restored.counted(t)) << "what the lost verdict counted was lost with it";
  CallSegment again = poor_audio("s1", 0, 40);
  EXPECT_EQ(restored.admit(again, kT0).admission, Admission::kDuplicate) << "known from the reissue on";

  // Still waiting when the mark comes: its verdict, when given, is a reissue.
  CallSegment waiting = poor_audio("s2", 0, 40);
  const auto tw = ledger.admit(waiting, kT0);
  EXPECT_FALSE(ledger.given(tw));
  EXPECT_TRUE(ledger.mark_given(tw.key));
  EXPECT_TRUE(ledger.given(tw));
  EXPECT_TRUE(ledger.current(tw));
}

TEST(Engine, ADuplicateSegmentGivesNoSecondVerdict) {
  Campus campus;
  campus.healthy(kT0, kT0 + 600'000);
  EXPECT_EQ(campus.engine.apply(poor_audio("s1", 0, 40)), ApplyResult::kScored);
  EXPECT_EQ(campus.engine.apply(poor_audio("s1", 0, 40)), ApplyResult::kDuplicate);
  ASSERT_EQ(campus.sink.verdicts.size(), 1u);
  EXPECT_FALSE(campus.sink.verdicts[0].reissued);
  EXPECT_EQ(campus.engine.stats().segments_duplicate, 1u);
}

TEST(Engine, AHigherVersionReissuesTheVerdictMarked) {
  Campus campus;
  campus.healthy(kT0, kT0 + 600'000);
  campus.engine.apply(poor_audio("s1", 1, 40));
  EXPECT_EQ(campus.engine.apply(poor_audio("s1", 2, 4)), ApplyResult::kScored);  // corrected: good now
  ASSERT_EQ(campus.sink.verdicts.size(), 2u);
  EXPECT_EQ(campus.sink.verdicts[0].quality, Quality::kPoor);
  EXPECT_FALSE(campus.sink.verdicts[0].reissued);
  EXPECT_EQ(campus.sink.verdicts[1].segment_id, "s1");
  EXPECT_EQ(campus.sink.verdicts[1].version, 2u);
  EXPECT_TRUE(campus.sink.verdicts[1].reissued);
  EXPECT_EQ(campus.sink.verdicts[1].quality, Quality::kGood);
  EXPECT_EQ(campus.engine.apply(poor_audio("s1", 1, 40)), ApplyResult::kDuplicate);  // stale
  EXPECT_EQ(campus.engine.stats().segments_stale, 1u);
  EXPECT_EQ(campus.engine.stats().segments_reissued, 1u);
  EXPECT_NE(to_json(campus.sink.verdicts[1]).find("\"version\":2,\"reissued\":true"), std::string::npos);
}

TEST(Engine, ANewerCopyBeforeScoringReplacesThePendingOne) {
  EngineConfig cfg;
  cfg.allowed_lateness = 60'000;
  cfg.grace = 30'000;
  Campus campus(cfg);
  campus.healthy(kT0, kT0 + 120'000);
  EXPECT_EQ(campus.engine.apply(poor_audio("s1", 1, 40)), ApplyResult::kPending);
  EXPECT_EQ(campus.engine.apply(poor_audio("s1", 2, 45)), ApplyResult::kPending);
  campus.engine.flush();
  ASSERT_EQ(campus.sink.verdicts.size(), 1u);
  EXPECT_EQ(campus.sink.verdicts[0].version, 2u);
  EXPECT_FALSE(campus.sink.verdicts[0].reissued);  // nothing was said before: not a reissue
  EXPECT_EQ(campus.engine.stats().segments_replaced, 1u);
}

TEST(Engine, AReissueDoesNotCountTwiceInIncidents) {
  EngineConfig cfg;
  cfg.incidents.open_segments = 2;
  Campus campus(cfg);
  for (TimeMs t = kT0; t <= kT0 + 600'000; t += 30'000) {  // c1's Wi-Fi is bad throughout
    auto s = Campus::sample(Family::kWifiClient, t, campus.c1.value);
    Campus::set(s, 0, -86);
    Campus::set(s, 1, 7);
    Campus::set(s, 2, 45);
    Campus::set(s, 3, 40);
    campus.engine.apply(s);
  }
  campus.engine.apply(poor_audio("s1", 1, 40));
  ASSERT_EQ(campus.sink.verdicts.size(), 1u);
  ASSERT_FALSE(campus.sink.verdicts[0].blame.empty());
  ASSERT_EQ(campus.sink.verdicts[0].blame[0].kind, ComponentKind::kClient);
  campus.engine.apply(poor_audio("s1", 2, 42));  // the same segment again, corrected twice
  campus.engine.apply(poor_audio("s1", 3, 44));
  EXPECT_EQ(campus.sink.verdicts.size(), 3u);
  EXPECT_EQ(campus.engine.stats().incidents_opened, 0u) << "one segment, however often reissued, is one";
  campus.engine.apply(poor_audio("s2", 1, 40));  // a second segment: now two
  EXPECT_EQ(campus.engine.stats().incidents_opened, 1u);
}

}  // namespace
}  // namespace callroot::engine::testing
