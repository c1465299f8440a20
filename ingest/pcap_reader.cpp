#include "ingest/pcap_reader.h"

#include <pcap/pcap.h>

#include <cstring>
#include <stdexcept>

namespace callroot::ingest {

namespace {

constexpr std::string_view kIssueCodes[] = {
#define CALLROOT_X(id, code, text) code,
    CALLROOT_PACKET_ISSUES(CALLROOT_X)
#undef CALLROOT_X
};
constexpr std::string_view kIssueTexts[] = {
#define CALLROOT_X(id, code, text) text,
    CALLROOT_PACKET_ISSUES(CALLROOT_X)
#undef CALLROOT_X
};

inline std::uint16_t be16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>((static_cast<unsigned>(p[0]) << 8) | p[1]);
}

constexpr std::uint16_t kEtherIpv4 = 0x0800, kEtherIpv6 = 0x86DD, kEtherVlan = 0x8100, kEtherQinQ = 0x88A8,
                        kEtherQinQOld = 0x9100;
constexpr std::uint8_t kIpProtoUdp = 17;
constexpr int kMaxVlanTags = 4;
constexpr int kMaxIpv6ExtHeaders = 8;

struct Cursor {
  const std::uint8_t* data;
  std::uint32_t caplen;  // readable bytes from data
  std::uint32_t wirelen;
};

DecodeStatus fail(PacketIssue& issue, PacketIssue why) noexcept {
  issue = why;
  return DecodeStatus::kIssue;
}

/// Above IP: UDP. `avail` readable bytes of the IP payload, `declared` its length per the IP header.
DecodeStatus decode_udp_header(const std::uint8_t* p, std::uint32_t avail, std::uint32_t declared, bool cut,
                               UdpPacket& out, PacketIssue& issue) noexcept {
  if (avail < 8) return fail(issue, cut ? PacketIssue::kTruncated : PacketIssue::kBadUdp);
  out.src.port = be16(p);
  out.dst.port = be16(p + 2);
  const std::uint32_t udp_len = be16(p + 4);
  if (udp_len < 8 || udp_len > declared) return fail(issue, PacketIssue::kBadUdp);
  out.payload = p + 8;
  out.udp_len = udp_len - 8;
  out.payload_len = avail - 8 < out.udp_len ? avail - 8 : out.udp_len;
  out.truncated = out.payload_len < out.udp_len;
  if (out.truncated && !cut) return fail(issue, PacketIssue::kBadUdp);
  issue = PacketIssue::kTruncated;
  return DecodeStatus::kUdp;
}

DecodeStatus decode_ipv4(Cursor c, UdpPacket& out, PacketIssue& issue) noexcept {
  if (c.caplen < 20) return fail(issue, c.wirelen > c.caplen ? PacketIssue::kTruncated : PacketIssue::kBadIp);
  const std::uint8_t* p = c.data;
  if ((p[0] >> 4) != 4) return fail(issue, PacketIssue::kBadIp);
  const std::uint32_t ihl = (p[0] & 0x0Fu) * 4;
  const std::uint32_t total = be16(p + 2);
  if (ihl < 20 || total < ihl) return fail(issue, PacketIssue::kBadIp);
  if (c.caplen < ihl) return fail(issue, c.wirelen > c.caplen ? PacketIssue::kTruncated : PacketIssue::kBadIp);
  // The IP total length bounds the datagram (Ethernet pads short frames).
  const bool cut = c.wirelen > c.caplen;
  if (total > c.caplen && !cut) return fail(issue, PacketIssue::kBadIp);
  const std::uint16_t frag = be16(p + 6);
  if ((frag & 0x3FFFu) != 0) return fail(issue, PacketIssue::kIpFragment);  // MF set or an offset
  if (p[9] != kIpProtoUdp) return fail(issue, PacketIssue::kNotUdp);
  out.v6 = false;
  out.src.ip = IpAddr{};
  out.dst.ip = IpAddr{};
  out.src.ip.bytes[10] = out.src.ip.bytes[11] = 0xff;
  out.dst.ip.bytes[10] = out.dst.ip.bytes[11] = 0xff;
  std::memcpy(&out.src.ip.bytes[12], p + 12, 4);
  std::memcpy(&out.dst.ip.bytes[12], p + 16, 4);
  const std::uint32_t avail = (total < c.caplen ? total : c.caplen) - ihl;
  return decode_udp_header(p + ihl, avail, total - ihl, cut, out, issue);
}

DecodeStatus decode_ipv6(Cursor c, UdpPacket& out, PacketIssue& issue) noexcept {
  const bool cut = c.wirelen > c.caplen;
  if (c.caplen < 40) return fail(issue, cut ? PacketIssue::kTruncated : PacketIssue::kBadIp);
  const std::uint8_t* p = c.data;
  if ((p[0] >> 4) != 6) return fail(issue, PacketIssue::kBadIp);
  const std::uint32_t payload_len = be16(p + 4);
  if (40 + payload_len > c.caplen && !cut) return fail(issue, PacketIssue::kBadIp);
  std::uint8_t next = p[6];
  std::uint32_t off = 40;
  const std::uint32_t end = 40 + payload_len < c.caplen ? 40 + payload_len : c.caplen;
  for (int i = 0; i < kMaxIpv6ExtHeaders && next != kIpProtoUdp; ++i) {
    switch (next) {
      case 0:    // hop-by-hop
      case 43:   // routing
      case 60: {  // destination options
        if (off + 8 > end) return fail(issue, cut ? PacketIssue::kTruncated : PacketIssue::kBadIp);
        next = p[off];
        off += (static_cast<std::uint32_t>(p[off + 1]) + 1) * 8;
        break;
      }
      case 44: return fail(issue, PacketIssue::kIpFragment);
      default: return fail(issue, PacketIssue::kNotUdp);
    }
  }
  if (next != kIpProtoUdp) return fail(issue, PacketIssue::kBadIp);
  if (off > end || off > 40 + payload_len) return fail(issue, cut ? PacketIssue::kTruncated : PacketIssue::kBadIp);
  out.v6 = true;
  std::memcpy(out.src.ip.bytes.data(), p + 8, 16);
  std::memcpy(out.dst.ip.bytes.data(), p + 24, 16);
  return decode_udp_header(p + off, end - off, 40 + payload_len - off, cut, out, issue);
}

DecodeStatus decode_ip_by_version(Cursor c, UdpPacket& out, PacketIssue& issue) noexcept {
  if (c.caplen < 1) return fail(issue, PacketIssue::kShortLink);
  switch (c.data[0] >> 4) {
    case 4: return decode_ipv4(c, out, issue);
    case 6: return decode_ipv6(c, out, issue);
    default: return fail(issue, PacketIssue::kNotIp);
  }
}

DecodeStatus decode_ethertype(std::uint16_t type, Cursor c, UdpPacket& out, PacketIssue& issue) noexcept {
  switch (type) {
    case kEtherIpv4: return decode_ipv4(c, out, issue);
    case kEtherIpv6: return decode_ipv6(c, out, issue);
    default: return fail(issue, PacketIssue::kNotIp);
  }
}

Cursor advance(Cursor c, std::uint32_t n) noexcept {
  return Cursor{c.data + n, c.caplen - n, c.wirelen >= n ? c.wirelen - n : 0};
}

}  // namespace

