#include "ingest/cloud_decoder.h"
#include "ingest/dom_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "engine/quality.h"
#include "ingest/decoder.h"
#include "models/segment_json.h"

namespace callroot::ingest {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string data_path(std::string_view rel) { return std::string(CALLROOT_TEST_DATA_DIR) + "/" + std::string(rel); }

// ---- the stable JSON form of decoded segments (golden files) ----------------------

double rounded(double v) { return std::round(v * 1e6) / 1e6; }

nlohmann::ordered_json endpoint_json(const Endpoint& e) {
  nlohmann::ordered_json j;
  j["present"] = e.present;
  if (!e.present) return j;
  if (!e.user.empty()) j["user"] = e.user;
  if (e.client) j["client"] = e.client->str();
  if (e.ip) j["ip"] = e.ip->str();
  if (e.subnet) j["subnet"] = e.subnet->str();
  if (e.bssid) j["bssid"] = e.bssid->str();
  j["connection"] = std::string(to_string(e.connection));
  j["device_type"] = std::string(to_string(e.device_type));
  if (e.reflexive_ip) j["reflexive_ip"] = e.reflexive_ip->str();
  for (const EndpointNumber& n : kEndpointNumbers) {
    if (measured(e.*n.member)) j[std::string(n.json)] = rounded(e.*n.member);
  }
  if (e.relay_ip) j["relay_ip"] = e.relay_ip->str();
  if (e.service) j["service"] = true;
  for (const EndpointText& t : kEndpointTexts) {
    if (t.json != "user" && !(e.*t.member).empty()) j[std::string(t.json)] = e.*t.member;
  }
  if (!e.feedback_tokens.empty()) j["feedback_tokens"] = e.feedback_tokens;
  for (const TraceRouteHop& h : e.trace_route_hops) {
    nlohmann::ordered_json hj;
    if (measured(h.hop_count)) hj["hop_count"] = rounded(h.hop_count);
    if (h.ip) hj["ip"] = h.ip->str();
    if (measured(h.rtt_ms)) hj["rtt_ms"] = rounded(h.rtt_ms);
    j["trace_route_hops"].push_back(hj);
  }
  return j;
}

nlohmann::ordered_json segment_json(const CallSegment& s) {
  nlohmann::ordered_json j;
  j["call_id"] = s.call_id;
  j["segment_id"] = s.segment_id;
  j["start"] = format_rfc3339(s.start);
  j["end"] = format_rfc3339(s.end);
  if (s.version != 0) j["version"] = s.version;
  if (!s.call_type.empty()) j["call_type"] = s.call_type;
  for (std::size_t i = 0; i < kModalityNames.size(); ++i) {
    if ((s.modalities & (1u << i)) != 0) j["modalities"].push_back(kModalityNames[i]);
  }
  if (s.is_test) j["is_test"] = true;
  if (!s.failure_stage.empty()) j["failure_stage"] = s.failure_stage;
  if (!s.failure_reason.empty()) j["failure_reason"] = s.failure_reason;
  j["caller"] = endpoint_json(s.caller);
  j["callee"] = endpoint_json(s.callee);
  j["streams"] = nlohmann::ordered_json::array();
  for (const Stream& st : s.streams) {
    nlohmann::ordered_json sj;
    sj["from"] = std::string(to_string(st.from));
    sj["media"] = std::string(to_string(st.media));
    for (std::size_t m = 0; m < kStreamMetricCount; ++m) {
      if (measured(st.values[m])) sj[std::string(stream_metric_name(static_cast<StreamMetric>(m)))] = rounded(st.values[m]);
    }
    if (!st.codec.empty()) sj["codec"] = st.codec;
    if (measured(st.width)) sj["width"] = rounded(st.width);
    if (measured(st.height)) sj["height"] = rounded(st.height);
    if (st.start != kNoTime) sj["start"] = format_rfc3339(st.start);
    if (st.end != kNoTime) sj["end"] = format_rfc3339(st.end);
    if (st.media_bypassed) sj["media_bypassed"] = *st.media_bypassed;
    if (st.audio_fec_used) sj["audio_fec_used"] = *st.audio_fec_used;
    j["streams"].push_back(sj);
  }
  return j;
}

/// Segments, device samples and warnings in a stable form; not-measured
/// values are left out (so a zero in the file is a measured zero).
std::string golden_json(const std::vector<CallSegment>& segments, const std::vector<CloudClientSample>& samples,
                        const std::vector<std::string>& warnings) {
  nlohmann::ordered_json doc;
  doc["segments"] = nlohmann::ordered_json::array();
  for (const CallSegment& s : segments) doc["segments"].push_back(segment_json(s));
  doc["client_samples"] = nlohmann::ordered_json::array();
  for (const CloudClientSample& c : samples) {
    nlohmann::ordered_json j;
    j["client"] = c.client.str();
    j["ts"] = format_rfc3339(c.ts);
    if (measured(c.cpu_pct)) j["cpu_pct"] = rounded(c.cpu_pct);
    if (measured(c.rssi_dbm)) j["rssi_dbm"] = rounded(c.rssi_dbm);
    doc["client_samples"].push_back(j);
  }
  doc["warnings"] = warnings;
  return doc.dump(2) + "\n";
}

// ---- golden files: one per payload ------------------------------------------------

struct Payload {
  const char* file;  ///< under tests/data
  CloudFormat format;
  /// Wraps the file in a JSON Lines envelope with these extra fields (the
  /// Zoom reference page does not name its meeting), or empty: the bare document.
  const char* envelope_extra;
};

/// Every reference payload of tests/data (see the READMEs there).
const Payload kPayloads[] = {
        Payload{"graph/v1.0_callrecord-get_expand-sessions-segments.json", CloudFormat::kGraphCallRecord, ""},
        Payload{"graph/v1.0_session-list_expand-segments.json", CloudFormat::kGraphCallRecord, ""},
        Payload{"graph/beta_callrecord-get_expand-sessions-segments.json", CloudFormat::kGraphCallRecord, ""},
        Payload{"graph/cli-microsoft365_spec_callrecord-get_responseWithSessions.json", CloudFormat::kGraphCallRecord,
                ""},
        Payload{"zoom/example_list-meeting-participants-qos_SYNTHESIZED-from-spec-examples.json", CloudFormat::kZoomQos,
                R"("meeting_id":85746065432)"},
        Payload{"zoom/callroot_three-participants-qos.json", CloudFormat::kZoomQos, ""}};

class GoldenTest : public ::testing::TestWithParam<Payload> {};

/// The document as the test decodes it (wrapped in its envelope when it has one).
std::string payload_document(const Payload& p) {
  std::string doc = slurp(data_path(p.file));
  if (!doc.empty() && *p.envelope_extra != '\0') {
    const char* type = p.format == CloudFormat::kGraphCallRecord ? "graph.callRecord" : "zoom.qos";
    doc = std::string(R"({"type":")") + type + "\"," + p.envelope_extra + R"(,"body":)" + doc + "}";
  }
  return doc;
}

TEST_P(GoldenTest, DecodesAsTheGoldenFileSays) {
  const Payload& p = GetParam();
  const std::string doc = payload_document(p);
  ASSERT_FALSE(doc.empty()) << "missing " << p.file;
  CloudDecoder dec;
  std::vector<CallSegment> segments;
  std::vector<CloudClientSample> samples;
  ASSERT_TRUE(dec.decode(p.format, doc, segments, false, &samples))
      << code(dec.error().reason) << ": " << dec.error().detail;
  EXPECT_FALSE(segments.empty());
  const std::string got = golden_json(segments, samples, dec.warnings());

  std::string golden = data_path(p.file);
  golden.replace(golden.rfind(".json"), 5, ".segments.json");
  if (std::getenv("CALLROOT_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden) << got;
    GTEST_SKIP() << "golden file rewritten: " << golden;
  }
  const std::string expected = slurp(golden);
  ASSERT_FALSE(expected.empty()) << "missing " << golden << " (run with CALLROOT_UPDATE_GOLDEN=1)";
  EXPECT_EQ(got, expected) << "decoded segments differ from " << golden
                           << " (if the change is intended, rerun with CALLROOT_UPDATE_GOLDEN=1)";
}

INSTANTIATE_TEST_SUITE_P(
    Payloads, GoldenTest,
    ::testing::ValuesIn(kPayloads),
    [](const ::testing::TestParamInfo<Payload>& info) {
      std::string name;
      for (const char* c = info.param.file; *c != '\0' && *c != '_' && *c != '-'; ++c) {
        name += std::isalnum(static_cast<unsigned char>(*c)) ? *c : '_';
      }
      return name + "_" + std::to_string(info.index);
    });

// A cloud-decoded segment written as a native `call.segment` record decodes
// back equal: the native form loses nothing the cloud mapping produced.
TEST_P(GoldenTest, SurvivesTheNativeRecordUnchanged) {
  const Payload& p = GetParam();
  CloudDecoder cloud;
  std::vector<CallSegment> segments;
  ASSERT_TRUE(cloud.decode(p.format, payload_document(p), segments)) << cloud.error().detail;
  Directory dir;
  RecordDecoder native{dir};
  std::vector<CallSegment> back;
  for (const CallSegment& s : segments) {
    std::string line;
    write_segment_json(s, line);
    Event ev;
    ASSERT_TRUE(native.decode(line, ev)) << code(native.error().reason) << ": " << native.error().detail << "\n  in "
                                         << line;
    ASSERT_TRUE(std::holds_alternative<CallSegment>(ev));
    back.push_back(std::get<CallSegment>(ev));
  }
  EXPECT_EQ(golden_json(back, {}, {}), golden_json(segments, {}, {}));
}

// ---- every field of the reference payloads is mapped, or left out on purpose ------

/// A leaf key path of a payload with array indexes dropped, named by where it
/// sits in the mapping: `network.linkSpeed` is any media's callerNetwork or
/// calleeNetwork `linkSpeed`, `endpoint.name` a session's or a segment's
/// caller or callee `name`. A null or empty object is a leaf too.
std::string field_class(const std::vector<std::string>& c, bool zoom) {
  auto rest = [&](std::string prefix, std::size_t from) {
    for (std::size_t k = from; k < c.size(); ++k) prefix += "." + c[k];
    return prefix;
  };
  if (zoom) {
    if (c.size() > 1 && c[0] == "participants") {
      if (c[1] == "user_qos") {
        const bool metric = c.size() > 3 && (c[2].ends_with("_input") || c[2].ends_with("_output") ||
                                             c[2].find("_device_") != std::string::npos);
        return metric ? rest("qos.metrics", 3) : rest("qos", 2);
      }
      return rest("participant", 1);
    }
    return rest("page", 0);
  }
  if (c.size() > 1 && (c[0] == "sessions" || c[0] == "value")) {
    if (c[1] == "caller" || c[1] == "callee") return rest("endpoint", 2);
    if (c[1] != "segments" || c.size() < 3) return rest("session", 1);
    if (c[2] == "caller" || c[2] == "callee") return rest("endpoint", 3);
    if (c[2] != "media" || c.size() < 4) return rest("segment", 2);
    if (c[3] == "callerNetwork" || c[3] == "calleeNetwork") return rest("network", 4);
    if (c[3] == "callerDevice" || c[3] == "calleeDevice") return rest("device", 4);
    if (c[3] == "streams") return rest("stream", 4);
    return rest("media", 3);
  }
  return rest("call", 0);
}

void leaf_paths(const nlohmann::json& j, std::vector<std::string>& path, bool zoom, std::set<std::string>& out) {
  if (j.is_object() && !j.empty()) {
    for (const auto& [k, v] : j.items()) {
      path.push_back(k);
      leaf_paths(v, path, zoom, out);
      path.pop_back();
    }
  } else if (j.is_array() && !j.empty()) {
    for (const auto& v : j) leaf_paths(v, path, zoom, out);
  } else {
    out.insert(field_class(path, zoom));
  }
}

struct FieldFate {
  const char* field;  ///< a field class, or its prefix (everything under it)
  const char* fate;   ///< the segment field, or why it is not kept
};

/// Mapped onto the segment (docs/contract.md §5.1 and §5.2 tables).
const FieldFate kMapped[] = {
    // Graph
    {"call.id", "call_id"},
    {"call.@odata.context", "call_id of a sessions page"},
    {"call.version", "version"},
    {"call.type", "call_type"},
    {"call.modalities", "modalities"},
    {"session.startDateTime", "start (segments without their own)"},
    {"session.endDateTime", "end (segments without their own)"},
    {"session.modalities", "modalities"},
    {"session.isTest", "is_test"},
    {"session.failureInfo", "failure_stage, failure_reason"},
    {"segment.id", "segment_id"},
    {"segment.startDateTime", "start"},
    {"segment.endDateTime", "end"},
    {"segment.failureInfo", "failure_stage, failure_reason"},
    {"media.label", "stream media"},
    {"endpoint.@odata.type", "service"},
    {"endpoint.userAgent.@odata.type", "service"},
    {"endpoint.userAgent.platform", "device_type, platform"},
    {"endpoint.userAgent.productFamily", "product_family"},
    {"endpoint.userAgent.applicationVersion", "product_version"},
    {"endpoint.userAgent.role", "service_role"},
    {"endpoint.name", "hostname"},
    {"endpoint.cpuName", "cpu_name"},
    {"endpoint.cpuCoresCount", "cpu_cores"},
    {"endpoint.cpuProcessorSpeedInMhz", "cpu_speed_mhz"},
    {"endpoint.identity.user.userPrincipalName", "user"},
    {"endpoint.identity.user.displayName", "user"},
    {"endpoint.identity.user.tenantId", "tenant"},
    {"endpoint.associatedIdentity.userPrincipalName", "user"},
    {"endpoint.associatedIdentity.displayName", "user"},
    {"endpoint.associatedIdentity.tenantId", "tenant"},
    {"endpoint.feedback.rating", "feedback_rating"},
    {"endpoint.feedback.tokens", "feedback_tokens"},
    {"network.ipAddress", "ip"},
    {"network.subnet", "subnet"},
    {"network.basicServiceSetIdentifier", "bssid"},
    {"network.macAddress", "client"},
    {"network.connectionType", "connection"},
    {"network.reflexiveIPAddress", "reflexive_ip"},
    {"network.relayIPAddress", "relay_ip"},
    {"network.wifiSignalStrength", "wifi_signal_pct"},
    {"network.wifiChannel", "wifi_channel"},
    {"network.wifiBand", "wifi_band"},
    {"network.wifiRadioType", "wifi_radio_type"},
    {"network.linkSpeed", "link_speed_mbps"},
    {"network.delayEventRatio", "delay_event_ratio"},
    {"network.bandwidthLowEventRatio", "bandwidth_low_event_ratio"},
    {"network.sentQualityEventRatio", "sent_quality_event_ratio"},
    {"network.receivedQualityEventRatio", "received_quality_event_ratio"},
    {"network.wifiBatteryCharge", "wifi_battery_pct"},
    {"network.dnsSuffix", "domain"},
    {"network.networkTransportProtocol", "transport"},
    {"network.wifiVendorDriver", "wifi_driver"},
    {"network.wifiVendorDriverVersion", "wifi_driver_version"},
    {"network.wifiMicrosoftDriver", "wifi_driver"},
    {"network.wifiMicrosoftDriverVersion", "wifi_driver_version"},
    {"network.traceRouteHops", "trace_route_hops"},
    {"device.cpuInsufficentEventRatio", "cpu_insufficient_ratio"},
    {"device.cpuInsufficientEventRatio", "cpu_insufficient_ratio"},
    {"device.micGlitchRate", "mic_glitch_rate"},
    {"device.speakerGlitchRate", "speaker_glitch_rate"},
    {"device.captureNotFunctioningEventRatio", "capture_not_functioning_ratio"},
    {"device.renderNotFunctioningEventRatio", "render_not_functioning_ratio"},
    {"device.deviceGlitchEventRatio", "device_glitch_ratio"},
    {"device.deviceClippingEventRatio", "device_clipping_ratio"},
    {"device.lowSpeechLevelEventRatio", "low_speech_level_ratio"},
    {"device.lowSpeechToNoiseEventRatio", "low_speech_to_noise_ratio"},
    {"device.howlingEventCount", "howling_event_count"},
    {"device.renderMuteEventRatio", "render_mute_ratio"},
    {"device.renderZeroVolumeEventRatio", "render_zero_volume_ratio"},
    {"device.initialSignalLevelRootMeanSquare", "initial_signal_level_rms"},
    {"device.sentSignalLevel", "sent_signal_level"},
    {"device.sentNoiseLevel", "sent_noise_level"},
    {"device.receivedSignalLevel", "received_signal_level"},
    {"device.receivedNoiseLevel", "received_noise_level"},
    {"device.captureDeviceName", "capture_device"},
    {"device.captureDeviceDriver", "capture_driver"},
    {"device.renderDeviceName", "render_device"},
    {"device.renderDeviceDriver", "render_driver"},
    {"stream.streamDirection", "from"},
    {"stream.averageJitter", "jitter_avg_ms"},
    {"stream.maxJitter", "jitter_max_ms"},
    {"stream.averagePacketLossRate", "loss_avg_pct"},
    {"stream.maxPacketLossRate", "loss_max_pct"},
    {"stream.averageRoundTripTime", "rtt_avg_ms"},
    {"stream.maxRoundTripTime", "rtt_max_ms"},
    {"stream.averageAudioDegradation", "degradation_avg"},
    {"stream.averageRatioOfConcealedSamples", "concealed_ratio_avg"},
    {"stream.maxRatioOfConcealedSamples", "concealed_ratio_max"},
    {"stream.averageVideoFrameRate", "frame_rate_avg"},
    {"stream.averageReceivedFrameRate", "frame_rate_avg"},
    {"stream.averageVideoFrameLossPercentage", "frame_loss_pct"},
    {"stream.postForwardErrorCorrectionPacketLossRate", "post_fec_loss_pct"},
    {"stream.averageBandwidthEstimate", "bitrate_kbps"},
    {"stream.averageAudioNetworkJitter", "network_jitter_avg_ms"},
    {"stream.maxAudioNetworkJitter", "network_jitter_max_ms"},
    {"stream.averageVideoPacketLossRate", "video_loss_avg_pct"},
    {"stream.lowFrameRateRatio", "low_frame_rate_ratio"},
    {"stream.lowVideoProcessingCapabilityRatio", "low_video_processing_ratio"},
    {"stream.averageFreezeDuration", "freeze_avg_ms"},
    {"stream.rmsFreezeDuration", "freeze_rms_ms"},
    {"stream.packetUtilization", "packet_count"},
    {"stream.audioCodec", "codec"},
    {"stream.videoCodec", "codec"},
    {"stream.wasMediaBypassed", "media_bypassed"},
    {"stream.isAudioForwardErrorCorrectionUsed", "audio_fec_used"},
    {"stream.startDateTime", "stream start"},
    {"stream.endDateTime", "stream end"},
    // Zoom
    {"page.meeting_uuid", "call_id"},
    {"page.meeting_id", "call_id"},
    {"participant.user_id", "segment_id"},
    {"participant.id", "segment_id"},
    {"participant.email", "user"},
    {"participant.user_email", "user"},
    {"participant.user_name", "user"},
    {"participant.device", "device_type, platform"},
    {"participant.network_type", "connection"},
    {"participant.ip_address", "ip or reflexive_ip"},
    {"participant.internal_ip_addresses", "ip"},
    {"participant.mac_addr", "client"},
    {"participant.pc_name", "hostname"},
    {"participant.domain", "domain"},
    {"participant.location", "location"},
    {"participant.version", "product_version"},
    {"participant.join_time", "start"},
    {"participant.leave_time", "end"},
    {"qos.date_time", "end"},
    {"qos.cpu_usage.system_max_cpu_usage", "client.device cpu_pct"},
    {"qos.wifi_rssi.avg_rssi", "wifi_signal_pct, wifi.client rssi_dbm"},
    {"qos.wifi_rssi.rssi_unit", "(the unit of avg_rssi)"},
    {"qos.metrics.avg_loss", "loss_avg_pct"},
    {"qos.metrics.max_loss", "loss_max_pct"},
    {"qos.metrics.jitter", "jitter_avg_ms"},
    {"qos.metrics.latency", "rtt_avg_ms"},
    {"qos.metrics.bitrate", "bitrate_kbps"},
    {"qos.metrics.frame_rate", "frame_rate_avg"},
    {"qos.metrics.resolution", "width, height"},
};

/// Deliberately not kept, and why. docs/contract.md's "Left out" lists say the same.
const FieldFate kNotKept[] = {
    // Graph
    {"call.startDateTime", "the segments' own times are kept"},
    {"call.endDateTime", "the segments' own times are kept"},
    {"call.lastModifiedDateTime", "`version` orders the revisions"},
    {"call.joinWebUrl", "the meeting's URL: no quality meaning, and it lets one join"},
    {"call.organizer", "people's identities: the endpoints carry theirs"},
    {"call.organizer_v2", "people's identities: the endpoints carry theirs"},
    {"call.organizer_v2@odata.context", "people's identities: the endpoints carry theirs"},
    {"call.participants", "people's identities: the endpoints carry theirs"},
    {"call.participants_v2@odata.context", "people's identities: the endpoints carry theirs"},
    {"call.@odata.nextLink", "pagination (§5.3)"},
    {"call.sessions@odata.nextLink", "pagination (§5.3)"},
    {"session.id", "a segment id is unique within its call"},
    {"endpoint.identity.@odata.type", "the identity set's type name"},
    {"endpoint.identity.user.id", "a directory object id: the UPN names the user"},
    {"endpoint.associatedIdentity.id", "a directory object id: the UPN names the user"},
    {"endpoint.identity.acsApplicationInstance", "identities other than a user's"},
    {"endpoint.identity.acsUser", "identities other than a user's"},
    {"endpoint.identity.application", "identities other than a user's"},
    {"endpoint.identity.applicationInstance", "identities other than a user's"},
    {"endpoint.identity.device", "identities other than a user's"},
    {"endpoint.identity.encrypted", "identities other than a user's"},
    {"endpoint.identity.guest", "identities other than a user's"},
    {"endpoint.identity.onPremises", "identities other than a user's"},
    {"endpoint.identity.phone", "identities other than a user's"},
    {"endpoint.identity.spoolApplicationInstance", "identities other than a user's"},
    {"endpoint.identity.spoolUser", "identities other than a user's"},
    {"endpoint.userAgent.headerValue", "the raw user-agent text: platform, productFamily, applicationVersion say it"},
    {"endpoint.userAgent.azureADAppId", "an application's id: names no device or network"},
    {"endpoint.userAgent.communicationServiceId", "an application's id: names no device or network"},
    {"endpoint.feedback.text", "free text that may hold personal data"},
    {"network.port", "ports change with every call and name no component"},
    {"network.relayPort", "ports change with every call and name no component"},
    {"stream.streamId", "an opaque id within the record"},
    // Zoom
    {"page.next_page_token", "pagination"},
    {"page.page_count", "pagination"},
    {"page.page_size", "pagination"},
    {"page.total_records", "pagination"},
    {"participant.harddisk_id", "a disk serial: identifies a machine, no quality meaning"},
    {"qos.cpu_usage.zoom_avg_cpu_usage", "Zoom's own process, not the machine"},
    {"qos.cpu_usage.zoom_max_cpu_usage", "Zoom's own process, not the machine"},
    {"qos.cpu_usage.zoom_min_cpu_usage", "Zoom's own process, not the machine"},
    {"qos.wifi_rssi.min_rssi", "the minute's average is kept"},
    {"qos.wifi_rssi.max_rssi", "the minute's average is kept"},
};

const FieldFate* find_fate(std::span<const FieldFate> list, const std::string& cls) {
  for (const FieldFate& f : list) {
    const std::string_view name = f.field;
    if (cls == name || (cls.size() > name.size() && cls.starts_with(name) && cls[name.size()] == '.')) return &f;
  }
  return nullptr;
}

TEST(FieldCoverage, EveryFieldOfEveryPayloadIsMappedOrLeftOutOnPurpose) {
  for (const Payload& p : kPayloads) {
    const auto doc = nlohmann::json::parse(slurp(data_path(p.file)));
    std::set<std::string> classes;
    std::vector<std::string> path;
    leaf_paths(doc, path, p.format == CloudFormat::kZoomQos, classes);
    for (const std::string& cls : classes) {
      const bool mapped = find_fate(kMapped, cls) != nullptr;
      const bool left_out = find_fate(kNotKept, cls) != nullptr;
      EXPECT_TRUE(mapped || left_out) << p.file << ": `" << cls
                                      << "` is neither mapped nor on the list of fields not kept";
      EXPECT_FALSE(mapped && left_out) << p.file << ": `" << cls << "` is on both lists";
    }
  }
}

TEST(FieldCoverage, TheContractNamesEveryFieldOfBothLists) {
  const std::string contract = slurp(std::string(CALLROOT_SOURCE_DIR) + "/docs/contract.md");
  const auto from = contract.find("## 5.1");
  const auto to = contract.find("## 5.3");
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  const std::string section = contract.substr(from, to - from);
  for (const std::span<const FieldFate> list : {std::span<const FieldFate>(kMapped), std::span<const FieldFate>(kNotKept)}) {
    for (const FieldFate& f : list) {
      // The source's own key: `tenantId`, `@odata.context`, `sessions@odata.nextLink`.
      std::string name = f.field;
      name = name.substr(name.find('.') + 1);
      const auto at = name.find('@');
      name = name.substr(at == std::string::npos ? name.rfind('.') + 1 : name.rfind('.', at) + 1);
      // Named as a key: after "`", "." or "]." and not as the start of a longer name.
      bool named = false;
      for (auto at = section.find(name); at != std::string::npos && !named; at = section.find(name, at + 1)) {
        const char before = at > 0 ? section[at - 1] : ' ';
        const char after = at + name.size() < section.size() ? section[at + name.size()] : ' ';
        named = (before == '`' || before == '.') && !std::isalnum(static_cast<unsigned char>(after)) && after != '_';
      }
      EXPECT_TRUE(named)
          << "docs/contract.md §5.1-5.2 does not name `" << f.field << "` (" << f.fate << ")";
    }
  }
}

// ---- helpers for targeted tests ------------------------------------------------------

class GraphTest : public ::testing::Test {
 protected:
  CloudDecoder dec;
  std::vector<CallSegment> out;

  /// A callRecord with one session, one segment and one media whose pieces are given.
  static std::string record(std::string_view stream, std::string_view caller_network = "{}",
                            std::string_view caller = R"({"userAgent":{"platform":"windows"}})",
                            std::string_view label = "main-audio", std::string_view caller_device = "{}") {
    return std::string(R"({"id":"call-1","version":1,"type":"peerToPeer","sessions":[{"id":"sess-1",)") +
           R"("startDateTime":"2026-03-02T10:00:00Z","endDateTime":"2026-03-02T10:05:00Z","segments":[{"id":"seg-1",)" +
           R"("startDateTime":"2026-03-02T10:00:00Z","endDateTime":"2026-03-02T10:05:00Z","caller":)" +
           std::string(caller) + R"(,"callee":{"userAgent":{"platform":"android"}},"media":[{"label":")" +
           std::string(label) + R"(","callerNetwork":)" + std::string(caller_network) + R"(,"callerDevice":)" +
           std::string(caller_device) + R"(,"streams":[)" + std::string(stream) + "]}]}]}]}";
  }

