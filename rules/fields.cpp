#include "rules/fields.h"

#include <algorithm>
#include <array>

namespace callroot::rules {
namespace {

struct HopPrefix {
  std::string_view prefix;
  ComponentKind hop;
  Family family;
  std::string_view what;
};
constexpr std::array kHops{
    HopPrefix{"client.wifi", ComponentKind::kClient, Family::kWifiClient, "the client's Wi-Fi (`wifi.client`)"},
    HopPrefix{"client.device", ComponentKind::kClient, Family::kClientDevice, "the client device (`client.device`)"},
    HopPrefix{"ap.radio", ComponentKind::kAp, Family::kWifiAp, "the client's AP radio (`wifi.ap`)"},
    HopPrefix{"switch.port", ComponentKind::kSwitch, Family::kSwitchPort, "the candidate switch port (`switch.port`)"},
    HopPrefix{"wan.link", ComponentKind::kWan, Family::kWanLink, "the candidate WAN link (`wan.link`)"},
};

void unit_dim(Unit u, Dim& dim, double& scale) {
  scale = 1;
  switch (u) {
    case Unit::kMs: dim = {BaseUnit::kMs, 0}; return;
    case Unit::kPct: dim = {BaseUnit::kPct, 0}; return;
    case Unit::kDbm: dim = {BaseUnit::kDbm, 0}; return;
    case Unit::kDb: dim = {BaseUnit::kDb, 0}; return;
    case Unit::kMbps: dim = {BaseUnit::kKbps, 0}; scale = 1000; return;
    case Unit::kKbps: dim = {BaseUnit::kKbps, 0}; return;
    case Unit::kPerSecond: dim = {BaseUnit::kNone, 1}; return;
    case Unit::kGhz: dim = {BaseUnit::kGhz, 0}; return;
    case Unit::kNone:
    case Unit::kCount:
    case Unit::kBool:
    case Unit::kOctets: dim = {}; return;
  }
}

Dim stream_dim(std::string_view n) {
  auto ends = [&](std::string_view s) { return n.size() >= s.size() && n.substr(n.size() - s.size()) == s; };
  if (ends("_ms")) return {BaseUnit::kMs, 0};
  if (ends("_pct")) return {BaseUnit::kPct, 0};
  if (ends("_kbps")) return {BaseUnit::kKbps, 0};
  if (n == "frame_rate_avg") return {BaseUnit::kFps, 0};
  return {};
}

std::vector<FieldDef> build() {
  std::vector<FieldDef> out;
  for (const HopPrefix& h : kHops) {
    const auto cols = family_columns(h.family);
    for (std::size_t c = 0; c < cols.size(); ++c) {
      FieldDef f;
      f.name = std::string(h.prefix) + "." + std::string(cols[c].name);
      f.source = FieldSource::kHopColumn;
      unit_dim(cols[c].unit, f.dim, f.scale);
      f.hop = h.hop;
      f.family = h.family;
      f.column = static_cast<std::uint8_t>(c);
      f.doc = std::string(h.what);
      out.push_back(std::move(f));
    }
  }
  auto endpoint = [&](std::string name, ValueType t, Dim d, EnumSet s, EndpointField e, std::string doc) {
    FieldDef f;
    f.name = std::move(name);
    f.source = FieldSource::kEndpoint;
    f.type = t;
    f.dim = d;
    f.set = s;
    f.endpoint = e;
    f.doc = std::move(doc);
    out.push_back(std::move(f));
  };
  endpoint("endpoint.connection", ValueType::kEnum, {}, EnumSet::kConnection, EndpointField::kConnection,
           "how the endpoint is connected");
  endpoint("endpoint.device_type", ValueType::kEnum, {}, EnumSet::kDeviceType, EndpointField::kDeviceType,
           "the kind of device");
  endpoint("endpoint.wifi_signal_pct", ValueType::kNumber, {BaseUnit::kPct, 0}, EnumSet::kNone,
           EndpointField::kWifiSignalPct, "Wi-Fi signal as the call client reported it");
  endpoint("endpoint.cpu_insufficient_ratio", ValueType::kNumber, {}, EnumSet::kNone,
           EndpointField::kCpuInsufficientRatio, "share of the call with insufficient CPU (ratio)");
  endpoint("endpoint.feedback_rating", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kFeedbackRating,
           "the user's rating, 1 to 5");
  endpoint("endpoint.mic_glitch_rate", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kMicGlitchRate,
           "microphone glitches per 5 minutes (Graph micGlitchRate)");
  endpoint("endpoint.speaker_glitch_rate", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kSpeakerGlitchRate,
           "loudspeaker glitches per 5 minutes (Graph speakerGlitchRate)");
  endpoint("endpoint.capture_not_functioning_ratio", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kCaptureNotFunctioningRatio,
           "share of the call the capture device was not working (ratio)");
  endpoint("endpoint.render_not_functioning_ratio", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kRenderNotFunctioningRatio,
           "share of the call the render device was not working (ratio)");
  endpoint("endpoint.device_glitch_ratio", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kDeviceGlitchRatio,
           "share of the call with glitches or gaps in played or captured audio (ratio)");
  endpoint("endpoint.device_clipping_ratio", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kDeviceClippingRatio,
           "share of the call with clipping in the captured audio (ratio)");
  endpoint("endpoint.low_speech_level_ratio", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kLowSpeechLevelRatio,
           "share of the call with too low a speech level sent (ratio)");
  endpoint("endpoint.low_speech_to_noise_ratio", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kLowSpeechToNoiseRatio,
           "share of the call with too low a speech-to-noise level sent (ratio)");
  endpoint("endpoint.howling_event_count", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kHowlingEventCount,
           "times howling or screeching audio was detected (count)");
  endpoint("endpoint.wifi_channel", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kWifiChannel,
           "Wi-Fi channel the call client reported (Graph wifiChannel)");
  endpoint("endpoint.wifi_band", ValueType::kNumber, {BaseUnit::kGhz, 0}, EnumSet::kNone, EndpointField::kWifiBand,
           "Wi-Fi band the call client reported: 2.4, 5 or 6 GHz (Graph wifiBand)");
  endpoint("endpoint.link_speed_mbps", ValueType::kNumber, {BaseUnit::kKbps, 0}, EnumSet::kNone, EndpointField::kLinkSpeedMbps,
           "the network adapter's link speed (Graph linkSpeed)");
  out.back().scale = 1000;  // the language counts bit rates in kbps
  endpoint("endpoint.delay_event_ratio", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kDelayEventRatio,
           "share of the call with network delay too high for two-way talk (ratio)");
  endpoint("endpoint.bandwidth_low_event_ratio", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kBandwidthLowEventRatio,
           "share of the call with too little bandwidth for the audio sent (ratio)");
  endpoint("endpoint.sent_quality_event_ratio", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kSentQualityEventRatio,
           "share of the call the network hurt the audio sent (ratio)");
  endpoint("endpoint.received_quality_event_ratio", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kReceivedQualityEventRatio,
           "share of the call the network hurt the audio received (ratio)");
  endpoint("endpoint.wifi_battery_pct", ValueType::kNumber, {BaseUnit::kPct, 0}, EnumSet::kNone, EndpointField::kWifiBatteryPct,
           "battery charge the call client reported (Graph wifiBatteryCharge)");
  endpoint("endpoint.render_mute_ratio", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kRenderMuteRatio,
           "share of the call the render device was muted (ratio)");
  endpoint("endpoint.render_zero_volume_ratio", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kRenderZeroVolumeRatio,
           "share of the call the render volume was 0 (ratio)");
  endpoint("endpoint.sent_signal_level", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kSentSignalLevel,
           "energy level of the speech sent, as the client reports it");
  endpoint("endpoint.sent_noise_level", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kSentNoiseLevel,
           "energy level of the noise sent, as the client reports it");
  endpoint("endpoint.received_signal_level", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kReceivedSignalLevel,
           "energy level of the speech received, as the client reports it");
  endpoint("endpoint.received_noise_level", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kReceivedNoiseLevel,
           "energy level of the noise received, as the client reports it");
  endpoint("endpoint.initial_signal_level_rms", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kInitialSignalLevelRms,
           "RMS of the incoming signal over the first 30 s of the call");
  endpoint("endpoint.cpu_cores", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kCpuCores,
           "the machine's CPU cores (Graph cpuCoresCount, a count)");
  endpoint("endpoint.cpu_speed_mhz", ValueType::kNumber, {}, EnumSet::kNone, EndpointField::kCpuSpeedMhz,
           "the machine's CPU speed in MHz (Graph cpuProcessorSpeedInMhz)");
  {
    FieldDef f;
    f.name = "endpoint.site";
    f.source = FieldSource::kSite;
    f.type = ValueType::kString;
    f.doc = "the endpoint's site name (compare with a string)";
    out.push_back(std::move(f));
  }
  {
    FieldDef f;
    f.name = "peer.organization";
    f.source = FieldSource::kPeerOrganization;
    f.type = ValueType::kBool;
    f.doc = "the other party is inside the organization";
    out.push_back(std::move(f));
  }
  for (const StreamDirection dir : {StreamDirection::kSent, StreamDirection::kReceived}) {
    const std::string prefix = dir == StreamDirection::kSent ? "sent." : "received.";
    const std::string way = dir == StreamDirection::kSent ? "sent by" : "received by";
    for (std::size_t m = 0; m < kStreamMetricCount; ++m) {
      const auto metric = static_cast<StreamMetric>(m);
      FieldDef f;
      f.name = prefix + std::string(stream_metric_name(metric));
      f.source = FieldSource::kStream;
      f.dim = stream_dim(stream_metric_name(metric));
      f.metric = metric;
      f.direction = dir;
      f.doc = "worst over the streams of the scope's media " + way + " the endpoint";
      out.push_back(std::move(f));
    }
    FieldDef f;
    f.name = prefix + "poor";
    f.source = FieldSource::kStreamPoor;
    f.type = ValueType::kBool;
    f.direction = dir;
    f.doc = "any poor stream " + way + " the endpoint";
    out.push_back(std::move(f));
  }
  {
    FieldDef f;
    f.name = "media";
    f.source = FieldSource::kScopeMedia;
    f.type = ValueType::kEnum;
    f.set = EnumSet::kMedia;
    f.doc = "scope only: matches when any poor stream has that media";
    out.push_back(std::move(f));
    f.name = "direction";
    f.source = FieldSource::kScopeDirection;
    f.set = EnumSet::kDirection;
    f.doc = "scope only: matches when any poor stream goes that way";
    out.push_back(std::move(f));
  }
  return out;
}

constexpr std::array kFunctions{
    FunctionDef{"fraction", Function::kFraction, 1, "fraction(cond)",
                "share of the window's samples for which `cond` holds (a percentage); columns without aggregate"},
    FunctionDef{"for", Function::kFor, 2, "for(cond, duration)",
                "`cond` holds on consecutive samples spanning at least `duration`"},
    FunctionDef{"peripheral", Function::kPeripheral, 1, "peripheral(name)",
                "state of a Teams Rooms peripheral: connected, disconnected, unhealthy, absent"},
    FunctionDef{"room_health", Function::kRoomHealth, 0, "room_health()",
                "the room system's health: healthy, nonUrgent, critical, offline, unknown"},
    FunctionDef{"abs", Function::kAbs, 1, "abs(x)", "absolute value"},
    FunctionDef{"min", Function::kMin, 2, "min(a, b)", "the smaller of two values of one unit"},
    FunctionDef{"max", Function::kMax, 2, "max(a, b)", "the larger of two values of one unit"},
};

}  // namespace

const std::vector<FieldDef>& all_fields() {
  static const std::vector<FieldDef> fields = build();
  return fields;
}

FieldLookup lookup_field(std::string_view name) {
  const auto& fields = all_fields();
  for (const FieldDef& f : fields) {
    if (f.name == name) return {&f, std::nullopt};
  }
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return {};
  const int agg = find_agg(name.substr(dot + 1));
  if (agg < 0) return {};
  const std::string_view base = name.substr(0, dot);
  for (const FieldDef& f : fields) {
    if (f.source == FieldSource::kHopColumn && f.name == base) return {&f, static_cast<Agg>(agg)};
  }
  return {};
}

Dim aggregate_dim(const FieldDef& f, Agg agg) noexcept {
  if (agg == Agg::kCount || agg == Agg::kSamples) return {};
  if (agg == Agg::kShare) return {BaseUnit::kPct, 0};
  if (agg == Agg::kRate) return {f.dim.base, static_cast<std::uint8_t>(f.dim.per_s + 1)};
  return f.dim;
}

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  // Two rows of the Levenshtein table; a row whose smallest entry reaches the
  // limit cannot lead below it, so a far-off name stops early.
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    std::size_t row_min = cur[0];
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min >= limit) return limit;
    std::swap(prev, cur);
  }
  return std::min(prev[b.size()], limit);
}

