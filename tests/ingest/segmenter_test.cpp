// Metered RTP streams into call segments: pairing of the two directions,
// slices, ids, loss/jitter/RTT/bit rate per slice, media, the last slice on
// idle, bounded memory, and the native JSON they are written as.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "testing/capture_writer.h"
#include "ingest/stream_segmenter.h"

namespace callroot::ingest {
namespace {

constexpr std::int64_t kT0 = 1'772'442'000'000'000'000;  // 2026-03-02T09:00:00Z in ns
constexpr std::int64_t kMs = 1'000'000;

struct Feeder {
  StreamSegmenter seg;
  std::vector<CallSegment> out;
  std::vector<std::uint8_t> buf;
  explicit Feeder(SegmenterOptions o = {})
      : seg(std::move(o), [this](CallSegment&& s) { out.push_back(std::move(s)); }) {}

  void rtp(std::int64_t t, const Endpoint& src, const Endpoint& dst, std::uint32_t ssrc, std::uint16_t seq,
           std::uint32_t ts, std::uint8_t pt = 0, std::size_t body = 160) {
    buf.assign(12 + body, 0xD5);
    buf[0] = 0x80;
    buf[1] = pt;
    buf[2] = static_cast<std::uint8_t>(seq >> 8), buf[3] = static_cast<std::uint8_t>(seq);
    for (int i = 0; i < 4; ++i) buf[4 + i] = static_cast<std::uint8_t>(ts >> (24 - 8 * i));
    for (int i = 0; i < 4; ++i) buf[8 + i] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
    send(t, src, dst);
  }
  void send(std::int64_t t, const Endpoint& src, const Endpoint& dst) {
    UdpPacket p;
    p.ts_ns = t;
    p.src = src;
    p.dst = dst;
    p.payload = buf.data();
    p.payload_len = p.udp_len = static_cast<std::uint32_t>(buf.size());
    seg.on_packet(p);
  }
};

const Endpoint kA = endpoint("10.1.0.10", 50000);
const Endpoint kB = endpoint("52.112.0.9", 3480);

const Stream* find_stream(const CallSegment& s, Side from, Media media) {
  for (const auto& st : s.streams) {
    if (st.from == from && st.media == media) return &st;
  }
  return nullptr;
}

TEST(StreamSegmenter, PairsBothDirectionsIntoOneCallAndSlicesIt) {
  Feeder f;
  // 150 s of G.711 both ways; in the second minute A->B loses every 50th packet
  // and every other packet of B->A arrives 4 ms late.
  for (int i = 0; i < 7500; ++i) {
    const std::int64_t t = kT0 + i * 20 * kMs;
    const bool minute2 = i >= 3000 && i < 6000;
    if (!(minute2 && i % 50 == 0)) f.rtp(t, kA, kB, 0x1111, static_cast<std::uint16_t>(100 + i), i * 160u);
    f.rtp(t + 1 * kMs + (minute2 && i % 2 ? 4 * kMs : 0), kB, kA, 0x2222, static_cast<std::uint16_t>(60000 + i),
          5000 + i * 160u);
  }
  ASSERT_EQ(f.out.size(), 2u);  // the third slice is still open
  f.seg.finish();
  ASSERT_EQ(f.out.size(), 3u);
  const std::string id = "10.1.0.10:50000-52.112.0.9:3480@1772442000000";
  for (std::size_t k = 0; k < 3; ++k) {
    const auto& s = f.out[k];
    EXPECT_EQ(s.call_id, id);
    EXPECT_EQ(s.segment_id, id + "/" + std::to_string(k));
    EXPECT_EQ(s.start, 1'772'442'000'000 + static_cast<TimeMs>(k) * 60'000);
    ASSERT_EQ(s.streams.size(), 2u);
    EXPECT_TRUE(s.caller.present && s.callee.present);
    EXPECT_EQ(s.caller.ip->str(), "10.1.0.10");
    EXPECT_FALSE(s.caller.reflexive_ip.has_value());  // a private address names no WAN link
    EXPECT_EQ(s.callee.reflexive_ip->str(), "52.112.0.9");
  }
  EXPECT_EQ(f.out[0].end, f.out[1].start);
  // The last slice ends at the call's last packet (149.981 s, rounded up to the ms).
  EXPECT_EQ(f.out[2].end, 1'772'442'000'000 + 149'981);

  const auto* up0 = find_stream(f.out[0], Side::kCaller, Media::kAudio);
  const auto* up1 = find_stream(f.out[1], Side::kCaller, Media::kAudio);
  const auto* down1 = find_stream(f.out[1], Side::kCallee, Media::kAudio);
  ASSERT_TRUE(up0 && up1 && down1);
  EXPECT_DOUBLE_EQ(up0->get(StreamMetric::kLossAvg), 0.0);
  EXPECT_NEAR(up1->get(StreamMetric::kLossAvg), 2.0, 0.05);
  EXPECT_DOUBLE_EQ(down1->get(StreamMetric::kLossAvg), 0.0);
  EXPECT_NEAR(up0->get(StreamMetric::kJitterAvg), 0.0, 1e-9);
  // Alternating 4 ms: RFC 3550's estimate settles near 4 ms (|D| = 4 every packet).
  EXPECT_GT(down1->get(StreamMetric::kJitterAvg), 3.0);
  EXPECT_LT(down1->get(StreamMetric::kJitterAvg), 4.5);
  EXPECT_GE(down1->get(StreamMetric::kJitterMax), down1->get(StreamMetric::kJitterAvg));
  EXPECT_NEAR(up0->get(StreamMetric::kBitrate), 64.0, 0.1);  // 160 bytes every 20 ms
  EXPECT_FALSE(measured(up0->get(StreamMetric::kRttAvg)));   // no RTCP
}

TEST(StreamSegmenter, RtcpGivesTheRoundTripOfTheSliceItCameIn) {
  Feeder f;
  for (int i = 0; i < 500; ++i) {
    f.rtp(kT0 + i * 20 * kMs, kA, kB, 0xABCD, static_cast<std::uint16_t>(i), i * 160u);
  }
  // A's SR for 0xABCD at 5 s; B's RR 80 ms later with LSR and a DLSR of 20 ms.
  std::vector<std::uint8_t> sr(28, 0);
  sr[0] = 0x80, sr[1] = 200, sr[3] = 6;
  sr[4] = 0, sr[5] = 0, sr[6] = 0xAB, sr[7] = 0xCD;
  sr[10] = 0x12, sr[11] = 0x34, sr[12] = 0x56, sr[13] = 0x78;  // NTP middle 32 bits 0x12345678
  f.buf = sr;
  f.send(kT0 + 5000 * kMs, endpoint("10.1.0.10", 50001), endpoint("52.112.0.9", 3481));
  std::vector<std::uint8_t> rr(32, 0);
  rr[0] = 0x81, rr[1] = 201, rr[3] = 7;
  rr[7] = 0x01;
  rr[10] = 0xAB, rr[11] = 0xCD;
  rr[24] = 0x12, rr[25] = 0x34, rr[26] = 0x56, rr[27] = 0x78;
  const std::uint32_t dlsr = 1311;  // 20.0 ms in 1/65536 s
  rr[30] = static_cast<std::uint8_t>(dlsr >> 8), rr[31] = static_cast<std::uint8_t>(dlsr);
  f.buf = rr;
  f.send(kT0 + 5080 * kMs, endpoint("52.112.0.9", 3481), endpoint("10.1.0.10", 50001));
  f.seg.finish();
  ASSERT_EQ(f.out.size(), 1u);
  const auto* up = find_stream(f.out[0], Side::kCaller, Media::kAudio);
  ASSERT_NE(up, nullptr);
  EXPECT_NEAR(up->get(StreamMetric::kRttAvg), 80.0 - 1311 * 1000.0 / 65536, 1e-6);
  EXPECT_NEAR(up->get(StreamMetric::kRttMax), 80.0 - 1311 * 1000.0 / 65536, 1e-6);
}

TEST(StreamSegmenter, BundledAudioAndVideoAreOneCallAndAQuietCallClosesOnIdle) {
  SegmenterOptions o;
  o.idle_timeout_ns = 10'000'000'000;
  Feeder f(o);
  for (int i = 0; i < 1000; ++i) {  // 20 s
    const std::int64_t t = kT0 + i * 20 * kMs;
    f.rtp(t, kA, kB, 1, static_cast<std::uint16_t>(i), i * 960u, 111, 80);               // dynamic PT, small: audio
    f.rtp(t + 5 * kMs, kA, kB, 2, static_cast<std::uint16_t>(i), i * 3000u, 102, 1100);  // dynamic PT, large: video
  }
  // Another call much later: the first is idle by then and emits its last slice.
  const Endpoint c = endpoint("10.1.0.11", 50002), d = endpoint("10.2.0.20", 50004);
  for (int i = 0; i < 300; ++i)
    f.rtp(kT0 + 40'000 * kMs + i * 20 * kMs, c, d, 3, static_cast<std::uint16_t>(i), i * 160u);
  ASSERT_EQ(f.out.size(), 1u);
  const auto& s = f.out[0];
  EXPECT_EQ(s.streams.size(), 2u);
  EXPECT_NE(find_stream(s, Side::kCaller, Media::kAudio), nullptr);
  EXPECT_NE(find_stream(s, Side::kCaller, Media::kVideo), nullptr);
  // Opus has no clock rate without SDP (tshark's behaviour): jitter is not measured.
  EXPECT_FALSE(measured(find_stream(s, Side::kCaller, Media::kAudio)->get(StreamMetric::kJitterAvg)));
  EXPECT_EQ(s.end - s.start, 19'985);
  EXPECT_EQ(f.seg.open_calls(), 1u);
  f.seg.finish();
  EXPECT_EQ(f.out.size(), 2u);
  EXPECT_EQ(f.seg.open_calls(), 0u);
}

TEST(StreamSegmenter, ManyConcurrentStreamsStayWithinTheLimit) {
  SegmenterOptions o;
  o.max_streams = 64;
  Feeder f(o);
  // 1000 calls at once, one direction each, 10 packets apiece, interleaved.
  for (int k = 0; k < 10; ++k) {
    for (int call = 0; call < 1000; ++call) {
      const Endpoint src = endpoint("10.3.0.1", static_cast<std::uint16_t>(20000 + 2 * call));
      f.rtp(kT0 + (k * 1000 + call) * kMs, src, kB, static_cast<std::uint32_t>(call + 1), static_cast<std::uint16_t>(k),
            k * 160u);
      ASSERT_LE(f.seg.open_calls(), 64u);
    }
  }
  f.seg.finish();
  EXPECT_GT(f.seg.meter().counters().streams_evicted, 900u);
  EXPECT_EQ(f.seg.meter().counters().rtp_rejected, 0u);
  // Every packet went into some segment: evicted streams emit what they had.
  std::size_t segments = f.out.size();
  EXPECT_GE(segments, 1000u);
}

TEST(StreamSegmenter, TheSameCaptureGivesTheSameSegmentsAndJson) {
  std::string json[2];
  for (auto& j : json) {
    Feeder f;
    for (int i = 0; i < 4000; ++i) {
      const std::int64_t t = kT0 + i * 20 * kMs + (i * 7919 % 13) * kMs / 4;
      if (i % 97 != 1) f.rtp(t, kA, kB, 9, static_cast<std::uint16_t>(65000 + i), i * 160u, 8);
      f.rtp(t + 3 * kMs, kB, kA, 10, static_cast<std::uint16_t>(i), i * 160u, 8);
    }
    f.seg.finish();
    for (const auto& s : f.out) {
      write_segment_json(s, j);
      j += '\n';
    }
  }
  EXPECT_EQ(json[0], json[1]);
  // A sequence wrap is not a restart; loss is 1/97 of the caller's packets.
  EXPECT_NE(json[0].find(R"("from":"caller","media":"audio","jitter_avg_ms":)"), std::string::npos) << json[0];
  EXPECT_NE(json[0].find(R"("type":"call.segment","call_id":"10.1.0.10:50000-52.112.0.9:3480@)"), std::string::npos);
  EXPECT_NE(json[0].find(R"("caller":{"ip":"10.1.0.10","connection":"unknown"})"), std::string::npos) << json[0];
}

TEST(StreamSegmenter, WithAPseudonymizerIdsNameNoAddress) {
  const OrgKey key = OrgKey::parse_hex(std::string(64, '7'), "test");
  const Pseudonymizer p(key);
  SegmenterOptions o;
  o.pseudonymizer = &p;
  Feeder f(o), plain;
  for (int i = 0; i < 100; ++i) {
    for (Feeder* x : {&f, &plain}) {
      x->rtp(kT0 + i * 20 * kMs, kA, kB, 0x1111, static_cast<std::uint16_t>(i), i * 160u);
      x->rtp(kT0 + i * 20 * kMs + kMs, kB, kA, 0x2222, static_cast<std::uint16_t>(i), i * 160u);
    }
  }
  f.seg.finish();
  plain.seg.finish();
  ASSERT_EQ(f.out.size(), 1u);
  ASSERT_EQ(plain.out.size(), 1u);
  EXPECT_EQ(plain.out[0].call_id, "10.1.0.10:50000-52.112.0.9:3480@1772442000000");
  EXPECT_EQ(f.out[0].call_id, "rtp-" + p.token('r', "10.1.0.10:50000-52.112.0.9:3480") + "@1772442000000");
  EXPECT_EQ(f.out[0].segment_id, f.out[0].call_id + "/0");
  // The addresses themselves stay, for site subnets and WAN links.
  EXPECT_EQ(f.out[0].caller.ip, plain.out[0].caller.ip);
}

}  // namespace
}  // namespace callroot::ingest
