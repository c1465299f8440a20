#pragma once
/// A call segment: one leg of a call between two endpoints over a time span,
/// with the media streams measured in each direction. The native
/// `call.segment` record, Graph callRecords and Zoom QoS all decode into this.

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/net.h"
#include "models/time.h"

namespace callroot {

inline constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
/// "Not measured" is NaN, never zero.
inline bool measured(double v) noexcept { return !std::isnan(v); }

enum class Connection : std::uint8_t { kUnknown, kWifi, kWired, kMobile, kTunnel };
enum class DeviceType : std::uint8_t { kUnknown, kPc, kMobile, kRoomSystem, kPhone };
enum class Media : std::uint8_t { kAudio, kVideo, kScreen };
enum class Side : std::uint8_t { kCaller, kCallee };

std::string_view to_string(Connection c) noexcept;
std::string_view to_string(DeviceType d) noexcept;
std::string_view to_string(Media m) noexcept;
std::string_view to_string(Side s) noexcept;
std::optional<Connection> parse_connection(std::string_view s) noexcept;
std::optional<DeviceType> parse_device_type(std::string_view s) noexcept;
std::optional<Media> parse_media(std::string_view s) noexcept;
std::optional<Side> parse_side(std::string_view s) noexcept;
inline Side other(Side s) noexcept { return s == Side::kCaller ? Side::kCallee : Side::kCaller; }

/// One end of a segment as the call-quality source saw it.
struct Endpoint {
  bool present = false;
  std::string user;      ///< e-mail / UPN; personal data
  std::string hostname;  ///< the machine's name (Graph participantEndpoint.name, Zoom pc_name); personal data
  /// The directory tenant of `user` (Graph identity.user.tenantId). An
  /// endpoint of a tenant the organization does not list is remote.
  std::string tenant;
  std::optional<Mac> client;
  std::optional<IpAddr> ip;
  std::optional<Cidr> subnet;
  std::optional<Mac> bssid;
  Connection connection = Connection::kUnknown;
  DeviceType device_type = DeviceType::kUnknown;
  std::optional<IpAddr> reflexive_ip;
  double wifi_signal_pct = kMissing;
  double cpu_insufficient_ratio = kMissing;
  // Graph callRecords deviceInfo signals (docs/contract.md §5): glitch rates are
  // glitches per 5 minutes (>= 0), ratios the fraction of the call (0..1),
  // howling_event_count a count (>= 0).
  double mic_glitch_rate = kMissing;                ///< micGlitchRate
  double speaker_glitch_rate = kMissing;            ///< speakerGlitchRate
  double capture_not_functioning_ratio = kMissing;  ///< captureNotFunctioningEventRatio
  double render_not_functioning_ratio = kMissing;   ///< renderNotFunctioningEventRatio
  double device_glitch_ratio = kMissing;            ///< deviceGlitchEventRatio
  double device_clipping_ratio = kMissing;          ///< deviceClippingEventRatio
  double low_speech_level_ratio = kMissing;         ///< lowSpeechLevelEventRatio
  double low_speech_to_noise_ratio = kMissing;      ///< lowSpeechToNoiseEventRatio
  double howling_event_count = kMissing;            ///< howlingEventCount
  double feedback_rating = kMissing;  ///< 1..5
};

/// Stream measurements; the JSON key of each is its name in SPEC.md. The
/// metrics after `bitrate_kbps` extend SPEC.md for what Graph's mediaStream
/// measures besides (docs/contract.md §5): averageAudioNetworkJitter,
/// maxAudioNetworkJitter, maxRatioOfConcealedSamples,
/// averageVideoPacketLossRate (as percent), lowFrameRateRatio,
/// lowVideoProcessingCapabilityRatio, averageFreezeDuration, rmsFreezeDuration.
#define CALLROOT_STREAM_METRICS(X) \
  X(kJitterAvg, "jitter_avg_ms")   \
  X(kJitterMax, "jitter_max_ms")   \
  X(kLossAvg, "loss_avg_pct")      \
  X(kLossMax, "loss_max_pct")      \
  X(kRttAvg, "rtt_avg_ms")         \
  X(kRttMax, "rtt_max_ms")         \
  X(kDegradationAvg, "degradation_avg") \
  X(kConcealedRatioAvg, "concealed_ratio_avg") \
  X(kFrameRateAvg, "frame_rate_avg") \
  X(kFrameLoss, "frame_loss_pct")  \
  X(kPostFecLoss, "post_fec_loss_pct") \
  X(kBitrate, "bitrate_kbps")      \
  X(kNetJitterAvg, "network_jitter_avg_ms") \
  X(kNetJitterMax, "network_jitter_max_ms") \
  X(kConcealedRatioMax, "concealed_ratio_max") \
  X(kVideoLossAvg, "video_loss_avg_pct") \
  X(kLowFrameRateRatio, "low_frame_rate_ratio") \
  X(kLowVideoProcessingRatio, "low_video_processing_ratio") \
  X(kFreezeAvg, "freeze_avg_ms")   \
  X(kFreezeRms, "freeze_rms_ms")

enum class StreamMetric : std::uint8_t {
#define CALLROOT_X(id, json) id,
  CALLROOT_STREAM_METRICS(CALLROOT_X)
#undef CALLROOT_X
};
inline constexpr std::size_t kStreamMetricCount = 0
#define CALLROOT_X(id, json) +1
    CALLROOT_STREAM_METRICS(CALLROOT_X)
#undef CALLROOT_X
    ;
std::string_view stream_metric_name(StreamMetric m) noexcept;
/// Index of a stream metric by JSON key, or -1.
int find_stream_metric(std::string_view json) noexcept;

struct Stream {
  Side from = Side::kCaller;
  Media media = Media::kAudio;
  std::array<double, kStreamMetricCount> values;
  Stream() { values.fill(kMissing); }
  [[nodiscard]] double get(StreamMetric m) const noexcept { return values[static_cast<std::size_t>(m)]; }
  void set(StreamMetric m, double v) noexcept { values[static_cast<std::size_t>(m)] = v; }
};

struct CallSegment {
  std::string call_id;
  std::string segment_id;
  /// The source record's revision (Graph callRecord `version`); 0 when not
  /// given. A segment that comes again with a higher version reissues its
  /// verdict; with the same or a lower one it is a duplicate.
  std::uint64_t version = 0;
  TimeMs start = 0;
  TimeMs end = 0;
  Endpoint caller;
  Endpoint callee;
  std::vector<Stream> streams;

  [[nodiscard]] const Endpoint& endpoint(Side s) const noexcept { return s == Side::kCaller ? caller : callee; }
  [[nodiscard]] TimeWindow window() const noexcept { return {start, end}; }
};

}  // namespace callroot
