#pragma once
/// Writes captures: classic pcap files with nanosecond timestamps, the
/// Ethernet/IPv4/IPv6 frames of UDP datagrams (fragmented or not) and TCP
/// connections, and ZMTP 3.1 as a PUSH or PUB peer speaks it. This is the
/// generator of the tests and benchmarks: a capture of callroot's ZeroMQ
/// ingest, made deterministically, replays to the records it carries.

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/pcap_reader.h"

namespace callroot::ingest {

/// A classic pcap file (magic a1b23c4d: nanoseconds).
class PcapWriter {
 public:
  /// Creates `path`; throws std::runtime_error when it cannot.
  explicit PcapWriter(const std::string& path, int dlt = kDltEthernet, std::uint32_t snaplen = 262144);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  /// One frame; only the first `snaplen` bytes are stored (`wire_len` keeps the whole length).
  void write(std::int64_t ts_ns, const std::uint8_t* frame, std::size_t len);
  void write(std::int64_t ts_ns, const std::vector<std::uint8_t>& frame) { write(ts_ns, frame.data(), frame.size()); }
  /// Flushes and closes; throws std::runtime_error on a write error.
  void close();
  [[nodiscard]] std::uint64_t frames() const noexcept { return frames_; }

 private:
  std::FILE* f_ = nullptr;
  std::string path_;
  std::uint32_t snaplen_;
  std::uint64_t frames_ = 0;
};

/// Frames of one link (Ethernet II, fixed MACs), built into a reused buffer.
struct FrameBuilder {
  std::uint64_t src_mac = 0x020000000001, dst_mac = 0x020000000002;
  /// Ethernet + IPv4 or IPv6 (by the addresses) + UDP + payload.
  void udp(std::vector<std::uint8_t>& out, const Endpoint& src, const Endpoint& dst, const std::uint8_t* payload,
           std::size_t len, std::uint16_t ip_id = 0) const;
  /// Ethernet + IPv4/IPv6 + TCP (20-byte header) + payload.
  void tcp(std::vector<std::uint8_t>& out, const Endpoint& src, const Endpoint& dst, std::uint32_t seq,
           std::uint32_t ack, std::uint8_t flags, const std::uint8_t* payload, std::size_t len) const;
  /// The IPv4 fragments of one UDP datagram, each at most `mtu` bytes of IP.
  std::vector<std::vector<std::uint8_t>> udp_fragments(const Endpoint& src, const Endpoint& dst,
                                                       const std::uint8_t* payload, std::size_t len, std::size_t mtu,
                                                       std::uint16_t ip_id) const;
};

/// The client side of one TCP connection into a capture: handshake, data in
/// segments of at most `mss` bytes (the server's ACKs too), FIN.
class TcpConnectionWriter {
 public:
  TcpConnectionWriter(PcapWriter& out, Endpoint client, Endpoint server, std::uint32_t isn = 1000,
                      std::uint32_t mss = 1460);
  void open(std::int64_t ts_ns);
  /// Client to server. Every segment is written at `ts_ns` (+1 ns apiece, so times increase).
  void send(std::int64_t ts_ns, std::string_view data);
  /// Server to client (e.g. the server's greeting).
  void reply(std::int64_t ts_ns, std::string_view data);
  void close(std::int64_t ts_ns);
  [[nodiscard]] std::uint32_t client_seq() const noexcept { return cseq_; }

 private:
  PcapWriter& out_;
  FrameBuilder frames_;
  Endpoint client_, server_;
  std::uint32_t cseq_, sseq_ = 500000;
  std::uint32_t mss_;
  std::vector<std::uint8_t> buf_;
};

/// ZMTP 3.1 pieces (RFC 37/ZMTP).
/// The 64-byte greeting: signature, version 3.1, mechanism, as-server.
void zmtp_greeting(std::string& out, std::string_view mechanism = "NULL", bool as_server = false);
/// A READY command with its Socket-Type property.
void zmtp_ready(std::string& out, std::string_view socket_type);
/// One frame: a short or long size as the body needs.
void zmtp_frame(std::string& out, std::string_view body, bool more, bool command = false);
/// A callroot record: [type, JSON].
void zmtp_message(std::string& out, std::string_view type, std::string_view json);

/// An IPv4 or IPv6 endpoint from text ("127.0.0.1", port).
Endpoint endpoint(std::string_view ip, std::uint16_t port);

}  // namespace callroot::ingest