std::string suggest(std::string_view name, std::span<const std::string> candidates) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, name.size() / 3) + 1;
  for (const std::string& c : candidates) {
    // The distance is at least the difference in length: a long name costs nothing.
    const std::size_t gap = name.size() > c.size() ? name.size() - c.size() : c.size() - name.size();
    if (gap >= best_d) continue;
    const std::size_t d = edit_distance(name, c, best_d);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string suggest_field(std::string_view name) {
  std::vector<std::string> names;
  const auto dot = name.rfind('.');
  const bool has_agg = dot != std::string_view::npos && find_agg(name.substr(dot + 1)) >= 0;
  for (const FieldDef& f : all_fields()) {
    if (f.source == FieldSource::kScopeMedia || f.source == FieldSource::kScopeDirection) continue;
    if (f.source == FieldSource::kHopColumn && has_agg) {
      names.push_back(f.name + std::string(name.substr(dot)));
    } else {
      names.push_back(f.name);
    }
  }
  return suggest(name, names);
}

std::span<const FunctionDef> all_functions() noexcept { return kFunctions; }
const FunctionDef* find_function(std::string_view name) noexcept {
  for (const FunctionDef& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string fields_reference_markdown() {
  std::string out = "# Rule language fields\n\n";
  out += "Hop columns are read as `<name>.<aggregate>` (";
  for (std::size_t a = 0; a < kAggCount; ++a) {
    out += a ? ", " : "";
    out += "`" + std::string(agg_name(static_cast<Agg>(a))) + "`";
  }
  out += ") and without aggregate inside `fraction` and `for`.\n\n";
  out += "| field | type | unit | values | source |\n|---|---|---|---|---|\n";
  for (const FieldDef& f : all_fields()) {
    std::string type;
    switch (f.type) {
      case ValueType::kNumber: type = "number"; break;
      case ValueType::kBool: type = "boolean"; break;
      case ValueType::kEnum: type = "enum"; break;
      case ValueType::kString: type = "string"; break;
    }
    std::string values;
    for (std::string_view v : enum_values(f.set)) values += (values.empty() ? "" : ", ") + std::string(v);
    out += "| `" + f.name + "` | " + type + " | " + (f.type == ValueType::kNumber ? dim_name(f.dim) : "") + " | " +
           values + " | " + f.doc + " |\n";
  }
  out += "\n# Functions\n\n| call | meaning |\n|---|---|\n";
  for (const FunctionDef& f : kFunctions) out += "| `" + std::string(f.signature) + "` | " + std::string(f.doc) + " |\n";
  return out;
}

}  // namespace callroot::rules