std::string_view code(PacketIssue issue) noexcept { return kIssueCodes[static_cast<std::size_t>(issue)]; }
std::string_view description(PacketIssue issue) noexcept { return kIssueTexts[static_cast<std::size_t>(issue)]; }

std::string Endpoint::str() const {
  if (ip.is_v4()) return ip.str() + ':' + std::to_string(port);
  return '[' + ip.str() + "]:" + std::to_string(port);
}

DecodeStatus decode_udp(int dlt, const std::uint8_t* data, std::uint32_t caplen, std::uint32_t wire_len,
                        UdpPacket& out, PacketIssue& issue) noexcept {
  out.has_src_mac = false;
  out.truncated = false;
  if (data == nullptr) caplen = 0;
  if (wire_len < caplen) wire_len = caplen;
  Cursor c{data, caplen, wire_len};
  switch (dlt) {
    case kDltEthernet: {
      if (c.caplen < 14) return fail(issue, PacketIssue::kShortLink);
      std::uint64_t mac = 0;
      for (int i = 6; i < 12; ++i) mac = (mac << 8) | c.data[i];
      out.src_mac = mac;
      out.has_src_mac = true;
      std::uint16_t type = be16(c.data + 12);
      c = advance(c, 14);
      for (int tags = 0; type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld; ++tags) {
        if (tags == kMaxVlanTags || c.caplen < 4) return fail(issue, PacketIssue::kShortLink);
        type = be16(c.data + 2);
        c = advance(c, 4);
      }
      return decode_ethertype(type, c, out, issue);
    }
    case kDltSll: {
      if (c.caplen < 16) return fail(issue, PacketIssue::kShortLink);
      const std::uint16_t type = be16(c.data + 14);
      return decode_ethertype(type, advance(c, 16), out, issue);
    }
    case kDltSll2: {
      if (c.caplen < 20) return fail(issue, PacketIssue::kShortLink);
      const std::uint16_t type = be16(c.data);
      return decode_ethertype(type, advance(c, 20), out, issue);
    }
    case kDltRaw:
    case kDltRawAlt:
    case kDltLinktypeRaw: return decode_ip_by_version(c, out, issue);
    case kDltIpv4: return decode_ipv4(c, out, issue);
    case kDltIpv6: return decode_ipv6(c, out, issue);
    case kDltNull:
    case kDltLoop: {
      // A 4-byte address family, host order for DLT_NULL, network order for DLT_LOOP:
      // the version nibble of the IP header says the same and needs no byte order.
      if (c.caplen < 4) return fail(issue, PacketIssue::kShortLink);
      return decode_ip_by_version(advance(c, 4), out, issue);
    }
    default: return fail(issue, PacketIssue::kUnsupportedLink);
  }
}

