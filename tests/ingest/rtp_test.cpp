// RTP metering against tshark 4.0.17's figures on every bundled capture
// (tests/data/captures/README.md), and the packet path's robustness: cut files,
// snaplen-cut packets, non-UDP frames, garbage payloads, link types.

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ingest/pcap_reader.h"
#include "ingest/rtp_meter.h"
#include "ingest/sdp.h"

namespace callroot::ingest {
namespace {

const std::string kCaptures = std::string(CALLROOT_TEST_DATA_DIR) + "/captures/";

const char* const kAllCaptures[] = {
    "SIP_CALL_RTP_G711.pcap", "sip-rtp-g711.pcap",        "SIP_DTMF2.pcap",         "Asterisk_ZFONE_XLITE.pcap",
    "rtp-protocol.pcap",      "rtpproxy_lost.a.pcap",     "rtpproxy_weird.o.pcap",  "rtpproxy_dups.a.pcap",
    "rtpproxy_sess6.a.pcap",  "ndpi_teams.pcap",          "ndpi_skype-conference-call.pcap",
};

std::vector<std::string> split_ws(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string t; in >> t;) out.push_back(t);
  return out;
}

std::string fmt3(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

std::string stream_id(const RtpStream& s) {
  char ssrc[16];
  std::snprintf(ssrc, sizeof ssrc, "0x%08X", s.key.ssrc);
  return s.key.src.str() + " -> " + s.key.dst.str() + " " + ssrc;
}

/// One row of `X.tshark-rtp-streams.txt` (tshark's own printout, 3 decimals).
struct TsharkRow {
  std::string id;  // "src:port -> dst:port 0xSSRC"
  std::string payload;
  long pkts = 0;
  long lost = 0;
  std::string min_delta, mean_delta, max_delta, min_jitter, mean_jitter, max_jitter;
  bool problem = false;
};

std::vector<TsharkRow> read_tshark_streams(const std::string& path) {
  std::ifstream in(path);
  std::vector<TsharkRow> rows;
  for (std::string line; std::getline(in, line);) {
    auto t = split_ws(line);
    if (t.size() < 17 || t[6].rfind("0x", 0) != 0) continue;
    TsharkRow r;
    r.id = t[2] + ":" + t[3] + " -> " + t[4] + ":" + t[5] + " " + t[6];
    std::size_t end = t.size();
    if (t[end - 1] == "X") {
      r.problem = true;
      --end;
    }
    r.max_jitter = t[end - 1];
    r.mean_jitter = t[end - 2];
    r.min_jitter = t[end - 3];
    r.max_delta = t[end - 4];
    r.mean_delta = t[end - 5];
    r.min_delta = t[end - 6];
    r.lost = std::stol(t[end - 8]);  // t[end - 7] is "(x.y%)"
    r.pkts = std::stol(t[end - 9]);
    for (std::size_t i = 7; i < end - 9; ++i) r.payload += (i > 7 ? " " : "") + t[i];
    rows.push_back(r);
  }
  return rows;
}

/// One row of `X.tshark-rtp-analyse.txt` (sharkd: expected, sequence errors, 6 decimals).
struct AnalyseRow {
  std::string id;
  long expected = 0;
  long seq_err = 0;
  double max_delta = 0, max_jitter = 0, mean_jitter = 0;
};

std::vector<AnalyseRow> read_analyse(const std::string& path) {
  std::ifstream in(path);
  std::vector<AnalyseRow> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#' || line.rfind("src", 0) == 0) continue;
    auto t = split_ws(line);
    if (t.size() < 12) continue;
    AnalyseRow r;
    r.id = t[0] + " -> " + t[1] + " " + t[2];
    std::size_t end = t.size();
    if (t[end - 1] == "X") --end;
    // ... pkts expect lost seq_err max_delta max_jitter mean_jitter max_skew duration
    r.mean_jitter = std::stod(t[end - 3]);
    r.max_jitter = std::stod(t[end - 4]);
    r.max_delta = std::stod(t[end - 5]);
    r.seq_err = std::stol(t[end - 6]);
    r.expected = std::stol(t[end - 8]);
    rows.push_back(r);
  }
  return rows;
}

class TsharkReference : public ::testing::TestWithParam<const char*> {};

TEST_P(TsharkReference, EveryStreamEqualsTsharksFigures) {
  const std::string name = GetParam();
  const auto m = meter_capture(kCaptures + name);
  EXPECT_EQ(m.error, "") << name;
  const auto rows = read_tshark_streams(kCaptures + name + ".tshark-rtp-streams.txt");
  const auto analysed = read_analyse(kCaptures + name + ".tshark-rtp-analyse.txt");
  ASSERT_FALSE(rows.empty()) << name << ": no reference rows";

  std::map<std::string, const RtpStream*> ours;
  for (const auto& s : m.streams) ours[stream_id(s)] = &s;
  EXPECT_EQ(m.streams.size(), rows.size()) << name << ": number of streams";
  for (const auto& s : m.streams) {
    bool known = false;
    for (const auto& r : rows) known = known || r.id == stream_id(s);
    EXPECT_TRUE(known) << name << ": stream " << stream_id(s) << " is not in tshark's output";
  }
  for (const auto& r : rows) {
    auto it = ours.find(r.id);
    if (it == ours.end()) {
      ADD_FAILURE() << name << ": stream " << r.id << " not found";
      continue;
    }
    const RtpStream& s = *it->second;
    const std::string at = name + " stream " + r.id + " field ";
    EXPECT_EQ(s.packets, r.pkts) << at << "packets";
    EXPECT_EQ(s.lost(), r.lost) << at << "lost";
    EXPECT_EQ(fmt3(s.max_delta), r.max_delta) << at << "max_delta";
    EXPECT_EQ(fmt3(s.max_jitter), r.max_jitter) << at << "max_jitter";
    EXPECT_EQ(fmt3(s.mean_jitter), r.mean_jitter) << at << "mean_jitter";
    EXPECT_EQ(fmt3(s.min_delta), r.min_delta) << at << "min_delta";
    EXPECT_EQ(fmt3(s.mean_delta), r.mean_delta) << at << "mean_delta";
    EXPECT_EQ(fmt3(s.min_jitter), r.min_jitter) << at << "min_jitter";
    EXPECT_EQ(s.problem, r.problem) << at << "problem";
    EXPECT_EQ(s.payload_names(), r.payload) << at << "payload";
  }
  ASSERT_EQ(analysed.size(), rows.size()) << name;
  for (const auto& a : analysed) {
    auto it = ours.find(a.id);
    if (it == ours.end()) {
      ADD_FAILURE() << name << ": stream " << a.id << " not found";
      continue;
    }
    const RtpStream& s = *it->second;
    const std::string at = name + " stream " + a.id + " field ";
    EXPECT_EQ(s.seq_errors, a.seq_err) << at << "seq_errors";
    EXPECT_EQ(s.expected(), a.expected) << at << "expected";
    // sharkd keeps 6 decimals.
    EXPECT_NEAR(s.max_jitter, a.max_jitter, 5e-7) << at << "max_jitter";
    EXPECT_NEAR(s.mean_jitter, a.mean_jitter, 5e-7) << at << "mean_jitter";
    EXPECT_NEAR(s.max_delta, a.max_delta, 5e-4) << at << "max_delta";
  }
}

INSTANTIATE_TEST_SUITE_P(BundledCaptures, TsharkReference, ::testing::ValuesIn(kAllCaptures),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

// tshark gives PT 104 no clock rate (no SDP); with Teams/Skype's 16 kHz the
// figures equal the independent re-implementation's in the README.
TEST(RtpMeter, TeamsAndSkypeAt16kHz) {
  RtpMeterOptions o;
  o.dynamic_clock_rates = {{104, 16000}, {118, 16000}};
  const auto teams = meter_capture(kCaptures + "ndpi_teams.pcap", o);
  ASSERT_EQ(teams.streams.size(), 1u);
  EXPECT_EQ(fmt3(teams.streams[0].mean_jitter), "2.161");
  EXPECT_EQ(fmt3(teams.streams[0].max_jitter), "3.537");
  EXPECT_EQ(teams.streams[0].clock_rate, 16000u);
  const auto skype = meter_capture(kCaptures + "ndpi_skype-conference-call.pcap", o);
  ASSERT_EQ(skype.streams.size(), 1u);
  EXPECT_EQ(fmt3(skype.streams[0].mean_jitter), "1.441");
  EXPECT_EQ(fmt3(skype.streams[0].max_jitter), "2.725");
}

TEST(RtpMeter, SdpGivesTelephoneEventItsName) {
  const auto m = meter_capture(kCaptures + "SIP_DTMF2.pcap");
  EXPECT_GT(m.meter.sip, 0u);
  EXPECT_GT(m.meter.sdp_media, 0u);
  bool seen = false;
  for (const auto& s : m.streams) seen = seen || s.payload_names() == "g711A, telephone-event";
  EXPECT_TRUE(seen);
}

TEST(RtpMeter, RtcpReportsGiveTheFarEndsView) {
  const auto m = meter_capture(kCaptures + "SIP_CALL_RTP_G711.pcap");
  EXPECT_GT(m.meter.rtcp, 0u);
  int with_reports = 0;
  for (const auto& s : m.streams) {
    if (s.rtcp.reports == 0) continue;
    ++with_reports;
    EXPECT_GE(s.rtcp.fraction_lost, 0.0);
    EXPECT_LE(s.rtcp.fraction_lost, 1.0);
    EXPECT_GE(s.rtcp.jitter_ms, 0.0) << stream_id(s);
  }
  EXPECT_GT(with_reports, 0);
}

// ---------------------------------------------------------------------------
// Hand-built frames.

void put16(std::vector<std::uint8_t>& b, std::size_t at, unsigned v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
void put32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v) {
  put16(b, at, v >> 16);
  put16(b, at + 2, v & 0xFFFF);
}

std::vector<std::uint8_t> rtp_payload(std::uint16_t seq, std::uint32_t ts, std::uint32_t ssrc, std::uint8_t pt = 0,
                                      std::size_t body = 160) {
  std::vector<std::uint8_t> p(12 + body, 0xD5);
  p[0] = 0x80;
  p[1] = pt;
  put16(p, 2, seq);
  put32(p, 4, ts);
  put32(p, 8, ssrc);
  return p;
}

/// IPv4 + UDP around a payload.
std::vector<std::uint8_t> ipv4_udp(const std::vector<std::uint8_t>& payload, std::uint32_t src, std::uint32_t dst,
                                   std::uint16_t sport, std::uint16_t dport, std::uint8_t proto = 17) {
  std::vector<std::uint8_t> b(28 + payload.size());
  b[0] = 0x45;
  put16(b, 2, static_cast<unsigned>(b.size()));
  b[8] = 64;
  b[9] = proto;
  put32(b, 12, src);
  put32(b, 16, dst);
  put16(b, 20, sport);
  put16(b, 22, dport);
  put16(b, 24, static_cast<unsigned>(8 + payload.size()));
  std::memcpy(b.data() + 28, payload.data(), payload.size());
  return b;
}

std::vector<std::uint8_t> ethernet(const std::vector<std::uint8_t>& ip, std::vector<std::uint16_t> tags = {},
                                   std::uint16_t type = 0x0800) {
  std::vector<std::uint8_t> b(12, 0);
  b[6] = 0x02;
  b[11] = 0x01;
  for (auto tpid : tags) {
    b.push_back(static_cast<std::uint8_t>(tpid >> 8));
    b.push_back(static_cast<std::uint8_t>(tpid));
    b.push_back(0x00);
    b.push_back(0x64);  // VLAN 100
  }
  b.push_back(static_cast<std::uint8_t>(type >> 8));
  b.push_back(static_cast<std::uint8_t>(type));
  b.insert(b.end(), ip.begin(), ip.end());
  return b;
}

/// A classic pcap file (microsecond timestamps) of (time us, caplen, frame).
struct Frame {
  std::int64_t ts_us;
  std::vector<std::uint8_t> bytes;
  std::uint32_t wire_len = 0;  // 0: bytes.size()
};

void write_pcap(const std::string& path, int dlt, const std::vector<Frame>& frames) {
  std::ofstream out(path, std::ios::binary);
  const std::uint32_t header[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, static_cast<std::uint32_t>(dlt)};
  out.write(reinterpret_cast<const char*>(header), sizeof header);
  for (const auto& f : frames) {
    const std::uint32_t rec[4] = {static_cast<std::uint32_t>(f.ts_us / 1000000),
                                  static_cast<std::uint32_t>(f.ts_us % 1000000),
                                  static_cast<std::uint32_t>(f.bytes.size()),
                                  f.wire_len ? f.wire_len : static_cast<std::uint32_t>(f.bytes.size())};
    out.write(reinterpret_cast<const char*>(rec), sizeof rec);
    out.write(reinterpret_cast<const char*>(f.bytes.data()), static_cast<std::streamsize>(f.bytes.size()));
  }
}

std::string temp_path(const std::string& name) { return ::testing::TempDir() + "callroot_rtp_" + name; }

constexpr std::uint32_t kA = 0x0A000001, kB = 0x0A000002;

TEST(PcapReader, DecodesVlanQinQSllSll2RawAndIpv6) {
  const auto ip = ipv4_udp(rtp_payload(1, 160, 7), kA, kB, 4000, 5004);
  UdpPacket out;
  PacketIssue issue{};
  const auto check = [&](int dlt, const std::vector<std::uint8_t>& frame) {
    ASSERT_EQ(decode_udp(dlt, frame.data(), static_cast<std::uint32_t>(frame.size()),
                         static_cast<std::uint32_t>(frame.size()), out, issue),
              DecodeStatus::kUdp)
        << "dlt " << dlt << " issue " << code(issue);
    EXPECT_EQ(out.src.str(), "10.0.0.1:4000");
    EXPECT_EQ(out.dst.str(), "10.0.0.2:5004");
    EXPECT_EQ(out.payload_len, 172u);
  };
  check(kDltEthernet, ethernet(ip));
  check(kDltEthernet, ethernet(ip, {0x8100}));
  check(kDltEthernet, ethernet(ip, {0x88A8, 0x8100}));
  check(kDltRaw, ip);
  check(kDltIpv4, ip);
  std::vector<std::uint8_t> sll(16, 0);
  put16(sll, 14, 0x0800);
  sll.insert(sll.end(), ip.begin(), ip.end());
  check(kDltSll, sll);
  std::vector<std::uint8_t> sll2(20, 0);
  put16(sll2, 0, 0x0800);
  sll2.insert(sll2.end(), ip.begin(), ip.end());
  check(kDltSll2, sll2);

  // IPv6 with a destination-options header before UDP.
  const auto payload = rtp_payload(1, 160, 7);
  std::vector<std::uint8_t> v6(40 + 8 + 8 + payload.size(), 0);
  v6[0] = 0x60;
  put16(v6, 4, static_cast<unsigned>(16 + payload.size()));
  v6[6] = 60;
  v6[7] = 64;
  v6[8] = 0x20;
  v6[9] = 0x01;
  v6[23] = 1;
  v6[24] = 0x20;
  v6[25] = 0x01;
  v6[39] = 2;
  v6[40] = 17;  // next: UDP, length 0 (8 bytes)
  put16(v6, 48, 4000);
  put16(v6, 50, 5004);
  put16(v6, 52, static_cast<unsigned>(8 + payload.size()));
  std::memcpy(v6.data() + 56, payload.data(), payload.size());
  const auto eth6 = ethernet(v6, {}, 0x86DD);
  ASSERT_EQ(decode_udp(kDltEthernet, eth6.data(), static_cast<std::uint32_t>(eth6.size()),
                       static_cast<std::uint32_t>(eth6.size()), out, issue),
            DecodeStatus::kUdp)
      << code(issue);
  EXPECT_TRUE(out.v6);
  EXPECT_EQ(out.dst.str(), "[2001::2]:5004");
}

TEST(PcapReader, CountsWhatIsNotUdp) {
  UdpPacket out;
  PacketIssue issue{};
  auto tcp = ethernet(ipv4_udp({1, 2, 3}, kA, kB, 1, 2, 6));
  EXPECT_EQ(decode_udp(kDltEthernet, tcp.data(), static_cast<std::uint32_t>(tcp.size()),
                       static_cast<std::uint32_t>(tcp.size()), out, issue),
            DecodeStatus::kIssue);
  EXPECT_EQ(issue, PacketIssue::kNotUdp);
  auto arp = ethernet(std::vector<std::uint8_t>(28, 0), {}, 0x0806);
  EXPECT_EQ(decode_udp(kDltEthernet, arp.data(), static_cast<std::uint32_t>(arp.size()),
                       static_cast<std::uint32_t>(arp.size()), out, issue),
            DecodeStatus::kIssue);
  EXPECT_EQ(issue, PacketIssue::kNotIp);
  auto frag = ipv4_udp(rtp_payload(1, 1, 1), kA, kB, 4000, 5004);
  put16(frag, 6, 0x2000);  // more fragments
  EXPECT_EQ(decode_udp(kDltRaw, frag.data(), static_cast<std::uint32_t>(frag.size()),
                       static_cast<std::uint32_t>(frag.size()), out, issue),
            DecodeStatus::kIssue);
  EXPECT_EQ(issue, PacketIssue::kIpFragment);
  auto bad_len = ipv4_udp(rtp_payload(1, 1, 1), kA, kB, 4000, 5004);
  put16(bad_len, 24, 4000);  // UDP length past the datagram
  EXPECT_EQ(decode_udp(kDltRaw, bad_len.data(), static_cast<std::uint32_t>(bad_len.size()),
                       static_cast<std::uint32_t>(bad_len.size()), out, issue),
            DecodeStatus::kIssue);
  EXPECT_EQ(issue, PacketIssue::kBadUdp);
  EXPECT_EQ(decode_udp(999, tcp.data(), 10, 10, out, issue), DecodeStatus::kIssue);
  EXPECT_EQ(issue, PacketIssue::kUnsupportedLink);
  EXPECT_EQ(decode_udp(kDltEthernet, nullptr, 0, 0, out, issue), DecodeStatus::kIssue);
}

TEST(PcapReader, SnaplenCutPacketsAreCountedAndStillMetered) {
  std::vector<Frame> frames;
  for (std::uint16_t i = 0; i < 50; ++i) {
    auto f = ethernet(ipv4_udp(rtp_payload(i, i * 160u, 42), kA, kB, 4000, 5004));
    const auto wire = static_cast<std::uint32_t>(f.size());
    f.resize(14 + 28 + 12 + 4);  // snaplen: the RTP header and a little
    frames.push_back({1'000'000 + i * 20'000, f, wire});
  }
  auto cut_ip = ethernet(ipv4_udp(rtp_payload(99, 0, 42), kA, kB, 4000, 5004));
  const auto wire = static_cast<std::uint32_t>(cut_ip.size());
  cut_ip.resize(14 + 10);  // cut inside the IP header
  frames.push_back({2'100'000, cut_ip, wire});
  const auto path = temp_path("snaplen.pcap");
  write_pcap(path, kDltEthernet, frames);
  const auto m = meter_capture(path);
  EXPECT_EQ(m.packets.frames, 51u);
  EXPECT_EQ(m.packets.count(PacketIssue::kTruncated), 51u);
  ASSERT_EQ(m.streams.size(), 1u);
  EXPECT_EQ(m.streams[0].packets, 50u);
  EXPECT_EQ(m.streams[0].lost(), 0);
  std::remove(path.c_str());
}

TEST(PcapReader, FileCutInTheMiddleOfAPacketKeepsWhatCameBefore) {
  const std::string src = kCaptures + "rtpproxy_lost.a.pcap";
  std::ifstream in(src, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto path = temp_path("cut.pcap");
  {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  }
  CaptureMetering m;
  ASSERT_NO_THROW(m = meter_capture(path));
  EXPECT_NE(m.error, "");
  ASSERT_EQ(m.streams.size(), 1u);
  EXPECT_GT(m.streams[0].packets, 50u);
  EXPECT_LT(m.streams[0].packets, 244u);
  // A file cut inside its header cannot be opened: a setup failure, which throws.
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), 10);
  }
  EXPECT_THROW(meter_capture(path), std::runtime_error);
  EXPECT_THROW(meter_capture(temp_path("does-not-exist.pcap")), std::runtime_error);
  std::remove(path.c_str());
}

TEST(PcapReader, PcapngWithTwoInterfaces) {
  // SHB, two Ethernet IDBs, then EPBs alternating between the interfaces.
  std::vector<std::uint8_t> f;
  auto u32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) f.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  auto u16 = [&](std::uint16_t v) {
    f.push_back(static_cast<std::uint8_t>(v));
    f.push_back(static_cast<std::uint8_t>(v >> 8));
  };
  u32(0x0A0D0D0A), u32(28), u32(0x1A2B3C4D), u16(1), u16(0), u32(0xFFFFFFFF), u32(0xFFFFFFFF), u32(28);
  for (int i = 0; i < 2; ++i) u32(1), u32(20), u16(1), u16(0), u32(65535), u32(20);
  for (std::uint16_t i = 0; i < 20; ++i) {
    const auto frame = ethernet(ipv4_udp(rtp_payload(i, i * 160u, 5), kA, kB, 4000, 5004));
    const auto padded = (frame.size() + 3) / 4 * 4;
    const auto total = static_cast<std::uint32_t>(32 + padded);
    const std::uint64_t ts = 1'700'000'000'000'000ULL + i * 20'000ULL;
    u32(6), u32(total), u32(i % 2), u32(static_cast<std::uint32_t>(ts >> 32)),
        u32(static_cast<std::uint32_t>(ts)), u32(static_cast<std::uint32_t>(frame.size())),
        u32(static_cast<std::uint32_t>(frame.size()));
    f.insert(f.end(), frame.begin(), frame.end());
    f.resize(f.size() + (padded - frame.size()), 0);
    u32(total);
  }
  const auto path = temp_path("two.pcapng");
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(f.data()), static_cast<std::streamsize>(f.size()));
  }
  const auto m = meter_capture(path);
  EXPECT_EQ(m.error, "");
  ASSERT_EQ(m.streams.size(), 1u);
  EXPECT_EQ(m.streams[0].packets, 20u);
  EXPECT_EQ(fmt3(m.streams[0].max_jitter), "0.000");
  std::remove(path.c_str());
}

