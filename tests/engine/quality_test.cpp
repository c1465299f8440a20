#include <gtest/gtest.h>

#include "engine/quality.h"

namespace callroot::engine {
namespace {

Stream audio() {
  Stream s;
  s.media = Media::kAudio;
  return s;
}

TEST(Classify, AudioWithNothingMeasuredIsUnclassified) {
  StreamAssessment a;
  classify(audio(), a);
  EXPECT_EQ(a.quality, Quality::kUnclassified);
  EXPECT_TRUE(a.why.empty());
}

TEST(Classify, AudioAtThresholdsIsGood) {
  Stream s = audio();
  s.set(StreamMetric::kJitterAvg, 30);
  s.set(StreamMetric::kLossAvg, 10);
  s.set(StreamMetric::kRttAvg, 500);
  s.set(StreamMetric::kDegradationAvg, 1.0);
  s.set(StreamMetric::kConcealedRatioAvg, 0.07);
  StreamAssessment a;
  classify(s, a);
  EXPECT_EQ(a.quality, Quality::kGood);
}

TEST(Classify, AudioEachCqdThresholdMakesItPoor) {
  const std::pair<StreamMetric, double> cases[] = {{StreamMetric::kJitterAvg, 30.5},
                                                   {StreamMetric::kLossAvg, 10.1},
                                                   {StreamMetric::kRttAvg, 501},
                                                   {StreamMetric::kDegradationAvg, 1.01},
                                                   {StreamMetric::kConcealedRatioAvg, 0.071}};
  for (const auto& [metric, value] : cases) {
    Stream s = audio();
    s.set(metric, value);
    StreamAssessment a;
    classify(s, a);
    EXPECT_EQ(a.quality, Quality::kPoor) << stream_metric_name(metric);
    ASSERT_EQ(a.why.size(), 1u);
    EXPECT_EQ(a.why[0].substr(0, stream_metric_name(metric).size()), stream_metric_name(metric));
  }
}

TEST(Classify, AudioReasonTextNamesValueAndThreshold) {
  Stream s = audio();
  s.set(StreamMetric::kJitterAvg, 41);
  s.set(StreamMetric::kLossAvg, 12.5);
  StreamAssessment a;
  classify(s, a);
  ASSERT_EQ(a.why.size(), 2u);
  EXPECT_EQ(a.why[0], "jitter_avg_ms 41 > 30");
  EXPECT_EQ(a.why[1], "loss_avg_pct 12.5 > 10");
}

TEST(Classify, VideoFrameLossDecidesFirst) {
  Stream s;
  s.media = Media::kVideo;
  s.set(StreamMetric::kFrameLoss, 10);       // fine
  s.set(StreamMetric::kFrameRateAvg, 3);     // would be poor, but frame loss is measured
  StreamAssessment a;
  classify(s, a);
  EXPECT_EQ(a.quality, Quality::kGood);
  s.set(StreamMetric::kFrameLoss, 60);
  classify(s, a);
  EXPECT_EQ(a.quality, Quality::kPoor);
  EXPECT_EQ(a.why.at(0), "frame_loss_pct 60 > 50");
}

TEST(Classify, VideoFallsBackToFrameRateThenPostFec) {
  Stream s;
  s.media = Media::kVideo;
  s.set(StreamMetric::kFrameRateAvg, 6.5);
  StreamAssessment a;
  classify(s, a);
  EXPECT_EQ(a.quality, Quality::kPoor);
  EXPECT_EQ(a.why.at(0), "frame_rate_avg 6.5 < 7");

  Stream f;
  f.media = Media::kVideo;
  f.set(StreamMetric::kPostFecLoss, 16);
  classify(f, a);
  EXPECT_EQ(a.quality, Quality::kPoor);
  f.set(StreamMetric::kPostFecLoss, 15);
  classify(f, a);
  EXPECT_EQ(a.quality, Quality::kGood);
}

TEST(Classify, ScreenSharingHasItsOwnFrameRateFloor) {
  Stream s;
  s.media = Media::kScreen;
  s.set(StreamMetric::kFrameRateAvg, 3);
  StreamAssessment a;
  classify(s, a);
  EXPECT_EQ(a.quality, Quality::kGood);
  s.set(StreamMetric::kFrameRateAvg, 1.5);
  classify(s, a);
  EXPECT_EQ(a.quality, Quality::kPoor);
  EXPECT_EQ(a.why.at(0), "frame_rate_avg 1.5 < 2");
}

TEST(EModel, CleanNetworkIsNearTheG711Ceiling) {
  Stream s = audio();
  s.set(StreamMetric::kLossAvg, 0);
  s.set(StreamMetric::kJitterAvg, 0);
  s.set(StreamMetric::kRttAvg, 0);
  // d = 20 ms: Id = 0.48, R = 92.72 -> MOS 4.40
  EXPECT_NEAR(emodel_mos(s), 4.40, 0.01);
}

TEST(EModel, LossAndDelayLowerMos) {
  Stream s = audio();
  s.set(StreamMetric::kLossAvg, 5);
  s.set(StreamMetric::kJitterAvg, 10);
  s.set(StreamMetric::kRttAvg, 100);
  // d = 50 + 20 + 20 = 90: Id = 2.16; Ie,eff = 95*5/30.1 = 15.78; R = 75.26 -> MOS 3.83
  EXPECT_NEAR(emodel_mos(s), 3.83, 0.01);
  s.set(StreamMetric::kRttAvg, 600);
  // d = 340: Id = 8.16 + 17.897 = 26.06; R = 51.36 -> MOS 2.65
  EXPECT_NEAR(emodel_mos(s), 2.65, 0.01);
}

TEST(EModel, NothingMeasuredGivesNoMos) { EXPECT_TRUE(std::isnan(emodel_mos(audio()))); }

TEST(EModel, RToMosIsClamped) {
  EXPECT_DOUBLE_EQ(r_to_mos(-5), 1.0);
  EXPECT_DOUBLE_EQ(r_to_mos(120), 4.5);
  EXPECT_NEAR(r_to_mos(50), 2.58, 0.01);
}

}  // namespace
}  // namespace callroot::engine
