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

/// One hop of a Graph trace route (networkInfo.traceRouteHops).
struct TraceRouteHop {
  double hop_count = kMissing;  ///< hopCount: the hop's place on the path
  std::optional<IpAddr> ip;     ///< ipAddress
  double rtt_ms = kMissing;     ///< roundTripTime
  friend bool operator==(const TraceRouteHop&, const TraceRouteHop&) = default;
};

/// One end of a segment as the call-quality source saw it.
///
/// Numbers are kMissing when not measured and strings empty when not given,
/// so a field costs nothing on the native hot path unless a record carries it.
/// Each field's JSON key in the native `call.segment` record is its name
/// (kEndpointNumbers / kEndpointTexts below; docs/contract.md §5).
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
  std::optional<IpAddr> relay_ip;  ///< the media relay the endpoint allocated (Graph relayIPAddress)
  /// A Microsoft service (Graph serviceEndpoint: a media server, a gateway,
  /// a bot), not a user's device; `service_role` says which.
  bool service = false;
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
  // Graph networkInfo besides the addresses.
  double wifi_channel = kMissing;                  ///< wifiChannel
  double wifi_band = kMissing;                     ///< GHz: 2.4, 5 or 6 (wifiBand), as `client.assoc` `band`
  double link_speed_mbps = kMissing;               ///< linkSpeed (bits/s) / 1e6
  double delay_event_ratio = kMissing;             ///< delayEventRatio, 0..1
  double bandwidth_low_event_ratio = kMissing;     ///< bandwidthLowEventRatio, 0..1
  double sent_quality_event_ratio = kMissing;      ///< sentQualityEventRatio, 0..1
  double received_quality_event_ratio = kMissing;  ///< receivedQualityEventRatio, 0..1
  double wifi_battery_pct = kMissing;              ///< wifiBatteryCharge
  // Graph deviceInfo besides the device-problem signals.
  double render_mute_ratio = kMissing;         ///< renderMuteEventRatio, 0..1
  double render_zero_volume_ratio = kMissing;  ///< renderZeroVolumeEventRatio, 0..1
  double initial_signal_level_rms = kMissing;  ///< initialSignalLevelRootMeanSquare
  double sent_signal_level = kMissing;         ///< sentSignalLevel (energy level as the client reports it)
  double sent_noise_level = kMissing;          ///< sentNoiseLevel
  double received_signal_level = kMissing;     ///< receivedSignalLevel
  double received_noise_level = kMissing;      ///< receivedNoiseLevel
  // Graph participantEndpoint's machine.
  double cpu_cores = kMissing;      ///< cpuCoresCount
  double cpu_speed_mhz = kMissing;  ///< cpuProcessorSpeedInMhz
  // Descriptions: what the source said, as it said it (Graph's evolvable
  // enumerations keep their spelling, so a new member needs no decoder change).
  std::string platform;             ///< Graph userAgent.platform (`windows`), Zoom `device` (`Windows`)
  std::string product_family;       ///< Graph userAgent.productFamily (`teams`)
  std::string product_version;      ///< Graph userAgent.applicationVersion, Zoom `version`
  std::string service_role;         ///< Graph serviceUserAgent.role (`mediaController`)
  std::string domain;               ///< Graph networkInfo.dnsSuffix, Zoom `domain`
  std::string location;             ///< Zoom `location` (`Paris (FR)`); personal data
  std::string cpu_name;             ///< Graph cpuName
  std::string transport;            ///< Graph networkTransportProtocol: `udp`, `tcp`
  std::string wifi_radio_type;      ///< Graph wifiRadioType (`wifi80211ac`)
  std::string wifi_driver;          ///< Graph wifiVendorDriver, else wifiMicrosoftDriver
  std::string wifi_driver_version;  ///< the version of that driver
  std::string capture_device;       ///< Graph captureDeviceName
  std::string capture_driver;       ///< Graph captureDeviceDriver
  std::string render_device;        ///< Graph renderDeviceName
  std::string render_driver;        ///< Graph renderDeviceDriver
  /// The feedback tokens the user ticked (Graph feedback.tokens entries that
  /// are true, e.g. `Echo`), in document order. The free text is not kept.
  std::vector<std::string> feedback_tokens;
  std::vector<TraceRouteHop> trace_route_hops;  ///< Graph traceRouteHops, in document order
};