TEST(RtpMeter, GarbageNeverCrashes) {
  std::mt19937 rng(12345);
  RtpMeterOptions o;
  o.unwrap_channel_data = true;
  o.idle_timeout_ns = 2'000'000'000;
  RtpMeter meter(o);
  std::vector<std::uint8_t> buf(1600);
  UdpPacket pkt;
  std::uint64_t decoded = 0;
  for (int i = 0; i < 200000; ++i) {
    const std::size_t n = rng() % buf.size();
    for (std::size_t j = 0; j < n; ++j) buf[j] = static_cast<std::uint8_t>(rng());
    // Bias some towards plausible RTP/RTCP/SIP/ChannelData starts.
    if (n > 2) {
      switch (rng() % 6) {
        case 0: buf[0] = 0x80; break;
        case 1: buf[0] = 0x81, buf[1] = static_cast<std::uint8_t>(200 + rng() % 5); break;
        case 2: std::memcpy(buf.data(), "INVITE ", std::min<std::size_t>(n, 7)); break;
        case 3: buf[0] = 0x40; break;
        default: break;
      }
    }
    // As a whole frame...
    PacketIssue issue{};
    const int dlts[] = {kDltEthernet, kDltRaw, kDltSll, kDltSll2, kDltNull};
    if (decode_udp(dlts[i % 5], buf.data(), static_cast<std::uint32_t>(n), static_cast<std::uint32_t>(n + rng() % 3),
                   pkt, issue) == DecodeStatus::kUdp) {
      ++decoded;
      pkt.ts_ns = i * 1'000'000LL;
      meter.on_packet(pkt);
    }
    // ... and as a UDP payload.
    pkt = UdpPacket{};
    pkt.ts_ns = i * 1'000'000LL;
    pkt.src.ip.bytes[15] = static_cast<std::uint8_t>(rng() % 4);
    pkt.dst.ip.bytes[15] = static_cast<std::uint8_t>(rng() % 4);
    pkt.src.port = static_cast<std::uint16_t>(rng() % 8);
    pkt.dst.port = static_cast<std::uint16_t>(rng() % 8);
    pkt.payload = buf.data();
    pkt.payload_len = pkt.udp_len = static_cast<std::uint32_t>(n);
    meter.on_packet(pkt);
  }
  meter.finish();
  EXPECT_GT(meter.counters().udp, 200000u);
  (void)decoded;
}

