#include "engine/quality.h"

#include <algorithm>

#include "models/json_writer.h"

namespace callroot::engine {
namespace {

void reason(StreamAssessment& out, StreamMetric m, double value, const char* op, double threshold) {
  std::string text(stream_metric_name(m));
  text += ' ';
  text += format_number(value, 3);
  text += ' ';
  text += op;
  text += ' ';
  text += format_number(threshold, 3);
  out.why.push_back(std::move(text));
}

struct AudioCheck {
  StreamMetric metric;
  double threshold;
};
constexpr AudioCheck kAudioChecks[] = {
    {StreamMetric::kJitterAvg, cqd::kAudioJitterMs},
    {StreamMetric::kLossAvg, cqd::kAudioLossPct},
    {StreamMetric::kRttAvg, cqd::kAudioRttMs},
    {StreamMetric::kDegradationAvg, cqd::kAudioDegradation},
    {StreamMetric::kConcealedRatioAvg, cqd::kAudioConcealedRatio},
};

void classify_audio(const Stream& s, StreamAssessment& out) {
  bool any = false;
  for (const AudioCheck& c : kAudioChecks) {
    const double v = s.get(c.metric);
    if (!measured(v)) continue;
    any = true;
    if (v > c.threshold) reason(out, c.metric, v, ">", c.threshold);
  }
  if (!out.why.empty()) out.quality = Quality::kPoor;
  else if (any) out.quality = Quality::kGood;
}

void classify_video(const Stream& s, StreamAssessment& out) {
  // CQD's chain: the first measured metric decides.
  if (const double loss = s.get(StreamMetric::kFrameLoss); measured(loss)) {
    if (loss > cqd::kVideoFrameLossPct) reason(out, StreamMetric::kFrameLoss, loss, ">", cqd::kVideoFrameLossPct);
  } else if (const double fps = s.get(StreamMetric::kFrameRateAvg); measured(fps)) {
    const double min_fps = s.media == Media::kScreen ? cqd::kScreenFrameRate : cqd::kVideoFrameRate;
    if (fps < min_fps) reason(out, StreamMetric::kFrameRateAvg, fps, "<", min_fps);
  } else if (const double fec = s.get(StreamMetric::kPostFecLoss); measured(fec)) {
    if (fec > cqd::kVideoPostFecLossPct) reason(out, StreamMetric::kPostFecLoss, fec, ">", cqd::kVideoPostFecLossPct);
  } else {
    return;  // unclassified
  }
  out.quality = out.why.empty() ? Quality::kGood : Quality::kPoor;
}

}  // namespace

void classify(const Stream& stream, StreamAssessment& out) {
  out.quality = Quality::kUnclassified;
  out.why.clear();
  if (stream.media == Media::kAudio) classify_audio(stream, out);
  else classify_video(stream, out);
}

double r_to_mos(double r) noexcept {
  if (r <= 0) return 1.0;
  if (r >= 100) return 4.5;
  return std::clamp(1.0 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r), 1.0, 4.5);
}

double emodel_mos(const Stream& audio) noexcept {
  const double loss = audio.get(StreamMetric::kLossAvg);
  const double jitter = audio.get(StreamMetric::kJitterAvg);
  const double rtt = audio.get(StreamMetric::kRttAvg);
  if (!measured(loss) && !measured(jitter) && !measured(rtt)) return kMissing;
  auto or_zero = [](double v) { return measured(v) ? v : 0.0; };
  const double d = or_zero(rtt) / 2 + 2 * or_zero(jitter) + 20.0;
  const double id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0.0);
  constexpr double kIe = 0, kBpl = 25.1, kBurstR = 1.0;
  const double ppl = std::clamp(or_zero(loss), 0.0, 100.0);
  const double ie_eff = kIe + (95 - kIe) * ppl / (ppl / kBurstR + kBpl);
  return r_to_mos(93.2 - id - ie_eff);
}

bool shows_network_impairment(const Stream& s) noexcept {
  auto above = [&](StreamMetric m, double limit) {
    const double v = s.get(m);
    return measured(v) && v > limit;
  };
  return above(StreamMetric::kLossAvg, kNetworkLossPct) || above(StreamMetric::kPostFecLoss, kNetworkLossPct) ||
         above(StreamMetric::kJitterAvg, cqd::kAudioJitterMs) || above(StreamMetric::kRttAvg, cqd::kAudioRttMs);
}

bool confirm_borderline(const Stream& s, double rating, StreamAssessment& out) {
  if (s.media != Media::kAudio || out.quality != Quality::kGood) return false;
  for (const AudioCheck& c : kAudioChecks) {
    const double v = s.get(c.metric);
    if (!measured(v) || v <= kBorderlineShare * c.threshold) continue;
    std::string text(stream_metric_name(c.metric));
    text += ' ';
    text += format_number(v, 3);
    text += " near ";
    text += format_number(c.threshold, 3);
    text += ", and the user rated the call ";
    text += format_number(rating, 0);
    text += "/5";
    out.why.push_back(std::move(text));
  }
  if (out.why.empty()) return false;
  out.quality = Quality::kPoor;
  return true;
}

}  // namespace callroot::engine