struct PcapReader::Impl {
  pcap_t* handle = nullptr;
  ~Impl() {
    if (handle != nullptr) pcap_close(handle);
  }
};

PcapReader::PcapReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  impl_->handle = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (impl_->handle == nullptr) throw std::runtime_error(path + ": " + errbuf);
  dlt_ = pcap_datalink(impl_->handle);
  switch (dlt_) {
    case kDltEthernet:
    case kDltSll:
    case kDltSll2:
    case kDltRaw:
    case kDltRawAlt:
    case kDltLinktypeRaw:
    case kDltIpv4:
    case kDltIpv6:
    case kDltNull:
    case kDltLoop: break;
    default: {
      const char* name = pcap_datalink_val_to_name(dlt_);
      throw std::runtime_error(path + ": link type " + std::to_string(dlt_) + " (" + (name ? name : "unknown") +
                               ") is not supported (Ethernet, Linux cooked SLL/SLL2, raw IP, loopback)");
    }
  }
}

PcapReader::~PcapReader() = default;

bool PcapReader::next(UdpPacket& out) {
  if (!error_.empty()) return false;
  for (;;) {
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(impl_->handle, &hdr, &data);
    if (rc == PCAP_ERROR_BREAK) return false;  // end of file
    if (rc != 1) {
      error_ = pcap_geterr(impl_->handle);
      if (error_.empty()) error_ = "read error";
      return false;
    }
    const std::int64_t ts =
        static_cast<std::int64_t>(hdr->ts.tv_sec) * 1'000'000'000 + static_cast<std::int64_t>(hdr->ts.tv_usec);
    if (counters_.frames == 0) first_ts_ns_ = ts;
    ++counters_.frames;
    counters_.bytes += hdr->len;
    PacketIssue issue = PacketIssue::kTruncated;
    if (decode_udp(dlt_, data, hdr->caplen, hdr->len, out, issue) == DecodeStatus::kIssue) {
      ++counters_.issues[static_cast<std::size_t>(issue)];
      continue;
    }
    if (out.truncated) ++counters_.issues[static_cast<std::size_t>(PacketIssue::kTruncated)];
    ++counters_.udp;
    out.ts_ns = ts;
    out.frame = counters_.frames;
    return true;
  }
}

}  // namespace callroot::ingest
