#include "ingest/rtp_meter.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <strings.h>

namespace callroot::ingest {

namespace {

inline std::uint16_t be16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>((static_cast<unsigned>(p[0]) << 8) | p[1]);
}
inline std::uint32_t be32(const std::uint8_t* p) noexcept {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
         (static_cast<std::uint32_t>(p[2]) << 8) | p[3];
}

inline std::uint64_t load64(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline std::uint64_t mix(std::uint64_t h) noexcept {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

inline std::uint64_t hash_endpoint(const Endpoint& e) noexcept {
  return load64(e.ip.bytes.data()) * 0x9E3779B97F4A7C15ULL ^ load64(e.ip.bytes.data() + 8) * 0xC2B2AE3D27D4EB4FULL ^
         e.port;
}

inline std::uint32_t hash_key(const RtpStreamKey& k) noexcept {
  const std::uint64_t h = hash_endpoint(k.src) * 31 + (hash_endpoint(k.dst) ^ (std::uint64_t{k.ssrc} << 17));
  return static_cast<std::uint32_t>(mix(h));
}

// Tshark's flags of one packet (ui/tap-rtp-analysis.h).
constexpr unsigned kFlagFirst = 1u << 0;
constexpr unsigned kFlagMarker = 1u << 1;
constexpr unsigned kFlagWrongSeq = 1u << 2;
constexpr unsigned kFlagPtChange = 1u << 3;
constexpr unsigned kFlagPtCn = 1u << 4;
constexpr unsigned kFlagFollowPtCn = 1u << 5;
constexpr unsigned kFlagWrongTimestamp = 1u << 6;
constexpr unsigned kFlagNotRegular = kFlagFirst | kFlagMarker | kFlagPtCn | kFlagWrongTimestamp | kFlagFollowPtCn;

constexpr std::uint8_t kPtCn = 13, kPtCnOld = 19;

/// Ports whose registered tshark UDP dissectors claim a datagram before the RTP
/// heuristic is tried (DNS, DHCP, TFTP, NTP, NetBIOS, SNMP, IKE, syslog, SSDP,
/// STUN/TURN, IPsec NAT-T, SIP, mDNS, LLMNR, ...).
bool is_claimed_port(std::uint16_t port) noexcept {
  switch (port) {
    case 53: case 67: case 68: case 69: case 123: case 137: case 138: case 161: case 162: case 500: case 514:
    case 520: case 1812: case 1813: case 1900: case 3478: case 4500: case 5060: case 5061: case 5353: case 5355:
      return true;
    default: return false;
  }
}

/// Static payload types: tshark 4.0's table (ui/tap-rtp-analysis.c), 0 past 34.
constexpr std::uint32_t kStaticClock[35] = {
    8000,  8000,  8000,  8000,  8000, 8000,  16000, 8000,  8000,  8000,   // 0-9
    44100, 44100, 8000,  8000,  90000, 8000, 11025, 22050, 8000,  8000,   // 10-19
    0,     0,     0,     0,     0,     90000, 90000, 0,    90000, 0,      // 20-29
    0,     90000, 90000, 90000, 90000,                                    // 30-34
};

struct NamedRate {
  const char* name;
  std::uint32_t rate;
};
// tshark 4.0's encoding-name table (mimetype_to_clock_map); opus is not in it.
constexpr NamedRate kNamedRates[] = {
    {"AMR", 8000},       {"AMR-WB", 16000},   {"BV16", 8000},      {"BV32", 16000},     {"CelB", 90000},
    {"CN", 8000},        {"DVI4", 8000},      {"EVRC", 8000},      {"EVRC0", 8000},     {"EVRC1", 8000},
    {"EVRCB", 8000},     {"EVRCB0", 8000},    {"EVRCB1", 8000},    {"EVRCWB", 16000},   {"EVRCWB0", 16000},
    {"EVRCWB1", 16000},  {"EVS", 16000},      {"G7221", 16000},    {"G722", 8000},      {"G723", 8000},
    {"G726-16", 8000},   {"G726-24", 8000},   {"G726-32", 8000},   {"G726-40", 8000},   {"G728", 8000},
    {"G729", 8000},      {"G729D", 8000},     {"G729E", 8000},     {"GSM", 8000},       {"GSM-EFR", 8000},
    {"H263-1998", 90000}, {"H263-2000", 90000}, {"H264", 90000},   {"MP4V-ES", 90000},  {"iLBC", 8000},
    {"L8", 8000},        {"L16", 44100},      {"LPC", 8000},       {"MPA", 90000},      {"PCMA", 8000},
    {"PCMU", 8000},      {"QCELP", 8000},     {"RED", 8000},       {"SMV", 8000},       {"SMV0", 8000},
    {"VDVI", 8000},      {"theora", 90000},   {"VP8", 90000},      {"JPEG", 90000},     {"MPV", 90000},
    {"nv", 90000},       {"red", 1000},       {"t140", 1000},
};

// tshark's short payload type names (rtp_payload_type_short_vals).
const char* static_pt_name(std::uint8_t pt) noexcept {
  switch (pt) {
    case 0: return "g711U";
    case 1: return "fs-1016";
    case 2: return "g721";
    case 3: return "GSM";
    case 4: return "g723";
    case 5: return "DVI4 8k";
    case 6: return "DVI4 16k";
    case 7: return "Exp. from Xerox PARC";
    case 8: return "g711A";
    case 9: return "g722";
    case 10: return "16-bit audio, stereo";
    case 11: return "16-bit audio, monaural";
    case 12: return "QCELP";
    case 13: return "CN";
    case 14: return "MPEG-I/II Audio";
    case 15: return "g728";
    case 16: return "DVI4 11k";
    case 17: return "DVI4 22k";
    case 18: return "g729";
    case 19: return "CN(old)";
    case 25: return "CellB";
    case 26: return "JPEG";
    case 28: return "NV";
    case 31: return "h261";
    case 32: return "MPEG-I/II Video";
    case 33: return "MPEG-II streams";
    case 34: return "h263";
    default: return nullptr;
  }
}

bool is_telephone_event(const std::string& name) noexcept {
  return name.size() >= 15 && strncasecmp(name.c_str(), "telephone-event", 15) == 0;
}

}  // namespace

std::uint32_t static_clock_rate(std::uint8_t pt) noexcept { return pt < 35 ? kStaticClock[pt] : 0; }

std::uint32_t clock_rate_for_name(std::string_view name) noexcept {
  for (const auto& e : kNamedRates) {
    if (name.size() == std::strlen(e.name) && strncasecmp(name.data(), e.name, name.size()) == 0) return e.rate;
  }
  return 0;
}

std::string RtpStream::payload_name(std::uint8_t pt) const {
  if (pt >= 96 && sdp) {
    if (const auto* e = sdp->find(pt)) return e->name;
  }
  if (const char* n = static_pt_name(pt)) return n;
  return "RTPType-" + std::to_string(pt);
}

std::string RtpStream::payload_names() const {
  std::string out;
  for (unsigned pt = 0; pt < 128; ++pt) {
    if (!payload_types.test(pt)) continue;
    if (!out.empty()) out += ", ";
    out += payload_name(static_cast<std::uint8_t>(pt));
  }
  return out;
}

std::size_t RtpMeter::ConvKeyHash::operator()(const ConvKey& k) const noexcept {
  return mix(hash_endpoint(k.a) * 31 + hash_endpoint(k.b));
}
std::size_t RtpMeter::EndpointHash::operator()(const Endpoint& e) const noexcept { return mix(hash_endpoint(e)); }
std::size_t RtpMeter::FarKeyHash::operator()(const FarKey& k) const noexcept {
  return mix(load64(k.reporter.bytes.data()) ^ load64(k.reporter.bytes.data() + 8) * 31 ^
             (std::uint64_t{k.ssrc} << 20));
}

RtpMeter::RtpMeter(RtpMeterOptions options, StreamSink on_closed)
    : options_(std::move(options)), on_closed_(std::move(on_closed)) {
  rebuild_index(1024);
}

double RtpMeter::rel_ms(std::int64_t ts_ns) const noexcept {
  // tshark: nstime_delta() to the first frame, then secs * 1000 + nsecs / 1e6 as doubles.
  const std::int64_t rel = ts_ns - base_ns_;
  const std::int64_t secs = rel / 1'000'000'000;
  const std::int64_t nsecs = rel % 1'000'000'000;
  return static_cast<double>(secs) * 1000 + static_cast<double>(nsecs) / 1000000;
}

void RtpMeter::on_packet(const UdpPacket& pkt) noexcept {
  if (!has_base_) set_time_base(pkt.ts_ns);
  ++counters_.udp;
  if (options_.idle_timeout_ns > 0 && pkt.ts_ns >= next_sweep_ns_) {
    if (swept_once_) expire(pkt.ts_ns);
    swept_once_ = true;
    next_sweep_ns_ = pkt.ts_ns + std::max<std::int64_t>(options_.idle_timeout_ns / 4, 1'000'000'000);
  }
  const std::uint8_t* p = pkt.payload;
  std::uint32_t len = pkt.payload_len;
  if (len == 0 || p == nullptr) {
    ++counters_.other;
    return;
  }
  const double t_ms = rel_ms(pkt.ts_ns);
  const unsigned version = p[0] >> 6;
  if (version == 2) {
    if (len >= 2 && (p[1] & 0x7F) >= 64 && (p[1] & 0x7F) <= 95) {
      on_rtcp(pkt, p, len, t_ms);
    } else {
      on_rtp(pkt, p, len, t_ms);
    }
    return;
  }
  // SIP starts with an upper-case letter, which ChannelData's first byte can be too.
  if (options_.sip_sdp && p[0] >= 'A' && p[0] <= 'Z' && looks_like_sip({reinterpret_cast<const char*>(p), len})) {
    on_sip(pkt);
    return;
  }
  if (version == 0 && len >= 8 && be32(p + 4) == 0x2112A442) {
    ++counters_.stun;
    return;
  }
  if (version == 1 && len >= 4) {
    // TURN ChannelData: channel 0x4000-0x7FFF, length, data.
    ++counters_.channel_data;
    const std::uint32_t inner = be16(p + 2);
    if (options_.unwrap_channel_data && inner + 4 <= len && inner >= 12 && (p[4] >> 6) == 2) {
      const std::uint8_t* q = p + 4;
      if ((q[1] & 0x7F) >= 64 && (q[1] & 0x7F) <= 95) {
        on_rtcp(pkt, q, inner, t_ms);
      } else {
        on_rtp(pkt, q, inner, t_ms);
      }
    }
    return;
  }
  ++counters_.other;
}

bool RtpMeter::is_rtp_conversation(const UdpPacket& pkt, std::uint8_t second_byte,
                                   std::shared_ptr<const SdpPayloadMap>& sdp) noexcept {
  // 1. An SDP-announced end (tshark looks up the source end first).
  if (!sdp_endpoints_.empty()) {
    for (const Endpoint* e : {&pkt.src, &pkt.dst}) {
      auto it = sdp_endpoints_.find(*e);
      if (it != sdp_endpoints_.end() && !it->second.rtcp) {
        it->second.last_ns = pkt.ts_ns;
        sdp = it->second.map;
        return true;
      }
    }
  }
  // 2. A 5-tuple that matched the heuristic before.
  ConvKey ck{pkt.src, pkt.dst};
  if (std::memcmp(&ck.a, &ck.b, sizeof(IpAddr)) > 0 || (ck.a.ip == ck.b.ip && ck.a.port > ck.b.port)) {
    std::swap(ck.a, ck.b);
  }
  if (auto it = conversations_.find(ck); it != conversations_.end()) {
    it->second = pkt.ts_ns;
    return true;
  }
  // 3. Well-known ports go to their own dissectors; 4. the heuristic.
  if (!options_.heuristics || is_claimed_port(pkt.src.port) || is_claimed_port(pkt.dst.port)) return false;
  if ((pkt.dst.port & 1) != 0) return false;
  if ((second_byte & 0x7F) >= 64 && (second_byte & 0x7F) <= 95) return false;
  try {
    conversations_.emplace(ck, pkt.ts_ns);
  } catch (...) {
    return false;  // out of memory: not metered
  }
  return true;
}

void RtpMeter::on_rtp(const UdpPacket& pkt, const std::uint8_t* p, std::uint32_t len, double t_ms) noexcept {
  // The header must be complete: tshark taps a packet only after reading it.
  if (len < 12) {
    ++counters_.rtp_rejected;
    return;
  }
  std::uint32_t hdr = 12 + 4u * (p[0] & 0x0Fu);
  if ((p[0] & 0x10) != 0) {
    if (hdr + 4 > len) {
      ++counters_.rtp_rejected;
      return;
    }
    hdr += 4 + 4u * be16(p + hdr + 2);
  }
  if (hdr > len) {
    ++counters_.rtp_rejected;
    return;
  }
  RtpStreamKey key{pkt.src, pkt.dst, be32(p + 8)};
  const std::uint32_t h = hash_key(key);
  std::int64_t idx = find(key, h);
  if (idx < 0) {
    std::shared_ptr<const SdpPayloadMap> sdp;
    if (!is_rtp_conversation(pkt, p[1], sdp)) {
      ++counters_.other;
      return;
    }
    if (streams_.size() >= options_.max_streams && (!options_.evict_oldest || !evict_oldest())) {
      ++counters_.rtp_rejected;
      return;
    }
    try {
      RtpStream s;
      s.key = key;
      s.hash = h;
      s.sdp = std::move(sdp);
      s.first_frame = pkt.frame;
      s.first_ns = pkt.ts_ns;
      if (streams_.size() + 1 > (std::size_t{mask_} + 1) / 2) rebuild_index((std::size_t{mask_} + 1) * 2);
      streams_.push_back(std::move(s));
    } catch (...) {
      ++counters_.rtp_rejected;
      return;
    }
    idx = static_cast<std::int64_t>(streams_.size() - 1);
    insert_index(static_cast<std::uint32_t>(idx));
    ++counters_.streams_opened;
  }
  ++counters_.rtp;
  RtpStream& s = streams_[static_cast<std::size_t>(idx)];
  s.last_ns = pkt.ts_ns;
  s.payload_bytes += len - hdr;
  const std::uint32_t other_mac_before = s.other_mac;
  analyse(s, pkt, p, t_ms);
  if (on_rtp_packet_) {
    const RtpPacketInfo info{be16(p + 2), be32(p + 4), static_cast<std::uint8_t>(p[1] & 0x7F), (p[1] & 0x80) != 0,
                             len - hdr, s.other_mac != other_mac_before};
    on_rtp_packet_(s, pkt, info);
  }
}

std::uint32_t RtpMeter::clock_rate(const RtpStream& s, std::uint8_t pt, bool& telephone_event) const noexcept {
  telephone_event = false;
  if (pt < 96) return static_clock_rate(pt);
  if (s.sdp) {
    if (const auto* e = s.sdp->find(pt)) {
      if (is_telephone_event(e->name)) {
        telephone_event = true;
        return 0;
      }
      return e->rate != 0 ? e->rate : clock_rate_for_name(e->name);
    }
  }
  // No SDP name: tshark gives 0 (no jitter). Our own map, when configured.
  if (!options_.dynamic_clock_rates.empty()) {
    auto it = options_.dynamic_clock_rates.find(pt);
    if (it != options_.dynamic_clock_rates.end()) return it->second;
  }
  return 0;
}

void RtpMeter::analyse(RtpStream& s, const UdpPacket& pkt, const std::uint8_t* p, double t) noexcept {
  const bool marker = (p[1] & 0x80) != 0;
  const std::uint8_t pt = p[1] & 0x7F;
  const std::uint16_t seq = be16(p + 2);
  const std::uint32_t ts = be32(p + 4);
  s.payload_types.set(pt);
  ++s.packets;
  s.last_ms = t;

  if (s.packets == 1) {
    s.start_seq = s.stop_seq = seq;
    s.last_good_seq = seq;
    s.first_ts = ts;
    s.time_ms = t;
    s.start_ms = t;
    s.last_nominal = 0;
    s.last_pt = pt;
    s.has_mac = pkt.has_src_mac;
    s.mac = pkt.src_mac;
    s.delta = s.jitter = 0;
    s.total_nr = 1;
    return;
  }

  unsigned flags = 0;
  // tshark: a packet from another source MAC than the first is a duplicate
  // (e.g. seen twice on a mirrored port): only its delta is kept.
  if (pkt.has_src_mac && s.has_mac && pkt.src_mac != s.mac) {
    ++s.other_mac;
    s.delta = t - s.time_ms;
    return;
  }

  const bool in_time_sequence = static_cast<std::uint32_t>(ts - s.first_ts) < 0x80000000u;
  if (!in_time_sequence) {
    flags |= kFlagWrongTimestamp;
    ++s.wrong_timestamp;
  }

  // Wrap counting for "expected", only for packets in time sequence (a
  // sequence restart with a timestamp restart counts no cycle: sess6.a).
  if (in_time_sequence) {
    if (seq < s.start_seq && !s.under) {
      ++s.seq_cycles;
      s.under = true;
    } else if (seq == 0 && s.stop_seq == 65535 && !s.under) {
      ++s.seq_cycles;
      s.under = true;
    } else if (seq > s.start_seq && s.under) {
      s.under = false;
    }
  }

  // Sequence errors.
  if (s.last_good_seq + 1 == seq) {
    s.last_good_seq = seq;
  } else if (s.last_good_seq == 65535 && seq == 0) {
    s.last_good_seq = seq;
  } else if (in_time_sequence && (s.last_good_seq + 1 < seq || s.last_good_seq - seq > 0xFF00)) {
    s.last_good_seq = seq;
    ++s.seq_errors;
    ++s.seq_jumps;
    flags |= kFlagWrongSeq;
  } else {
    ++s.seq_errors;
    ++s.late_or_duplicate;
    flags |= kFlagWrongSeq;
  }

  if (pt == kPtCn || pt == kPtCnOld) flags |= kFlagPtCn;
  if (s.last_pt == kPtCn || s.last_pt == kPtCnOld) flags |= kFlagFollowPtCn;
  if (pt != s.last_pt) flags |= kFlagPtChange;
  s.last_pt = pt;

  bool telephone_event = false;
  const std::uint32_t rate = clock_rate(s, pt, telephone_event);
  const std::uint32_t rate_khz = rate / 1000;  // tshark divides by the integer rate/1000
  double current_jitter = 0;
  if (in_time_sequence) {
    if (rate_khz != 0) {
      s.clock_rate = rate;
      const double nominal = static_cast<double>(static_cast<std::uint32_t>(ts - s.first_ts)) / rate_khz;
      const double expected = s.time_ms + (nominal - s.last_nominal);
      const double diff = std::fabs(t - expected);
      current_jitter = (15 * s.jitter + diff) / 16;
      s.delta = t - s.time_ms;
      s.jitter = current_jitter;
      s.last_nominal = nominal;
    } else {
      s.delta = t - s.time_ms;
    }
  }

  if (marker) flags |= kFlagMarker;
  if ((flags & kFlagNotRegular) == 0) {
    if (s.delta > s.max_delta) s.max_delta = s.delta;
    if (rate_khz != 0) {
      if (s.min_jitter == -1 || s.jitter < s.min_jitter) s.min_jitter = s.jitter;
      if (s.jitter > s.max_jitter) s.max_jitter = s.jitter;
    }
    if (s.min_delta == -1 || s.delta < s.min_delta) s.min_delta = s.delta;
    const double n = s.total_nr;
    s.mean_delta = (s.mean_delta * (n - 1) + s.delta) / n;
    if (rate_khz != 0) s.mean_jitter = (s.mean_jitter * (n - 1) + current_jitter) / n;
  }

  if (in_time_sequence) s.time_ms = t;
  s.stop_seq = seq;
  ++s.total_nr;
  if ((flags & (kFlagWrongSeq | kFlagWrongTimestamp)) != 0) s.problem = true;
}

void RtpMeter::on_rtcp(const UdpPacket& pkt, const std::uint8_t* p, std::uint32_t len, double t_ms) noexcept {
  // A compound packet: SR (200) and RR (201) carry report blocks; others are skipped.
  if (len < 8 || p[1] < 200 || p[1] > 204) {
    ++counters_.rtcp_malformed;
    return;
  }
  ++counters_.rtcp;
  std::uint32_t off = 0;
  for (int guard = 0; off + 8 <= len && guard < 64; ++guard) {
    const std::uint8_t* q = p + off;
    if ((q[0] >> 6) != 2) break;
    const std::uint32_t plen = (static_cast<std::uint32_t>(be16(q + 2)) + 1) * 4;
    if (off + plen > len) {
      ++counters_.rtcp_malformed;
      break;
    }
    const std::uint8_t type = q[1];
    const unsigned rc = q[0] & 0x1F;
    std::uint32_t blocks_at = 0;
    if (type == 200 && plen >= 28) {
      const std::uint32_t sender = be32(q + 4);
      const std::uint32_t lsr = (be32(q + 8) << 16) | (be32(q + 12) >> 16);
      try {
        auto& info = senders_[sender];
        info.recent[info.next % info.recent.size()] = SrSeen{lsr, t_ms};
        ++info.next;
        ++info.count;
        info.last_ns = pkt.ts_ns;
      } catch (...) {
      }
      blocks_at = 28;
    } else if (type == 201) {
      blocks_at = 8;
    }
    if (blocks_at != 0) {
      for (unsigned i = 0; i < rc && blocks_at + 24 <= plen; ++i, blocks_at += 24) {
        const std::uint8_t* b = q + blocks_at;
        const std::uint32_t source = be32(b);
        std::int32_t cum = static_cast<std::int32_t>(be32(b + 4) & 0x00FFFFFFu);
        if ((cum & 0x00800000) != 0) cum -= 0x01000000;
        const std::uint32_t lsr = be32(b + 16), dlsr = be32(b + 20);
        double rtt = -1;
        try {
          auto& far = far_views_[FarKey{source, pkt.src.ip}];
          far.last_ns = pkt.ts_ns;
          auto& v = far.view;
          ++v.reports;
          v.fraction_lost = b[4] / 256.0;
          v.cumulative_lost = cum;
          v.jitter_units = be32(b + 12);
          if (lsr != 0) {
            auto it = senders_.find(source);
            if (it != senders_.end()) {
              for (const auto& sr : it->second.recent) {
                if (sr.lsr == lsr && sr.t_ms <= t_ms) {
                  rtt = (t_ms - sr.t_ms) - dlsr * 1000.0 / 65536.0;
                  v.rtt_ms = rtt;
                  break;
                }
              }
            }
          }
        } catch (...) {
        }
        if (on_report_) {
          on_report_(RtcpReportInfo{source, pkt.src.ip, pkt.ts_ns, b[4] / 256.0, cum, be32(b + 12), rtt});
        }
      }
    }
    off += plen;
  }
}

void RtpMeter::on_sip(const UdpPacket& pkt) noexcept {
  ++counters_.sip;
  try {
    sdp_scratch_.clear();
    parse_sip_sdp({reinterpret_cast<const char*>(pkt.payload), pkt.payload_len}, sdp_scratch_);
    for (auto& m : sdp_scratch_) {
      ++counters_.sdp_media;
      sdp_endpoints_[Endpoint{m.addr, m.rtp_port}] = SdpEndpoint{m.payloads, pkt.ts_ns, false};
      auto& rtcp = sdp_endpoints_[Endpoint{m.addr, m.rtcp_port}];
      if (!rtcp.map) rtcp = SdpEndpoint{m.payloads, pkt.ts_ns, true};
    }
  } catch (...) {
  }
}

std::int64_t RtpMeter::find(const RtpStreamKey& key, std::uint32_t hash) const noexcept {
  for (std::uint32_t i = hash & mask_;; i = (i + 1) & mask_) {
    const std::uint32_t slot = index_[i];
    if (slot == 0) return -1;
    const RtpStream& s = streams_[slot - 1];
    if (s.hash == hash && s.key == key) return slot - 1;
  }
}

void RtpMeter::insert_index(std::uint32_t idx) noexcept {
  std::uint32_t i = streams_[idx].hash & mask_;
  while (index_[i] != 0) i = (i + 1) & mask_;
  index_[i] = idx + 1;
}

void RtpMeter::rebuild_index(std::size_t capacity) {
  std::size_t cap = 16;
  while (cap < capacity) cap *= 2;
  index_.assign(cap, 0);
  mask_ = static_cast<std::uint32_t>(cap - 1);
  for (std::uint32_t i = 0; i < streams_.size(); ++i) insert_index(i);
}

void RtpMeter::close_stream(RtpStream& s) {
  // Attach the far end's view: report blocks about this SSRC from the stream's receiver.
  if (auto it = far_views_.find(FarKey{s.key.ssrc, s.key.dst.ip}); it != far_views_.end()) {
    s.rtcp = it->second.view;
    if (s.clock_rate != 0) s.rtcp.jitter_ms = s.rtcp.jitter_units * 1000.0 / s.clock_rate;
  }
  if (auto it = senders_.find(s.key.ssrc); it != senders_.end()) s.rtcp.sender_reports = it->second.count;
  if (on_closed_) on_closed_(s);
}

void RtpMeter::close_streams_before(std::int64_t cutoff, std::uint64_t& counter) {
  bool any = false;
  for (const auto& s : streams_) {
    if (s.last_ns < cutoff) {
      any = true;
      break;
    }
  }
  if (!any) return;
  std::vector<RtpStream> kept;
  kept.reserve(streams_.size());
  for (auto& s : streams_) {
    if (s.last_ns < cutoff) {
      ++counter;
      close_stream(s);
    } else {
      kept.push_back(std::move(s));
    }
  }
  streams_ = std::move(kept);
  rebuild_index(std::max<std::size_t>(1024, streams_.size() * 2));
}

bool RtpMeter::evict_oldest() noexcept {
  // Closing an eighth at a time keeps the cost of finding them (one
  // nth_element over the open streams) amortised over many new streams.
  if (streams_.empty()) return false;
  try {
    evict_scratch_.clear();
    for (const auto& s : streams_) evict_scratch_.push_back(s.last_ns);
    const std::size_t k = std::max<std::size_t>(1, streams_.size() / 8) - 1;
    std::nth_element(evict_scratch_.begin(), evict_scratch_.begin() + static_cast<std::ptrdiff_t>(k),
                     evict_scratch_.end());
    close_streams_before(evict_scratch_[k] + 1, counters_.streams_evicted);
    // What only the evicted streams used goes too, or new 5-tuples would grow it without bound.
    forget_before(evict_scratch_[k] + 1);
  } catch (...) {
    return false;
  }
  return streams_.size() < options_.max_streams;
}

void RtpMeter::expire(std::int64_t now_ns) {
  const std::int64_t cutoff = now_ns - options_.idle_timeout_ns;
  close_streams_before(cutoff, counters_.streams_closed_idle);
  forget_before(cutoff);
}

void RtpMeter::forget_before(std::int64_t cutoff) {
  // Conversations, SDP ends and RTCP state live as long as their streams.
  for (const auto& s : streams_) {
    ConvKey ck{s.key.src, s.key.dst};
    if (std::memcmp(&ck.a, &ck.b, sizeof(IpAddr)) > 0 || (ck.a.ip == ck.b.ip && ck.a.port > ck.b.port)) {
      std::swap(ck.a, ck.b);
    }
    if (auto it = conversations_.find(ck); it != conversations_.end()) it->second = std::max(it->second, s.last_ns);
  }
  std::erase_if(conversations_, [&](const auto& kv) { return kv.second < cutoff; });
  std::erase_if(sdp_endpoints_, [&](const auto& kv) { return kv.second.last_ns < cutoff; });
  std::erase_if(senders_, [&](const auto& kv) { return kv.second.last_ns < cutoff; });
  std::erase_if(far_views_, [&](const auto& kv) { return kv.second.last_ns < cutoff; });
}

void RtpMeter::finish() {
  for (auto& s : streams_) close_stream(s);
  streams_.clear();
  rebuild_index(1024);
}

}  // namespace callroot::ingest

namespace callroot::ingest {

CaptureMetering meter_capture(const std::string& path, const RtpMeterOptions& options) {
  CaptureMetering result;
  PcapReader reader(path);
  RtpMeter meter(options, [&](const RtpStream& s) { result.streams.push_back(s); });
  UdpPacket pkt;
  while (reader.next(pkt)) {
    if (reader.counters().udp == 1) meter.set_time_base(reader.first_ts_ns());
    meter.on_packet(pkt);
  }
  meter.finish();
  std::stable_sort(result.streams.begin(), result.streams.end(),
                   [](const RtpStream& a, const RtpStream& b) { return a.first_frame < b.first_frame; });
  result.packets = reader.counters();
  result.meter = meter.counters();
  result.error = reader.error();
  return result;
}

}  // namespace callroot::ingest
