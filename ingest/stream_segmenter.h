#pragma once
/// Metered RTP streams become call segments: what a Zoom or Teams client
/// reports per minute, measured instead at a metering point (a SPAN port, a
/// tap, the host itself).
///
/// - **Calls.** The streams of one 5-tuple and of its mirror (A->B and B->A)
///   are one call, whatever their SSRCs (bundled audio and video share a
///   5-tuple). The caller is the side whose packet came first. Media on other
///   ports (non-bundled SIP audio and video) are other calls.
/// - **Slices.** From the call's first packet, every `slice_ns` of packet time
///   is one segment (default 60 s, Zoom's per-minute QoS). A slice is emitted
///   when a packet of the call arrives past its end; the last, partial one
///   when the call's streams have all closed (idle for `idle_timeout_ns`,
///   evicted, or at finish()) and it then ends at the call's last packet.
///   Slices without packets are skipped.
/// - **Ids.** `call_id` = `<caller ip:port>-<callee ip:port>@<first packet, ms
///   since the epoch>`: the 5-tuple, deterministic, and unique when a 5-tuple
///   is reused by a later call. `segment_id` = `<call_id>/<slice index>`.
///   With a pseudonymizer, `rtp-<16 hex digits>@<ms>`: the keyed hash of the
///   same 5-tuple text, as stable and as unique, without the addresses.
/// - **Endpoints.** `ip` as seen at the meter, and `reflexive_ip` too when
///   that address is public (a meter outside the NAT sees the address media
///   leaves from, which names a WAN link); connection unknown.
/// - **Streams**, one per direction and SSRC with packets in the slice:
///   `media` from the payload type (static table, SDP `m=` line), else video
///   for a 90 kHz clock or large packets; `jitter_avg_ms`/`jitter_max_ms` from
///   the meter's RFC 3550 interarrival jitter sampled at every packet of the
///   slice (not measured without a clock rate); `loss_avg_pct` = lost /
///   expected in the slice, from the extended highest sequence number (RFC
///   3550 A.1, restarts after a jump over 3000 or back over 100); `rtt_avg_ms`
///   /`rtt_max_ms` from RTCP report blocks the stream's receiver sent in the
///   slice; `bitrate_kbps` of RTP payload.
///
/// Memory: one small record per open stream and per call. The meter closes
/// streams idle for `idle_timeout_ns` and, at `max_streams`, evicts the least
/// recently active eighth (counted); a segmenter therefore holds at most
/// `max_streams` streams whatever the capture. Per packet: no allocation.

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ingest/rtp_meter.h"
#include "models/pseudonym.h"
#include "models/segment.h"
#include "models/segment_json.h"

namespace callroot::ingest {

struct SegmenterOptions {
  std::int64_t slice_ns = 60'000'000'000;
  /// A stream without packets for this long is closed; a call whose streams
  /// are all closed emits its last slice.
  std::int64_t idle_timeout_ns = 30'000'000'000;
  std::size_t max_streams = 100'000;
  /// The meter's options; its idle timeout, stream cap and eviction are set from the above.
  RtpMeterOptions meter;
  /// Privacy mode: `call_id` = `rtp-<keyed hash of the 5-tuple>@<ms>`, so ids
  /// name no address (docs/privacy.md). Not owned; must outlive the segmenter.
  const Pseudonymizer* pseudonymizer = nullptr;
};

struct SegmenterCounters {
  std::uint64_t calls = 0;     ///< calls opened
  std::uint64_t streams = 0;   ///< streams (5-tuple + SSRC) opened
  std::uint64_t segments = 0;  ///< segments emitted
  std::uint64_t seq_restarts = 0;
};

class StreamSegmenter {
 public:
  using SegmentSink = std::function<void(CallSegment&&)>;

  StreamSegmenter(SegmenterOptions options, SegmentSink sink);
  StreamSegmenter(const StreamSegmenter&) = delete;
  StreamSegmenter& operator=(const StreamSegmenter&) = delete;

  /// Meters one UDP datagram (RTP, RTCP, SIP/SDP, others counted) and emits
  /// the slices it completes.
  void on_packet(const UdpPacket& pkt) noexcept { meter_.on_packet(pkt); }
  /// Closes every stream: each call emits its last slice.
  void finish();

  [[nodiscard]] const RtpMeter& meter() const noexcept { return meter_; }
  [[nodiscard]] const SegmenterCounters& counters() const noexcept { return counters_; }
  [[nodiscard]] std::size_t open_calls() const noexcept { return call_index_.size(); }

 private:
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;
  struct CallKey {
    Endpoint a, b;  // ordered
    friend bool operator==(const CallKey&, const CallKey&) = default;
  };
  struct CallKeyHash {
    std::size_t operator()(const CallKey& k) const noexcept;
  };
  struct Flow {
    RtpStreamKey key;
    std::uint32_t call = kNone;
    bool open = false;
    bool in_use = false;
    // Media: decided by the payload type when it says; else by the clock or packet size.
    std::uint8_t last_pt = 0xFF;
    std::int8_t media = -1;  // a Media, or -1: not known from the payload type
    std::uint32_t clock_rate = 0;
    std::uint64_t total_packets = 0, total_bytes = 0;
    // Sequence numbers (RFC 3550 A.1, simplified).
    bool has_seq = false;
    std::int64_t ext_max = 0;
    std::int64_t base = 0;          // ext_max when the slice began
    std::int64_t expected_acc = 0;  // expected before a restart in this slice
    // The slice so far.
    std::uint32_t packets = 0;
    std::uint64_t bytes = 0;
    double jitter_sum = 0, jitter_max = 0;
    std::uint32_t jitter_n = 0;
    double rtt_sum = 0, rtt_max = 0;
    std::uint32_t rtt_n = 0;
  };
  struct Call {
    CallKey key;
    Endpoint caller, callee;
    std::int64_t start_ns = 0;
    std::int64_t slice_start_ns = 0, slice_end_ns = 0;
    std::uint64_t slice_index = 0;
    std::int64_t last_ns = 0;
    std::vector<std::uint32_t> flows;
    std::uint32_t open_flows = 0;
    std::string call_id;
    bool in_use = false;
  };

  void on_rtp(RtpStream& s, const UdpPacket& pkt, const RtpPacketInfo& info) noexcept;
  void on_report(const RtcpReportInfo& r) noexcept;
  void on_closed(const RtpStream& s) noexcept;
  std::uint32_t open_flow(const RtpStream& s, const UdpPacket& pkt);
  void emit_slice(Call& c, bool last);
  /// Frees a flow slot and forgets its SSRC.
  void release_flow(std::uint32_t idx);
  void release_call(std::uint32_t call);

  SegmenterOptions options_;
  SegmentSink sink_;
  RtpMeter meter_;
  std::vector<Flow> flows_;
  std::vector<std::uint32_t> free_flows_;
  std::vector<Call> calls_;
  std::vector<std::uint32_t> free_calls_;
  std::unordered_map<CallKey, std::uint32_t, CallKeyHash> call_index_;
  std::unordered_multimap<std::uint32_t, std::uint32_t> by_ssrc_;  // RTCP reports find their stream
  SegmenterCounters counters_;
};

/// The native `call.segment` JSON record of a segment (models/segment_json.h):
/// what the capture path hands to the decoder, so that a segment metered from
/// packets is read, counted and positioned like any other record.
using callroot::write_segment_json;

}  // namespace callroot::ingest