  const CallSegment& decode_one(const std::string& json) {
    out.clear();
    EXPECT_TRUE(dec.decode(CloudFormat::kGraphCallRecord, json, out))
        << code(dec.error().reason) << ": " << dec.error().detail << "\n  in " << json;
    static const CallSegment empty;
    if (out.size() != 1) {
      ADD_FAILURE() << "expected one segment, got " << out.size();
      return empty;
    }
    return out[0];
  }

  const Stream& stream_of(const std::string& stream_json) {
    const CallSegment& s = decode_one(record(stream_json));
    static const Stream empty;
    if (s.streams.size() != 1) {
      ADD_FAILURE() << "expected one stream, got " << s.streams.size();
      return empty;
    }
    return s.streams[0];
  }

  void rejects(const std::string& json, RejectReason reason, std::string_view detail,
               CloudFormat format = CloudFormat::kGraphCallRecord) {
    SCOPED_TRACE(json.substr(0, 200));
    out.assign(1, CallSegment{});  // must be left as it was
    out[0].call_id = "before";
    ASSERT_FALSE(dec.decode(format, json, out)) << "accepted";
    EXPECT_EQ(code(dec.error().reason), code(reason)) << dec.error().detail;
    EXPECT_THAT(dec.error().detail, HasSubstr(std::string(detail)));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].call_id, "before");
  }
};