/// The numeric endpoint fields, by native JSON key, with the range the native
/// decoder accepts. One list, so that the decoder, the writer and the tests
/// cannot forget one.
struct EndpointNumber {
  std::string_view json;
  double Endpoint::*member;
  double min;
  double max;
};
inline constexpr EndpointNumber kEndpointNumbers[] = {
    {"wifi_signal_pct", &Endpoint::wifi_signal_pct, 0, 100},
    {"cpu_insufficient_ratio", &Endpoint::cpu_insufficient_ratio, 0, 1},
    {"mic_glitch_rate", &Endpoint::mic_glitch_rate, 0, 1e6},
    {"speaker_glitch_rate", &Endpoint::speaker_glitch_rate, 0, 1e6},
    {"capture_not_functioning_ratio", &Endpoint::capture_not_functioning_ratio, 0, 1},
    {"render_not_functioning_ratio", &Endpoint::render_not_functioning_ratio, 0, 1},
    {"device_glitch_ratio", &Endpoint::device_glitch_ratio, 0, 1},
    {"device_clipping_ratio", &Endpoint::device_clipping_ratio, 0, 1},
    {"low_speech_level_ratio", &Endpoint::low_speech_level_ratio, 0, 1},
    {"low_speech_to_noise_ratio", &Endpoint::low_speech_to_noise_ratio, 0, 1},
    {"howling_event_count", &Endpoint::howling_event_count, 0, 2147483647},
    {"feedback_rating", &Endpoint::feedback_rating, 1, 5},
    {"wifi_channel", &Endpoint::wifi_channel, 1, 233},  // as `client.assoc` `channel`
    {"wifi_band", &Endpoint::wifi_band, 2.4, 6},        // 2.4, 5 or 6 only: read as `client.assoc` `band`
    {"link_speed_mbps", &Endpoint::link_speed_mbps, 0, 10'000'000},
    {"delay_event_ratio", &Endpoint::delay_event_ratio, 0, 1},
    {"bandwidth_low_event_ratio", &Endpoint::bandwidth_low_event_ratio, 0, 1},
    {"sent_quality_event_ratio", &Endpoint::sent_quality_event_ratio, 0, 1},
    {"received_quality_event_ratio", &Endpoint::received_quality_event_ratio, 0, 1},
    {"wifi_battery_pct", &Endpoint::wifi_battery_pct, 0, 100},
    {"render_mute_ratio", &Endpoint::render_mute_ratio, 0, 1},
    {"render_zero_volume_ratio", &Endpoint::render_zero_volume_ratio, 0, 1},
    {"initial_signal_level_rms", &Endpoint::initial_signal_level_rms, 0, 1e9},
    // Int32 energy levels whose unit Graph does not document: any Int32.
    {"sent_signal_level", &Endpoint::sent_signal_level, -2147483648.0, 2147483647},
    {"sent_noise_level", &Endpoint::sent_noise_level, -2147483648.0, 2147483647},
    {"received_signal_level", &Endpoint::received_signal_level, -2147483648.0, 2147483647},
    {"received_noise_level", &Endpoint::received_noise_level, -2147483648.0, 2147483647},
    {"cpu_cores", &Endpoint::cpu_cores, 0, 1e6},
    {"cpu_speed_mhz", &Endpoint::cpu_speed_mhz, 0, 1e6},
};

/// The string endpoint fields, by native JSON key.
struct EndpointText {
  std::string_view json;
  std::string Endpoint::*member;
};
inline constexpr EndpointText kEndpointTexts[] = {
    {"user", &Endpoint::user},
    {"hostname", &Endpoint::hostname},
    {"tenant", &Endpoint::tenant},
    {"platform", &Endpoint::platform},
    {"product_family", &Endpoint::product_family},
    {"product_version", &Endpoint::product_version},
    {"service_role", &Endpoint::service_role},
    {"domain", &Endpoint::domain},
    {"location", &Endpoint::location},
    {"cpu_name", &Endpoint::cpu_name},
    {"transport", &Endpoint::transport},
    {"wifi_radio_type", &Endpoint::wifi_radio_type},
    {"wifi_driver", &Endpoint::wifi_driver},
    {"wifi_driver_version", &Endpoint::wifi_driver_version},
    {"capture_device", &Endpoint::capture_device},
    {"capture_driver", &Endpoint::capture_driver},
    {"render_device", &Endpoint::render_device},
    {"render_driver", &Endpoint::render_driver},
};

