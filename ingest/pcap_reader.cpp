#include "ingest/pcap_reader.h"

#include <pcap/pcap.h>

#include <cstring>
#include <stdexcept>

#include "ingest/ip_reassembly.h"

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
constexpr std::uint8_t kIpProtoTcp = 6;
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

/// Above IP: TCP (only when `ext` asks for it).
DecodeStatus decode_tcp_header(const std::uint8_t* p, std::uint32_t avail, std::uint32_t declared, bool cut,
                               Packet& out, PacketIssue& issue) noexcept {
  if (avail < 20) return fail(issue, cut ? PacketIssue::kTruncated : PacketIssue::kBadUdp);
  const std::uint32_t off = (p[12] >> 4) * 4u;
  if (off < 20 || off > declared) return fail(issue, PacketIssue::kBadUdp);
  if (off > avail) return fail(issue, cut ? PacketIssue::kTruncated : PacketIssue::kBadUdp);
  out.transport = Transport::kTcp;
  out.src.port = be16(p);
  out.dst.port = be16(p + 2);
  out.tcp_seq = (static_cast<std::uint32_t>(be16(p + 4)) << 16) | be16(p + 6);
  out.tcp_ack = (static_cast<std::uint32_t>(be16(p + 8)) << 16) | be16(p + 10);
  out.tcp_flags = p[13];
  out.payload = p + off;
  out.udp_len = declared - off;
  out.payload_len = avail - off < out.udp_len ? avail - off : out.udp_len;
  out.truncated = out.payload_len < out.udp_len;
  issue = PacketIssue::kTruncated;
  return DecodeStatus::kTcp;
}

/// UDP, or with `ext` TCP too.
DecodeStatus decode_transport(std::uint8_t proto, const std::uint8_t* p, std::uint32_t avail, std::uint32_t declared,
                              bool cut, UdpPacket& out, Packet* ext, PacketIssue& issue) noexcept {
  if (proto == kIpProtoUdp) {
    if (ext != nullptr) ext->transport = Transport::kUdp;
    return decode_udp_header(p, avail, declared, cut, out, issue);
  }
  if (proto == kIpProtoTcp && ext != nullptr) return decode_tcp_header(p, avail, declared, cut, *ext, issue);
  return fail(issue, PacketIssue::kNotUdp);
}

void set_v4(IpAddr& ip, const std::uint8_t* p) noexcept {
  ip = IpAddr{};
  ip.bytes[10] = ip.bytes[11] = 0xff;
  std::memcpy(&ip.bytes[12], p, 4);
}

DecodeStatus decode_ipv4(Cursor c, UdpPacket& out, Packet* ext, PacketIssue& issue) noexcept {
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
  if ((frag & 0x3FFFu) != 0) {  // MF set or an offset
    // Handed to a reassembler only when asked for and captured whole.
    if (ext == nullptr || total > c.caplen) return fail(issue, PacketIssue::kIpFragment);
    Ipv4Fragment& f = ext->fragment;
    set_v4(f.src, p + 12);
    set_v4(f.dst, p + 16);
    f.id = be16(p + 4);
    f.protocol = p[9];
    f.more = (frag & 0x2000u) != 0;
    f.offset = (frag & 0x1FFFu) * 8u;
    f.header = p;
    f.header_len = ihl;
    f.data = p + ihl;
    f.data_len = total - ihl;
    issue = PacketIssue::kIpFragment;
    return DecodeStatus::kFragment;
  }
  if (p[9] != kIpProtoUdp && (p[9] != kIpProtoTcp || ext == nullptr)) return fail(issue, PacketIssue::kNotUdp);
  out.v6 = false;
  set_v4(out.src.ip, p + 12);
  set_v4(out.dst.ip, p + 16);
  const std::uint32_t avail = (total < c.caplen ? total : c.caplen) - ihl;
  return decode_transport(p[9], p + ihl, avail, total - ihl, cut, out, ext, issue);
}

