#include "ingest/stream_segmenter.h"

#include <algorithm>
#include <cstring>
#include <tuple>

#include "models/json_writer.h"

namespace callroot::ingest {

namespace {

constexpr std::int64_t kMaxDropout = 3000;  // RFC 3550 A.1
constexpr std::int64_t kMaxMisorder = 100;
// Without a payload type that says, packets this large on average are video:
// audio frames of 20 ms are tens to a few hundred bytes, video packets fill the MTU.
constexpr std::uint64_t kVideoPacketBytes = 300;

bool less(const Endpoint& a, const Endpoint& b) noexcept {
  const int c = std::memcmp(a.ip.bytes.data(), b.ip.bytes.data(), 16);
  return c < 0 || (c == 0 && a.port < b.port);
}

std::uint64_t hash_endpoint(const Endpoint& e) noexcept {
  std::uint64_t a, b;
  std::memcpy(&a, e.ip.bytes.data(), 8);
  std::memcpy(&b, e.ip.bytes.data() + 8, 8);
  std::uint64_t h = a * 0x9E3779B97F4A7C15ULL ^ b * 0xC2B2AE3D27D4EB4FULL ^ e.port;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

/// Private, loopback, link-local, CGNAT and unique-local addresses: not what a
/// far end sees media come from.
bool is_public(const IpAddr& ip) noexcept {
  const auto& b = ip.bytes;
  if (ip.is_v4()) {
    const std::uint8_t a = b[12], c = b[13];
    if (a == 10 || a == 127 || a == 0 || a >= 224) return false;
    if (a == 172 && (c & 0xF0) == 16) return false;
    if (a == 192 && c == 168) return false;
    if (a == 169 && c == 254) return false;
    if (a == 100 && (c & 0xC0) == 64) return false;
    return true;
  }
  if ((b[0] & 0xFE) == 0xFC) return false;                  // fc00::/7
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return false;  // fe80::/10
  if (b[0] == 0xFF) return false;                           // multicast
  bool zero = true;
  for (int i = 0; i < 15; ++i) zero = zero && b[i] == 0;
  return !zero;  // :: and ::1
}

/// Media from a payload type alone: static types (RFC 3551), or the SDP
/// media line of a dynamic one; -1 when it does not say.
std::int8_t media_of(std::uint8_t pt, const RtpStream& s) noexcept {
  if (pt < 24) return static_cast<std::int8_t>(Media::kAudio);
  if (pt < 35) return static_cast<std::int8_t>(Media::kVideo);
  if (pt >= 96 && s.sdp) {
    if (s.sdp->media == "audio") return static_cast<std::int8_t>(Media::kAudio);
    if (s.sdp->media == "video") return static_cast<std::int8_t>(Media::kVideo);
  }
  return -1;
}

TimeMs floor_ms(std::int64_t ns) noexcept { return ns >= 0 ? ns / 1'000'000 : -((-ns + 999'999) / 1'000'000); }
TimeMs ceil_ms(std::int64_t ns) noexcept { return -floor_ms(-ns); }

}  // namespace

std::size_t StreamSegmenter::CallKeyHash::operator()(const CallKey& k) const noexcept {
  return hash_endpoint(k.a) * 31 + hash_endpoint(k.b);
}

StreamSegmenter::StreamSegmenter(SegmenterOptions options, SegmentSink sink)
    : options_(std::move(options)),
      sink_(std::move(sink)),
      meter_(
          [&] {
            RtpMeterOptions m = options_.meter;
            m.idle_timeout_ns = options_.idle_timeout_ns;
            m.max_streams = options_.max_streams;
            m.evict_oldest = true;
            return m;
          }(),
          [this](const RtpStream& s) { on_closed(s); }) {
  if (options_.slice_ns <= 0) options_.slice_ns = 60'000'000'000;
  meter_.set_observers([this](RtpStream& s, const UdpPacket& p, const RtpPacketInfo& i) { on_rtp(s, p, i); },
                       [this](const RtcpReportInfo& r) { on_report(r); });
}

std::uint32_t StreamSegmenter::open_flow(const RtpStream& s, const UdpPacket& pkt) {
  CallKey ck{s.key.src, s.key.dst};
  if (less(ck.b, ck.a)) std::swap(ck.a, ck.b);
  std::uint32_t call;
  if (auto it = call_index_.find(ck); it != call_index_.end()) {
    call = it->second;
  } else {
    if (!free_calls_.empty()) {
      call = free_calls_.back();
      free_calls_.pop_back();
    } else {
      call = static_cast<std::uint32_t>(calls_.size());
      calls_.emplace_back();
    }
    Call& c = calls_[call];
    c.key = ck;
    c.caller = s.key.src;  // the side that sent first
    c.callee = s.key.dst;
    c.start_ns = pkt.ts_ns;
    c.slice_start_ns = pkt.ts_ns;
    c.slice_end_ns = pkt.ts_ns + options_.slice_ns;
    c.slice_index = 0;
    c.last_ns = pkt.ts_ns;
    c.flows.clear();
    c.open_flows = 0;
    const std::string tuple = c.caller.str() + '-' + c.callee.str();
    c.call_id = (options_.pseudonymizer != nullptr ? "rtp-" + options_.pseudonymizer->token('r', tuple) : tuple) + '@' +
                std::to_string(floor_ms(c.start_ns));
    c.in_use = true;
    call_index_.emplace(ck, call);
    ++counters_.calls;
  }
  std::uint32_t idx;
  if (!free_flows_.empty()) {
    idx = free_flows_.back();
    free_flows_.pop_back();
  } else {
    idx = static_cast<std::uint32_t>(flows_.size());
    flows_.emplace_back();
  }
  flows_[idx] = Flow{};
  Flow& f = flows_[idx];
  f.key = s.key;
  f.call = call;
  f.open = true;
  f.in_use = true;
  calls_[call].flows.push_back(idx);
  ++calls_[call].open_flows;
  by_ssrc_.emplace(s.key.ssrc, idx);
  ++counters_.streams;
  return idx;
}

void StreamSegmenter::on_rtp(RtpStream& s, const UdpPacket& pkt, const RtpPacketInfo& info) noexcept {
  try {
    if (s.tag == 0) s.tag = open_flow(s, pkt) + 1;
  } catch (...) {
    return;  // out of memory: this stream is metered but not segmented
  }
  Flow& f = flows_[s.tag - 1];
  Call& c = calls_[f.call];
  if (pkt.ts_ns >= c.slice_end_ns) {
    try {
      emit_slice(c, false);
    } catch (...) {
      // Out of memory for the segment: it is lost, the call goes on.
    }
    // The slice this packet falls in; empty slices in between are skipped.
    const std::int64_t k = (pkt.ts_ns - c.start_ns) / options_.slice_ns;
    c.slice_index = static_cast<std::uint64_t>(k);
    c.slice_start_ns = c.start_ns + k * options_.slice_ns;
    c.slice_end_ns = c.slice_start_ns + options_.slice_ns;
  }
  if (pkt.ts_ns > c.last_ns) c.last_ns = pkt.ts_ns;
  if (info.other_mac) return;  // the same packet seen again elsewhere on the path

  ++f.packets;
  ++f.total_packets;
  f.bytes += info.payload_bytes;
  f.total_bytes += info.payload_bytes;
  if (info.payload_type != f.last_pt) {
    f.last_pt = info.payload_type;
    const std::int8_t m = media_of(info.payload_type, s);
    // Comfort noise and telephone events do not say what the stream carries.
    if (m >= 0 && info.payload_type != 13 && info.payload_type != 19) f.media = m;
  }
  if (s.clock_rate != 0) f.clock_rate = s.clock_rate;

  // Extended highest sequence number, with restarts after big jumps.
  if (!f.has_seq) {
    f.has_seq = true;
    f.ext_max = info.seq;
    f.base = f.ext_max - 1;
  } else {
    const auto delta =
        static_cast<std::int16_t>(static_cast<std::uint16_t>(info.seq - static_cast<std::uint16_t>(f.ext_max)));
    if (delta > kMaxDropout || delta < -kMaxMisorder) {
      f.expected_acc += f.ext_max - f.base;
      f.ext_max = info.seq;
      f.base = f.ext_max - 1;
      ++counters_.seq_restarts;
    } else if (delta > 0) {
      f.ext_max += delta;
    }
  }
  // The meter's running RFC 3550 jitter, once a clock rate gave it meaning.
  if (s.clock_rate != 0 && s.packets > 1) {
    f.jitter_sum += s.jitter;
    f.jitter_max = std::max(f.jitter_max, s.jitter);
    ++f.jitter_n;
  }
}

void StreamSegmenter::on_report(const RtcpReportInfo& r) noexcept {
  if (r.rtt_ms < 0) return;
  auto [it, end] = by_ssrc_.equal_range(r.ssrc);
  for (; it != end; ++it) {
    Flow& f = flows_[it->second];
    // The report about a stream comes from its receiver.
    if (!f.in_use || !(f.key.dst.ip == r.reporter)) continue;
    f.rtt_sum += r.rtt_ms;
    f.rtt_max = std::max(f.rtt_max, r.rtt_ms);
    ++f.rtt_n;
  }
}

void StreamSegmenter::on_closed(const RtpStream& s) noexcept {
  if (s.tag == 0) return;
  Flow& f = flows_[s.tag - 1];
  if (!f.in_use || !f.open) return;
  f.open = false;
  const std::uint32_t call = f.call;
  Call& c = calls_[call];
  if (--c.open_flows > 0) return;
  try {
    emit_slice(c, true);
  } catch (...) {
  }
  release_call(call);
}

void StreamSegmenter::release_flow(std::uint32_t idx) {
  Flow& f = flows_[idx];
  auto [it, end] = by_ssrc_.equal_range(f.key.ssrc);
  for (; it != end; ++it) {
    if (it->second == idx) {
      by_ssrc_.erase(it);
      break;
    }
  }
  f.in_use = false;
  free_flows_.push_back(idx);
}

void StreamSegmenter::release_call(std::uint32_t call) {
  Call& c = calls_[call];
  for (const std::uint32_t idx : c.flows) release_flow(idx);
  c.flows.clear();
  c.in_use = false;
  call_index_.erase(c.key);
  free_calls_.push_back(call);
}

void StreamSegmenter::emit_slice(Call& c, bool last) {
  bool any = false;
  for (const std::uint32_t idx : c.flows) any = any || flows_[idx].packets > 0;
  if (any) {
    CallSegment seg;
    seg.call_id = c.call_id;
    seg.segment_id = c.call_id + '/' + std::to_string(c.slice_index);
    seg.start = floor_ms(c.slice_start_ns);
    const std::int64_t end_ns = last ? std::min(c.last_ns, c.slice_end_ns) : c.slice_end_ns;
    seg.end = std::max(seg.start, last ? ceil_ms(end_ns) : floor_ms(end_ns));
    for (auto* side : {&seg.caller, &seg.callee}) {
      const Endpoint& e = side == &seg.caller ? c.caller : c.callee;
      side->present = true;
      side->ip = e.ip;
      if (is_public(e.ip)) side->reflexive_ip = e.ip;
    }
    const double seconds = static_cast<double>(end_ns - c.slice_start_ns) / 1e9;
    std::vector<std::pair<std::tuple<int, int, std::uint32_t>, Stream>> streams;
    for (const std::uint32_t idx : c.flows) {
      const Flow& f = flows_[idx];
      if (f.packets == 0) continue;
      Stream st;
      st.from = f.key.src == c.caller ? Side::kCaller : Side::kCallee;
      std::int8_t media = f.media;
      if (media < 0) {
        const bool video =
            f.clock_rate == 90000 || (f.total_packets > 0 && f.total_bytes / f.total_packets > kVideoPacketBytes);
        media = static_cast<std::int8_t>(video ? Media::kVideo : Media::kAudio);
      }
      st.media = static_cast<Media>(media);
      const std::int64_t expected = f.expected_acc + (f.ext_max - f.base);
      if (expected > 0) {
        const std::int64_t lost = std::max<std::int64_t>(0, expected - f.packets);
        st.set(StreamMetric::kLossAvg,
               std::min(100.0, 100.0 * static_cast<double>(lost) / static_cast<double>(expected)));
      }
      if (f.jitter_n > 0) {
        st.set(StreamMetric::kJitterAvg, f.jitter_sum / f.jitter_n);
        st.set(StreamMetric::kJitterMax, f.jitter_max);
      }
      if (f.rtt_n > 0) {
        st.set(StreamMetric::kRttAvg, f.rtt_sum / f.rtt_n);
        st.set(StreamMetric::kRttMax, f.rtt_max);
      }
      if (seconds >= 0.001) st.set(StreamMetric::kBitrate, static_cast<double>(f.bytes) * 8 / seconds / 1000);
      streams.emplace_back(std::make_tuple(static_cast<int>(st.from), static_cast<int>(st.media), f.key.ssrc), st);
    }
    // Deterministic order: by direction, media, SSRC.
    std::stable_sort(streams.begin(), streams.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    seg.streams.reserve(streams.size());
    for (auto& s : streams) seg.streams.push_back(s.second);
    ++counters_.segments;
    if (sink_) sink_(std::move(seg));
  }
  // The next slice starts from here; flows closed meanwhile leave the call.
  std::vector<std::uint32_t>& flows = c.flows;
  std::size_t kept = 0;
  for (const std::uint32_t idx : flows) {
    Flow& f = flows_[idx];
    f.packets = 0;
    f.bytes = 0;
    f.jitter_sum = f.jitter_max = 0;
    f.jitter_n = 0;
    f.rtt_sum = f.rtt_max = 0;
    f.rtt_n = 0;
    f.expected_acc = 0;
    f.base = f.ext_max;
    if (f.open || last) {
      flows[kept++] = idx;
    } else {
      release_flow(idx);
    }
  }
  flows.resize(kept);
}

void StreamSegmenter::finish() { meter_.finish(); }

}  // namespace callroot::ingest