// ---- Graph: value readers -------------------------------------------------------------

TEST(GraphValues, DoublesAsNumbersStringsAndNaNWords) {
  bool ok = false;
  EXPECT_EQ(cloud::parse_graph_double("1.5", ok), 1.5);
  EXPECT_TRUE(ok);
  EXPECT_EQ(cloud::parse_graph_double(" 0 ", ok), 0.0);
  EXPECT_EQ(cloud::parse_graph_double("-2e-3", ok), -0.002);
  for (const char* absent : {"NaN", "INF", "-INF", "nan", "Infinity", ""}) {
    EXPECT_FALSE(cloud::parse_graph_double(absent, ok)) << absent;
    EXPECT_TRUE(ok) << absent << " is a known 'not measured' word";
  }
  EXPECT_FALSE(cloud::parse_graph_double("fast", ok));
  EXPECT_FALSE(ok);
  EXPECT_FALSE(cloud::parse_graph_double("1.5x", ok));
  EXPECT_FALSE(ok);
}

TEST_F(GraphTest, AWebinarOrTownHallRecordDecodesLikeAnyMeeting) {
  // Teams webinars and town halls are meetings to Graph: a `groupCall`
  // callRecord with the same sessions, segments and media, whatever the
  // meeting's kind. The reference groupCall record, told it is a webinar's
  // (organizer and joinWebUrl of a webinar), gives the same segments.
  const std::string meeting = slurp(data_path("graph/cli-microsoft365_spec_callrecord-get_responseWithSessions.json"));
  out.clear();
  ASSERT_TRUE(dec.decode(CloudFormat::kGraphCallRecord, meeting, out)) << dec.error().detail;
  const std::vector<CallSegment> as_meeting = out;
  ASSERT_FALSE(as_meeting.empty());
  std::string webinar = meeting;
  const std::string key = "\"joinWebUrl\"";
  const auto at = webinar.find(key);
  ASSERT_NE(at, std::string::npos);
  webinar.insert(at, R"("meetingKind":"webinar",)");
  out.clear();
  ASSERT_TRUE(dec.decode(CloudFormat::kGraphCallRecord, webinar, out)) << dec.error().detail;
  ASSERT_EQ(out.size(), as_meeting.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].segment_id, as_meeting[i].segment_id);
    EXPECT_EQ(out[i].streams.size(), as_meeting[i].streams.size());
    EXPECT_EQ(out[i].caller.user, as_meeting[i].caller.user);
  }
}

