#include "testing/capture_writer.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace callroot::ingest {

namespace {

void put16(std::uint8_t* p, unsigned v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v & 0xFFFF);
}

std::uint16_t ip_checksum(const std::uint8_t* p, std::size_t len) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < len; i += 2) sum += (static_cast<std::uint32_t>(p[i]) << 8) | p[i + 1];
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

/// Ethernet header then an IP header for `l4_len` bytes of protocol `proto`; returns the L4 offset.
std::size_t link_and_ip(std::vector<std::uint8_t>& out, const FrameBuilder& fb, const Endpoint& src,
                        const Endpoint& dst, std::uint8_t proto, std::size_t l4_len, std::uint16_t ip_id,
                        std::uint16_t frag = 0) {
  const bool v4 = src.ip.is_v4();
  const std::size_t ip_len = v4 ? 20 : 40;
  out.assign(14 + ip_len + l4_len, 0);
  std::uint8_t* e = out.data();
  for (int i = 0; i < 6; ++i) {
    e[i] = static_cast<std::uint8_t>(fb.dst_mac >> (8 * (5 - i)));
    e[6 + i] = static_cast<std::uint8_t>(fb.src_mac >> (8 * (5 - i)));
  }
  put16(e + 12, v4 ? 0x0800 : 0x86DD);
  std::uint8_t* ip = e + 14;
  if (v4) {
    ip[0] = 0x45;
    put16(ip + 2, static_cast<unsigned>(20 + l4_len));
    put16(ip + 4, ip_id);
    put16(ip + 6, frag);
    ip[8] = 64;
    ip[9] = proto;
    std::memcpy(ip + 12, src.ip.bytes.data() + 12, 4);
    std::memcpy(ip + 16, dst.ip.bytes.data() + 12, 4);
    put16(ip + 10, ip_checksum(ip, 20));
  } else {
    ip[0] = 0x60;
    put16(ip + 4, static_cast<unsigned>(l4_len));
    ip[6] = proto;
    ip[7] = 64;
    std::memcpy(ip + 8, src.ip.bytes.data(), 16);
    std::memcpy(ip + 24, dst.ip.bytes.data(), 16);
  }
  return 14 + ip_len;
}

}  // namespace

PcapWriter::PcapWriter(const std::string& path, int dlt, std::uint32_t snaplen) : path_(path), snaplen_(snaplen) {
  f_ = std::fopen(path.c_str(), "wb");
  if (f_ == nullptr) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
  const std::uint32_t header[6] = {0xa1b23c4d, 0x00040002, 0, 0, snaplen, static_cast<std::uint32_t>(dlt)};
  std::fwrite(header, sizeof header, 1, f_);
}

PcapWriter::~PcapWriter() {
  if (f_ != nullptr) std::fclose(f_);
}

