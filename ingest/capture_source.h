#pragma once
/// Records out of packets: what `callroot replay FILE.pcap` and `callroot run
/// --iface` read from a capture.
///
/// - **ZeroMQ ingest traffic** (TCP to a `zmq_ports` port, default callroot's
///   own 7710 and 7711): each direction toward the port is reassembled
///   (`TcpStream`) and decoded as ZMTP 3.x (`ZmtpDecoder`); a two-frame
///   message [type, JSON] is a record, exactly as the daemon's socket would
///   have received it. Other frame counts are `bad_frames`, as in the daemon.
/// - **JSON over UDP** (a datagram to a `udp_ports` port): one record per
///   datagram, its type from its `type` field. A datagram cut by the snaplen
///   is rejected as `truncated`.
/// - **RTP** (any other UDP): metered and sliced into `call.segment` records
///   (`StreamSegmenter`), written as native JSON so they are decoded, counted
///   and positioned like every other record.
///
/// Records come out in the order their last packet was captured (segments
/// when their slice ends). Per packet nothing is allocated once a connection
/// or stream is known: record buffers are reused.

#include <bitset>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ingest/pcap_reader.h"
#include "ingest/reject.h"
#include "ingest/stream_segmenter.h"
#include "ingest/tcp_reassembly.h"
#include "ingest/zmtp.h"

namespace callroot::ingest {

struct CaptureOptions {
  std::vector<std::uint16_t> zmq_ports{7710, 7711};  ///< TCP ports whose inbound bytes are ZMTP
  std::vector<std::uint16_t> udp_ports;              ///< UDP ports carrying one JSON record per datagram
  bool rtp_segments = true;                          ///< meter the other UDP into call segments
  SegmenterOptions segmenter;
  TcpReassemblyOptions tcp;
  ZmtpOptions zmtp;
  std::size_t max_connections = 4096;                 ///< TCP directions decoded at once; past it the idlest goes
  std::int64_t connection_idle_ns = 600'000'000'000;  ///< a connection silent this long is closed
  /// Privacy mode: positions name a TCP connection by a keyed token instead
  /// of its addresses, and RTP call ids are pseudonymous (the segmenter's
  /// own option is set from this one). Not owned; must outlive the decoder.
  const Pseudonymizer* pseudonymizer = nullptr;
};

/// One record as read from the capture. Views stay valid until the next call
/// to on_packet, finish or next.
struct CaptureRecord {
  enum class Origin : std::uint8_t { kZmtp, kUdp, kRtp };
  Origin origin = Origin::kZmtp;
  std::string_view type;  ///< ZeroMQ frame 1; empty: the body's `type` field says
  std::string_view body;  ///< the JSON, followed by kZmtpPadding readable bytes
  Position where;
  std::int64_t ts_ns = 0;  ///< capture time of the packet that completed it
  /// Known bad before decoding (bad_frames, too_large, truncated): `detail` says why.
  bool rejected = false;
  RejectReason reason = RejectReason::kBadFrames;
  std::string_view detail;
};

struct CaptureCounters {
  std::uint64_t connections = 0;  ///< TCP directions to a ZeroMQ port seen
  std::uint64_t evicted_connections = 0;
  std::uint64_t zmtp_records = 0;  ///< messages handed out (malformed ones included)
  std::uint64_t udp_records = 0;
  std::uint64_t segments = 0;
  std::uint64_t tcp_other = 0;  ///< TCP segments to other ports (ignored)
  TcpStreamCounters tcp;
  ZmtpCounters zmtp;
};

class CaptureDecoder {
 public:
  /// `name` prefixes positions ("cap.pcap frame 17", "eth0 tcp ... message 3").
  CaptureDecoder(std::string name, CaptureOptions options);
  ~CaptureDecoder();
  CaptureDecoder(const CaptureDecoder&) = delete;
  CaptureDecoder& operator=(const CaptureDecoder&) = delete;

  void on_packet(const Packet& p);
  /// The end of the capture: connections close (data behind a hole comes
  /// after a gap), every call emits its last segment.
  void finish();
  /// The next record, oldest first; false when none is waiting.
  bool next(CaptureRecord& out);

  [[nodiscard]] CaptureCounters counters() const;
  [[nodiscard]] const StreamSegmenter& segmenter() const noexcept { return segmenter_; }
  [[nodiscard]] std::size_t open_connections() const noexcept { return flows_.size(); }

 private:
  struct Flow;
  struct FlowKey {
    Endpoint src, dst;
    friend bool operator==(const FlowKey&, const FlowKey&) = default;
  };
  struct FlowKeyHash {
    std::size_t operator()(const FlowKey& k) const noexcept;
  };
  struct Owned {
    CaptureRecord::Origin origin = CaptureRecord::Origin::kZmtp;
    std::string type, body, source, detail;
    std::uint64_t index = 0;
    std::string_view unit;
    std::int64_t ts_ns = 0;
    bool rejected = false;
    RejectReason reason = RejectReason::kBadFrames;
  };
  Owned& push();
  void on_tcp(const Packet& p);
  void on_message(Flow& flow, const ZmtpMessage& m);
  void close_flow(Flow& flow);
  void sweep(std::int64_t now_ns);

  std::string name_;
  std::string rtp_source_;
  CaptureOptions options_;
  std::bitset<65536> zmq_ports_, udp_ports_;
  StreamSegmenter segmenter_;
  std::unordered_map<FlowKey, std::unique_ptr<Flow>, FlowKeyHash> flows_;
  std::vector<Owned> queue_;  // a FIFO whose slots (and their string buffers) are reused
  std::size_t head_ = 0, tail_ = 0;
  std::int64_t now_ns_ = 0;
  std::int64_t next_sweep_ns_ = 0;
  CaptureCounters counters_;  // flows closed so far; live ones are added in counters()
};

}  // namespace callroot::ingest
