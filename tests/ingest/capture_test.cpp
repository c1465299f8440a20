// The capture path below the commands: ZMTP decoding (whole and byte by
// byte, long frames, commands, refused versions and mechanisms, lost
// framing), TCP reassembly (order, retransmissions, holes, cut segments),
// IPv4 reassembly, the capture decoder over a generated pcap, and live
// capture's errors.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "ingest/capture_source.h"
#include "testing/capture_writer.h"
#include "ingest/ip_reassembly.h"
#include "ingest/pcap_reader.h"
#include "ingest/tcp_reassembly.h"
#include "ingest/zmtp.h"

namespace callroot::ingest {
namespace {

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "callroot_capture_" + std::to_string(getpid()) + "_" + name;
}

struct Collected {
  std::vector<std::pair<std::string, std::string>> records;  // (type, body)
  std::vector<std::uint64_t> frames;
  std::size_t too_large = 0;
  ZmtpDecoder::MessageSink sink() {
    return [this](const ZmtpMessage& m) {
      if (m.too_large) {
        ++too_large;
        return;
      }
      records.emplace_back(std::string(m.type), std::string(m.body));
      frames.push_back(m.frames);
      // simdjson reads past the end: the padding must be there.
      for (std::size_t i = 0; i < kZmtpPadding; ++i) EXPECT_EQ(m.body.data()[m.body.size() + i], '\0');
    };
  }
};

/// A PUSH peer's side of a connection: greeting, READY, then the records.
std::string push_stream(const std::vector<std::pair<std::string, std::string>>& records) {
  std::string s;
  zmtp_greeting(s);
  zmtp_ready(s, "PUSH");
  for (const auto& [type, body] : records) zmtp_message(s, type, body);
  return s;
}

std::vector<std::pair<std::string, std::string>> sample_records() {
  std::vector<std::pair<std::string, std::string>> r;
  r.emplace_back("wifi.client", R"({"type":"wifi.client","ts":1,"client":"aa:bb:cc:dd:ee:01","rssi_dbm":-60})");
  r.emplace_back("call.segment",
                 "{\"type\":\"call.segment\",\"x\":\"" + std::string(400, 'a') + "\"}");  // a long frame
  r.emplace_back("", R"({"type":"wan.link","ts":2,"link":"l1"})");                        // an empty type frame
  r.emplace_back("wan.link", std::string(70000, ' ') + "{}");                             // 8-byte size
  return r;
}

TEST(Zmtp, DecodesGreetingReadyAndMessagesWholeOrByteByByte) {
  const auto records = sample_records();
  const std::string stream = push_stream(records);
  for (const std::size_t chunk : {stream.size(), std::size_t{1}, std::size_t{7}, std::size_t{1460}}) {
    Collected got;
    ZmtpDecoder z(got.sink());
    for (std::size_t off = 0; off < stream.size(); off += chunk) {
      const std::size_t n = std::min(chunk, stream.size() - off);
      z.on_data(reinterpret_cast<const std::uint8_t*>(stream.data() + off), n);
    }
    EXPECT_TRUE(z.greeted());
    EXPECT_EQ(z.mechanism(), "NULL");
    EXPECT_EQ(z.socket_type(), "PUSH");
    EXPECT_EQ(z.version_major(), 3u);
    EXPECT_EQ(z.counters().commands, 1u);
    ASSERT_EQ(got.records, records) << "chunk " << chunk;
    for (auto f : got.frames) EXPECT_EQ(f, 2u);
    EXPECT_EQ(z.counters().skipped_bytes, 0u);
  }
}

TEST(Zmtp, CountsFramesOfOtherMessagesAndSkipsOversizedOnes) {
  std::string s;
  zmtp_greeting(s);
  zmtp_ready(s, "PUB");
  zmtp_frame(s, "only", false);  // one frame
  zmtp_frame(s, "a", true);
  zmtp_frame(s, "{}", true);
  zmtp_frame(s, "c", false);  // three frames
  zmtp_frame(s, "ping", false, /*command=*/true);
  zmtp_message(s, "x.y", std::string(5000, 'z'));  // over the limit below
  zmtp_message(s, "wan.link", "{}");
  Collected got;
  ZmtpOptions o;
  o.max_message_bytes = 4096;
  ZmtpDecoder z(got.sink(), o);
  z.on_data(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  ASSERT_EQ(got.frames.size(), 3u);
  EXPECT_EQ(got.frames[0], 1u);
  EXPECT_EQ(got.records[0].first, "only");
  EXPECT_EQ(got.frames[1], 3u);
  EXPECT_EQ(got.records[1].second, "{}");
  EXPECT_EQ(got.records[2], (std::pair<std::string, std::string>{"wan.link", "{}"}));
  EXPECT_EQ(got.too_large, 1u);
  EXPECT_EQ(z.counters().count(ZmtpIssue::kTooLarge), 1u);
  EXPECT_EQ(z.counters().commands, 2u);
}

TEST(Zmtp, RefusesOldVersionsAndEncryptingMechanisms) {
  for (const auto& [mechanism, version, issue] : {std::tuple{std::string("NULL"), 2, ZmtpIssue::kVersion},
                                                  std::tuple{std::string("CURVE"), 3, ZmtpIssue::kMechanism}}) {
    std::string s;
    zmtp_greeting(s, mechanism);
    s[10] = static_cast<char>(version);
    zmtp_message(s, "wan.link", "{}");
    Collected got;
    ZmtpDecoder z(got.sink());
    z.on_data(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
    EXPECT_TRUE(z.refused()) << mechanism;
    EXPECT_EQ(z.counters().count(issue), 1u) << mechanism;
    EXPECT_TRUE(got.records.empty());
  }
  // PLAIN sends messages in clear: its handshake commands are skipped.
  std::string s;
  zmtp_greeting(s, "PLAIN");
  zmtp_frame(s, std::string("\x05HELLO\x04user\x04pass", 16), false, true);
  zmtp_ready(s, "PUSH");
  zmtp_message(s, "wan.link", "{}");
  Collected got;
  ZmtpDecoder z(got.sink());
  z.on_data(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  EXPECT_EQ(got.records.size(), 1u);
}

TEST(Zmtp, FindsTheNextRecordAfterAGapOrAMidstreamStart) {
  const auto records = sample_records();
  const std::string stream = push_stream(records);
  // Midstream: start inside the first record.
  {
    Collected got;
    ZmtpDecoder z(got.sink());
    z.start_midstream();
    const std::size_t from = 64 + 40;  // past the greeting, into READY/the first record
    z.on_data(reinterpret_cast<const std::uint8_t*>(stream.data() + from), stream.size() - from);
    EXPECT_EQ(z.counters().count(ZmtpIssue::kMidstream), 1u);
    EXPECT_EQ(z.counters().resyncs, 1u);
    ASSERT_GE(got.records.size(), 3u);
    EXPECT_EQ(got.records.back(), records.back());
  }
  // A capture that joined between the handshake and the greeting still has it.
  {
    Collected got;
    ZmtpDecoder z(got.sink());
    z.start_midstream();
    z.on_data(reinterpret_cast<const std::uint8_t*>(stream.data()), stream.size());
    EXPECT_EQ(got.records, records);
    EXPECT_EQ(z.counters().count(ZmtpIssue::kMidstream), 0u);
  }
  // A gap inside the second record: the first stands, the third and fourth are found again.
  {
    Collected got;
    ZmtpDecoder z(got.sink());
    std::string one = push_stream({records[0]});
    std::string rest;
    for (std::size_t i = 1; i < records.size(); ++i) zmtp_message(rest, records[i].first, records[i].second);
    z.on_data(reinterpret_cast<const std::uint8_t*>(one.data()), one.size());
    z.on_gap(100);
    z.on_data(reinterpret_cast<const std::uint8_t*>(rest.data() + 100), rest.size() - 100);
    ASSERT_EQ(got.records.size(), 3u);
    EXPECT_EQ(got.records[0], records[0]);
    EXPECT_EQ(got.records[1], records[2]);
    EXPECT_EQ(got.records[2], records[3]);
    EXPECT_EQ(z.counters().count(ZmtpIssue::kGap), 1u);
  }
}

TEST(Zmtp, GarbageNeverCrashes) {
  std::mt19937 rng(7);
  std::vector<std::uint8_t> buf(4096);
  for (int round = 0; round < 2000; ++round) {
    Collected got;
    ZmtpOptions o;
    o.max_message_bytes = 1 << 16;
    ZmtpDecoder z(got.sink(), o);
    if (round % 3 == 0) z.start_midstream();
    std::string start;
    if (round % 2 == 0) zmtp_greeting(start);
    z.on_data(reinterpret_cast<const std::uint8_t*>(start.data()), start.size());
    const std::size_t n = rng() % buf.size();
    for (std::size_t i = 0; i < n; ++i) buf[i] = static_cast<std::uint8_t>(rng() % 4 == 0 ? 1 : rng());
    z.on_data(buf.data(), n);
    if (round % 5 == 0) z.on_gap(rng() % 1000);
    z.on_data(buf.data(), n / 2);
  }
  SUCCEED();
}

// ---------------------------------------------------------------------------

struct Bytes final : TcpSink {
  std::string data;
  std::vector<std::uint64_t> gaps;
  void on_data(const std::uint8_t* p, std::size_t n) override { data.append(reinterpret_cast<const char*>(p), n); }
  void on_gap(std::uint64_t n) override {
    gaps.push_back(n);
    data += '|';
  }
};

const std::uint8_t* u8(const std::string& s, std::size_t at = 0) {
  return reinterpret_cast<const std::uint8_t*>(s.data() + at);
}

TEST(TcpStream, PutsSegmentsInOrderAndDropsRetransmissions) {
  const std::string text = "abcdefghijklmnopqrstuvwxyz";
  const std::uint32_t isn = 0xFFFFFFF0u;  // the sequence numbers wrap inside the text
  TcpStream t;
  Bytes out;
  t.on_segment(isn, kTcpSyn, nullptr, 0, out);
  t.on_segment(isn + 1 + 10, kTcpAck, u8(text, 10), 5, out);  // ahead of a hole
  t.on_segment(isn + 1, kTcpAck, u8(text), 6, out);
  t.on_segment(isn + 1 + 3, kTcpAck, u8(text, 3), 7, out);  // overlaps both sides of what was delivered
  t.on_segment(isn + 1, kTcpAck, u8(text), 6, out);         // a retransmission
  t.on_segment(isn + 1 + 15, kTcpAck | kTcpFin, u8(text, 15), 11, out);
  EXPECT_EQ(out.data, text);
  EXPECT_TRUE(out.gaps.empty());
  EXPECT_TRUE(t.finished());
  EXPECT_FALSE(t.midstream());
  EXPECT_EQ(t.counters().out_of_order, 1u);
  EXPECT_GE(t.counters().retransmitted_bytes, 6u);
}

TEST(TcpStream, GivesUpAHoleAtTheBoundAndReportsCutSegments) {
  TcpReassemblyOptions o;
  o.max_buffered_bytes = 10;
  TcpStream t(o);
  Bytes out;
  t.on_segment(100, kTcpAck, u8("0123"), 4, out);  // no SYN: joined midstream
  EXPECT_TRUE(t.midstream());
  t.on_segment(110, kTcpAck, u8("ABCDEF"), 6, out);
  t.on_segment(116, kTcpAck, u8("GHIJKL"), 6, out);  // 12 bytes wait: over the bound
  EXPECT_EQ(out.data, "0123|ABCDEFGHIJKL");
  ASSERT_EQ(out.gaps.size(), 1u);
  EXPECT_EQ(out.gaps[0], 6u);
  // A segment the snaplen cut: its missing tail is a gap at once.
  t.on_segment(122, kTcpAck, u8("mn"), 2, out, 8);
  t.on_segment(132, kTcpAck, u8("xy"), 2, out);
  EXPECT_EQ(out.data, "0123|ABCDEFGHIJKLmn|xy");
  EXPECT_EQ(t.counters().gaps, 2u);
  EXPECT_EQ(t.counters().gap_bytes, 14u);
  // A reset with a hole outstanding: what waited is delivered after a gap.
  t.on_segment(140, kTcpAck, u8("zz"), 2, out);
  t.on_segment(150, kTcpRst, nullptr, 0, out);
  EXPECT_EQ(out.data, "0123|ABCDEFGHIJKLmn|xy|zz");
  EXPECT_TRUE(t.finished());
}

// ---------------------------------------------------------------------------

TEST(DecodePacket, HandsOutTcpOverVlanAndIpv6AndStillRefusesItOnTheUdpPath) {
  FrameBuilder fb;
  std::vector<std::uint8_t> f;
  const std::string data = "hello";
  for (const auto& [src, dst] : {std::pair{endpoint("10.0.0.1", 40000), endpoint("10.0.0.2", 7711)},
                                 std::pair{endpoint("2001:db8::1", 40000), endpoint("2001:db8::2", 7711)}}) {
    fb.tcp(f, src, dst, 0x01020304, 9, kTcpAck | kTcpFin, u8(data), data.size());
    // An 802.1Q tag after the MAC addresses.
    f.insert(f.begin() + 12, {0x81, 0x00, 0x00, 0x64});
    Packet p;
    PacketIssue issue{};
    ASSERT_EQ(decode_packet(kDltEthernet, f.data(), static_cast<std::uint32_t>(f.size()),
                            static_cast<std::uint32_t>(f.size()), p, issue),
              DecodeStatus::kTcp)
        << code(issue);
    EXPECT_EQ(p.transport, Transport::kTcp);
    EXPECT_EQ(p.dst.port, 7711);
    EXPECT_EQ(p.tcp_seq, 0x01020304u);
    EXPECT_EQ(p.tcp_flags, kTcpAck | kTcpFin);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(p.payload), p.payload_len), data);
    EXPECT_EQ(p.v6, !src.ip.is_v4());
    // Cut by a snaplen inside the data: the declared length says how much is missing.
    ASSERT_EQ(decode_packet(kDltEthernet, f.data(), static_cast<std::uint32_t>(f.size() - 2),
                            static_cast<std::uint32_t>(f.size()), p, issue),
              DecodeStatus::kTcp);
    EXPECT_TRUE(p.truncated);
    EXPECT_EQ(p.udp_len - p.payload_len, 2u);
    UdpPacket u;
    EXPECT_EQ(decode_udp(kDltEthernet, f.data(), static_cast<std::uint32_t>(f.size()),
                         static_cast<std::uint32_t>(f.size()), u, issue),
              DecodeStatus::kIssue);
    EXPECT_EQ(issue, PacketIssue::kNotUdp);
  }
}

TEST(Ipv4Reassembler, RebuildsInAnyOrderAndDropsWhatExpires) {
  FrameBuilder fb;
  const std::string json(3000, 'j');
  const auto frags =
      fb.udp_fragments(endpoint("10.0.0.1", 4000), endpoint("10.0.0.2", 9999), u8(json), json.size(), 1500, 77);
  ASSERT_EQ(frags.size(), 3u);
  for (const auto& order : {std::vector<int>{0, 1, 2}, std::vector<int>{2, 0, 1}, std::vector<int>{1, 1, 2, 0}}) {
    Ipv4Reassembler r;
    bool done = false;
    for (std::size_t k = 0; k < order.size(); ++k) {
      Packet p;
      PacketIssue issue{};
      const auto& f = frags[static_cast<std::size_t>(order[k])];
      ASSERT_EQ(decode_packet(kDltEthernet, f.data(), static_cast<std::uint32_t>(f.size()),
                              static_cast<std::uint32_t>(f.size()), p, issue),
                DecodeStatus::kFragment);
      done = r.add(p.fragment, 1000);
      EXPECT_EQ(done, k + 1 == order.size());
    }
    ASSERT_TRUE(done);
    Packet whole;
    PacketIssue issue{};
    const auto& d = r.datagram();
    ASSERT_EQ(decode_packet(kDltIpv4, d.data(), static_cast<std::uint32_t>(d.size()),
                            static_cast<std::uint32_t>(d.size()), whole, issue),
              DecodeStatus::kUdp);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(whole.payload), whole.payload_len), json);
    EXPECT_EQ(whole.dst.port, 9999);
  }
  // Two fragments of three, then 31 s later another datagram: the first expires.
  Ipv4Reassembler r;
  Packet p;
  PacketIssue issue{};
  for (int k : {0, 1}) {
    const auto& f = frags[static_cast<std::size_t>(k)];
    decode_packet(kDltEthernet, f.data(), static_cast<std::uint32_t>(f.size()), static_cast<std::uint32_t>(f.size()), p,
                  issue);
    EXPECT_FALSE(r.add(p.fragment, 0));
  }
  const auto other =
      fb.udp_fragments(endpoint("10.0.0.1", 4000), endpoint("10.0.0.2", 9999), u8(json), json.size(), 1500, 78);
  decode_packet(kDltEthernet, other[0].data(), static_cast<std::uint32_t>(other[0].size()),
                static_cast<std::uint32_t>(other[0].size()), p, issue);
  r.add(p.fragment, 31'000'000'000);
  EXPECT_EQ(r.take_dropped(), 2u);
  EXPECT_EQ(r.in_progress(), 1u);
}

// ---------------------------------------------------------------------------

/// A generated capture: two ZeroMQ connections (one joined late), JSON over
/// UDP (one fragmented, one cut by the snaplen), and an RTP call.
struct GeneratedCapture {
  std::string path = temp_path("mixed.pcap");
  std::vector<std::pair<std::string, std::string>> records = sample_records();
  GeneratedCapture() {
    PcapWriter w(path, kDltEthernet, 2000);
    std::int64_t t = 1'700'000'000'000'000'000;
    TcpConnectionWriter push(w, endpoint("10.0.0.5", 40000), endpoint("10.0.0.9", 7711));
    push.open(t);
    std::string greeting;
    zmtp_greeting(greeting);
    push.reply(t + 5, greeting);
    push.send(t + 10, push_stream(records));
    push.close(t + 20);
    // A PUB connection the capture joined late: no SYN, starts inside a record.
    FrameBuilder fb;
    std::vector<std::uint8_t> frame;
    std::string pub;
    for (const auto& r : records) zmtp_message(pub, r.first, r.second);
    const std::size_t skip = 5;
    fb.tcp(frame, endpoint("10.0.0.6", 40001), endpoint("10.0.0.9", 7710), 9000, 1, kTcpAck, u8(pub, skip),
           std::min<std::size_t>(1000, pub.size() - skip));
    w.write(t + 30, frame);
    for (std::size_t off = 1000 + skip; off < pub.size(); off += 1000) {
      fb.tcp(frame, endpoint("10.0.0.6", 40001), endpoint("10.0.0.9", 7710),
             9000 + static_cast<std::uint32_t>(off - skip), 1, kTcpAck, u8(pub, off),
             std::min<std::size_t>(1000, pub.size() - off));
      w.write(t + 31, frame);
    }
    // JSON over UDP: whole, fragmented (3 kB), and cut by the 2000-byte snaplen.
    const std::string small = R"({"type":"wan.link","ts":5,"link":"l9"})";
    fb.udp(frame, endpoint("10.0.0.7", 5000), endpoint("10.0.0.9", 9999), u8(small), small.size());
    w.write(t + 40, frame);
    const std::string big = R"({"type":"wan.link","ts":6,"link":")" + std::string(3000, 'x') + "\"}";
    for (const auto& f :
         fb.udp_fragments(endpoint("10.0.0.7", 5000), endpoint("10.0.0.9", 9999), u8(big), big.size(), 1500, 9)) {
      w.write(t + 41, f);
    }
    fb.udp(frame, endpoint("10.0.0.7", 5000), endpoint("10.0.0.9", 9999), u8(big), big.size());
    w.write(t + 42, frame);  // over the snaplen
    // RTP: 90 s of G.711 both ways, 20 ms apart.
    std::vector<std::uint8_t> rtp(172, 0xD5);
    for (int i = 0; i < 4500; ++i) {
      for (int dir = 0; dir < 2; ++dir) {
        rtp[0] = 0x80;
        rtp[1] = 0;
        rtp[2] = static_cast<std::uint8_t>(i >> 8), rtp[3] = static_cast<std::uint8_t>(i);
        const std::uint32_t ts = static_cast<std::uint32_t>(i * 160);
        for (int b = 0; b < 4; ++b) rtp[4 + b] = static_cast<std::uint8_t>(ts >> (24 - 8 * b));
        rtp[8] = 0, rtp[9] = 0, rtp[10] = 0, rtp[11] = static_cast<std::uint8_t>(dir + 1);
        const auto a = endpoint("10.1.0.10", 50000), b = endpoint("198.51.100.7", 3480);
        fb.udp(frame, dir == 0 ? a : b, dir == 0 ? b : a, rtp.data(), rtp.size());
        w.write(t + 100 + i * 20'000'000LL + dir * 1000, frame);
      }
    }
    w.close();
  }
  ~GeneratedCapture() { std::remove(path.c_str()); }
};

