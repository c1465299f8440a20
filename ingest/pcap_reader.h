#pragma once
/// The packet path's first half: capture files (pcap and pcapng) and live
/// interfaces, through libpcap, and the decoding of one captured frame down to
/// a UDP datagram or a TCP segment.
///
/// `decode_udp` and `decode_packet` are pure functions of the frame bytes:
/// they never allocate, never throw, and read nothing outside
/// [data, data + caplen). They are the entry points for fuzzing. Frames that
/// are not UDP (or TCP), or whose headers are cut or malformed, are reported
/// with a `PacketIssue` so that the reader can count them per reason.

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "models/net.h"

struct pcap_pkthdr;

namespace callroot::ingest {

/// Why a frame did not become a UDP datagram (or, for `kTruncated`, became one
/// whose payload is cut). One X-macro list: counters and reports agree on names.
#define CALLROOT_PACKET_ISSUES(X)                                                                 \
  X(kTruncated, "truncated", "captured shorter than on the wire (snaplen): payload cut")          \
  X(kUnsupportedLink, "unsupported_link", "a link type other than Ethernet, SLL, SLL2, raw IP") \
  X(kShortLink, "short_link", "the link-layer header is cut short")                              \
  X(kNotIp, "not_ip", "not IPv4 or IPv6 (ARP, LLDP, STP, ...)")                                  \
  X(kBadIp, "bad_ip", "a malformed or cut IPv4/IPv6 header")                                     \
  X(kIpFragment, "ip_fragment", "an IP fragment not reassembled (IPv6, expired, over the bounds)") \
  X(kNotUdp, "not_udp", "ICMP or another protocol above IP (and TCP where only UDP is read)")    \
  X(kBadUdp, "bad_udp", "a malformed or cut UDP header")

enum class PacketIssue : std::uint8_t {
#define CALLROOT_X(id, code, text) id,
  CALLROOT_PACKET_ISSUES(CALLROOT_X)
#undef CALLROOT_X
};

inline constexpr std::size_t kPacketIssueCount = 0
#define CALLROOT_X(id, code, text) +1
    CALLROOT_PACKET_ISSUES(CALLROOT_X)
#undef CALLROOT_X
    ;

std::string_view code(PacketIssue issue) noexcept;
std::string_view description(PacketIssue issue) noexcept;

/// An address and port.
struct Endpoint {
  IpAddr ip;
  std::uint16_t port = 0;
  friend constexpr bool operator==(const Endpoint&, const Endpoint&) = default;
  /// "192.0.2.1:5004" or "[2001:db8::1]:5004".
  [[nodiscard]] std::string str() const;
};

/// One UDP datagram, pointing into the frame it came from (valid until the
/// reader's next call).
struct UdpPacket {
  std::int64_t ts_ns = 0;         ///< capture time, ns since the epoch
  std::uint64_t frame = 0;        ///< 1-based frame number in the file (0 when not from a file)
  Endpoint src, dst;
  bool v6 = false;
  bool has_src_mac = false;       ///< Ethernet only
  std::uint64_t src_mac = 0;      ///< 48 bits
  const std::uint8_t* payload = nullptr;
  std::uint32_t payload_len = 0;  ///< captured payload bytes
  std::uint32_t udp_len = 0;      ///< payload length the UDP header declares (>= payload_len)
  bool truncated = false;         ///< payload_len < udp_len: cut by snaplen
};

enum class Transport : std::uint8_t { kUdp, kTcp };

/// TCP header flags.
inline constexpr std::uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpAck = 0x10;

/// An IPv4 fragment as captured, for the reassembler (pointers into the frame).
struct Ipv4Fragment {
  IpAddr src, dst;
  std::uint16_t id = 0;
  std::uint8_t protocol = 0;
  bool more = false;                 ///< MF: more fragments follow
  std::uint32_t offset = 0;          ///< in bytes
  const std::uint8_t* header = nullptr;  ///< the IPv4 header (options included)
  std::uint32_t header_len = 0;
  const std::uint8_t* data = nullptr;    ///< the fragment's payload, complete
  std::uint32_t data_len = 0;
};

/// A UDP datagram or a TCP segment. For TCP, `payload_len`/`udp_len` are the
/// captured and declared lengths of the segment's data.
struct Packet : UdpPacket {
  Transport transport = Transport::kUdp;
  std::uint32_t tcp_seq = 0;
  std::uint32_t tcp_ack = 0;
  std::uint8_t tcp_flags = 0;
  Ipv4Fragment fragment;  ///< set when decode_packet returns kFragment
};

/// Link types handled (the pcap DLT_* values).
inline constexpr int kDltNull = 0, kDltEthernet = 1, kDltRaw = 12, kDltRawAlt = 14, kDltLoop = 108, kDltSll = 113,
                     kDltLinktypeRaw = 101, kDltIpv4 = 228, kDltIpv6 = 229, kDltSll2 = 276;

enum class DecodeStatus : std::uint8_t { kUdp, kIssue, kTcp, kFragment };

/// Decodes one frame of link type `dlt` (DLT_*). `caplen` bytes are readable at
/// `data`; `wire_len` is the frame's length on the wire. On kUdp, `out` holds
/// the datagram (its `ts_ns` and `frame` are left alone) and `issue` is
/// kTruncated when the payload is cut; on kIssue, `issue` says why.
DecodeStatus decode_udp(int dlt, const std::uint8_t* data, std::uint32_t caplen, std::uint32_t wire_len,
                        UdpPacket& out, PacketIssue& issue) noexcept;

/// Decodes one frame down to UDP or TCP: kUdp, kTcp, kFragment (a complete
/// IPv4 fragment, described in `out.fragment`, for an Ipv4Reassembler), or
/// kIssue. Never allocates, never throws.
DecodeStatus decode_packet(int dlt, const std::uint8_t* data, std::uint32_t caplen, std::uint32_t wire_len,
                           Packet& out, PacketIssue& issue) noexcept;

/// Frames read and what became of them.
struct PacketCounters {
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;  ///< wire bytes of all frames
  std::uint64_t udp = 0;    ///< frames handed out as UDP datagrams (truncated ones included)
  std::uint64_t tcp = 0;          ///< TCP segments handed out (next_packet only)
  std::uint64_t fragments = 0;    ///< IPv4 fragments taken by the reassembler (next_packet only)
  std::uint64_t reassembled = 0;  ///< datagrams rebuilt from them
  std::uint64_t kernel_drops = 0; ///< live capture: packets the kernel dropped (pcap_stats)
  std::array<std::uint64_t, kPacketIssueCount> issues{};
  [[nodiscard]] std::uint64_t count(PacketIssue i) const noexcept { return issues[static_cast<std::size_t>(i)]; }
};

/// Live capture settings (`callroot run --iface`).
struct LiveCaptureOptions {
  std::string iface;
  std::string bpf;                          ///< a pcap filter; empty: every frame
  int snaplen = 262144;                     ///< whole frames: records can be long
  int buffer_bytes = 32 << 20;              ///< kernel ring; bursts of records fit
  int timeout_ms = 100;                     ///< next_packet returns kIdle this often when nothing arrives
};

/// Why a live capture could not start; `what()` names the interface.
class CaptureError : public std::runtime_error {
 public:
  enum class Kind : std::uint8_t { kPermission, kNoSuchDevice, kBadFilter, kOther };
  CaptureError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  [[nodiscard]] Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

/// Reads a pcap or pcapng file (libpcap detects which), or a live interface,
/// with nanosecond timestamps. `next` hands out UDP datagrams only (the RTP
/// path, as tshark); `next_packet` hands out UDP and TCP, with IPv4
/// fragments reassembled. Other frames are counted.
class PcapReader {
 public:
  /// Opens `path`; throws std::runtime_error (path and libpcap's message) if it
  /// cannot, or if the link type is not one `decode_udp` handles.
  explicit PcapReader(const std::string& path);
  /// Opens a live interface in immediate mode; throws CaptureError (permission:
  /// CAP_NET_RAW is missing; no such device; a filter that does not compile).
  static std::unique_ptr<PcapReader> open_live(const LiveCaptureOptions& options);
  ~PcapReader();
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;

