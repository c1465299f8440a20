#pragma once
/// Packet captures as record sources: a pcap/pcapng file for `callroot
/// replay`, a live interface for `callroot run --iface`. Both read records
/// with `ingest::CaptureDecoder` (ZeroMQ ingest traffic, JSON over UDP,
/// metered RTP as call segments).

#include <spdlog/logger.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "ingest/capture_source.h"
#include "ingest/pcap_reader.h"

namespace callroot::runtime {

/// True when the file starts with a pcap or pcapng magic number.
bool is_capture_file(const std::string& path);

/// One line for the summary: frames, records by origin, what was not read.
std::string capture_summary(const std::string& name, const ingest::PacketCounters& packets,
                            const ingest::CaptureCounters& capture, const ingest::StreamSegmenter& segmenter);

/// A capture file, read a packet at a time as its records are asked for.
class CaptureFileInput {
 public:
  /// Opens the file; throws std::runtime_error when it cannot.
  CaptureFileInput(const std::string& path, const ingest::CaptureOptions& options);
  /// The next record; false at the end of the file. A read error part-way ends
  /// the file early: error() says what happened, the records before it stand.
  bool next(ingest::CaptureRecord& out);
  [[nodiscard]] const std::string& error() const noexcept { return reader_.error(); }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] std::string summary() const;

 private:
  std::string path_;
  ingest::PcapReader reader_;
  ingest::CaptureDecoder decoder_;
  ingest::Packet packet_;
  bool finished_ = false;
};

/// The type frame of a record the capture thread already knows is bad: the
/// body is "<reject code>\n<source>\n<unit>\n<index>\n<detail>". A NUL byte
/// never starts a record type, and only the capture thread writes to its
/// inproc socket.
inline constexpr std::string_view kCaptureRejectType{"\0reject", 7};
/// Reads such a body back (views into it); false when it is not one.
bool parse_capture_reject(std::string_view body, ingest::RejectReason& reason, ingest::Position& where,
                          std::string_view& detail);

/// `callroot run --iface`: a thread reads the interface and hands every
/// record to the daemon over an inproc PUSH socket, as a ZeroMQ peer would.
class LiveCapture {
 public:
  /// Opens the interface (throws ingest::CaptureError: no permission, no such
  /// interface, a bad filter). The thread starts with start().
  LiveCapture(zmq::context_t& context, std::string endpoint, const ingest::LiveCaptureOptions& live,
              const ingest::CaptureOptions& options, std::shared_ptr<spdlog::logger> log);
  ~LiveCapture();
  LiveCapture(const LiveCapture&) = delete;
  LiveCapture& operator=(const LiveCapture&) = delete;

  /// The daemon's PULL endpoint for the records ("inproc://...").
  [[nodiscard]] const std::string& endpoint() const noexcept { return endpoint_; }
  void start();
  /// Asks the thread to stop; it then emits every call's last segment and ends.
  void request_stop() noexcept;
  /// The thread has ended (stopped, or the interface went away).
  [[nodiscard]] bool finished() const noexcept { return finished_.load(); }
  void join();
  [[nodiscard]] std::string summary() const;

 private:
  void run();

  zmq::context_t& context_;
  std::string endpoint_;
  std::string iface_;
  std::unique_ptr<ingest::PcapReader> reader_;
  ingest::CaptureDecoder decoder_;
  std::shared_ptr<spdlog::logger> log_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
};

}  // namespace callroot::runtime