DecodeStatus decode_ipv6(Cursor c, UdpPacket& out, Packet* ext, PacketIssue& issue) noexcept {
  const bool cut = c.wirelen > c.caplen;
  if (c.caplen < 40) return fail(issue, cut ? PacketIssue::kTruncated : PacketIssue::kBadIp);
  const std::uint8_t* p = c.data;
  if ((p[0] >> 4) != 6) return fail(issue, PacketIssue::kBadIp);
  const std::uint32_t payload_len = be16(p + 4);
  if (40 + payload_len > c.caplen && !cut) return fail(issue, PacketIssue::kBadIp);
  std::uint8_t next = p[6];
  std::uint32_t off = 40;
  const std::uint32_t end = 40 + payload_len < c.caplen ? 40 + payload_len : c.caplen;
  const auto is_transport = [&](std::uint8_t n) { return n == kIpProtoUdp || (n == kIpProtoTcp && ext != nullptr); };
  for (int i = 0; i < kMaxIpv6ExtHeaders && !is_transport(next); ++i) {
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
  if (!is_transport(next)) return fail(issue, PacketIssue::kBadIp);
  if (off > end || off > 40 + payload_len) return fail(issue, cut ? PacketIssue::kTruncated : PacketIssue::kBadIp);
  out.v6 = true;
  std::memcpy(out.src.ip.bytes.data(), p + 8, 16);
  std::memcpy(out.dst.ip.bytes.data(), p + 24, 16);
  return decode_transport(next, p + off, end - off, 40 + payload_len - off, cut, out, ext, issue);
}

DecodeStatus decode_ip_by_version(Cursor c, UdpPacket& out, Packet* ext, PacketIssue& issue) noexcept {
  if (c.caplen < 1) return fail(issue, PacketIssue::kShortLink);
  switch (c.data[0] >> 4) {
    case 4: return decode_ipv4(c, out, ext, issue);
    case 6: return decode_ipv6(c, out, ext, issue);
    default: return fail(issue, PacketIssue::kNotIp);
  }
}

DecodeStatus decode_ethertype(std::uint16_t type, Cursor c, UdpPacket& out, Packet* ext, PacketIssue& issue) noexcept {
  switch (type) {
    case kEtherIpv4: return decode_ipv4(c, out, ext, issue);
    case kEtherIpv6: return decode_ipv6(c, out, ext, issue);
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

namespace {

DecodeStatus decode_frame(int dlt, const std::uint8_t* data, std::uint32_t caplen, std::uint32_t wire_len,
                          UdpPacket& out, Packet* ext, PacketIssue& issue) noexcept {
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
      return decode_ethertype(type, c, out, ext, issue);
    }
    case kDltSll: {
      if (c.caplen < 16) return fail(issue, PacketIssue::kShortLink);
      const std::uint16_t type = be16(c.data + 14);
      return decode_ethertype(type, advance(c, 16), out, ext, issue);
    }
    case kDltSll2: {
      if (c.caplen < 20) return fail(issue, PacketIssue::kShortLink);
      const std::uint16_t type = be16(c.data);
      return decode_ethertype(type, advance(c, 20), out, ext, issue);
    }
    case kDltRaw:
    case kDltRawAlt:
    case kDltLinktypeRaw: return decode_ip_by_version(c, out, ext, issue);
    case kDltIpv4: return decode_ipv4(c, out, ext, issue);
    case kDltIpv6: return decode_ipv6(c, out, ext, issue);
    case kDltNull:
    case kDltLoop: {
      // A 4-byte address family, host order for DLT_NULL, network order for DLT_LOOP:
      // the version nibble of the IP header says the same and needs no byte order.
      if (c.caplen < 4) return fail(issue, PacketIssue::kShortLink);
      return decode_ip_by_version(advance(c, 4), out, ext, issue);
    }
    default: return fail(issue, PacketIssue::kUnsupportedLink);
  }
}

}  // namespace

DecodeStatus decode_udp(int dlt, const std::uint8_t* data, std::uint32_t caplen, std::uint32_t wire_len,
                        UdpPacket& out, PacketIssue& issue) noexcept {
  return decode_frame(dlt, data, caplen, wire_len, out, nullptr, issue);
}

DecodeStatus decode_packet(int dlt, const std::uint8_t* data, std::uint32_t caplen, std::uint32_t wire_len,
                           Packet& out, PacketIssue& issue) noexcept {
  out.transport = Transport::kUdp;
  out.tcp_flags = 0;
  return decode_frame(dlt, data, caplen, wire_len, out, &out, issue);
}

struct PcapReader::Impl {
  pcap_t* handle = nullptr;
  bool nano = true;  // timestamps in ns (else us)
  std::unique_ptr<Ipv4Reassembler> fragments;
  ~Impl() {
    if (handle != nullptr) pcap_close(handle);
  }
};

PcapReader::PcapReader() : impl_(std::make_unique<Impl>()) {}

void PcapReader::check_link_type(const std::string& what) {
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
      throw std::runtime_error(what + ": link type " + std::to_string(dlt_) + " (" + (name ? name : "unknown") +
                               ") is not supported (Ethernet, Linux cooked SLL/SLL2, raw IP, loopback)");
    }
  }
}

