#pragma once
/// RTP/RTCP metering from UDP datagrams, with the figures of Wireshark/tshark
/// 4.0.17 `-z rtp,streams` (rtp.heuristic_rtp on): packets, lost, sequence
/// errors, max delta, max and mean jitter per stream (SSRC + 5-tuple). The
/// algorithm and its quirks are documented in tests/data/captures/README.md
/// and ingest/README.md ("Packet path"); `RtpMeter::analyse` follows
/// Wireshark's ui/tap-rtp-analysis.c rtppacket_analyse() step by step.
///
/// Which datagrams are RTP (the order tshark's UDP dissector tries):
/// 1. a conversation already exists: the 5-tuple (either direction) matched
///    the heuristic before, or one end is an `addr:port` announced by SDP;
/// 2. else well-known ports (DNS, DHCP, SIP, STUN, ...) are not RTP;
/// 3. else the heuristic: RTP version 2, an even destination port and a
///    payload type outside RTCP's 64-95 (RFC 5761); a match opens a conversation.
/// A packet is then metered when its version is 2 and its header (CSRCs,
/// extension) is complete. Version 2 packets whose second byte is 200-204
/// are RTCP.
///
/// Per-stream state is one flat struct in a vector, found through an
/// open-addressing index; streams idle for `idle_timeout_ns` of capture time
/// are closed (handed to the sink) so memory stays bounded.

#include <array>
#include <bitset>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ingest/pcap_reader.h"
#include "ingest/sdp.h"

namespace callroot::ingest {

struct RtpMeterOptions {
  /// tshark's rtp.heuristic_rtp: find RTP without signalling.
  bool heuristics = true;
  /// Learn RTP endpoints and dynamic payload clock rates from SIP/SDP over UDP.
  bool sip_sdp = true;
  /// Meter RTP carried in TURN ChannelData (first byte 0x40-0x7F) under the
  /// outer 5-tuple. tshark 4.0 does not (its RTP-over-TURN heuristic stays
  /// off with rtp.heuristic_rtp), so the default is off.
  bool unwrap_channel_data = false;
  /// Clock rates for dynamic payload types (96-127) that no SDP maps. tshark
  /// has none (empty: such streams get no jitter). {104: 16000} gives the
  /// Teams/Skype SILK/SATIN figures.
  std::unordered_map<std::uint8_t, std::uint32_t> dynamic_clock_rates;
  /// A stream (and its conversation) not seen for this long in capture time is
  /// closed; a later packet opens a new one. 0: never (tshark's behaviour).
  std::int64_t idle_timeout_ns = 300'000'000'000;
  /// Open streams at most; packets of further new streams are counted, not metered.
  std::size_t max_streams = 1'000'000;
  /// At `max_streams`, close the least recently active eighth of the streams
  /// (counted as `streams_evicted`) instead of refusing new ones: a live meter
  /// keeps up with new calls rather than with the idlest old ones.
  bool evict_oldest = false;
};

struct RtpStreamKey {
  Endpoint src, dst;
  std::uint32_t ssrc = 0;
  friend bool operator==(const RtpStreamKey&, const RtpStreamKey&) = default;
};

/// The far end's view of a stream, from RTCP report blocks about its SSRC
/// sent by the stream's receiver (the last report wins).
struct RtcpFarView {
  std::uint32_t reports = 0;          ///< report blocks about this stream
  double fraction_lost = 0;           ///< 0-1
  std::int32_t cumulative_lost = 0;   ///< may be negative (duplicates)
  std::uint32_t jitter_units = 0;     ///< interarrival jitter in timestamp units
  double jitter_ms = -1;              ///< with the stream's clock rate; -1 when unknown
  double rtt_ms = -1;                 ///< from LSR/DLSR and the capture times of SR and RR; -1 when unknown
  std::uint32_t sender_reports = 0;   ///< SRs sent by this stream's SSRC
};

/// One stream: tshark's figures, plus state. Times in ms are relative to the
/// time base (the file's first frame), as tshark's.
struct RtpStream {
  RtpStreamKey key;
  std::uint64_t first_frame = 0;
  std::int64_t first_ns = 0, last_ns = 0;
  std::uint64_t payload_bytes = 0;
  std::bitset<128> payload_types;
  std::shared_ptr<const SdpPayloadMap> sdp;  ///< the SDP that announced an end, if any
  std::uint32_t clock_rate = 0;              ///< last non-zero clock rate used for jitter

