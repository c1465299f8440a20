#pragma once
/// The registry of names of the rule language (docs/rules.md §5 and §6): every
/// field with its type, dimension, enum values and where the engine takes its
/// value from, and every function. Hop telemetry fields are generated from the
/// metric catalog (models/catalog.h) and stream fields from the
/// CALLROOT_STREAM_METRICS X-macro, so that a column is declared once.

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/catalog.h"
#include "models/ids.h"
#include "models/segment.h"
#include "rules/types.h"

namespace callroot::rules {

/// Where the engine takes the value of a field from.
enum class FieldSource : std::uint8_t {
  kHopColumn,         ///< a metric store column of a hop: `<hop>.<family>.<column>[.<aggregate>]`
  kEndpoint,          ///< the evaluated endpoint (`endpoint.*`)
  kStream,            ///< `sent.<metric>` / `received.<metric>`
  kStreamPoor,        ///< `sent.poor` / `received.poor`
  kPeerOrganization,  ///< `peer.organization`
  kSite,              ///< `endpoint.site` (compared through the program's site index)
  kScopeMedia,        ///< `media` (scope only)
  kScopeDirection,    ///< `direction` (scope only)
};

enum class EndpointField : std::uint8_t {
  kConnection,
  kDeviceType,
  kWifiSignalPct,
  kCpuInsufficientRatio,
  kFeedbackRating,
  kMicGlitchRate,
  kSpeakerGlitchRate,
  kCaptureNotFunctioningRatio,
  kRenderNotFunctioningRatio,
  kDeviceGlitchRatio,
  kDeviceClippingRatio,
  kLowSpeechLevelRatio,
  kLowSpeechToNoiseRatio,
  kHowlingEventCount,
  kWifiChannel,
  kWifiBand,
  kLinkSpeedMbps,
  kDelayEventRatio,
  kBandwidthLowEventRatio,
  kSentQualityEventRatio,
  kReceivedQualityEventRatio,
  kWifiBatteryPct,
  kRenderMuteRatio,
  kRenderZeroVolumeRatio,
  kSentSignalLevel,
  kSentNoiseLevel,
  kReceivedSignalLevel,
  kReceivedNoiseLevel,
  kInitialSignalLevelRms,
  kCpuCores,
  kCpuSpeedMhz,
};
enum class StreamDirection : std::uint8_t { kSent, kReceived };

struct FieldDef {
  std::string name;  ///< full name; hop columns without their aggregate (`client.wifi.rssi_dbm`)
  FieldSource source = FieldSource::kEndpoint;
  ValueType type = ValueType::kNumber;
  Dim dim;                       ///< the dimension in the language (normalized)
  EnumSet set = EnumSet::kNone;  ///< kEnum
  /// Language value = scale * the value the engine has (a catalog `Mbps`
  /// column is 1000: the language counts bitrates in kbps).
  double scale = 1;
  ComponentKind hop = ComponentKind::kUnknown;  ///< kHopColumn: the hop kind (client, ap, switch, wan)
  Family family = Family::kWifiClient;          ///< kHopColumn
  std::uint8_t column = 0;                      ///< kHopColumn: index in family_columns(family)
  EndpointField endpoint = EndpointField::kConnection;  ///< kEndpoint
  StreamMetric metric = StreamMetric::kJitterAvg;       ///< kStream
  StreamDirection direction = StreamDirection::kSent;   ///< kStream, kStreamPoor
  std::string doc;  ///< one line for the reference
};

/// Every field, in reference order.
const std::vector<FieldDef>& all_fields();

struct FieldLookup {
  const FieldDef* def = nullptr;
  std::optional<Agg> agg;  ///< a hop column followed by `.avg`, `.p95`, ...
};
/// `client.wifi.rssi_dbm.avg` -> the column and kAvg; `client.wifi.rssi_dbm`
/// -> the column without aggregate; `endpoint.connection` -> that field.
/// `def == nullptr` when unknown.
FieldLookup lookup_field(std::string_view name);

/// The dimension of a hop column read through `agg` (count: plain; rate: per second).
Dim aggregate_dim(const FieldDef& f, Agg agg) noexcept;

/// The closest known field name (with an aggregate when `name` has one), or "".
std::string suggest_field(std::string_view name);
/// The closest of `candidates` within a small edit distance, or "".
std::string suggest(std::string_view name, std::span<const std::string> candidates);
/// The Levenshtein distance of `a` and `b`, or `limit` when it is that or more.
std::size_t edit_distance(std::string_view a, std::string_view b,
                          std::size_t limit = std::numeric_limits<std::size_t>::max());

enum class Function : std::uint8_t { kFraction, kFor, kPeripheral, kRoomHealth, kAbs, kMin, kMax };
struct FunctionDef {
  std::string_view name;
  Function fn;
  std::uint8_t arity;
  std::string_view signature;  ///< "for(cond, duration)"
  std::string_view doc;
};
std::span<const FunctionDef> all_functions() noexcept;
const FunctionDef* find_function(std::string_view name) noexcept;

/// The reference of fields and functions as Markdown (`callroot rules fields`).
std::string fields_reference_markdown();

}  // namespace callroot::rules