  /// The next UDP datagram; false at the end of the file or on a read error
  /// (a file cut in the middle of a record, a pcapng interface of another link
  /// type): then error() says what happened and the frames before it stand.
  bool next(UdpPacket& out);

  enum class ReadStatus : std::uint8_t { kPacket, kIdle, kEnd, kError };
  /// The next UDP datagram or TCP segment (IPv4 fragments reassembled, within
  /// bounds and a 30 s timeout). kIdle: a live capture's timeout passed with
  /// nothing; kEnd: end of file; kError: see error(). `out` points into the
  /// reader's buffers until the next call.
  ReadStatus next_packet(Packet& out);
  /// Stops a live capture blocked in next_packet (from another thread).
  void break_loop() noexcept;
  /// Live capture: refreshes `kernel_drops`.
  void update_stats() noexcept;
  [[nodiscard]] bool live() const noexcept { return live_; }

  [[nodiscard]] const PacketCounters& counters() const noexcept { return counters_; }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  [[nodiscard]] int datalink() const noexcept { return dlt_; }
  /// Time of the file's first frame (whatever its protocol): tshark's time base.
  [[nodiscard]] std::int64_t first_ts_ns() const noexcept { return first_ts_ns_; }
  [[nodiscard]] bool has_frames() const noexcept { return counters_.frames > 0; }

 private:
  struct Impl;
  PcapReader();
  void check_link_type(const std::string& what);
  /// Counts a frame read (its wire length, the first frame's time); returns
  /// its time in nanoseconds.
  std::int64_t count_frame(const ::pcap_pkthdr& hdr) noexcept;
  /// Keeps libpcap's message for a failed read.
  void note_read_error();
  std::unique_ptr<Impl> impl_;
  bool live_ = false;
  int dlt_ = 0;
  std::int64_t first_ts_ns_ = 0;
  PacketCounters counters_;
  std::string error_;
};

}  // namespace callroot::ingest