TEST_F(GraphTest, IsoDurationsWithMinutesAndHours) {
  const Stream& s = stream_of(
      R"({"streamDirection":"callerToCallee","averageJitter":"PT1M2.5S","maxJitter":"PT0.016S",)"
      R"("averageRoundTripTime":"PT1H","maxRoundTripTime":"PT2M","averageFreezeDuration":"PT0.3S"})");
  EXPECT_DOUBLE_EQ(s.get(StreamMetric::kJitterAvg), 62'500);
  EXPECT_DOUBLE_EQ(s.get(StreamMetric::kJitterMax), 16);
  EXPECT_DOUBLE_EQ(s.get(StreamMetric::kRttAvg), 3'600'000);
  EXPECT_DOUBLE_EQ(s.get(StreamMetric::kRttMax), 120'000);
  EXPECT_DOUBLE_EQ(s.get(StreamMetric::kFreezeAvg), 300);
  EXPECT_THAT(dec.warnings(), IsEmpty());
}

TEST_F(GraphTest, BadDurationsAreNotMeasuredAndWarned) {
  const Stream& s = stream_of(
      R"({"streamDirection":"callerToCallee","averageJitter":"16ms","maxJitter":0.016,"averageRoundTripTime":"P1M",)"
      R"("maxRoundTripTime":""})");
  EXPECT_FALSE(measured(s.get(StreamMetric::kJitterAvg)));
  EXPECT_FALSE(measured(s.get(StreamMetric::kJitterMax)));
  EXPECT_FALSE(measured(s.get(StreamMetric::kRttAvg)));  // months have no fixed length
  EXPECT_FALSE(measured(s.get(StreamMetric::kRttMax)));  // "" is simply not measured
  ASSERT_EQ(dec.warnings().size(), 3u);
  EXPECT_THAT(dec.warnings()[0], HasSubstr("sessions[0].segments[0].media[0].streams[0].averageJitter"));
  EXPECT_THAT(dec.warnings()[0], HasSubstr("\"16ms\""));
  EXPECT_THAT(dec.warnings()[1], HasSubstr("maxJitter: expected an ISO 8601 duration string, got a number"));
}

TEST_F(GraphTest, NaNAndInfinityStringsAreNotMeasured) {
  const Stream& s = stream_of(
      R"({"streamDirection":"calleeToCaller","averageAudioDegradation":"NaN","averagePacketLossRate":"INF",)"
      R"("maxPacketLossRate":"-INF","averageRatioOfConcealedSamples":"0.0625","averageBandwidthEstimate":"2477474",)"
      R"("lowFrameRateRatio":"fast"})");
  EXPECT_EQ(s.from, Side::kCallee);
  EXPECT_FALSE(measured(s.get(StreamMetric::kDegradationAvg)));
  EXPECT_FALSE(measured(s.get(StreamMetric::kLossAvg)));
  EXPECT_FALSE(measured(s.get(StreamMetric::kLossMax)));
  EXPECT_DOUBLE_EQ(s.get(StreamMetric::kConcealedRatioAvg), 0.0625);
  EXPECT_DOUBLE_EQ(s.get(StreamMetric::kBitrate), 2477.474);
  EXPECT_FALSE(measured(s.get(StreamMetric::kLowFrameRateRatio)));
  ASSERT_EQ(dec.warnings().size(), 1u);
  EXPECT_THAT(dec.warnings()[0], HasSubstr("lowFrameRateRatio: \"fast\" is not a number"));
}

// simdjson's DOM rejects a whole document for one integer beyond 64 bits;
// such a number in a field we do not read must not cost the call, and in
// one we do read it meets the field's range check.
TEST_F(GraphTest, AnIntegerBeyond64BitsDoesNotRejectTheRecord) {
  std::string json = record(R"({"streamDirection":"callerToCallee","averageJitter":"PT0.016S",)"
                            R"("packetUtilization":123456789012345678901234567890})");
  json.insert(1, R"("x_vendorCounter":-99999999999999999999999,"note":"123456789012345678901234567890",)");
  const CallSegment& seg = decode_one(json);
  ASSERT_EQ(seg.streams.size(), 1u);
  EXPECT_DOUBLE_EQ(seg.streams[0].get(StreamMetric::kJitterAvg), 16);
  EXPECT_FALSE(measured(seg.streams[0].get(StreamMetric::kPacketCount)));
  ASSERT_GE(dec.warnings().size(), 2u);
  EXPECT_EQ(dec.warnings()[0], "an integer beyond 64 bits is read as a double");
  EXPECT_THAT(dec.warnings()[1], HasSubstr("packetUtilization"));
}

TEST_F(GraphTest, LossFractionsBecomePercent) {
  const Stream& s = stream_of(
      R"({"streamDirection":"callerToCallee","averagePacketLossRate":0.01381693,"maxPacketLossRate":1,)"
      R"("postForwardErrorCorrectionPacketLossRate":0.2,"averageVideoPacketLossRate":0,)"
      R"("averageVideoFrameLossPercentage":12.5})");
  EXPECT_NEAR(s.get(StreamMetric::kLossAvg), 1.381693, 1e-9);
  EXPECT_DOUBLE_EQ(s.get(StreamMetric::kLossMax), 100);
  EXPECT_DOUBLE_EQ(s.get(StreamMetric::kPostFecLoss), 20);
  EXPECT_DOUBLE_EQ(s.get(StreamMetric::kVideoLossAvg), 0);  // a measured zero stays zero
  EXPECT_DOUBLE_EQ(s.get(StreamMetric::kFrameLoss), 12.5);  // already a percentage
}

TEST_F(GraphTest, LossAboveOneIsNotAFraction) {
  const Stream& s = stream_of(R"({"streamDirection":"callerToCallee","averagePacketLossRate":3.5})");
  EXPECT_FALSE(measured(s.get(StreamMetric::kLossAvg)));
  ASSERT_EQ(dec.warnings().size(), 1u);
  EXPECT_THAT(dec.warnings()[0], HasSubstr("averagePacketLossRate: 3.5 is outside [0, 1]"));
}

TEST_F(GraphTest, NullEmptyAndUnknownAreNotZero) {
  const CallSegment& s = decode_one(record(
      R"({"streamDirection":"callerToCallee","averageJitter":null,"averagePacketLossRate":"","audioCodec":"unknown"})",
      R"({"ipAddress":"","subnet":null,"connectionType":"unknown","wifiSignalStrength":"","reflexiveIPAddress":"",)"
      R"("basicServiceSetIdentifier":"","macAddress":null,"wifiBand":"unknown"})",
      R"({"userAgent":{"platform":"unknown"},"feedback":{"rating":"notRated"}})"));
  const Endpoint& a = s.caller;
  EXPECT_TRUE(a.present);
  EXPECT_FALSE(a.ip);
  EXPECT_FALSE(a.subnet);
  EXPECT_FALSE(a.client);
  EXPECT_FALSE(a.bssid);
  EXPECT_FALSE(a.reflexive_ip);
  EXPECT_EQ(a.connection, Connection::kUnknown);
  EXPECT_EQ(a.device_type, DeviceType::kUnknown);
  EXPECT_FALSE(measured(a.wifi_signal_pct));
  EXPECT_FALSE(measured(a.feedback_rating));
  ASSERT_EQ(s.streams.size(), 1u);
  for (double v : s.streams[0].values) EXPECT_FALSE(measured(v));
  EXPECT_THAT(dec.warnings(), IsEmpty());
}

TEST_F(GraphTest, PrivacyMacIsAbsent) {
  for (const char* placeholder : {"02:00:00:00:00:00", "02-00-00-00-00-00", "00-00-00-00-00-00"}) {
    const CallSegment& s = decode_one(
        record(R"({"streamDirection":"callerToCallee"})", std::string(R"({"macAddress":")") + placeholder +
                                                              R"(","basicServiceSetIdentifier":"aa-bb-cc-00-00-01"})"));
    EXPECT_FALSE(s.caller.client) << placeholder;
    ASSERT_TRUE(s.caller.bssid);
    EXPECT_EQ(s.caller.bssid->str(), "aa:bb:cc:00:00:01");
    EXPECT_THAT(dec.warnings(), IsEmpty()) << placeholder;
  }
  // Microsoft's own example has an 8-byte all-zero form: a placeholder too.
  const CallSegment& s =
      decode_one(record(R"({"streamDirection":"callerToCallee"})", R"({"macAddress":"00-00-00-00-00-00-00-00"})"));
  EXPECT_FALSE(s.caller.client);
  EXPECT_THAT(dec.warnings(), IsEmpty());
  const CallSegment& bad =
      decode_one(record(R"({"streamDirection":"callerToCallee"})", R"({"macAddress":"11-22-33-44-55-66-77-88"})"));
  EXPECT_FALSE(bad.caller.client);
  ASSERT_EQ(dec.warnings().size(), 1u);
  EXPECT_THAT(dec.warnings()[0], HasSubstr("macAddress: \"11-22-33-44-55-66-77-88\" is not a MAC address"));
  const CallSegment& real =
      decode_one(record(R"({"streamDirection":"callerToCallee"})", R"({"macAddress":"3C-22-FB-11-2A-07"})"));
  ASSERT_TRUE(real.caller.client);
  EXPECT_EQ(real.caller.client->str(), "3c:22:fb:11:2a:07");
}

TEST_F(GraphTest, NetworkInfoMapsOntoTheEndpoint) {
  const CallSegment& s = decode_one(record(
      R"({"streamDirection":"callerToCallee"})",
      R"({"ipAddress":"10.150.0.2","subnet":"10.150.0.0","connectionType":"wifi","reflexiveIPAddress":"198.51.100.7",)"
      R"("wifiSignalStrength":"94","basicServiceSetIdentifier":"aa:bb:cc:00:00:01","linkSpeed":54000000})",
      R"({"identity":{"user":{"displayName":"Abbie Wilkins","userPrincipalName":"abbie@contoso.com",)"
      R"("tenantId":"t"}},"userAgent":{"platform":"roomSystem"},"feedback":{"rating":"fair"}})",
      "main-audio", R"({"cpuInsufficentEventRatio":"0.25","micGlitchRate":12.5,"speakerGlitchRate":"3",)"
      R"("captureNotFunctioningEventRatio":0.2,"renderNotFunctioningEventRatio":0,"deviceGlitchEventRatio":0.05,)"
      R"("deviceClippingEventRatio":0.01,"lowSpeechLevelEventRatio":0.3,"lowSpeechToNoiseEventRatio":0.4,)"
      R"("howlingEventCount":2,"renderMuteEventRatio":1})"));
  const Endpoint& a = s.caller;
  EXPECT_EQ(a.ip->str(), "10.150.0.2");
  EXPECT_EQ(a.subnet->str(), "10.150.0.0/32");
  EXPECT_EQ(a.connection, Connection::kWifi);
  EXPECT_EQ(a.reflexive_ip->str(), "198.51.100.7");
  EXPECT_EQ(a.wifi_signal_pct, 94);
  EXPECT_EQ(a.bssid->str(), "aa:bb:cc:00:00:01");
  EXPECT_EQ(a.user, "abbie@contoso.com");  // the UPN before the display name
  EXPECT_EQ(a.device_type, DeviceType::kRoomSystem);
  EXPECT_EQ(a.feedback_rating, 3);
  EXPECT_EQ(a.cpu_insufficient_ratio, 0.25);
  EXPECT_EQ(a.mic_glitch_rate, 12.5);
  EXPECT_EQ(a.speaker_glitch_rate, 3);
  EXPECT_EQ(a.capture_not_functioning_ratio, 0.2);
  EXPECT_EQ(a.render_not_functioning_ratio, 0);  // a measured zero
  EXPECT_EQ(a.device_glitch_ratio, 0.05);
  EXPECT_EQ(a.device_clipping_ratio, 0.01);
  EXPECT_EQ(a.low_speech_level_ratio, 0.3);
  EXPECT_EQ(a.low_speech_to_noise_ratio, 0.4);
  EXPECT_EQ(a.howling_event_count, 2);
  EXPECT_FALSE(measured(s.callee.mic_glitch_rate));
  EXPECT_EQ(s.callee.device_type, DeviceType::kMobile);
}

TEST_F(GraphTest, PlatformsAndServiceEndpoints) {
  const std::pair<const char*, DeviceType> cases[] = {
      {"surfaceHub", DeviceType::kRoomSystem}, {"iOS", DeviceType::kMobile}, {"macOS", DeviceType::kPc},
      {"web", DeviceType::kPc},                {"ipPhone", DeviceType::kPhone}, {"holoLens", DeviceType::kUnknown}};
  for (const auto& [platform, type] : cases) {
    const CallSegment& s = decode_one(record(R"({"streamDirection":"callerToCallee"})", "{}",
                                             std::string(R"({"userAgent":{"platform":")") + platform + "\"}}"));
    EXPECT_EQ(s.caller.device_type, type) << platform;
  }
  const CallSegment& s = decode_one(record(
      R"({"streamDirection":"callerToCallee"})", "{}",
      R"({"@odata.type":"#microsoft.graph.callRecords.serviceEndpoint","userAgent":{"@odata.type":)"
      R"("#microsoft.graph.callRecords.serviceUserAgent","role":"conferencingServer","platform":"windows"}})"));
  EXPECT_TRUE(s.caller.present);
  EXPECT_EQ(s.caller.device_type, DeviceType::kUnknown);
  EXPECT_TRUE(s.caller.user.empty());
}

TEST_F(GraphTest, MediaLabels) {
  const std::pair<const char*, Media> cases[] = {{"main-audio", Media::kAudio},
                                                 {"main-video", Media::kVideo},
                                                 {"applicationsharing-video", Media::kScreen},
                                                 {"videoBasedScreenSharing", Media::kScreen}};
  for (const auto& [label, media] : cases) {
    const CallSegment& s = decode_one(record(R"({"streamDirection":"callerToCallee"})", "{}",
                                             R"({"userAgent":{"platform":"windows"}})", label));
    ASSERT_EQ(s.streams.size(), 1u) << label;
    EXPECT_EQ(s.streams[0].media, media) << label;
  }
  const CallSegment& data = decode_one(record(R"({"streamDirection":"callerToCallee"})", R"({"ipAddress":"10.0.0.1"})",
                                              R"({"userAgent":{"platform":"windows"}})", "data"));
  EXPECT_TRUE(data.streams.empty());  // a data channel has no quality rules
  EXPECT_EQ(data.caller.ip->str(), "10.0.0.1");  // but its network info still describes the endpoint
  EXPECT_THAT(dec.warnings(), IsEmpty());
}

TEST_F(GraphTest, VideoFrameRates) {
  const std::string stream =
      R"({"streamDirection":"callerToCallee","averageVideoFrameRate":24,"averageReceivedFrameRate":1.5})";
  const CallSegment& video =
      decode_one(record(stream, "{}", R"({"userAgent":{"platform":"windows"}})", "main-video"));
  EXPECT_EQ(video.streams.at(0).get(StreamMetric::kFrameRateAvg), 24);
  const CallSegment& screen =
      decode_one(record(stream, "{}", R"({"userAgent":{"platform":"windows"}})", "applicationsharing-video"));
  EXPECT_EQ(screen.streams.at(0).get(StreamMetric::kFrameRateAvg), 1.5);
  const CallSegment& fallback = decode_one(record(R"({"streamDirection":"callerToCallee","averageReceivedFrameRate":9})",
                                                  "{}", R"({"userAgent":{"platform":"windows"}})", "main-video"));
  EXPECT_EQ(fallback.streams.at(0).get(StreamMetric::kFrameRateAvg), 9);
}

TEST_F(GraphTest, NetworkDeviceAndIdentityDetailsAreKept) {
  const std::string network =
      R"({"relayIPAddress":"52.114.1.1","wifiChannel":36,"wifiBand":"frequency50GHz","wifiRadioType":"wifi80211ac",)"
      R"("linkSpeed":866700000,"delayEventRatio":0.1,"bandwidthLowEventRatio":"0.2","sentQualityEventRatio":0.3,)"
      R"("receivedQualityEventRatio":0.4,"wifiBatteryCharge":55,"dnsSuffix":"corp.example",)"
      R"("networkTransportProtocol":"udp","wifiVendorDriver":"","wifiMicrosoftDriver":"Microsoft Wi-Fi",)"
      R"("wifiMicrosoftDriverVersion":"10.0","port":50020,"relayPort":3478,)"
      R"("traceRouteHops":[{"hopCount":1,"ipAddress":"10.0.0.1","roundTripTime":"PT0.002S"},{"hopCount":2}]})";
  const std::string caller =
      R"({"name":"ADA-LT","cpuName":"Intel i7","cpuCoresCount":8,"cpuProcessorSpeedInMhz":2400,)"
      R"("identity":{"user":{"userPrincipalName":"ada@contoso.com","tenantId":"t-1"}},)"
      R"("userAgent":{"platform":"windows","productFamily":"teams","applicationVersion":"1.6.00"},)"
      R"("feedback":{"rating":"poor","text":"my name is Ada","tokens":{"Echo":true,"NoSound":false,"Noisy":true}}})";
  const std::string device =
      R"({"renderMuteEventRatio":0.5,"renderZeroVolumeEventRatio":0.25,"sentSignalLevel":-30,)"
      R"("captureDeviceName":"Headset Mic","renderDeviceDriver":"usbaudio"})";
  const std::string stream =
      R"({"streamDirection":"callerToCallee","audioCodec":"opus","videoCodec":"h264","packetUtilization":4096,)"
      R"("wasMediaBypassed":false,"isAudioForwardErrorCorrectionUsed":true,)"
      R"("startDateTime":"2026-03-02T10:00:01Z","endDateTime":"2026-03-02T10:04:59Z"})";
  const CallSegment& s = decode_one(record(stream, network, caller, "main-audio", device));
  EXPECT_EQ(s.version, 1u);
  EXPECT_EQ(s.call_type, "peerToPeer");
  const Endpoint& a = s.caller;
  EXPECT_EQ(a.hostname, "ADA-LT");
  EXPECT_EQ(a.tenant, "t-1");
  EXPECT_EQ(a.cpu_name, "Intel i7");
  EXPECT_EQ(a.cpu_cores, 8);
  EXPECT_EQ(a.cpu_speed_mhz, 2400);
  EXPECT_EQ(a.platform, "windows");
  EXPECT_EQ(a.product_family, "teams");
  EXPECT_EQ(a.product_version, "1.6.00");
  EXPECT_EQ(a.feedback_tokens, (std::vector<std::string>{"Echo", "Noisy"}));
  EXPECT_EQ(a.relay_ip->str(), "52.114.1.1");
  EXPECT_EQ(a.wifi_channel, 36);
  EXPECT_EQ(a.wifi_band, 5);
  EXPECT_EQ(a.wifi_radio_type, "wifi80211ac");
  EXPECT_DOUBLE_EQ(a.link_speed_mbps, 866.7);
  EXPECT_EQ(a.delay_event_ratio, 0.1);
  EXPECT_EQ(a.bandwidth_low_event_ratio, 0.2);
  EXPECT_EQ(a.sent_quality_event_ratio, 0.3);
  EXPECT_EQ(a.received_quality_event_ratio, 0.4);
  EXPECT_EQ(a.wifi_battery_pct, 55);
  EXPECT_EQ(a.domain, "corp.example");
  EXPECT_EQ(a.transport, "udp");
  EXPECT_EQ(a.wifi_driver, "Microsoft Wi-Fi");  // the vendor's is empty
  EXPECT_EQ(a.wifi_driver_version, "10.0");
  ASSERT_EQ(a.trace_route_hops.size(), 2u);
  EXPECT_EQ(a.trace_route_hops[0].hop_count, 1);
  EXPECT_EQ(a.trace_route_hops[0].ip->str(), "10.0.0.1");
  EXPECT_EQ(a.trace_route_hops[0].rtt_ms, 2);
  EXPECT_EQ(a.trace_route_hops[1].hop_count, 2);
  EXPECT_FALSE(a.trace_route_hops[1].ip);
  EXPECT_EQ(a.render_mute_ratio, 0.5);
  EXPECT_EQ(a.render_zero_volume_ratio, 0.25);
  EXPECT_EQ(a.sent_signal_level, -30);
  EXPECT_EQ(a.capture_device, "Headset Mic");
  EXPECT_EQ(a.render_driver, "usbaudio");
  const Stream& st = s.streams.at(0);
  EXPECT_EQ(st.codec, "opus");  // audio: audioCodec
  EXPECT_EQ(st.get(StreamMetric::kPacketCount), 4096);
  EXPECT_EQ(st.media_bypassed, false);
  EXPECT_EQ(st.audio_fec_used, true);
  EXPECT_EQ(format_rfc3339(st.start), "2026-03-02T10:00:01.000Z");
  EXPECT_EQ(format_rfc3339(st.end), "2026-03-02T10:04:59.000Z");
  const CallSegment& v = decode_one(record(stream, "{}", caller, "main-video"));
  EXPECT_EQ(v.streams.at(0).codec, "h264");  // video: videoCodec
  EXPECT_THAT(dec.warnings(), IsEmpty());
}

TEST_F(GraphTest, OddDetailsAreWarnedNotKept) {
  const std::string network = R"({"wifiBand":"frequency90GHz","wifiChannel":0,"linkSpeed":"fast","traceRouteHops":{}})";
  const std::string stream = R"({"streamDirection":"callerToCallee","audioCodec":"invalid","wasMediaBypassed":"no",)"
                             R"("startDateTime":"yesterday"})";
  const CallSegment& s = decode_one(record(stream, network));
  EXPECT_FALSE(measured(s.caller.wifi_band));
  EXPECT_FALSE(measured(s.caller.wifi_channel));
  EXPECT_FALSE(measured(s.caller.link_speed_mbps));
  EXPECT_TRUE(s.caller.trace_route_hops.empty());
  EXPECT_TRUE(s.streams.at(0).codec.empty());
  EXPECT_FALSE(s.streams.at(0).media_bypassed);
  EXPECT_EQ(s.streams.at(0).start, kNoTime);
  EXPECT_EQ(dec.warnings().size(), 6u) << ::testing::PrintToString(dec.warnings());
}

TEST_F(GraphTest, VersionTypeModalitiesAndFailure) {
  const std::string doc =
      R"({"id":"c","version":"12","type":"groupCall","modalities":["audio","video","unknownFutureValue"],)"
      R"("sessions":[{"id":"s1","modalities":["audio"],"isTest":true,"failureInfo":{"stage":"callSetup",)"
      R"("reason":"NoMedia"},"segments":[{"id":"g1","startDateTime":"2026-03-02T10:00:00Z",)"
      R"("endDateTime":"2026-03-02T10:01:00Z"},{"id":"g2","startDateTime":"2026-03-02T10:00:00Z",)"
      R"("endDateTime":"2026-03-02T10:01:00Z","failureInfo":{"stage":"midcall","reason":"Dropped"}}]},)"
      R"({"id":"s2","failureInfo":null,"segments":[{"id":"g3","startDateTime":"2026-03-02T10:00:00Z",)"
      R"("endDateTime":"2026-03-02T10:01:00Z","callee":{"@odata.type":"#microsoft.graph.callRecords.serviceEndpoint",)"
      R"("userAgent":{"@odata.type":"#microsoft.graph.callRecords.serviceUserAgent","role":"mediaController"}}}]}]})";
  out.clear();
  ASSERT_TRUE(dec.decode(CloudFormat::kGraphCallRecord, doc, out)) << dec.error().detail;
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].version, 12u);  // a numeric string
  EXPECT_EQ(out[0].call_type, "groupCall");
  EXPECT_EQ(out[0].modalities, kModalityAudio);  // the session's
  EXPECT_TRUE(out[0].is_test);
  EXPECT_EQ(out[0].failure_stage, "callSetup");  // the session's
  EXPECT_EQ(out[0].failure_reason, "NoMedia");
  EXPECT_EQ(out[1].failure_stage, "midcall");  // the segment's own
  EXPECT_EQ(out[1].failure_reason, "Dropped");
  EXPECT_EQ(out[2].modalities, kModalityAudio | kModalityVideo);  // the call's
  EXPECT_FALSE(out[2].is_test);
  EXPECT_TRUE(out[2].failure_stage.empty());
  EXPECT_TRUE(out[2].callee.service);
  EXPECT_EQ(out[2].callee.service_role, "mediaController");
  // A sessions page: the version comes from the envelope.
  out.clear();
  ASSERT_TRUE(dec.decode(CloudFormat::kGraphCallRecord,
                         R"({"type":"graph.callRecord","call_id":"c-9","version":3,"body":{"value":[{"id":"s",)"
                         R"("segments":[{"id":"g","startDateTime":"2026-03-02T10:00:00Z",)"
                         R"("endDateTime":"2026-03-02T10:01:00Z"}]}]}})",
                         out))
      << dec.error().detail;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].version, 3u);
  out.clear();
  ASSERT_TRUE(dec.decode(CloudFormat::kGraphCallRecord, R"({"id":"c","version":"v2","sessions":[]})", out));
  EXPECT_THAT(dec.warnings(), ::testing::ElementsAre(HasSubstr("version")));
}