TEST(CaptureDecoder, ReadsZeromqUdpJsonAndRtpFromOneCapture) {
  GeneratedCapture cap;
  PcapReader reader(cap.path);
  CaptureOptions o;
  o.udp_ports = {9999};
  CaptureDecoder dec("mixed.pcap", o);
  std::vector<CaptureRecord> recs;
  std::vector<std::string> bodies, where;
  Packet p;
  const auto drain = [&] {
    CaptureRecord r;
    while (dec.next(r)) {
      recs.push_back(r);
      bodies.emplace_back(r.body);
      where.push_back(r.where.str());
    }
  };
  for (;;) {
    const auto st = reader.next_packet(p);
    if (st != PcapReader::ReadStatus::kPacket) {
      EXPECT_EQ(st, PcapReader::ReadStatus::kEnd) << reader.error();
      break;
    }
    dec.on_packet(p);
    drain();
  }
  dec.finish();
  drain();

  std::size_t zmtp = 0, udp = 0, rtp = 0, truncated = 0;
  for (std::size_t i = 0; i < recs.size(); ++i) {
    switch (recs[i].origin) {
      case CaptureRecord::Origin::kZmtp: ++zmtp; break;
      case CaptureRecord::Origin::kUdp:
        ++udp;
        if (recs[i].rejected) {
          ++truncated;
          EXPECT_EQ(recs[i].reason, RejectReason::kTruncated);
        }
        break;
      case CaptureRecord::Origin::kRtp: ++rtp; break;
    }
  }
  // The PUSH connection gives every record; the late PUB one the last three.
  EXPECT_EQ(zmtp, cap.records.size() + 3);
  EXPECT_EQ(bodies[0], cap.records[0].second);
  EXPECT_EQ(where[0], "mixed.pcap tcp 10.0.0.5:40000->10.0.0.9:7711 message 1");
  EXPECT_EQ(udp, 3u);
  EXPECT_EQ(truncated, 1u);
  EXPECT_EQ(reader.counters().fragments, 3u);
  EXPECT_EQ(reader.counters().reassembled, 1u);
  // 90 s of one call in 60 s slices: two segments.
  ASSERT_EQ(rtp, 2u);
  std::vector<std::string> segs;
  for (std::size_t i = 0; i < recs.size(); ++i) {
    if (recs[i].origin == CaptureRecord::Origin::kRtp) segs.push_back(bodies[i]);
  }
  EXPECT_NE(segs[0].find(R"("segment_id":"10.1.0.10:50000-198.51.100.7:3480@1700000000000/0")"), std::string::npos)
      << segs[0];
  EXPECT_NE(segs[1].find("@1700000000000/1\""), std::string::npos) << segs[1];
  EXPECT_NE(segs[0].find(R"("callee":{"ip":"198.51.100.7","reflexive_ip":"198.51.100.7")"), std::string::npos)
      << segs[0];
  const auto c = dec.counters();
  EXPECT_EQ(c.connections, 2u);
  EXPECT_EQ(c.zmtp.count(ZmtpIssue::kMidstream), 1u);
  EXPECT_EQ(c.zmtp.resyncs, 1u);
}