  // tshark's figures.
  std::uint32_t packets = 0;   ///< Pkts
  std::uint32_t total_nr = 0;  ///< packets analysed (Pkts less those from another source MAC)
  std::uint32_t seq_errors = 0;
  std::uint32_t seq_jumps = 0;          ///< the part of seq_errors that were forward jumps (loss)
  std::uint32_t late_or_duplicate = 0;  ///< the part that were late or duplicate packets
  std::uint32_t wrong_timestamp = 0;    ///< packets stamped before the first one
  std::uint32_t other_mac = 0;          ///< packets from another source MAC (tshark: duplicates, not analysed)
  bool problem = false;                 ///< tshark's "Problems?" X
  double min_delta = -1, mean_delta = 0, max_delta = 0;
  double min_jitter = -1, mean_jitter = 0, max_jitter = 0;
  double start_ms = 0;  ///< first packet
  double last_ms = 0;   ///< last packet

  // Analysis state.
  std::uint32_t first_ts = 0;
  std::uint32_t seq_cycles = 0;
  std::uint32_t last_good_seq = 0;
  std::uint16_t start_seq = 0, stop_seq = 0;
  bool under = false;
  std::uint8_t last_pt = 0;
  bool has_mac = false;
  std::uint64_t mac = 0;
  double time_ms = 0;  ///< arrival of the last in-time-sequence packet
  double last_nominal = 0;
  double delta = 0, jitter = 0;

  RtcpFarView rtcp;
  std::uint32_t hash = 0;
  /// Free for a packet observer (StreamSegmenter keeps its flow index here); 0 when unset.
  std::uint32_t tag = 0;

  /// expected = stop_seq + 65536 * cycles - start_seq + 1.
  [[nodiscard]] std::int64_t expected() const noexcept {
    return static_cast<std::int64_t>(stop_seq) + 65536LL * seq_cycles - start_seq + 1;
  }
  /// expected - total_nr: negative with duplicates and sequence restarts, as tshark's.
  [[nodiscard]] std::int64_t lost() const noexcept { return expected() - total_nr; }
  /// The name tshark prints for a payload type of this stream ("g711A", "telephone-event", "RTPType-104").
  [[nodiscard]] std::string payload_name(std::uint8_t pt) const;
  /// Names of all payload types seen, comma-separated as tshark does.
  [[nodiscard]] std::string payload_names() const;
};

/// What the meter saw.
struct RtpMeterCounters {
  std::uint64_t udp = 0;
  std::uint64_t rtp = 0;            ///< packets metered
  std::uint64_t rtp_rejected = 0;   ///< version 2 with a cut or malformed header, or over max_streams
  std::uint64_t rtcp = 0;
  std::uint64_t rtcp_malformed = 0;
  std::uint64_t sip = 0;
  std::uint64_t sdp_media = 0;
  std::uint64_t stun = 0;
  std::uint64_t channel_data = 0;
  std::uint64_t other = 0;  ///< UDP that is none of these
  std::uint64_t streams_opened = 0;
  std::uint64_t streams_closed_idle = 0;
  std::uint64_t streams_evicted = 0;  ///< closed early at max_streams (evict_oldest)
};

/// The header fields of one metered RTP packet, for a packet observer.
struct RtpPacketInfo {
  std::uint16_t seq = 0;
  std::uint32_t timestamp = 0;
  std::uint8_t payload_type = 0;
  bool marker = false;
  std::uint32_t payload_bytes = 0;  ///< after the RTP header (CSRCs, extension)
  bool other_mac = false;           ///< from another source MAC: a duplicate the meter did not analyse
};

/// One RTCP report block (SR or RR) about `ssrc`, sent from `reporter`.
struct RtcpReportInfo {
  std::uint32_t ssrc = 0;
  IpAddr reporter;
  std::int64_t ts_ns = 0;
  double fraction_lost = 0;
  std::int32_t cumulative_lost = 0;
  std::uint32_t jitter_units = 0;
  double rtt_ms = -1;  ///< this block's round trip from LSR/DLSR; -1 when it gives none
};

/// The clock rate tshark 4.0 uses for a static payload type (0 when none).
std::uint32_t static_clock_rate(std::uint8_t pt) noexcept;
/// The clock rate tshark 4.0 gives an encoding name when SDP has no rate.
std::uint32_t clock_rate_for_name(std::string_view name) noexcept;

class RtpMeter {
 public:
  using StreamSink = std::function<void(const RtpStream&)>;

  /// `on_closed` receives every stream when it is closed: idle, or at finish().
  explicit RtpMeter(RtpMeterOptions options = {}, StreamSink on_closed = {});

  /// Times are measured from here (tshark: the capture's first frame). Without
  /// a call, the first datagram's time.
  void set_time_base(std::int64_t ts_ns) noexcept {
    base_ns_ = ts_ns;
    has_base_ = true;
  }

  /// Meters one datagram. Never throws on any payload; the hot path does not
  /// allocate once a stream is open.
  void on_packet(const UdpPacket& pkt) noexcept;

  /// Closes every open stream, in order of first packet.
  void finish();