TEST_F(GraphTest, SessionPageTakesItsCallIdFromTheContext) {
  const std::string doc = slurp(data_path("graph/v1.0_session-list_expand-segments.json"));
  ASSERT_TRUE(dec.decode(CloudFormat::kGraphCallRecord, doc, out)) << dec.error().detail;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].call_id, "e523d2ed-2966-4b6b-925b-754a88034cc5");
  rejects(R"({"value":[]})", RejectReason::kMissingField, "@odata.context");
  // A later page carries the id in the envelope when its context does not.
  out.clear();
  ASSERT_TRUE(dec.decode(CloudFormat::kGraphCallRecord,
                         R"({"type":"graph.callRecord","call_id":"c-9","body":{"value":[{"id":"s","segments":[)"
                         R"({"id":"g","startDateTime":"2026-03-02T10:00:00Z","endDateTime":"2026-03-02T10:01:00Z"}]}]}})",
                         out))
      << dec.error().detail;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].call_id, "c-9");
}

TEST_F(GraphTest, SegmentsFallBackOnTheirSessionsEndpoints) {
  const std::string doc = slurp(data_path("graph/v1.0_callrecord-get_expand-sessions-segments.json"));
  ASSERT_TRUE(dec.decode(CloudFormat::kGraphCallRecord, doc, out)) << dec.error().detail;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].caller.user, "abbie.wilkins@contoso.com");
  EXPECT_EQ(out[0].caller.device_type, DeviceType::kMobile);
  EXPECT_EQ(out[0].caller.ip->str(), "10.150.0.2");
  EXPECT_EQ(out[0].callee.user, "owen.franklin@contoso.com");
  EXPECT_EQ(out[0].callee.feedback_rating, 2);  // "poor"
}