void PcapWriter::write(std::int64_t ts_ns, const std::uint8_t* frame, std::size_t len) {
  const auto caplen = static_cast<std::uint32_t>(len < snaplen_ ? len : snaplen_);
  const std::uint32_t rec[4] = {static_cast<std::uint32_t>(ts_ns / 1'000'000'000),
                                static_cast<std::uint32_t>(ts_ns % 1'000'000'000), caplen,
                                static_cast<std::uint32_t>(len)};
  std::fwrite(rec, sizeof rec, 1, f_);
  std::fwrite(frame, 1, caplen, f_);
  ++frames_;
}

void PcapWriter::close() {
  if (f_ == nullptr) return;
  const bool bad = std::ferror(f_) != 0;
  const int rc = std::fclose(f_);
  f_ = nullptr;
  if (bad || rc != 0) throw std::runtime_error("cannot write " + path_ + ": " + std::strerror(errno));
}

void FrameBuilder::udp(std::vector<std::uint8_t>& out, const Endpoint& src, const Endpoint& dst,
                       const std::uint8_t* payload, std::size_t len, std::uint16_t ip_id) const {
  const std::size_t at = link_and_ip(out, *this, src, dst, 17, 8 + len, ip_id);
  std::uint8_t* u = out.data() + at;
  put16(u, src.port);
  put16(u + 2, dst.port);
  put16(u + 4, static_cast<unsigned>(8 + len));
  if (len > 0) std::memcpy(u + 8, payload, len);
}

void FrameBuilder::tcp(std::vector<std::uint8_t>& out, const Endpoint& src, const Endpoint& dst, std::uint32_t seq,
                       std::uint32_t ack, std::uint8_t flags, const std::uint8_t* payload, std::size_t len) const {
  const std::size_t at = link_and_ip(out, *this, src, dst, 6, 20 + len, 0);
  std::uint8_t* t = out.data() + at;
  put16(t, src.port);
  put16(t + 2, dst.port);
  put32(t + 4, seq);
  put32(t + 8, ack);
  t[12] = 5 << 4;
  t[13] = flags;
  put16(t + 14, 65535);
  if (len > 0) std::memcpy(t + 20, payload, len);
}

std::vector<std::vector<std::uint8_t>> FrameBuilder::udp_fragments(const Endpoint& src, const Endpoint& dst,
                                                                   const std::uint8_t* payload, std::size_t len,
                                                                   std::size_t mtu, std::uint16_t ip_id) const {
  // The UDP datagram, then cut into pieces of a multiple of 8 bytes.
  std::vector<std::uint8_t> datagram(8 + len);
  put16(datagram.data(), src.port);
  put16(datagram.data() + 2, dst.port);
  put16(datagram.data() + 4, static_cast<unsigned>(8 + len));
  if (len > 0) std::memcpy(datagram.data() + 8, payload, len);
  const std::size_t piece = (mtu - 20) / 8 * 8;
  std::vector<std::vector<std::uint8_t>> out;
  for (std::size_t off = 0; off < datagram.size(); off += piece) {
    const std::size_t n = std::min(piece, datagram.size() - off);
    const bool more = off + n < datagram.size();
    std::vector<std::uint8_t> f;
    const std::size_t at =
        link_and_ip(f, *this, src, dst, 17, n, ip_id, static_cast<std::uint16_t>((more ? 0x2000 : 0) | (off / 8)));
    std::memcpy(f.data() + at, datagram.data() + off, n);
    out.push_back(std::move(f));
  }
  return out;
}

TcpConnectionWriter::TcpConnectionWriter(PcapWriter& out, Endpoint client, Endpoint server, std::uint32_t isn,
                                         std::uint32_t mss)
    : out_(out), client_(client), server_(server), cseq_(isn), mss_(mss) {
  frames_.src_mac = 0x020000000001;
  frames_.dst_mac = 0x020000000002;
}

void TcpConnectionWriter::open(std::int64_t ts_ns) {
  FrameBuilder back{frames_.dst_mac, frames_.src_mac};
  frames_.tcp(buf_, client_, server_, cseq_, 0, kTcpSyn, nullptr, 0);
  out_.write(ts_ns, buf_);
  ++cseq_;
  back.tcp(buf_, server_, client_, sseq_, cseq_, kTcpSyn | kTcpAck, nullptr, 0);
  out_.write(ts_ns + 1, buf_);
  ++sseq_;
  frames_.tcp(buf_, client_, server_, cseq_, sseq_, kTcpAck, nullptr, 0);
  out_.write(ts_ns + 2, buf_);
}

void TcpConnectionWriter::send(std::int64_t ts_ns, std::string_view data) {
  FrameBuilder back{frames_.dst_mac, frames_.src_mac};
  for (std::size_t off = 0; off < data.size(); off += mss_) {
    const std::size_t n = std::min<std::size_t>(mss_, data.size() - off);
    frames_.tcp(buf_, client_, server_, cseq_, sseq_, kTcpAck | 0x08,
                reinterpret_cast<const std::uint8_t*>(data.data() + off), n);
    out_.write(ts_ns, buf_);
    cseq_ += static_cast<std::uint32_t>(n);
    back.tcp(buf_, server_, client_, sseq_, cseq_, kTcpAck, nullptr, 0);
    out_.write(ts_ns, buf_);
  }
}

void TcpConnectionWriter::reply(std::int64_t ts_ns, std::string_view data) {
  FrameBuilder back{frames_.dst_mac, frames_.src_mac};
  back.tcp(buf_, server_, client_, sseq_, cseq_, kTcpAck | 0x08, reinterpret_cast<const std::uint8_t*>(data.data()),
           data.size());
  out_.write(ts_ns, buf_);
  sseq_ += static_cast<std::uint32_t>(data.size());
}

void TcpConnectionWriter::close(std::int64_t ts_ns) {
  FrameBuilder back{frames_.dst_mac, frames_.src_mac};
  frames_.tcp(buf_, client_, server_, cseq_, sseq_, kTcpFin | kTcpAck, nullptr, 0);
  out_.write(ts_ns, buf_);
  ++cseq_;
  back.tcp(buf_, server_, client_, sseq_, cseq_, kTcpFin | kTcpAck, nullptr, 0);
  out_.write(ts_ns + 1, buf_);
  ++sseq_;
  frames_.tcp(buf_, client_, server_, cseq_, sseq_, kTcpAck, nullptr, 0);
  out_.write(ts_ns + 2, buf_);
}

void zmtp_greeting(std::string& out, std::string_view mechanism, bool as_server) {
  std::string g(64, '\0');
  g[0] = static_cast<char>(0xFF);
  g[9] = 0x7F;
  g[10] = 3;
  g[11] = 1;
  std::memcpy(g.data() + 12, mechanism.data(), std::min<std::size_t>(mechanism.size(), 20));
  g[32] = as_server ? 1 : 0;
  out += g;
}

void zmtp_frame(std::string& out, std::string_view body, bool more, bool command) {
  const bool long_frame = body.size() > 255;
  out += static_cast<char>((more ? 0x01 : 0) | (long_frame ? 0x02 : 0) | (command ? 0x04 : 0));
  if (long_frame) {
    for (int i = 7; i >= 0; --i) out += static_cast<char>((static_cast<std::uint64_t>(body.size()) >> (8 * i)) & 0xFF);
  } else {
    out += static_cast<char>(body.size());
  }
  out += body;
}

void zmtp_ready(std::string& out, std::string_view socket_type) {
  std::string cmd;
  cmd += static_cast<char>(5);
  cmd += "READY";
  cmd += static_cast<char>(11);
  cmd += "Socket-Type";
  for (int i = 3; i >= 0; --i) cmd += static_cast<char>((socket_type.size() >> (8 * i)) & 0xFF);
  cmd += socket_type;
  zmtp_frame(out, cmd, false, true);
}

void zmtp_message(std::string& out, std::string_view type, std::string_view json) {
  zmtp_frame(out, type, true);
  zmtp_frame(out, json, false);
}

Endpoint endpoint(std::string_view ip, std::uint16_t port) {
  Endpoint e;
  if (auto a = IpAddr::parse(ip)) e.ip = *a;
  e.port = port;
  return e;
}

}  // namespace callroot::ingest