  using PacketObserver = std::function<void(RtpStream&, const UdpPacket&, const RtpPacketInfo&)>;
  using ReportObserver = std::function<void(const RtcpReportInfo&)>;
  /// Called after each metered RTP packet (the stream already analysed) and
  /// for each RTCP report block. Observers must not throw.
  void set_observers(PacketObserver on_packet, ReportObserver on_report) {
    on_rtp_packet_ = std::move(on_packet);
    on_report_ = std::move(on_report);
  }

  [[nodiscard]] const std::vector<RtpStream>& open_streams() const noexcept { return streams_; }
  [[nodiscard]] const RtpMeterCounters& counters() const noexcept { return counters_; }

 private:
  struct ConvKey {
    Endpoint a, b;  // ordered: a <= b
    friend bool operator==(const ConvKey&, const ConvKey&) = default;
  };
  struct ConvKeyHash {
    std::size_t operator()(const ConvKey& k) const noexcept;
  };
  struct EndpointHash {
    std::size_t operator()(const Endpoint& e) const noexcept;
  };
  struct SdpEndpoint {
    std::shared_ptr<const SdpPayloadMap> map;
    std::int64_t last_ns = 0;
    bool rtcp = false;
  };
  struct SrSeen {
    std::uint32_t lsr = 0;  // middle 32 bits of the NTP timestamp
    double t_ms = 0;
  };
  struct SenderInfo {
    std::array<SrSeen, 4> recent{};
    std::uint32_t next = 0;
    std::uint32_t count = 0;
    std::int64_t last_ns = 0;
  };
  struct FarKey {
    std::uint32_t ssrc;
    IpAddr reporter;
    friend bool operator==(const FarKey&, const FarKey&) = default;
  };
  struct FarKeyHash {
    std::size_t operator()(const FarKey& k) const noexcept;
  };
  struct FarEntry {
    RtcpFarView view;
    std::int64_t last_ns = 0;
  };

  void on_rtp(const UdpPacket& pkt, const std::uint8_t* p, std::uint32_t len, double t_ms) noexcept;
  void on_rtcp(const UdpPacket& pkt, const std::uint8_t* p, std::uint32_t len, double t_ms) noexcept;
  void on_sip(const UdpPacket& pkt) noexcept;
  bool is_rtp_conversation(const UdpPacket& pkt, std::uint8_t second_byte,
                           std::shared_ptr<const SdpPayloadMap>& sdp) noexcept;
  std::uint32_t clock_rate(const RtpStream& s, std::uint8_t pt, bool& telephone_event) const noexcept;
  void analyse(RtpStream& s, const UdpPacket& pkt, const std::uint8_t* p, double t_ms) noexcept;
  std::int64_t find(const RtpStreamKey& key, std::uint32_t hash) const noexcept;
  void insert_index(std::uint32_t idx) noexcept;
  void rebuild_index(std::size_t capacity);
  void expire(std::int64_t now_ns);
  void forget_before(std::int64_t cutoff);
  void close_streams_before(std::int64_t cutoff, std::uint64_t& counter);
  bool evict_oldest() noexcept;
  void close_stream(RtpStream& s);
  [[nodiscard]] double rel_ms(std::int64_t ts_ns) const noexcept;

  RtpMeterOptions options_;
  StreamSink on_closed_;
  PacketObserver on_rtp_packet_;
  ReportObserver on_report_;
  std::vector<std::int64_t> evict_scratch_;
  std::int64_t base_ns_ = 0;
  bool has_base_ = false;
  std::int64_t next_sweep_ns_ = 0;
  bool swept_once_ = false;

  std::vector<RtpStream> streams_;
  std::vector<std::uint32_t> index_;  // open addressing: stream index + 1, 0 = empty
  std::uint32_t mask_ = 0;

  std::unordered_map<ConvKey, std::int64_t, ConvKeyHash> conversations_;  // value: last use (ns)
  std::unordered_map<Endpoint, SdpEndpoint, EndpointHash> sdp_endpoints_;
  std::unordered_map<std::uint32_t, SenderInfo> senders_;     // RTCP SRs by sender SSRC
  std::unordered_map<FarKey, FarEntry, FarKeyHash> far_views_;  // report blocks by (source SSRC, reporter IP)
  std::vector<SdpMedia> sdp_scratch_;
  RtpMeterCounters counters_;
};

}  // namespace callroot::ingest

namespace callroot::ingest {

/// One capture file metered as tshark does (time base: its first frame).
struct CaptureMetering {
  std::vector<RtpStream> streams;  ///< in order of first packet
  PacketCounters packets;
  RtpMeterCounters meter;
  std::string error;  ///< a read error part-way (the streams before it stand)
};

/// Opens and meters `path`; throws std::runtime_error when it cannot be opened.
CaptureMetering meter_capture(const std::string& path, const RtpMeterOptions& options = {});

}  // namespace callroot::ingest