TEST_F(GraphTest, ThirdPartyFixtureWithNullsAndEmptyStrings) {
  const std::string doc = slurp(data_path("graph/cli-microsoft365_spec_callrecord-get_responseWithSessions.json"));
  ASSERT_TRUE(dec.decode(CloudFormat::kGraphCallRecord, doc, out)) << dec.error().detail;
  ASSERT_EQ(out.size(), 1u);
  const CallSegment& s = out[0];
  EXPECT_EQ(s.caller.user, "john.doe@contoso.com");  // from associatedIdentity
  EXPECT_EQ(s.caller.connection, Connection::kWifi);
  EXPECT_EQ(s.caller.wifi_signal_pct, 94);
  EXPECT_FALSE(s.caller.client);        // macAddress ""
  EXPECT_FALSE(s.caller.reflexive_ip);  // reflexiveIPAddress ""
  EXPECT_FALSE(s.caller.bssid);
  EXPECT_EQ(s.caller.cpu_insufficient_ratio, 0);  // a measured zero
  EXPECT_FALSE(measured(s.caller.feedback_rating));  // notRated
  EXPECT_EQ(s.callee.device_type, DeviceType::kUnknown);
  EXPECT_FALSE(s.callee.ip);
  ASSERT_EQ(s.streams.size(), 2u);  // the `data` media's streams are left out
  EXPECT_EQ(s.streams[0].get(StreamMetric::kJitterAvg), 2);
  EXPECT_EQ(s.streams[0].get(StreamMetric::kNetJitterMax), 29);
  EXPECT_EQ(s.streams[0].codec, "satin");
  EXPECT_EQ(s.streams[0].audio_fec_used, false);
  // A stream that carried nothing: a packet count of 0, nothing else measured.
  EXPECT_EQ(s.streams[1].get(StreamMetric::kPacketCount), 0);
  for (std::size_t m = 0; m < kStreamMetricCount; ++m) {
    if (static_cast<StreamMetric>(m) != StreamMetric::kPacketCount) {
      EXPECT_FALSE(measured(s.streams[1].values[m]));
    }
  }
  EXPECT_THAT(dec.warnings(), IsEmpty());
}

// ---- Graph: malformed documents -----------------------------------------------------------

TEST_F(GraphTest, MalformedDocumentsAreRejected) {
  rejects("{\"id\":", RejectReason::kBadJson, "");
  rejects("[1,2]", RejectReason::kNotObject, "an array");
  rejects(R"({"sessions":[]})", RejectReason::kMissingField, "field `id` is required");
  rejects(R"({"id":"c","sessions":{}})", RejectReason::kWrongType, "field `sessions`: expected an array, got an object");
  rejects(R"({"id":"c","sessions":[7]})", RejectReason::kWrongType, "field `sessions[0]`: expected a session object");
  rejects(R"({"id":"c","sessions":[{"segments":[{"startDateTime":"2026-03-02T10:00:00Z"}]}]})",
          RejectReason::kMissingField, "field `sessions[0].segments[0].id` is required");
  rejects(R"({"id":"c","sessions":[{"segments":[{"id":"s","startDateTime":"yesterday"}]}]})",
          RejectReason::kBadTimestamp, "field `sessions[0].segments[0].startDateTime`: \"yesterday\"");
  rejects(R"({"id":"c","sessions":[{"segments":[{"id":"s","startDateTime":"2026-03-02T10:00:00Z"}]}]})",
          RejectReason::kMissingField, "endDateTime");
  rejects(R"({"id":"c","sessions":[{"segments":[{"id":"s","startDateTime":"2026-03-02T10:00:00Z",)"
          R"("endDateTime":"2026-03-02T09:00:00Z"}]}]})",
          RejectReason::kBadValue, "is before `startDateTime`");
  rejects(R"({"id":"c","sessions":[{"segments":[{"id":"s","startDateTime":"2026-03-02T10:00:00Z",)"
          R"("endDateTime":"2026-03-02T10:01:00Z","media":[{"label":"main-audio","streams":"none"}]}]}]})",
          RejectReason::kWrongType, "field `sessions[0].segments[0].media[0].streams`: expected an array");
  rejects(R"({"type":"graph.callRecord"})", RejectReason::kMissingField, "field `body` is required");
  rejects(R"({"type":"graph.callRecord","body":[]})", RejectReason::kWrongType, "field `body`: expected an object");
  rejects(R"({"type":"zoom.qos","body":{}})", RejectReason::kBadValue, "disagrees");
  rejects(R"({"type":"graph.callRecord","body":{"sessions":[]}})", RejectReason::kMissingField,
          "field `body.id` is required");
  CloudDecoder small(CloudDecoderOptions{16});
  out.clear();
  EXPECT_FALSE(small.decode(CloudFormat::kGraphCallRecord, R"({"id":"c","sessions":[]})", out));
  EXPECT_EQ(small.error().reason, RejectReason::kTooLarge);
}

TEST_F(GraphTest, ARecordWithoutSessionsDecodesToNothingAndSaysWhy) {
  out.clear();
  ASSERT_TRUE(dec.decode(CloudFormat::kGraphCallRecord, R"({"id":"c","type":"groupCall"})", out));
  EXPECT_TRUE(out.empty());
  ASSERT_EQ(dec.warnings().size(), 1u);
  EXPECT_THAT(dec.warnings()[0], HasSubstr("$expand=sessions"));
}

TEST_F(GraphTest, WarningsAreCapped) {
  std::string streams;
  for (int i = 0; i < 100; ++i) {
    if (i) streams += ',';
    streams += R"({"streamDirection":"callerToCallee","averageJitter":"x"})";
  }
  CloudDecoder capped(CloudDecoderOptions{1 << 20, 5});
  out.clear();
  ASSERT_TRUE(capped.decode(CloudFormat::kGraphCallRecord, record(streams), out));
  EXPECT_EQ(capped.warnings().size(), 5u);
  EXPECT_EQ(capped.warnings_dropped(), 95u);
}

// ---- CQD classification of the published example ------------------------------------------

TEST(GraphCqd, SessionListExampleClassifiesAsThePublishedThresholdsSay) {
  CloudDecoder dec;
  std::vector<CallSegment> out;
  ASSERT_TRUE(dec.decode(CloudFormat::kGraphCallRecord, slurp(data_path("graph/v1.0_session-list_expand-segments.json")),
                         out));
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].streams.size(), 2u);
  engine::StreamAssessment a;
  // callerToCallee: jitter 16 ms (<= 30), loss 0 % (<= 10), RTT 61 ms (<= 500),
  // degradation and concealment not measured: good.
  const Stream& up = out[0].streams[0];
  EXPECT_EQ(up.from, Side::kCaller);
  EXPECT_EQ(up.media, Media::kAudio);
  engine::classify(up, a);
  EXPECT_EQ(a.quality, Quality::kGood);
  EXPECT_THAT(a.why, IsEmpty());
  // calleeToCaller: jitter 7 ms, loss 1.38 %, RTT 64 ms, concealed 0.062 (<= 0.07)
  // are fine, but the network MOS degradation 1.16 is above 1.0: poor, for that alone.
  const Stream& down = out[0].streams[1];
  EXPECT_EQ(down.from, Side::kCallee);
  EXPECT_GT(down.get(StreamMetric::kDegradationAvg), engine::cqd::kAudioDegradation);
  EXPECT_LT(down.get(StreamMetric::kConcealedRatioAvg), engine::cqd::kAudioConcealedRatio);
  engine::classify(down, a);
  EXPECT_EQ(a.quality, Quality::kPoor);
  ASSERT_EQ(a.why.size(), 1u);
  EXPECT_THAT(a.why[0], HasSubstr("degradation_avg"));
}

// ---- Zoom ------------------------------------------------------------------------------------

TEST(ZoomValues, UnitStringsWithAndWithoutSpaces) {
  bool ok = false;
  EXPECT_EQ(cloud::parse_zoom_quantity("0.03%", "%", ok), 0.03);
  EXPECT_TRUE(ok);
  EXPECT_EQ(cloud::parse_zoom_quantity("0.1 %", "%", ok), 0.1);
  EXPECT_EQ(cloud::parse_zoom_quantity("126 ms", "ms", ok), 126);
  EXPECT_EQ(cloud::parse_zoom_quantity("0ms", "ms", ok), 0);
  EXPECT_EQ(cloud::parse_zoom_quantity("27.15kbps", "kbps", ok), 27.15);
  EXPECT_EQ(cloud::parse_zoom_quantity(" 70 kbps ", "kbps", ok), 70);
  EXPECT_EQ(cloud::parse_zoom_quantity("70 Kbps", "kbps", ok), 70);
  EXPECT_EQ(cloud::parse_zoom_quantity("1.2 Mbps", "kbps", ok), 1200);
  EXPECT_EQ(cloud::parse_zoom_quantity("64000bps", "kbps", ok), 64);
  EXPECT_EQ(cloud::parse_zoom_quantity("12 fps", "fps", ok), 12);
  EXPECT_EQ(cloud::parse_zoom_quantity("12", "fps", ok), 12);
  EXPECT_TRUE(ok);
  for (const char* absent : {"", "  ", "-", "N/A"}) {
    EXPECT_FALSE(cloud::parse_zoom_quantity(absent, "ms", ok)) << absent;
    EXPECT_TRUE(ok) << absent;
  }
  EXPECT_FALSE(cloud::parse_zoom_quantity("126 s", "ms", ok));
  EXPECT_FALSE(ok);
  EXPECT_FALSE(cloud::parse_zoom_quantity("fast", "ms", ok));
  EXPECT_FALSE(ok);
  EXPECT_FALSE(cloud::parse_zoom_quantity("12 fps", "%", ok));
  EXPECT_FALSE(ok);
}

TEST(ZoomValues, RssiAndPrivateAddresses) {
  EXPECT_EQ(cloud::rssi_to_signal_pct(-50), 100);
  EXPECT_EQ(cloud::rssi_to_signal_pct(-61), 78);
  EXPECT_EQ(cloud::rssi_to_signal_pct(-100), 0);
  EXPECT_EQ(cloud::rssi_to_signal_pct(-30), 100);
  EXPECT_FALSE(measured(cloud::rssi_to_signal_pct(kMissing)));
  for (const char* p : {"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.1.1", "fd00::1", "fe80::1"}) {
    EXPECT_TRUE(cloud::is_private(*IpAddr::parse(p))) << p;
  }
  for (const char* p : {"172.32.0.1", "203.0.113.7", "8.8.8.8", "2001:db8::1"}) {
    EXPECT_FALSE(cloud::is_private(*IpAddr::parse(p))) << p;
  }
}

class ZoomTest : public ::testing::Test {
 protected:
  CloudDecoder dec;
  std::vector<CallSegment> out;
  std::vector<CloudClientSample> samples;

  bool decode(const std::string& json) {
    out.clear();
    samples.clear();
    return dec.decode(CloudFormat::kZoomQos, json, out, false, &samples);
  }
};

