// The state codec (models/bytes.h) and segments written with it
// (models/segment_codec.h): every field comes back exactly.

#include "models/segment_codec.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "models/segment_json.h"

namespace callroot {
namespace {

TEST(ByteReader, RefusesCountsTheBytesCannotHold) {
  ByteWriter w;
  w.u32(1'000'000'000);
  ByteReader r(w.bytes(), "test");
  EXPECT_THROW(r.count(8), std::runtime_error);
}

TEST(ByteReader, ReadsBackWhatWasWritten) {
  ByteWriter w;
  w.u8(7);
  w.u16(65000);
  w.u32(4'000'000'000u);
  w.u64(1ull << 60);
  w.i64(-5);
  w.f64(-0.125);
  w.str("héllo");
  ByteReader r(w.bytes(), "test");
  EXPECT_EQ(r.u8(), 7u);
  EXPECT_EQ(r.u16(), 65000u);
  EXPECT_EQ(r.u32(), 4'000'000'000u);
  EXPECT_EQ(r.u64(), 1ull << 60);
  EXPECT_EQ(r.i64(), -5);
  EXPECT_EQ(r.f64(), -0.125);
  EXPECT_EQ(r.str(), "héllo");
  EXPECT_TRUE(r.done());
  EXPECT_THROW(r.u8(), std::runtime_error);
}

/// A segment with every field given, each to a value of its own.
CallSegment everything() {
  CallSegment s;
  s.call_id = "call-1";
  s.segment_id = "seg-\x01-é";
  s.version = 7;
  s.call_type = "groupCall";
  s.modalities = kModalityAudio | kModalityScreenSharing;
  s.is_test = true;
  s.failure_stage = "midcall";
  s.failure_reason = "dropped";
  s.start = 1'772'440'000'123;
  s.end = 1'772'440'060'456;
  double next = 0.5;
  for (Endpoint* e : {&s.caller, &s.callee}) {
    e->present = true;
    e->service = e == &s.callee;
    e->connection = Connection::kTunnel;
    e->device_type = DeviceType::kRoomSystem;
    e->client = Mac{0x0a1b2c3d4e5fULL};
    e->bssid = Mac{0x112233445566ULL};
    e->ip = IpAddr::parse("10.1.2.3");
    e->reflexive_ip = IpAddr::parse("2001:db8::1");
    e->relay_ip = IpAddr::parse("52.112.0.9");
    e->subnet = Cidr::parse("10.1.0.0/16");
    for (const EndpointNumber& n : kEndpointNumbers) e->*n.member = (next += 0.25);
    for (const EndpointText& t : kEndpointTexts) e->*t.member = std::string(t.json) + "!";
    e->feedback_tokens = {"Echo", "NoSound"};
    e->trace_route_hops = {{1, IpAddr::parse("10.0.0.1"), 1.5}, {2, std::nullopt, 3.25}};
  }
  Stream a;
  a.from = Side::kCallee;
  a.media = Media::kScreen;
  for (std::size_t i = 0; i < kStreamMetricCount; ++i) a.values[i] = (next += 1);
  a.set(StreamMetric::kRttMax, kMissing);
  a.codec = "h264";
  a.width = 1280;
  a.height = 720;
  a.start = s.start + 5;
  a.end = s.end - 5;
  a.media_bypassed = false;
  a.audio_fec_used = true;
  s.streams = {a, Stream{}};
  return s;
}

std::string encoded(const CallSegment& s) {
  ByteWriter w;
  encode_segment(s, w);
  return std::move(w.bytes());
}

TEST(SegmentCodec, EveryFieldComesBackExactly) {
  const CallSegment s = everything();
  const std::string bytes = encoded(s);
  ByteReader r(bytes, "test");
  const CallSegment back = decode_segment(r);
  EXPECT_TRUE(r.done());
  EXPECT_EQ(encoded(back), bytes);
  // The native record names every field a source can give: the same text.
  std::string a, b;
  write_segment_json(s, a);
  write_segment_json(back, b);
  EXPECT_EQ(a, b);
  EXPECT_EQ(back.caller.trace_route_hops, s.caller.trace_route_hops);
  EXPECT_EQ(back.streams[0].media_bypassed, std::optional<bool>(false));
  EXPECT_EQ(back.streams[0].start, s.streams[0].start);
  EXPECT_TRUE(std::isnan(back.streams[0].get(StreamMetric::kRttMax)));
}

TEST(SegmentCodec, EachFieldChangesTheBytes) {
  // A field the codec forgot would leave the bytes alone when it changes.
  const std::string base = encoded(everything());
  for (const EndpointNumber& n : kEndpointNumbers) {
    CallSegment s = everything();
    s.callee.*n.member = -1;
    EXPECT_NE(encoded(s), base) << n.json;
  }
  for (const EndpointText& t : kEndpointTexts) {
    CallSegment s = everything();
    (s.callee.*t.member).clear();
    EXPECT_NE(encoded(s), base) << t.json;
  }
}

// Waiting segments are kept encoded (engine/engine.h), so a segment costs the
// fields it carries: a typical Teams segment (two Wi-Fi endpoints with a few
// numbers, two audio streams) in about 600 bytes, where the decoded segment
// takes about 2 kB; and what is not measured comes back not measured.
TEST(SegmentCodec, ASegmentCostsTheFieldsItCarries) {
  CallSegment s;
  s.call_id = "69ac3c3f-8bf8-4a0a-937f-fb53c7e550d5";
  s.segment_id = "8ebf8e03-e3df-49a1-9c35-52f36f4bc873";
  s.start = 1'772'442'138'512;
  s.end = 1'772'442'252'451;
  for (Endpoint* e : {&s.caller, &s.callee}) {
    e->present = true;
    e->user = "jonas.garcia@contoso.example";
    e->client = Mac{0xacbc32ef0b30ULL};
    e->bssid = Mac{0x703a0e010810ULL};
    e->ip = IpAddr::parse("10.1.16.27");
    e->reflexive_ip = IpAddr::parse("203.0.113.10");
    e->subnet = Cidr::parse("10.1.16.0/20");
    e->connection = Connection::kWifi;
    e->device_type = DeviceType::kMobile;
    e->wifi_signal_pct = 90;
    e->cpu_insufficient_ratio = 0.028;
  }
  for (const Side from : {Side::kCaller, Side::kCallee}) {
    Stream st;
    st.from = from;
    st.media = Media::kAudio;
    st.set(StreamMetric::kJitterAvg, 2.1);
    st.set(StreamMetric::kJitterMax, 6);
    st.set(StreamMetric::kLossAvg, 0.2);
    st.set(StreamMetric::kLossMax, 0.94);
    st.set(StreamMetric::kRttAvg, 67.1);
    st.set(StreamMetric::kRttMax, 97.4);
    s.streams.push_back(st);
  }
  const std::string bytes = encoded(s);
  const std::size_t decoded = sizeof(CallSegment) + s.streams.capacity() * sizeof(Stream);
  EXPECT_LT(bytes.size() * 3, decoded) << bytes.size() << " bytes encoded, " << decoded << " decoded";
  ByteReader r(bytes, "test");
  const CallSegment back = decode_segment(r);
  EXPECT_TRUE(r.done());
  std::string a, b;
  write_segment_json(s, a);
  write_segment_json(back, b);
  EXPECT_EQ(a, b);
  EXPECT_TRUE(std::isnan(back.caller.mic_glitch_rate));
  EXPECT_TRUE(std::isnan(back.streams[1].get(StreamMetric::kDegradationAvg)));
  EXPECT_TRUE(back.callee.hostname.empty());
}

TEST(SegmentCodec, CutOrCorruptBytesThrowInsteadOfReadingPastTheEnd) {
  const std::string bytes = encoded(everything());
  for (std::size_t n = 0; n < bytes.size(); n += 7) {
    ByteReader r(std::string_view(bytes).substr(0, n), "cut");
    EXPECT_THROW(decode_segment(r), std::runtime_error) << n;
  }
  std::string bad = bytes;
  bad[bad.size() - 1] = 9;  // the last optional flag: neither absent, false nor true
  ByteReader r(bad, "bad");
  EXPECT_THROW(decode_segment(r), std::runtime_error);
}

}  // namespace
}  // namespace callroot
