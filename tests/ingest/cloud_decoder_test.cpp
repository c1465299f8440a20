#include "ingest/cloud_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "engine/quality.h"
#include "ingest/decoder.h"

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
  if (measured(e.wifi_signal_pct)) j["wifi_signal_pct"] = rounded(e.wifi_signal_pct);
  if (measured(e.cpu_insufficient_ratio)) j["cpu_insufficient_ratio"] = rounded(e.cpu_insufficient_ratio);
  if (measured(e.mic_glitch_rate)) j["mic_glitch_rate"] = rounded(e.mic_glitch_rate);
  if (measured(e.speaker_glitch_rate)) j["speaker_glitch_rate"] = rounded(e.speaker_glitch_rate);
  if (measured(e.capture_not_functioning_ratio)) j["capture_not_functioning_ratio"] = rounded(e.capture_not_functioning_ratio);
  if (measured(e.render_not_functioning_ratio)) j["render_not_functioning_ratio"] = rounded(e.render_not_functioning_ratio);
  if (measured(e.device_glitch_ratio)) j["device_glitch_ratio"] = rounded(e.device_glitch_ratio);
  if (measured(e.device_clipping_ratio)) j["device_clipping_ratio"] = rounded(e.device_clipping_ratio);
  if (measured(e.low_speech_level_ratio)) j["low_speech_level_ratio"] = rounded(e.low_speech_level_ratio);
  if (measured(e.low_speech_to_noise_ratio)) j["low_speech_to_noise_ratio"] = rounded(e.low_speech_to_noise_ratio);
  if (measured(e.howling_event_count)) j["howling_event_count"] = rounded(e.howling_event_count);
  if (measured(e.feedback_rating)) j["feedback_rating"] = rounded(e.feedback_rating);
  return j;
}

/// Segments, device samples and warnings in a stable form; not-measured
/// values are left out (so a zero in the file is a measured zero).
std::string golden_json(const std::vector<CallSegment>& segments, const std::vector<CloudClientSample>& samples,
                        const std::vector<std::string>& warnings) {
  nlohmann::ordered_json doc;
  doc["segments"] = nlohmann::ordered_json::array();
  for (const CallSegment& s : segments) {
    nlohmann::ordered_json j;
    j["call_id"] = s.call_id;
    j["segment_id"] = s.segment_id;
    j["start"] = format_rfc3339(s.start);
    j["end"] = format_rfc3339(s.end);
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
      j["streams"].push_back(sj);
    }
    doc["segments"].push_back(j);
  }
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

class GoldenTest : public ::testing::TestWithParam<Payload> {};

TEST_P(GoldenTest, DecodesAsTheGoldenFileSays) {
  const Payload& p = GetParam();
  std::string doc = slurp(data_path(p.file));
  ASSERT_FALSE(doc.empty()) << "missing " << p.file;
  if (*p.envelope_extra != '\0') {
    const char* type = p.format == CloudFormat::kGraphCallRecord ? "graph.callRecord" : "zoom.qos";
    doc = std::string(R"({"type":")") + type + "\"," + p.envelope_extra + R"(,"body":)" + doc + "}";
  }
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
    ::testing::Values(
        Payload{"graph/v1.0_callrecord-get_expand-sessions-segments.json", CloudFormat::kGraphCallRecord, ""},
        Payload{"graph/v1.0_session-list_expand-segments.json", CloudFormat::kGraphCallRecord, ""},
        Payload{"graph/beta_callrecord-get_expand-sessions-segments.json", CloudFormat::kGraphCallRecord, ""},
        Payload{"graph/cli-microsoft365_spec_callrecord-get_responseWithSessions.json", CloudFormat::kGraphCallRecord,
                ""},
        Payload{"zoom/example_list-meeting-participants-qos_SYNTHESIZED-from-spec-examples.json", CloudFormat::kZoomQos,
                R"("meeting_id":85746065432)"},
        Payload{"zoom/callroot_three-participants-qos.json", CloudFormat::kZoomQos, ""}),
    [](const ::testing::TestParamInfo<Payload>& info) {
      std::string name;
      for (const char* c = info.param.file; *c != '\0' && *c != '_' && *c != '-'; ++c) {
        name += std::isalnum(static_cast<unsigned char>(*c)) ? *c : '_';
      }
      return name + "_" + std::to_string(info.index);
    });

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
  for (double v : s.streams[1].values) EXPECT_FALSE(measured(v));
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