TEST_F(ZoomTest, SlicesPerParticipantAndMinute) {
  ASSERT_TRUE(decode(slurp(data_path("zoom/callroot_three-participants-qos.json")))) << dec.error().detail;
  ASSERT_EQ(out.size(), 5u);  // 3 + 1 + 1 samples
  const CallSegment& first = out[0];
  EXPECT_EQ(first.call_id, "4444AAAiAAAAAiAiAiiAii==");
  EXPECT_EQ(first.segment_id, "4444AAAiAAAAAiAiAiiAii==/16778240/2026-03-02T10:01:00Z");
  EXPECT_EQ(format_rfc3339(first.start), "2026-03-02T10:00:12.000Z");  // clipped to join_time
  EXPECT_EQ(format_rfc3339(first.end), "2026-03-02T10:01:00.000Z");
  EXPECT_EQ(format_rfc3339(out[1].start), "2026-03-02T10:01:00.000Z");  // a whole minute

  const Endpoint& ada = first.caller;
  EXPECT_EQ(ada.user, "ada@contoso.com");
  EXPECT_EQ(ada.client->str(), "3c:22:fb:11:2a:07");
  EXPECT_EQ(ada.ip->str(), "10.20.30.41");            // internal_ip_addresses
  EXPECT_EQ(ada.reflexive_ip->str(), "203.0.113.7");  // the public ip_address
  EXPECT_EQ(ada.connection, Connection::kWifi);
  EXPECT_EQ(ada.device_type, DeviceType::kPc);
  EXPECT_EQ(ada.wifi_signal_pct, 78);  // -61 dBm
  EXPECT_TRUE(first.callee.present);   // the Zoom cloud
  EXPECT_FALSE(first.callee.ip);
  EXPECT_TRUE(first.callee.user.empty());

  ASSERT_EQ(first.streams.size(), 4u);  // the all-empty screen-share objects are left out
  const Stream& sent = first.streams[0];
  EXPECT_EQ(sent.from, Side::kCaller);
  EXPECT_EQ(sent.media, Media::kAudio);
  EXPECT_EQ(sent.get(StreamMetric::kLossAvg), 0.03);
  EXPECT_EQ(sent.get(StreamMetric::kLossMax), 0.4);
  EXPECT_EQ(sent.get(StreamMetric::kJitterAvg), 3);
  EXPECT_EQ(sent.get(StreamMetric::kRttAvg), 84);  // twice the one-way latency of 42 ms
  EXPECT_EQ(sent.get(StreamMetric::kBitrate), 27.15);
  const Stream& received = first.streams[1];
  EXPECT_EQ(received.from, Side::kCallee);
  EXPECT_EQ(received.get(StreamMetric::kLossAvg), 0);  // "0.00%" is a measured zero
  EXPECT_EQ(received.get(StreamMetric::kBitrate), 70);
  EXPECT_EQ(first.streams[2].media, Media::kVideo);
  EXPECT_EQ(first.streams[2].get(StreamMetric::kBitrate), 1200);  // "1.2 Mbps"
  EXPECT_EQ(first.streams[2].get(StreamMetric::kFrameRateAvg), 30);
  EXPECT_EQ(out[1].streams.back().media, Media::kScreen);
  EXPECT_EQ(out[1].streams.back().get(StreamMetric::kFrameRateAvg), 1);

  const CallSegment& phone = out[3];
  EXPECT_EQ(phone.segment_id, "4444AAAiAAAAAiAiAiiAii==/16779264/2026-03-02T10:01:00Z");
  EXPECT_EQ(phone.caller.device_type, DeviceType::kPhone);
  EXPECT_FALSE(phone.caller.client);
  EXPECT_FALSE(phone.caller.ip);
  EXPECT_FALSE(measured(phone.streams.at(0).get(StreamMetric::kRttAvg)));  // latency ""

  const CallSegment& room = out[4];
  EXPECT_EQ(room.caller.device_type, DeviceType::kRoomSystem);
  EXPECT_EQ(room.caller.connection, Connection::kWired);
  EXPECT_EQ(room.caller.ip->str(), "10.20.40.5");  // a private ip_address is the LAN address
  EXPECT_FALSE(room.caller.reflexive_ip);
  ASSERT_EQ(room.streams.size(), 3u);  // from the CRC objects, as audio_input/output are empty
  EXPECT_EQ(room.streams[0].get(StreamMetric::kRttAvg), 44);
  EXPECT_EQ(room.streams[2].media, Media::kVideo);
  EXPECT_EQ(room.streams[2].get(StreamMetric::kBitrate), 1500);

  ASSERT_EQ(samples.size(), 2u);  // Ada's first two minutes; the third has "" CPU and no RSSI
  EXPECT_EQ(samples[0].cpu_pct, 41);
  EXPECT_EQ(samples[0].rssi_dbm, -61);
  EXPECT_EQ(samples[1].cpu_pct, 97);
  EXPECT_THAT(dec.warnings(), IsEmpty());
}

TEST_F(ZoomTest, HostnameLeaveTimeResolutionAndClientDetails) {
  ASSERT_TRUE(decode(slurp(data_path("zoom/callroot_three-participants-qos.json")))) << dec.error().detail;
  ASSERT_EQ(out.size(), 5u);
  const Endpoint& ada = out[0].caller;
  EXPECT_EQ(ada.hostname, "ADA-LT");
  EXPECT_EQ(ada.domain, "contoso.com");
  EXPECT_EQ(ada.location, "Paris (FR)");
  EXPECT_EQ(ada.product_version, "6.3.11.60501");
  EXPECT_EQ(ada.platform, "Windows");
  // Ada left at 10:03:05: her last minute (10:02-10:03) is whole, as her
  // leave_time falls after it; the phone left at 10:02:10, within no sample minute.
  EXPECT_EQ(format_rfc3339(out[2].end), "2026-03-02T10:03:00.000Z");
  const Stream& video = out[0].streams.at(2);
  EXPECT_EQ(video.media, Media::kVideo);
  EXPECT_EQ(video.width, 1280);
  EXPECT_EQ(video.height, 720);
  ASSERT_TRUE(decode(R"({"meeting_uuid":"m","participants":[{"user_id":"1","join_time":"2026-03-02T10:00:10Z",)"
                     R"("leave_time":"2026-03-02T10:00:40Z","user_qos":[{"date_time":"2026-03-02T10:01:00Z",)"
                     R"("video_input":{"bitrate":"1 Mbps","resolution":"wide"}}]}]})"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(format_rfc3339(out[0].start), "2026-03-02T10:00:10.000Z");
  EXPECT_EQ(format_rfc3339(out[0].end), "2026-03-02T10:00:40.000Z");  // left within the minute
  EXPECT_FALSE(measured(out[0].streams.at(0).width));
  EXPECT_THAT(dec.warnings(), ::testing::ElementsAre(HasSubstr("resolution")));
}

TEST_F(ZoomTest, TheMeetingIdComesFromTheDocumentOrItsEnvelope) {
  const std::string page = slurp(data_path("zoom/example_list-meeting-participants-qos_SYNTHESIZED-from-spec-examples.json"));
  EXPECT_FALSE(decode(page));
  EXPECT_EQ(dec.error().reason, RejectReason::kMissingField);
  EXPECT_THAT(dec.error().detail, HasSubstr("meeting_uuid"));
  ASSERT_TRUE(decode(R"({"type":"zoom.qos","meeting_id":85746065432,"body":)" + page + "}")) << dec.error().detail;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].segment_id, "85746065432/20161536/2022-03-01T10:16:00Z");
  EXPECT_EQ(out[0].caller.client->str(), "f8:5e:a0:12:92:d8");
  EXPECT_EQ(out[0].caller.device_type, DeviceType::kPhone);
  EXPECT_EQ(out[0].streams.size(), 6u);
}

TEST_F(ZoomTest, AWebinarPageDecodesExactlyAsAMeetingPage) {
  // Zoom's webinar QoS endpoint returns the meeting page's schema; only the
  // id is a webinar's. Same participants, same segments, same streams.
  const std::string page = slurp(data_path("zoom/callroot_three-participants-qos.json"));
  ASSERT_TRUE(decode(page)) << dec.error().detail;
  const std::vector<CallSegment> meeting = out;
  std::string webinar = page;
  const std::string key = "\"meeting_uuid\"";
  webinar.replace(webinar.find(key), key.size(), "\"webinar_uuid\"");
  ASSERT_TRUE(decode(webinar)) << dec.error().detail;
  ASSERT_EQ(out.size(), meeting.size());
  ASSERT_FALSE(out.empty());
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].segment_id, meeting[i].segment_id);
    EXPECT_EQ(out[i].call_id, meeting[i].call_id);
    ASSERT_EQ(out[i].streams.size(), meeting[i].streams.size());
    for (std::size_t s = 0; s < out[i].streams.size(); ++s) {
      for (std::size_t m = 0; m < kStreamMetricCount; ++m) {
        const auto metric = static_cast<StreamMetric>(m);
        const double a = out[i].streams[s].get(metric), b = meeting[i].streams[s].get(metric);
        EXPECT_TRUE(a == b || (!measured(a) && !measured(b))) << out[i].segment_id << " metric " << m;
      }
    }
  }
}

TEST_F(ZoomTest, OddValuesAreWarnedNotZero) {
  ASSERT_TRUE(decode(R"({"meeting_uuid":"m","participants":[{"user_id":"1","mac_addr":"zz","ip_address":"nope",)"
                     R"("user_qos":[{"date_time":"2026-03-02T10:01:00Z","audio_input":{"avg_loss":"12 ms",)"
                     R"("jitter":"7","latency":5,"max_loss":"140%","bitrate":true}}]}]})"))
      << dec.error().detail;
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].streams.size(), 1u);
  const Stream& s = out[0].streams[0];
  EXPECT_FALSE(measured(s.get(StreamMetric::kLossAvg)));
  EXPECT_FALSE(measured(s.get(StreamMetric::kLossMax)));
  EXPECT_FALSE(measured(s.get(StreamMetric::kBitrate)));
  EXPECT_EQ(s.get(StreamMetric::kJitterAvg), 7);  // no unit: taken as the documented one
  EXPECT_EQ(s.get(StreamMetric::kRttAvg), 10);    // a JSON number works too
  EXPECT_FALSE(out[0].caller.client);
  EXPECT_FALSE(out[0].caller.ip);
  EXPECT_EQ(dec.warnings().size(), 5u);
}

// "1e308 ms" is a finite number, and twice it (the round trip) is not: any
// value a stream metric cannot have is not measured, with a warning, so it
// never reaches a verdict.
TEST_F(ZoomTest, AbsurdValuesAreNotMeasured) {
  ASSERT_TRUE(decode(R"({"meeting_uuid":"m","participants":[{"user_id":"1",)"
                     R"("user_qos":[{"date_time":"2026-03-02T10:01:00Z","audio_input":{"latency":"1e308 ms",)"
                     R"("jitter":"99999999 ms","avg_loss":"2%","bitrate":"1e300 kbps"}}]}]})"))
      << dec.error().detail;
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].streams.size(), 1u);
  const Stream& s = out[0].streams[0];
  EXPECT_FALSE(measured(s.get(StreamMetric::kRttAvg)));
  EXPECT_FALSE(measured(s.get(StreamMetric::kJitterAvg)));
  EXPECT_FALSE(measured(s.get(StreamMetric::kBitrate)));
  EXPECT_EQ(s.get(StreamMetric::kLossAvg), 2);
  ASSERT_EQ(dec.warnings().size(), 3u);
  EXPECT_THAT(dec.warnings()[0], HasSubstr("jitter_avg_ms: 99999999 is outside [0, 3600000]"));
  EXPECT_THAT(dec.warnings()[1], HasSubstr("rtt_avg_ms: inf is outside [0, 3600000]"));
}

