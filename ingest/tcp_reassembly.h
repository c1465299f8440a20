#pragma once
/// One direction of a TCP connection put back in order, for decoders of
/// byte streams (ZMTP). Sequence numbers place each segment; what was already
/// delivered (retransmissions, overlaps) is dropped; segments that arrive
/// ahead of a hole wait, up to a bound; past the bound, or when the
/// connection ends, the hole is given up and reported as a gap, so that the
/// decoder can resynchronise instead of waiting forever.
///
/// A capture that begins after the handshake starts the stream at the first
/// segment seen, marked `midstream()`: the decoder knows it has missed the
/// beginning.

#include <cstdint>
#include <vector>

namespace callroot::ingest {

struct TcpReassemblyOptions {
  /// Bytes held ahead of a hole, per direction, before the hole is given up.
  std::uint32_t max_buffered_bytes = 4u << 20;
  /// Segments held ahead of a hole (many tiny segments cost more than their bytes).
  std::uint32_t max_buffered_segments = 4096;
};

/// Receives the bytes in order.
class TcpSink {
 public:
  virtual ~TcpSink() = default;
  virtual void on_data(const std::uint8_t* data, std::size_t len) = 0;
  /// `bytes` are missing before the next on_data (0: unknown amount, e.g. a
  /// connection reset with data outstanding).
  virtual void on_gap(std::uint64_t bytes) = 0;
};

struct TcpStreamCounters {
  std::uint64_t segments = 0;
  std::uint64_t bytes = 0;                ///< delivered in order
  std::uint64_t retransmitted_bytes = 0;  ///< dropped: already delivered
  std::uint64_t out_of_order = 0;         ///< segments that waited for a hole to fill
  std::uint64_t gaps = 0;
  std::uint64_t gap_bytes = 0;
};

class TcpStream {
 public:
  explicit TcpStream(TcpReassemblyOptions options = {}) : options_(options) {}

  /// One segment of this direction: sequence number, TCP flags, data.
  /// `missing`: bytes of the segment after `data` that the capture cut off
  /// (snaplen); they are reported as a gap at once.
  void on_segment(std::uint32_t seq, std::uint8_t flags, const std::uint8_t* data, std::uint32_t len, TcpSink& sink,
                  std::uint32_t missing = 0);
  /// The connection is over (FIN/RST seen and delivered, idle, evicted, end
  /// of capture): data still waiting behind a hole is delivered after a gap.
  void close(TcpSink& sink);

  [[nodiscard]] bool started() const noexcept { return started_; }
  [[nodiscard]] bool midstream() const noexcept { return midstream_; }
  [[nodiscard]] bool finished() const noexcept { return finished_; }
  /// The initial sequence number + 1 (the first data byte), once started.
  [[nodiscard]] std::uint32_t first_seq() const noexcept { return base_; }
  [[nodiscard]] const TcpStreamCounters& counters() const noexcept { return counters_; }
  [[nodiscard]] std::size_t buffered_bytes() const noexcept { return buffered_; }

 private:
  struct Pending {
    std::uint64_t offset;  // from base_
    std::vector<std::uint8_t> bytes;
  };
  /// Delivers bytes at `offset` (trimming what was already delivered).
  void deliver(std::uint64_t offset, const std::uint8_t* data, std::uint64_t len, TcpSink& sink);
  void drain(TcpSink& sink);
  void give_up_hole(TcpSink& sink);

  TcpReassemblyOptions options_;
  bool started_ = false;
  bool midstream_ = false;
  bool finished_ = false;
  bool have_fin_ = false;
  std::uint32_t base_ = 0;        // sequence number of offset 0
  std::uint64_t next_ = 0;        // the next offset to deliver
  std::uint64_t fin_at_ = 0;      // offset of the FIN
  std::vector<Pending> pending_;  // sorted by offset, few
  std::size_t buffered_ = 0;
  TcpStreamCounters counters_;
};

}  // namespace callroot::ingest
