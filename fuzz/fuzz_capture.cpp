// libFuzzer target: the capture path above the frame decoder. The input is a
// sequence of packets, each [length: 2 bytes][mode][bytes]: a whole Ethernet
// frame (decode_packet, IPv4 reassembly), or a TCP segment to a ZeroMQ port
// built around the bytes (sequence number and flags from them), or a UDP
// datagram to the JSON port or to an RTP port. Nothing may crash, throw or
// grow without bound; every record handed out must be well formed.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "fuzz/fuzz_common.h"
#include "ingest/capture_source.h"
#include "ingest/ip_reassembly.h"
#include "ingest/pcap_reader.h"

namespace {

using namespace callroot::ingest;

CaptureOptions options() {
  CaptureOptions o;
  o.udp_ports = {9999};
  o.max_connections = 8;
  o.tcp.max_buffered_bytes = 1 << 16;
  o.tcp.max_buffered_segments = 64;
  o.zmtp.max_message_bytes = 1 << 16;
  o.segmenter.max_streams = 64;
  o.segmenter.slice_ns = 2'000'000'000;
  o.segmenter.idle_timeout_ns = 1'000'000'000;
  return o;
}

Endpoint ep(std::uint8_t last, std::uint16_t port) {
  Endpoint e;
  e.ip.bytes[10] = e.ip.bytes[11] = 0xff;
  e.ip.bytes[12] = 10;
  e.ip.bytes[15] = last;
  e.port = port;
  return e;
}

void drain(CaptureDecoder& d) {
  CaptureRecord r;
  while (d.next(r)) {
    callroot::fuzz::check(r.body.size() <= (1u << 16) + 70000);
    callroot::fuzz::check(!r.where.source.empty());
    if (r.rejected) callroot::fuzz::check(!r.detail.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::int64_t now = 1'700'000'000'000'000'000;
  static CaptureDecoder decoder("fuzz", options());
  static Ipv4Reassembler fragments;
  static std::uint64_t inputs = 0;
  std::size_t at = 0;
  while (at + 3 <= size) {
    const std::size_t len = std::min<std::size_t>((std::size_t{data[at]} << 8 | data[at + 1]), size - at - 3);
    const std::uint8_t mode = data[at + 2];
    const std::uint8_t* p = data + at + 3;
    at += 3 + len;
    now += (mode & 0x30) == 0x30 ? 1'500'000'000 : 20'000'000;
    Packet pkt;
    pkt.ts_ns = now;
    pkt.frame = ++inputs;
    switch (mode & 3) {
      case 0: {  // a whole frame
        PacketIssue issue{};
        DecodeStatus st = decode_packet(kDltEthernet, p, static_cast<std::uint32_t>(len),
                                        static_cast<std::uint32_t>(len + (mode >> 6)), pkt, issue);
        if (st == DecodeStatus::kFragment) {
          if (!fragments.add(pkt.fragment, now)) break;
          const auto& d = fragments.datagram();
          st = decode_packet(kDltIpv4, d.data(), static_cast<std::uint32_t>(d.size()),
                             static_cast<std::uint32_t>(d.size()), pkt, issue);
        }
        if (st == DecodeStatus::kUdp || st == DecodeStatus::kTcp) {
          pkt.ts_ns = now;
          decoder.on_packet(pkt);
        }
        break;
      }
      case 1: {  // a TCP segment to a ZeroMQ port: seq, flags, then data
        if (len < 5) break;
        pkt.transport = Transport::kTcp;
        pkt.src = ep(1 + (mode >> 4 & 3), 40000);
        pkt.dst = ep(9, (mode & 4) ? 7710 : 7711);
        std::memcpy(&pkt.tcp_seq, p, 4);
        pkt.tcp_seq %= 1u << 20;  // near each other, so segments overlap and fill holes
        pkt.tcp_flags = p[4];
        pkt.payload = p + 5;
        pkt.payload_len = pkt.udp_len = static_cast<std::uint32_t>(len - 5);
        if (mode & 8) pkt.udp_len += 3;  // cut by a snaplen
        decoder.on_packet(pkt);
        break;
      }
      default: {  // UDP: JSON or RTP
        pkt.transport = Transport::kUdp;
        pkt.src = ep(1 + (mode >> 4 & 3), 5000);
        pkt.dst = ep(9, (mode & 3) == 2 ? 9999 : static_cast<std::uint16_t>(6000 + 2 * (mode >> 2 & 3)));
        pkt.payload = p;
        pkt.payload_len = pkt.udp_len = static_cast<std::uint32_t>(len);
        decoder.on_packet(pkt);
        break;
      }
    }
    drain(decoder);
  }
  callroot::fuzz::check(decoder.open_connections() <= 8);
  if (inputs % 50000 == 0) {
    decoder.finish();
    drain(decoder);
  }
  return 0;
}
