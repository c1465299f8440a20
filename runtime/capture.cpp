#include "runtime/capture.h"

#include <spdlog/spdlog.h>

#include <fstream>

namespace callroot::runtime {

bool is_capture_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char magic[4] = {};
  if (!in.read(reinterpret_cast<char*>(magic), 4)) return false;
  const std::uint32_t m = static_cast<std::uint32_t>(magic[0]) << 24 | static_cast<std::uint32_t>(magic[1]) << 16 |
                          static_cast<std::uint32_t>(magic[2]) << 8 | magic[3];
  return m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1 || m == 0x0a0d0d0a;
}

std::string capture_summary(const std::string& name, const ingest::PacketCounters& p, const ingest::CaptureCounters& c,
                            const ingest::StreamSegmenter& seg) {
  const auto& m = seg.meter().counters();
  std::string s = fmt::format("capture {}: {} frames ({} udp, {} tcp", name, p.frames, p.udp, p.tcp);
  if (p.fragments > 0) s += fmt::format(", {} ip fragments -> {} datagrams", p.fragments, p.reassembled);
  if (p.kernel_drops > 0) s += fmt::format(", {} dropped by the kernel", p.kernel_drops);
  s += fmt::format("); zeromq: {} records on {} connections", c.zmtp_records, c.connections);
  if (c.tcp.gaps > 0 || c.zmtp.resyncs > 0 || c.zmtp.skipped_bytes > 0) {
    s += fmt::format(" ({} gaps, {} bytes missing; {} resyncs, {} bytes skipped)", c.tcp.gaps, c.tcp.gap_bytes,
                     c.zmtp.resyncs, c.zmtp.skipped_bytes);
  }
  s += fmt::format("; udp json: {} records; rtp: {} packets, {} streams, {} calls, {} segments", c.udp_records, m.rtp,
                   seg.counters().streams, seg.counters().calls, seg.counters().segments);
  if (m.streams_evicted > 0) s += fmt::format(" ({} streams evicted at the stream limit)", m.streams_evicted);
  std::string issues;
  for (std::size_t i = 0; i < ingest::kPacketIssueCount; ++i) {
    if (p.issues[i] == 0) continue;
    issues += fmt::format("{}{} {}", issues.empty() ? "" : ", ", ingest::code(static_cast<ingest::PacketIssue>(i)),
                          p.issues[i]);
  }
  for (std::size_t i = 0; i < ingest::kZmtpIssueCount; ++i) {
    if (c.zmtp.issues[i] == 0) continue;
    issues += fmt::format("{}zeromq {} {}", issues.empty() ? "" : ", ", ingest::code(static_cast<ingest::ZmtpIssue>(i)),
                          c.zmtp.issues[i]);
  }
  if (!issues.empty()) s += "; not read: " + issues;
  s += '\n';
  return s;
}

bool parse_capture_reject(std::string_view body, ingest::RejectReason& reason, ingest::Position& where,
                          std::string_view& detail) {
  std::string_view parts[4];
  for (auto& part : parts) {
    const auto nl = body.find('\n');
    if (nl == std::string_view::npos) return false;
    part = body.substr(0, nl);
    body.remove_prefix(nl + 1);
  }
  if (!ingest::parse_reject_code(parts[0], reason)) return false;
  where.source = parts[1];
  where.unit = parts[2];
  where.index = 0;
  for (const char c : parts[3]) where.index = where.index * 10 + static_cast<std::uint64_t>(c - '0');
  detail = body;
  return true;
}

CaptureFileInput::CaptureFileInput(const std::string& path, const ingest::CaptureOptions& options)
    : path_(path), reader_(path), decoder_(path, options) {}