PcapReader::PcapReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  impl_->handle = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (impl_->handle == nullptr) throw std::runtime_error(path + ": " + errbuf);
  check_link_type(path);
}

std::unique_ptr<PcapReader> PcapReader::open_live(const LiveCaptureOptions& o) {
  using Kind = CaptureError::Kind;
  std::unique_ptr<PcapReader> r(new PcapReader());
  r->live_ = true;
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  const std::string what = "cannot capture on interface `" + o.iface + "`";
  r->impl_->handle = pcap_create(o.iface.c_str(), errbuf);
  if (r->impl_->handle == nullptr) throw CaptureError(Kind::kOther, what + ": " + errbuf);
  pcap_t* h = r->impl_->handle;
  pcap_set_snaplen(h, o.snaplen);
  pcap_set_promisc(h, 0);
  pcap_set_buffer_size(h, o.buffer_bytes);
  pcap_set_timeout(h, o.timeout_ms);
  // Records are handed on as they arrive, not when a kernel buffer block fills.
  pcap_set_immediate_mode(h, 1);
  r->impl_->nano = pcap_set_tstamp_precision(h, PCAP_TSTAMP_PRECISION_NANO) == 0;
  const int rc = pcap_activate(h);
  if (rc < 0) {
    const std::string detail = pcap_geterr(h);
    switch (rc) {
      case PCAP_ERROR_PERM_DENIED:
        throw CaptureError(Kind::kPermission,
                           what + ": permission denied: live capture needs the CAP_NET_RAW capability (run as root, "
                                  "or `setcap cap_net_raw,cap_net_admin=eip` on the callroot binary)" +
                               (detail.empty() ? "" : " (" + detail + ")"));
      case PCAP_ERROR_NO_SUCH_DEVICE:
        throw CaptureError(Kind::kNoSuchDevice,
                           what + ": no such interface" + (detail.empty() ? "" : " (" + detail + ")"));
      default: throw CaptureError(Kind::kOther, what + ": " + (detail.empty() ? pcap_statustostr(rc) : detail));
    }
  }
  if (pcap_get_tstamp_precision(h) != PCAP_TSTAMP_PRECISION_NANO) r->impl_->nano = false;
  try {
    r->check_link_type(what);
  } catch (const std::runtime_error& e) {
    throw CaptureError(Kind::kOther, e.what());
  }
  if (!o.bpf.empty()) {
    bpf_program program{};
    if (pcap_compile(h, &program, o.bpf.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      throw CaptureError(Kind::kBadFilter, what + ": the filter `" + o.bpf + "` does not compile: " + pcap_geterr(h));
    }
    const int set = pcap_setfilter(h, &program);
    pcap_freecode(&program);
    if (set != 0) throw CaptureError(Kind::kBadFilter, what + ": cannot set the filter: " + pcap_geterr(h));
  }
  return r;
}

void PcapReader::break_loop() noexcept {
  if (impl_->handle != nullptr) pcap_breakloop(impl_->handle);
}

void PcapReader::update_stats() noexcept {
  pcap_stat st{};
  if (live_ && pcap_stats(impl_->handle, &st) == 0) counters_.kernel_drops = st.ps_drop + st.ps_ifdrop;
}

PcapReader::~PcapReader() = default;

std::int64_t PcapReader::count_frame(const pcap_pkthdr& hdr) noexcept {
  const std::int64_t ts = static_cast<std::int64_t>(hdr.ts.tv_sec) * 1'000'000'000 +
                          static_cast<std::int64_t>(hdr.ts.tv_usec) * (impl_->nano ? 1 : 1000);
  if (counters_.frames == 0) first_ts_ns_ = ts;
  ++counters_.frames;
  counters_.bytes += hdr.len;
  return ts;
}

void PcapReader::note_read_error() {
  error_ = pcap_geterr(impl_->handle);
  if (error_.empty()) error_ = "read error";
}

bool PcapReader::next(UdpPacket& out) {
  if (!error_.empty()) return false;
  for (;;) {
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(impl_->handle, &hdr, &data);
    if (rc == PCAP_ERROR_BREAK) return false;  // end of file
    if (rc != 1) {
      note_read_error();
      return false;
    }
    const std::int64_t ts = count_frame(*hdr);
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

namespace callroot::ingest {

PcapReader::ReadStatus PcapReader::next_packet(Packet& out) {
  if (!error_.empty()) return ReadStatus::kError;
  for (;;) {
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(impl_->handle, &hdr, &data);
    if (rc == 0) return ReadStatus::kIdle;  // a live capture's timeout
    if (rc == PCAP_ERROR_BREAK) {
      // The end of a file, or break_loop(): fragments still waiting are lost.
      if (impl_->fragments) {
        counters_.issues[static_cast<std::size_t>(PacketIssue::kIpFragment)] +=
            impl_->fragments->take_dropped() + impl_->fragments->pending_fragments();
        impl_->fragments.reset();
      }
      return ReadStatus::kEnd;
    }
    if (rc != 1) {
      note_read_error();
      return ReadStatus::kError;
    }
    const std::int64_t ts = count_frame(*hdr);
    PacketIssue issue = PacketIssue::kTruncated;
    DecodeStatus st = decode_packet(dlt_, data, hdr->caplen, hdr->len, out, issue);
    if (st == DecodeStatus::kFragment) {
      ++counters_.fragments;
      if (!impl_->fragments) impl_->fragments = std::make_unique<Ipv4Reassembler>();
      const bool done = impl_->fragments->add(out.fragment, ts);
      counters_.issues[static_cast<std::size_t>(PacketIssue::kIpFragment)] += impl_->fragments->take_dropped();
      if (!done) continue;
      const auto& d = impl_->fragments->datagram();
      const bool had_mac = out.has_src_mac;
      const std::uint64_t mac = out.src_mac;
      st = decode_packet(kDltIpv4, d.data(), static_cast<std::uint32_t>(d.size()), static_cast<std::uint32_t>(d.size()),
                         out, issue);
      out.has_src_mac = had_mac;
      out.src_mac = mac;
      if (st == DecodeStatus::kUdp || st == DecodeStatus::kTcp) ++counters_.reassembled;
    }
    if (st == DecodeStatus::kIssue || st == DecodeStatus::kFragment) {
      ++counters_.issues[static_cast<std::size_t>(st == DecodeStatus::kFragment ? PacketIssue::kIpFragment : issue)];
      continue;
    }
    if (out.truncated) ++counters_.issues[static_cast<std::size_t>(PacketIssue::kTruncated)];
    ++(st == DecodeStatus::kUdp ? counters_.udp : counters_.tcp);
    out.ts_ns = ts;
    out.frame = counters_.frames;
    return ReadStatus::kPacket;
  }
}

}  // namespace callroot::ingest