TEST_F(ZoomTest, MalformedPagesAreRejected) {
  auto rejects = [&](const std::string& json, RejectReason reason, std::string_view detail) {
    SCOPED_TRACE(json);
    out.assign(1, CallSegment{});
    samples.clear();
    EXPECT_FALSE(dec.decode(CloudFormat::kZoomQos, json, out, false, &samples));
    EXPECT_EQ(code(dec.error().reason), code(reason)) << dec.error().detail;
    EXPECT_THAT(dec.error().detail, HasSubstr(std::string(detail)));
    EXPECT_EQ(out.size(), 1u);
  };
  rejects("nonsense", RejectReason::kBadJson, "");
  rejects(R"("a string")", RejectReason::kNotObject, "a string");
  rejects(R"({"meeting_id":"m"})", RejectReason::kMissingField, "field `participants` is required");
  rejects(R"({"meeting_id":"m","participants":{}})", RejectReason::kWrongType, "expected an array");
  rejects(R"({"meeting_id":"m","participants":[{"user_qos":[{"audio_input":{}}]}]})", RejectReason::kMissingField,
          "field `participants[0].user_qos[0].date_time` is required");
  rejects(R"({"meeting_id":"m","participants":[{"user_qos":[{"date_time":"10:01"}]}]})", RejectReason::kBadTimestamp,
          "\"10:01\"");
  rejects(R"({"meeting_id":"m","participants":[{"join_time":5,"user_qos":[]}]})", RejectReason::kWrongType,
          "join_time");
  rejects(R"({"meeting_id":"m","participants":[{"join_time":"soon","user_qos":[]}]})", RejectReason::kBadTimestamp,
          "field `participants[0].join_time`: \"soon\"");
  // "" is a time not given, not a bad one.
  out.clear();
  EXPECT_TRUE(decode(R"({"meeting_id":"m","participants":[{"join_time":"","user_qos":[{"date_time":"2026-03-02T10:01:00Z"}]}]})"))
      << dec.error().detail;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].streams.empty());
  EXPECT_EQ(out[0].end - out[0].start, 60'000);
  rejects(R"({"type":"graph.callRecord","body":{}})", RejectReason::kBadValue, "disagrees");
}

// ---- large Zoom pages, read one participant at a time ------------------------------

CloudDecoderOptions in_pieces() {
  CloudDecoderOptions o;
  o.split_documents_over = 0;
  return o;
}

TEST_P(GoldenTest, AZoomPageReadInPiecesDecodesExactlyAsReadWhole) {
  const Payload& p = GetParam();
  if (p.format != CloudFormat::kZoomQos) GTEST_SKIP() << "Graph documents are read whole";
  const std::string doc = payload_document(p);
  CloudDecoder whole, pieces(in_pieces());
  std::vector<CallSegment> a, b;
  std::vector<CloudClientSample> sa, sb;
  ASSERT_TRUE(whole.decode(p.format, doc, a, false, &sa)) << whole.error().detail;
  ASSERT_TRUE(pieces.decode(p.format, doc, b, false, &sb)) << pieces.error().detail;
  EXPECT_EQ(golden_json(b, sb, pieces.warnings()), golden_json(a, sa, whole.warnings()));
}

TEST_F(ZoomTest, APageReadInPiecesIsRejectedForTheSameReasons) {
  CloudDecoder pieces(in_pieces());
  const std::vector<std::string> pages = {
      "nonsense",
      R"("a string")",
      R"([1,2])",
      R"({"meeting_id":"m"})",
      R"({"meeting_id":"m","participants":null})",
      R"({"meeting_id":"m","participants":{}})",
      R"({"meeting_id":"m","participants":[5]})",
      R"({"participants":[]})",
      R"({"meeting_id":"m","participants":[{"user_qos":[{"audio_input":{}}]}]})",
      R"({"meeting_id":"m","participants":[{"user_qos":[]},{"join_time":"soon","user_qos":[]}]})",
      R"({"meeting_id":"m","participants":[{} {}]})",
      R"({"meeting_id":"m","participants":[{},]})",
      R"({"meeting_id":"m","participants":[{"a":tru}]})",
      R"({"meeting_id":"m","participants":[{"a":"}]})",
      R"({"meeting_id":"m","participants":[{"a":[}]})",
      R"({"meeting_id":"m","participants":[]} trailing)",
      R"({"type":"zoom.qos","body":{"meeting_id":"m"}})",
      R"({"type":"zoom.qos","participants":[],"body":{"meeting_id":"m","participants":[{"user_qos":[{}]}]}})",
  };
  for (const std::string& json : pages) {
    SCOPED_TRACE(json);
    std::vector<CallSegment> a(1), b(1);
    ASSERT_FALSE(dec.decode(CloudFormat::kZoomQos, json, a));
    ASSERT_FALSE(pieces.decode(CloudFormat::kZoomQos, json, b));
    EXPECT_EQ(code(pieces.error().reason), code(dec.error().reason)) << pieces.error().detail;
    // The structure is checked by another reader: its words differ, the field does not.
    if (dec.error().reason != RejectReason::kBadJson) {
      EXPECT_EQ(pieces.error().detail, dec.error().detail);
    }
    EXPECT_EQ(b.size(), 1u) << "a rejected page adds nothing";
  }
}

TEST(SplitArrayField, FindsEachElementWithoutBuildingTheDocument) {
  using detail::ArraySplit;
  using detail::SplitResult;
  ArraySplit split;
  std::string why;
  const std::string page = R"({"a":"[","participants":[ {"x":"]\"}"} , {"y":[1,{"z":2}]},3 ],"participants":[9],"b":{}})";
  ASSERT_EQ(detail::split_array_field(page, "participants", "zoom.qos", split, why), SplitResult::kFound) << why;
  ASSERT_EQ(split.elements.size(), 3u);
  const auto text = [&](std::size_t i) {
    return page.substr(split.elements[i].first, split.elements[i].second - split.elements[i].first);
  };
  EXPECT_EQ(text(0), R"({"x":"]\"}"})");
  EXPECT_EQ(text(1), R"({"y":[1,{"z":2}]})");
  EXPECT_EQ(text(2), "3");
  EXPECT_EQ(page[split.open], '[');
  EXPECT_EQ(page[split.close], ']');
  EXPECT_FALSE(split.in_body);

  const std::string envelope = R"({"type":"zoom.qos","participants":[1],"body":{"participants":[{},{}]}})";
  ASSERT_EQ(detail::split_array_field(envelope, "participants", "zoom.qos", split, why), SplitResult::kFound);
  EXPECT_EQ(split.elements.size(), 2u) << "the envelope's body, not the envelope";
  EXPECT_TRUE(split.in_body);

  for (const std::string bad : {R"({"participants":[{} {}]})", R"({"participants":[{},]})", R"({"participants":[}]})",
                                R"({"participants":["x]})", R"({"participants":[]} x)", R"({"participants" [])"}) {
    EXPECT_EQ(detail::split_array_field(bad, "participants", "zoom.qos", split, why), SplitResult::kMalformed) << bad;
    EXPECT_THAT(why, HasSubstr("at byte")) << bad;
  }
  EXPECT_EQ(detail::split_array_field(R"({"participants":{}})", "participants", "zoom.qos", split, why),
            SplitResult::kNotArray);
  EXPECT_EQ(split.other, detail::dom::element_type::OBJECT);
  EXPECT_EQ(detail::split_array_field(R"({"participant":[]})", "participants", "zoom.qos", split, why),
            SplitResult::kNoArray);
}

// ---- RecordDecoder::decode_many ------------------------------------------------------------

class DecodeManyTest : public ::testing::Test {
 protected:
  Directory dir;
  RecordDecoder dec{dir};
  std::vector<Event> events;
};

TEST_F(DecodeManyTest, NativeRecordsGiveOneEvent) {
  ASSERT_TRUE(dec.decode_many(R"({"type":"client.disassoc","ts":0,"client":"aa:bb:cc:dd:ee:ff"})", events));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<ClientDisassoc>(events[0]));
  EXPECT_FALSE(dec.decode_many(R"({"type":"client.disassoc"})", events));
  EXPECT_EQ(dec.error().reason, RejectReason::kMissingField);
  EXPECT_FALSE(dec.decode_many(R"({"type":"wifi.moon"})", events));
  EXPECT_EQ(dec.error().reason, RejectReason::kUnknownType);
  EXPECT_EQ(events.size(), 1u);
  EXPECT_THAT(dec.warnings(), IsEmpty());
}

TEST_F(DecodeManyTest, GraphEnvelopeAndZeroMqDocument) {
  const std::string record = slurp(data_path("graph/beta_callrecord-get_expand-sessions-segments.json"));
  std::string line = R"({"type":"graph.callRecord","body":)" + record + "}";
  ASSERT_TRUE(dec.decode_many(line, events)) << dec.error().detail;
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<CallSegment>(events[0]));
  EXPECT_EQ(std::get<CallSegment>(events[0]).streams.size(), 2u);
  ASSERT_TRUE(dec.decode_many(record, events, false, "graph.callRecord")) << dec.error().detail;
  EXPECT_EQ(events.size(), 2u);
  // decode() keeps rejecting them: one event cannot hold many segments.
  Event ev;
  EXPECT_FALSE(dec.decode(line, ev));
  EXPECT_EQ(dec.error().reason, RejectReason::kUnsupportedType);
  // An envelope sent over ZeroMQ is recognised too (its `type` cannot be a callRecord's).
  ASSERT_TRUE(dec.decode_many(line, events, false, "graph.callRecord")) << dec.error().detail;
  EXPECT_EQ(events.size(), 3u);
  // A hint that disagrees with the envelope is rejected, and nothing is appended.
  EXPECT_FALSE(dec.decode_many(line, events, false, "zoom.qos"));
  EXPECT_EQ(dec.error().reason, RejectReason::kBadValue);
  EXPECT_EQ(events.size(), 3u);
}

TEST_F(DecodeManyTest, ZoomPageGivesDeviceTelemetryThenSegments) {
  const std::string page = slurp(data_path("zoom/callroot_three-participants-qos.json"));
  ASSERT_TRUE(dec.decode_many(page, events, false, "zoom.qos")) << dec.error().detail;
  ASSERT_EQ(events.size(), 2u + 2u + 5u);  // 2 x (client.device, wifi.client), 5 segments
  const auto& cpu = std::get<TelemetrySample>(events[0]);
  EXPECT_EQ(cpu.family, Family::kClientDevice);
  EXPECT_EQ(format_rfc3339(cpu.ts), "2026-03-02T10:01:00.000Z");
  const int cpu_field = find_field(Family::kClientDevice, "cpu_pct");
  ASSERT_TRUE(cpu.has(static_cast<std::size_t>(cpu_field)));
  EXPECT_EQ(cpu.values[static_cast<std::size_t>(cpu_field)], 41);
  EXPECT_EQ(ClientId{cpu.entity}, dir.find_client(*Mac::parse("3c:22:fb:11:2a:07")));
  const auto& wifi = std::get<TelemetrySample>(events[1]);
  EXPECT_EQ(wifi.family, Family::kWifiClient);
  EXPECT_EQ(wifi.values[static_cast<std::size_t>(find_field(Family::kWifiClient, "rssi_dbm"))], -61);
  for (std::size_t i = 4; i < events.size(); ++i) EXPECT_TRUE(std::holds_alternative<CallSegment>(events[i])) << i;
}

TEST_F(DecodeManyTest, OversizedCloudRecordsUseTheDocumentLimit) {
  Directory d;
  RecordDecoder small(d, DecoderOptions{256, 1 << 20});
  const std::string line =
      R"({"type":"graph.callRecord","body":)" + slurp(data_path("graph/v1.0_session-list_expand-segments.json")) + "}";
  ASSERT_GT(line.size(), 256u);
  ASSERT_TRUE(small.decode_many(line, events)) << small.error().detail;
  EXPECT_EQ(events.size(), 1u);
  RecordDecoder tiny(d, DecoderOptions{256, 1024});
  EXPECT_FALSE(tiny.decode_many(line, events));
  EXPECT_EQ(tiny.error().reason, RejectReason::kTooLarge);
}

}  // namespace
}  // namespace callroot::ingest
