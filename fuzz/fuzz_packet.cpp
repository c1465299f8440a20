// libFuzzer target: the packet path. The first byte picks the link type and
// whether the rest is a whole captured frame (decode_udp, then the meter) or a
// bare UDP payload (the meter alone: RTP, RTCP, SIP/SDP, STUN, ChannelData).
// Neither may crash, read outside the buffer or throw; a decoded datagram
// must lie inside the frame, and the meter's figures must stay finite.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_common.h"
#include "ingest/pcap_reader.h"
#include "ingest/rtp_meter.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace callroot::ingest;
  if (size == 0) return 0;
  static std::int64_t now = 0;
  static RtpMeter meter = [] {
    RtpMeterOptions o;
    o.unwrap_channel_data = true;
    o.idle_timeout_ns = 1'000'000'000;  // streams expire, memory stays bounded
    o.max_streams = 4096;
    return RtpMeter(o, [](const RtpStream& s) {
      callroot::fuzz::check(s.packets >= 1 && s.total_nr <= s.packets);
      callroot::fuzz::check(std::isfinite(s.max_jitter) && s.max_jitter >= 0);
      callroot::fuzz::check(std::isfinite(s.mean_jitter) && std::isfinite(s.max_delta));
    });
  }();
  constexpr int kDlts[] = {kDltEthernet, kDltRaw, kDltSll, kDltSll2, kDltNull, kDltIpv6};
  const std::uint8_t mode = data[0];
  const std::uint8_t* rest = data + 1;
  const auto n = static_cast<std::uint32_t>(size - 1);
  now += 20'000'000;
  UdpPacket pkt;
  pkt.ts_ns = now;
  if ((mode & 0x80) != 0) {
    pkt.payload = rest;
    pkt.payload_len = pkt.udp_len = n;
    pkt.src.port = static_cast<std::uint16_t>(4000 + (mode & 3));
    pkt.dst.port = static_cast<std::uint16_t>(5004 + ((mode >> 2) & 3));
    meter.on_packet(pkt);
  } else {
    PacketIssue issue{};
    const int dlt = kDlts[mode % 6];
    if (decode_udp(dlt, rest, n, n + (mode >> 4), pkt, issue) == DecodeStatus::kUdp) {
      callroot::fuzz::check(pkt.payload >= rest && pkt.payload + pkt.payload_len <= rest + n);
      callroot::fuzz::check(pkt.payload_len <= pkt.udp_len);
      pkt.ts_ns = now;
      meter.on_packet(pkt);
    }
  }
  if ((now / 20'000'000) % 100000 == 0) meter.finish();
  return 0;
}