bool CaptureFileInput::next(ingest::CaptureRecord& out) {
  for (;;) {
    if (decoder_.next(out)) return true;
    if (finished_) return false;
    switch (reader_.next_packet(packet_)) {
      case ingest::PcapReader::ReadStatus::kPacket: decoder_.on_packet(packet_); break;
      case ingest::PcapReader::ReadStatus::kIdle: break;
      case ingest::PcapReader::ReadStatus::kEnd:
      case ingest::PcapReader::ReadStatus::kError:
        decoder_.finish();
        finished_ = true;
        break;
    }
  }
}

std::string CaptureFileInput::summary() const {
  return capture_summary(path_, reader_.counters(), decoder_.counters(), decoder_.segmenter());
}

LiveCapture::LiveCapture(zmq::context_t& context, std::string endpoint, const ingest::LiveCaptureOptions& live,
                         const ingest::CaptureOptions& options, std::shared_ptr<spdlog::logger> log)
    : context_(context),
      endpoint_(std::move(endpoint)),
      iface_(live.iface),
      reader_(ingest::PcapReader::open_live(live)),
      decoder_(live.iface, options),
      log_(std::move(log)) {}

LiveCapture::~LiveCapture() {
  request_stop();
  join();
}

void LiveCapture::start() {
  thread_ = std::thread([this] { run(); });
}

void LiveCapture::request_stop() noexcept {
  stop_ = true;
  if (reader_) reader_->break_loop();
}

void LiveCapture::join() {
  if (thread_.joinable()) thread_.join();
}

void LiveCapture::run() {
  zmq::socket_t push(context_, zmq::socket_type::push);
  push.set(zmq::sockopt::sndhwm, 100'000);
  // At the end, the last segments must reach the daemon, which drains its socket.
  push.set(zmq::sockopt::linger, 5000);
  try {
    push.connect(endpoint_);
  } catch (const zmq::error_t& e) {
    log_->error("capture on {}: cannot reach the daemon at {}: {}", iface_, endpoint_, e.what());
    finished_ = true;
    return;
  }
  std::string reject;
  const auto forward = [&] {
    ingest::CaptureRecord rec;
    while (decoder_.next(rec)) {
      // Sends block when the daemon's queue is full: the kernel then buffers,
      // and past its buffer drops (counted by pcap_stats).
      // Once stopping, a daemon that no longer reads must not block us: drop instead.
      const auto first = stop_ ? zmq::send_flags::dontwait | zmq::send_flags::sndmore : zmq::send_flags::sndmore;
      if (rec.rejected) {
        reject.assign(ingest::code(rec.reason));
        reject += '\n';
        reject += rec.where.source;
        reject += '\n';
        reject += rec.where.unit;
        reject += '\n';
        reject += std::to_string(rec.where.index);
        reject += '\n';
        reject += rec.detail;
        if (push.send(zmq::buffer(kCaptureRejectType), first)) push.send(zmq::buffer(reject), zmq::send_flags::none);
      } else {
        if (push.send(zmq::buffer(rec.type), first)) push.send(zmq::buffer(rec.body), zmq::send_flags::none);
      }
    }
  };
  ingest::Packet packet;
  try {
    while (!stop_) {
      const auto st = reader_->next_packet(packet);
      if (st == ingest::PcapReader::ReadStatus::kPacket) {
        decoder_.on_packet(packet);
        forward();
      } else if (st == ingest::PcapReader::ReadStatus::kEnd) {
        break;  // break_loop()
      } else if (st == ingest::PcapReader::ReadStatus::kError) {
        log_->error("capture on {}: {}", iface_, reader_->error());
        break;
      }
    }
    decoder_.finish();
    forward();
  } catch (const zmq::error_t& e) {
    // The context is going away: the daemon is stopping without us.
    log_->warn("capture on {}: {}", iface_, e.what());
  }
  reader_->update_stats();
  finished_ = true;
}

std::string LiveCapture::summary() const {
  return capture_summary(iface_, reader_->counters(), decoder_.counters(), decoder_.segmenter());
}

}  // namespace callroot::runtime