TEST(RtpMeter, IdleStreamsAreClosedSoMemoryStaysBounded) {
  RtpMeterOptions o;
  o.idle_timeout_ns = 10'000'000'000;  // 10 s
  std::size_t closed = 0;
  RtpMeter meter(o, [&](const RtpStream&) { ++closed; });
  std::size_t max_open = 0;
  // 2000 streams of 1 s each, one starting every 100 ms.
  UdpPacket pkt;
  pkt.src.ip.bytes[10] = pkt.src.ip.bytes[11] = pkt.dst.ip.bytes[10] = pkt.dst.ip.bytes[11] = 0xff;
  for (int tick = 0; tick < 2000 * 5 + 50; ++tick) {
    for (int s = std::max(0, tick / 5 - 10); s <= tick / 5 && s < 2000; ++s) {
      const int k = tick - s * 5;
      if (k >= 50) continue;
      auto payload = rtp_payload(static_cast<std::uint16_t>(k), static_cast<std::uint32_t>(k * 160),
                                 static_cast<std::uint32_t>(s));
      pkt.src.port = static_cast<std::uint16_t>(10000 + s * 2);
      pkt.dst.port = 20000;
      pkt.ts_ns = tick * 20'000'000LL;
      pkt.payload = payload.data();
      pkt.payload_len = pkt.udp_len = static_cast<std::uint32_t>(payload.size());
      meter.on_packet(pkt);
    }
    max_open = std::max(max_open, meter.open_streams().size());
  }
  meter.finish();
  EXPECT_EQ(closed, 2000u);
  EXPECT_LT(max_open, 200u);
  EXPECT_GT(meter.counters().streams_closed_idle, 1500u);
}