/// Stream measurements; the JSON key of each is its name in SPEC.md. The
/// metrics after `bitrate_kbps` extend SPEC.md for what Graph's mediaStream
/// measures besides (docs/contract.md §5): averageAudioNetworkJitter,
/// maxAudioNetworkJitter, maxRatioOfConcealedSamples,
/// averageVideoPacketLossRate (as percent), lowFrameRateRatio,
/// lowVideoProcessingCapabilityRatio, averageFreezeDuration, rmsFreezeDuration,
/// packetUtilization (a packet count).
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
  X(kFreezeRms, "freeze_rms_ms")   \
  X(kPacketCount, "packet_count")

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
/// The largest plausible value of a stream metric (every one is >= 0):
/// percentages 100, ratios 1, the degradation 5 (a MOS drop), durations an
/// hour, frame rates 1,000 fps, bitrates 10 Gbit/s. Anything beyond, or not
/// finite, comes from a broken or lying source and is read as not measured.
double stream_metric_max(StreamMetric m) noexcept;
/// Whether `v` is a value metric `m` can have (kMissing is not).
inline bool plausible(StreamMetric m, double v) noexcept { return v >= 0 && v <= stream_metric_max(m); }
/// Index of a stream metric by JSON key, or -1.
int find_stream_metric(std::string_view json) noexcept;

struct Stream {
  Side from = Side::kCaller;
  Media media = Media::kAudio;
  std::array<double, kStreamMetricCount> values;
  /// The codec as the source names it (Graph audioCodec for audio, videoCodec
  /// for video and screen sharing: `opus`, `h264`); empty when not given.
  std::string codec;
  double width = kMissing;   ///< pixels (Zoom `resolution` "1280*720")
  double height = kMissing;  ///< pixels
  TimeMs start = kNoTime;    ///< when the stream started, when the source says (Graph startDateTime)
  TimeMs end = kNoTime;      ///< when it ended
  std::optional<bool> media_bypassed;  ///< Graph wasMediaBypassed: straight to the PSTN gateway
  std::optional<bool> audio_fec_used;  ///< Graph isAudioForwardErrorCorrectionUsed
  Stream() { values.fill(kMissing); }
  [[nodiscard]] double get(StreamMetric m) const noexcept { return values[static_cast<std::size_t>(m)]; }
  void set(StreamMetric m, double v) noexcept { values[static_cast<std::size_t>(m)] = v; }
};

/// Graph modalities (callRecord / session `modalities`) as bits of
/// CallSegment::modalities; the names are Graph's.
enum ModalityBit : std::uint8_t {
  kModalityAudio = 1,
  kModalityVideo = 2,
  kModalityVideoBasedScreenSharing = 4,
  kModalityData = 8,
  kModalityScreenSharing = 16,
};
inline constexpr std::array<std::string_view, 5> kModalityNames{"audio", "video", "videoBasedScreenSharing", "data",
                                                                 "screenSharing"};
/// The bit of a modality name, or 0.
std::uint8_t parse_modality(std::string_view s) noexcept;

struct CallSegment {
  std::string call_id;
  std::string segment_id;
  /// The source record's revision (Graph callRecord `version`); 0 when not
  /// given. A segment that comes again with a higher version reissues its
  /// verdict; with the same or a lower one it is a duplicate.
  std::uint64_t version = 0;
  std::string call_type;       ///< Graph callRecord `type`: `groupCall`, `peerToPeer`
  std::uint8_t modalities = 0;  ///< ModalityBit set: the session's, else the call's
  bool is_test = false;         ///< Graph session `isTest`: a test call
  /// Why the segment failed (Graph failureInfo, the segment's else the
  /// session's): `stage` is `callSetup` or `midcall`; empty when it did not fail.
  std::string failure_stage;
  std::string failure_reason;
  TimeMs start = 0;
  TimeMs end = 0;
  Endpoint caller;
  Endpoint callee;
  std::vector<Stream> streams;

  [[nodiscard]] const Endpoint& endpoint(Side s) const noexcept { return s == Side::kCaller ? caller : callee; }
  [[nodiscard]] TimeWindow window() const noexcept { return {start, end}; }
};

}  // namespace callroot