TEST(CaptureDecoder, ACaptureCutShortEndsWithAnErrorAndKeepsWhatCameBefore) {
  GeneratedCapture cap;
  std::FILE* f = std::fopen(cap.path.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::string bytes(20000, '\0');
  bytes.resize(std::fread(bytes.data(), 1, bytes.size(), f));
  std::fclose(f);
  const std::string cut = temp_path("cut.pcap");
  f = std::fopen(cut.c_str(), "wb");
  std::fwrite(bytes.data(), 1, bytes.size() - 3, f);  // ends inside a frame
  std::fclose(f);
  PcapReader reader(cut);
  CaptureDecoder dec("cut.pcap", {});
  Packet p;
  PcapReader::ReadStatus st;
  while ((st = reader.next_packet(p)) == PcapReader::ReadStatus::kPacket) dec.on_packet(p);
  EXPECT_EQ(st, PcapReader::ReadStatus::kError);
  EXPECT_FALSE(reader.error().empty());
  dec.finish();
  CaptureRecord r;
  std::size_t n = 0;
  while (dec.next(r)) ++n;
  EXPECT_EQ(n, 3u);  // the fourth record (70 kB) is past the cut
  std::remove(cut.c_str());
}

TEST(LiveCapture, AnInterfaceThatDoesNotExistIsAClearError) {
  LiveCaptureOptions o;
  o.iface = "callroot-no-such0";
  try {
    PcapReader::open_live(o);
    FAIL() << "opened a missing interface";
  } catch (const CaptureError& e) {
    // Without CAP_NET_RAW libpcap may say "permission" first; either names the interface.
    EXPECT_TRUE(e.kind() == CaptureError::Kind::kNoSuchDevice || e.kind() == CaptureError::Kind::kPermission)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("callroot-no-such0"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace callroot::ingest
