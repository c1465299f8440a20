#include "ingest/capture_source.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>

namespace callroot::ingest {

static_assert(kZmtpPadding >= simdjson::SIMDJSON_PADDING, "record bodies are handed to simdjson in place");

namespace {

// The daemon's ZmqSource echoes at most this much of a malformed message's first frame.
constexpr std::size_t kMaxTypeEcho = 128;

void add(TcpStreamCounters& a, const TcpStreamCounters& b) {
  a.segments += b.segments;
  a.bytes += b.bytes;
  a.retransmitted_bytes += b.retransmitted_bytes;
  a.out_of_order += b.out_of_order;
  a.gaps += b.gaps;
  a.gap_bytes += b.gap_bytes;
}

void add(ZmtpCounters& a, const ZmtpCounters& b) {
  a.messages += b.messages;
  a.commands += b.commands;
  a.frames += b.frames;
  a.resyncs += b.resyncs;
  a.skipped_bytes += b.skipped_bytes;
  for (std::size_t i = 0; i < a.issues.size(); ++i) a.issues[i] += b.issues[i];
}

SegmenterOptions segmenter_options(const CaptureOptions& o) {
  SegmenterOptions s = o.segmenter;
  if (o.pseudonymizer != nullptr) s.pseudonymizer = o.pseudonymizer;
  return s;
}

}  // namespace

struct CaptureDecoder::Flow {
  Flow(CaptureDecoder& owner, const TcpReassemblyOptions& tcp_options, const ZmtpOptions& zmtp_options)
      : tcp(tcp_options), zmtp([this, &owner](const ZmtpMessage& m) { owner.on_message(*this, m); }, zmtp_options) {}
  TcpStream tcp;
  ZmtpDecoder zmtp;
  std::string source;  // "<name> tcp <src>-><dst>"
  std::uint64_t messages = 0;
  std::int64_t last_ns = 0;
};

std::size_t CaptureDecoder::FlowKeyHash::operator()(const FlowKey& k) const noexcept {
  std::uint64_t a, b, c, d;
  std::memcpy(&a, k.src.ip.bytes.data(), 8);
  std::memcpy(&b, k.src.ip.bytes.data() + 8, 8);
  std::memcpy(&c, k.dst.ip.bytes.data(), 8);
  std::memcpy(&d, k.dst.ip.bytes.data() + 8, 8);
  std::uint64_t h = (a * 31 + b) * 0x9E3779B97F4A7C15ULL ^ (c * 31 + d) * 0xC2B2AE3D27D4EB4FULL ^
                    (std::uint64_t{k.src.port} << 16 | k.dst.port);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

CaptureDecoder::CaptureDecoder(std::string name, CaptureOptions options)
    : name_(std::move(name)),
      rtp_source_(name_ + " rtp"),
      options_(std::move(options)),
      segmenter_(segmenter_options(options_), [this](CallSegment&& s) {
        Owned& o = push();
        o.origin = CaptureRecord::Origin::kRtp;
        o.type.clear();
        o.body.clear();
        write_segment_json(s, o.body);
        o.source = rtp_source_;
        o.unit = "segment";
        o.index = ++counters_.segments;
        o.ts_ns = now_ns_;
      }) {
  for (const auto p : options_.zmq_ports) zmq_ports_.set(p);
  for (const auto p : options_.udp_ports) udp_ports_.set(p);
}

CaptureDecoder::~CaptureDecoder() = default;

CaptureDecoder::Owned& CaptureDecoder::push() {
  if (tail_ == queue_.size()) queue_.emplace_back();
  Owned& o = queue_[tail_++];
  o.rejected = false;
  o.detail.clear();
  return o;
}

bool CaptureDecoder::next(CaptureRecord& out) {
  if (head_ == tail_) {
    head_ = tail_ = 0;
    return false;
  }
  Owned& o = queue_[head_++];
  // The padding simdjson reads past the end stays in the string until the
  // slot is reused; the buffers keep their capacity.
  const std::size_t len = o.body.size();
  o.body.append(kZmtpPadding, '\0');
  out.origin = o.origin;
  out.type = o.type;
  out.body = std::string_view(o.body.data(), len);
  out.where = Position{o.source, o.index, o.unit};
  out.ts_ns = o.ts_ns;
  out.rejected = o.rejected;
  out.reason = o.reason;
  out.detail = o.detail;
  return true;
}

void CaptureDecoder::on_packet(const Packet& p) {
  now_ns_ = p.ts_ns;
  if (p.ts_ns >= next_sweep_ns_) {
    sweep(p.ts_ns);
    next_sweep_ns_ = p.ts_ns + 10'000'000'000;
  }
  if (p.transport == Transport::kTcp) {
    if (zmq_ports_.test(p.dst.port)) {
      on_tcp(p);
    } else {
      ++counters_.tcp_other;
    }
    return;
  }
  if (udp_ports_.test(p.dst.port)) {
    Owned& o = push();
    o.origin = CaptureRecord::Origin::kUdp;
    o.type.clear();
    o.body.assign(reinterpret_cast<const char*>(p.payload), p.payload_len);
    o.source = name_;
    o.unit = "frame";
    o.index = p.frame;
    o.ts_ns = p.ts_ns;
    if (p.truncated) {
      o.rejected = true;
      o.reason = RejectReason::kTruncated;
      o.detail = "the datagram was captured " + std::to_string(p.payload_len) + " of " + std::to_string(p.udp_len) +
                 " bytes (snaplen)";
    }
    ++counters_.udp_records;
    return;
  }
  if (options_.rtp_segments) segmenter_.on_packet(p);
}

void CaptureDecoder::on_tcp(const Packet& p) {
  const FlowKey key{p.src, p.dst};
  auto it = flows_.find(key);
  const bool syn = (p.tcp_flags & kTcpSyn) != 0;
  // A new connection on a 4-tuple whose last one ended (or that we joined late).
  if (it != flows_.end() && syn && (it->second->tcp.finished() || it->second->tcp.first_seq() != p.tcp_seq + 1)) {
    close_flow(*it->second);
    flows_.erase(it);
    it = flows_.end();
  }
  if (it == flows_.end()) {
    // A bare ACK or FIN after a connection ended opens nothing.
    if (!syn && p.udp_len == 0) return;
    if (flows_.size() >= options_.max_connections) {
      auto idlest = std::min_element(flows_.begin(), flows_.end(), [](const auto& a, const auto& b) {
        return a.second->last_ns < b.second->last_ns;
      });
      close_flow(*idlest->second);
      flows_.erase(idlest);
      ++counters_.evicted_connections;
    }
    auto flow = std::make_unique<Flow>(*this, options_.tcp, options_.zmtp);
    flow->source = name_ + " tcp " +
                   (options_.pseudonymizer != nullptr
                        ? "conn-" + options_.pseudonymizer->token('c', p.src.str() + "->" + p.dst.str())
                        : p.src.str() + "->" + p.dst.str());
    if (!syn) flow->zmtp.start_midstream();
    it = flows_.emplace(key, std::move(flow)).first;
    ++counters_.connections;
  }
  Flow& f = *it->second;
  f.last_ns = p.ts_ns;
  f.tcp.on_segment(p.tcp_seq, p.tcp_flags, p.payload, p.payload_len, f.zmtp, p.udp_len - p.payload_len);
  if (f.tcp.finished()) {
    close_flow(f);
    flows_.erase(it);
  }
}

void CaptureDecoder::on_message(Flow& flow, const ZmtpMessage& m) {
  Owned& o = push();
  o.origin = CaptureRecord::Origin::kZmtp;
  o.source = flow.source;
  o.unit = "message";
  o.index = ++flow.messages;
  o.ts_ns = now_ns_;
  ++counters_.zmtp_records;
  if (m.too_large) {
    o.type.clear();
    o.body.clear();
    o.rejected = true;
    o.reason = RejectReason::kTooLarge;
    o.detail = "a ZeroMQ message over " + std::to_string(options_.zmtp.max_message_bytes) + " bytes";
    return;
  }
  if (m.frames != 2) {
    // What the daemon's socket reports for the same message.
    o.type.assign(m.type.substr(0, kMaxTypeEcho));
    o.body.clear();
    o.rejected = true;
    o.reason = RejectReason::kBadFrames;
    o.detail = "expected 2 frames (type, JSON body), got " + std::to_string(m.frames);
    return;
  }
  o.type.assign(m.type);
  o.body.assign(m.body);
}

void CaptureDecoder::close_flow(Flow& flow) {
  flow.tcp.close(flow.zmtp);
  add(counters_.tcp, flow.tcp.counters());
  add(counters_.zmtp, flow.zmtp.counters());
}

void CaptureDecoder::sweep(std::int64_t now_ns) {
  for (auto it = flows_.begin(); it != flows_.end();) {
    if (now_ns - it->second->last_ns > options_.connection_idle_ns) {
      close_flow(*it->second);
      it = flows_.erase(it);
    } else {
      ++it;
    }
  }
}

void CaptureDecoder::finish() {
  // In a stable order, so that records from data behind holes come out the same way every time.
  std::vector<Flow*> open;
  open.reserve(flows_.size());
  for (auto& [key, flow] : flows_) open.push_back(flow.get());
  std::sort(open.begin(), open.end(), [](const Flow* a, const Flow* b) { return a->source < b->source; });
  for (Flow* f : open) close_flow(*f);
  flows_.clear();
  if (options_.rtp_segments) segmenter_.finish();
}

CaptureCounters CaptureDecoder::counters() const {
  CaptureCounters c = counters_;
  for (const auto& [key, flow] : flows_) {
    add(c.tcp, flow->tcp.counters());
    add(c.zmtp, flow->zmtp.counters());
  }
  return c;
}

}  // namespace callroot::ingest
