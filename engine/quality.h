#pragma once
/// Per-stream quality by Microsoft Call Quality Dashboard's published rules,
/// and a MOS estimate by the ITU-T G.107 E-model.
///
/// CQD ("Stream classification in Call Quality Dashboard", Microsoft Learn):
/// - audio is poor if any of: jitter > 30 ms, packet loss > 10 %, round trip
///   > 500 ms, network MOS degradation > 1.0, concealed-samples ratio > 0.07;
/// - video (and screen sharing) is classified by the first metric measured of:
///   frame loss > 50 %; else frame rate < 7 fps (screen sharing < 2 fps);
///   else post-FEC packet loss > 15 %;
/// - a stream with none of its metrics measured is unclassified.

#include <string>
#include <vector>

#include "models/segment.h"
#include "models/verdict.h"

namespace callroot::engine {

struct StreamAssessment {
  Quality quality = Quality::kUnclassified;
  std::vector<std::string> why;  ///< each threshold crossed, e.g. "jitter_avg_ms 41 > 30"
};

/// Classifies one stream; `out.why` is cleared and refilled (buffers are reused).
void classify(const Stream& stream, StreamAssessment& out);

/// Whether a stream carries the network's mark: packet loss of at least
/// kNetworkLossPct, jitter above CQD's audio limit or a round trip above it.
/// A poor stream without it (concealment, distortion, a low frame rate on
/// clean packets) was spoiled by an endpoint, not by the path: a starved CPU
/// conceals what it cannot decode in time, a broken microphone distorts.
bool shows_network_impairment(const Stream& stream) noexcept;
inline constexpr double kNetworkLossPct = 1.0;

/// A user's poor rating (kPoorRating or less on the 1-5 scale) is a signal
/// too: it makes a borderline audio stream poor, one within kBorderlineShare
/// of a CQD threshold that it did not cross. Returns true when `out` (a good
/// audio stream's assessment) became poor, with why it did.
bool confirm_borderline(const Stream& stream, double rating, StreamAssessment& out);
inline constexpr double kPoorRating = 2;
inline constexpr double kBorderlineShare = 0.75;

/// The thresholds, for documentation and rule packs.
namespace cqd {
inline constexpr double kAudioJitterMs = 30;
inline constexpr double kAudioLossPct = 10;
inline constexpr double kAudioRttMs = 500;
inline constexpr double kAudioDegradation = 1.0;
inline constexpr double kAudioConcealedRatio = 0.07;
inline constexpr double kVideoFrameLossPct = 50;
inline constexpr double kVideoFrameRate = 7;
inline constexpr double kScreenFrameRate = 2;
inline constexpr double kVideoPostFecLossPct = 15;
}  // namespace cqd

/// E-model (ITU-T G.107) MOS of an audio stream; NaN when neither loss,
/// jitter nor round trip is measured. Variant and parameters:
/// - R = R0 - Id - Ie,eff with R0 = 93.2 (default Ro - Is, A = 0);
/// - one-way delay d = rtt/2 + 2 x jitter (a jitter buffer of twice the mean
///   jitter) + 20 ms packetization; Id = 0.024 d + 0.11 (d - 177.3) H(d - 177.3);
/// - Ie,eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl) with Ie = 0, Bpl = 25.1
///   (G.711 with packet-loss concealment, ITU-T G.113 Appendix I), BurstR = 1
///   (random loss), Ppl = average loss in percent;
/// - MOS = 1 + 0.035 R + 7e-6 R (R - 60)(100 - R), clamped to [1, 4.5].
/// Missing inputs count as zero, so a stream with only loss measured is scored on loss.
double emodel_mos(const Stream& audio) noexcept;
double r_to_mos(double r) noexcept;

}  // namespace callroot::engine