TEST(RtpMeter, SdpRateGivesDynamicPayloadJitterAndRtcpGivesRoundTrip) {
  // A SIP INVITE announcing 10.0.0.2:30001 (odd: the heuristic alone would not
  // take it) with opus/48000 as PT 111.
  const std::string invite =
      "INVITE sip:b@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1\r\nContent-Type: application/sdp\r\n\r\n"
      "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\n"
      "m=audio 30001 RTP/AVP 111 101\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\n";
  std::vector<RtpStream> out;
  RtpMeter meter({}, [&](const RtpStream& s) { out.push_back(s); });
  UdpPacket pkt;
  auto v4 = [](std::uint32_t a) {
    IpAddr ip;
    ip.bytes[10] = ip.bytes[11] = 0xff;
    ip.bytes[12] = static_cast<std::uint8_t>(a >> 24);
    ip.bytes[13] = static_cast<std::uint8_t>(a >> 16);
    ip.bytes[14] = static_cast<std::uint8_t>(a >> 8);
    ip.bytes[15] = static_cast<std::uint8_t>(a);
    return ip;
  };
  pkt.src = {v4(kA), 5060};
  pkt.dst = {v4(kB), 5060};
  pkt.ts_ns = 0;
  pkt.payload = reinterpret_cast<const std::uint8_t*>(invite.data());
  pkt.payload_len = pkt.udp_len = static_cast<std::uint32_t>(invite.size());
  meter.on_packet(pkt);
  EXPECT_EQ(meter.counters().sdp_media, 1u);

  pkt.src = {v4(kA), 40000};
  pkt.dst = {v4(kB), 30001};
  for (int i = 0; i < 100; ++i) {
    // 20 ms frames, every other one 1 ms late.
    auto p = rtp_payload(static_cast<std::uint16_t>(i), static_cast<std::uint32_t>(i * 960), 0xABCD, 111, 60);
    pkt.ts_ns = 1'000'000'000LL + i * 20'000'000LL + (i % 2) * 1'000'000LL;
    pkt.payload = p.data();
    pkt.payload_len = pkt.udp_len = static_cast<std::uint32_t>(p.size());
    meter.on_packet(pkt);
  }
  // 10.0.0.1 sends an SR for its stream; 10.0.0.2 answers with an RR 50 ms
  // later that holds the SR's LSR and a DLSR of about 10 ms.
  std::vector<std::uint8_t> sr(28, 0);
  sr[0] = 0x80, sr[1] = 200;
  put16(sr, 2, 6);
  put32(sr, 4, 0xABCD);
  put32(sr, 8, 0x00001234), put32(sr, 12, 0x56780000);  // NTP: LSR = 0x12345678
  pkt.src = {v4(kA), 40001};
  pkt.dst = {v4(kB), 30002};
  pkt.ts_ns = 3'000'000'000LL;
  pkt.payload = sr.data();
  pkt.payload_len = pkt.udp_len = static_cast<std::uint32_t>(sr.size());
  meter.on_packet(pkt);
  std::vector<std::uint8_t> rr(32, 0);
  rr[0] = 0x81, rr[1] = 201;
  put16(rr, 2, 7);
  put32(rr, 4, 0x9999);
  put32(rr, 8, 0xABCD);
  put32(rr, 12, 0x40000003);   // fraction lost 64/256, 3 cumulative
  put32(rr, 20, 480);          // jitter: 480 units = 10 ms at 48 kHz
  put32(rr, 24, 0x12345678);   // LSR
  put32(rr, 28, 655);          // DLSR: 655/65536 s = 9.995 ms
  pkt.src = {v4(kB), 30002};
  pkt.dst = {v4(kA), 40001};
  pkt.ts_ns = 3'050'000'000LL;
  pkt.payload = rr.data();
  pkt.payload_len = pkt.udp_len = static_cast<std::uint32_t>(rr.size());
  meter.on_packet(pkt);

  meter.finish();
  ASSERT_EQ(out.size(), 1u);
  const RtpStream& st = out[0];
  EXPECT_EQ(st.packets, 100u);
  EXPECT_EQ(st.clock_rate, 48000u);  // from the SDP: tshark uses the rtpmap rate
  EXPECT_EQ(st.payload_names(), "opus");
  EXPECT_GT(st.max_jitter, 0.4);
  EXPECT_EQ(st.rtcp.reports, 1u);
  EXPECT_EQ(st.rtcp.sender_reports, 1u);
  EXPECT_DOUBLE_EQ(st.rtcp.fraction_lost, 0.25);
  EXPECT_EQ(st.rtcp.cumulative_lost, 3);
  EXPECT_DOUBLE_EQ(st.rtcp.jitter_ms, 10.0);
  EXPECT_NEAR(st.rtcp.rtt_ms, 50.0 - 655 * 1000.0 / 65536, 1e-6);
}

}  // namespace
}  // namespace callroot::ingest
