#pragma once
/// The packet path's first half: capture files (pcap and pcapng, through
/// libpcap) and the decoding of one captured frame down to a UDP datagram.
///
/// `decode_udp` is a pure function of the frame bytes: it never allocates,
/// never throws, and reads nothing outside [data, data + caplen). It is the
/// entry point for fuzzing. Frames that are not UDP, or whose headers are cut
/// or malformed, are reported with a `PacketIssue` so that the reader can count
/// them per reason.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "models/net.h"

namespace callroot::ingest {

/// Why a frame did not become a UDP datagram (or, for `kTruncated`, became one
/// whose payload is cut). One X-macro list: counters and reports agree on names.
#define CALLROOT_PACKET_ISSUES(X)                                                                 \
  X(kTruncated, "truncated", "captured shorter than on the wire (snaplen): payload cut")          \
  X(kUnsupportedLink, "unsupported_link", "a link type other than Ethernet, SLL, SLL2, raw IP") \
  X(kShortLink, "short_link", "the link-layer header is cut short")                              \
  X(kNotIp, "not_ip", "not IPv4 or IPv6 (ARP, LLDP, STP, ...)")                                  \
  X(kBadIp, "bad_ip", "a malformed or cut IPv4/IPv6 header")                                     \
  X(kIpFragment, "ip_fragment", "an IP fragment (not reassembled)")                              \
  X(kNotUdp, "not_udp", "TCP, ICMP or another protocol above IP")                                \
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

/// Link types handled (the pcap DLT_* values).
inline constexpr int kDltNull = 0, kDltEthernet = 1, kDltRaw = 12, kDltRawAlt = 14, kDltLoop = 108, kDltSll = 113,
                     kDltLinktypeRaw = 101, kDltIpv4 = 228, kDltIpv6 = 229, kDltSll2 = 276;

enum class DecodeStatus : std::uint8_t { kUdp, kIssue };

/// Decodes one frame of link type `dlt` (DLT_*). `caplen` bytes are readable at
/// `data`; `wire_len` is the frame's length on the wire. On kUdp, `out` holds
/// the datagram (its `ts_ns` and `frame` are left alone) and `issue` is
/// kTruncated when the payload is cut; on kIssue, `issue` says why.
DecodeStatus decode_udp(int dlt, const std::uint8_t* data, std::uint32_t caplen, std::uint32_t wire_len,
                        UdpPacket& out, PacketIssue& issue) noexcept;

/// Frames read and what became of them.
struct PacketCounters {
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;  ///< wire bytes of all frames
  std::uint64_t udp = 0;    ///< frames handed out as UDP datagrams (truncated ones included)
  std::array<std::uint64_t, kPacketIssueCount> issues{};
  [[nodiscard]] std::uint64_t count(PacketIssue i) const noexcept { return issues[static_cast<std::size_t>(i)]; }
};

/// Reads a pcap or pcapng file (libpcap detects which) with nanosecond
/// timestamps and hands out its UDP datagrams; other frames are counted.
class PcapReader {
 public:
  /// Opens `path`; throws std::runtime_error (path and libpcap's message) if it
  /// cannot, or if the link type is not one `decode_udp` handles.
  explicit PcapReader(const std::string& path);
  ~PcapReader();
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;

  /// The next UDP datagram; false at the end of the file or on a read error
  /// (a file cut in the middle of a record, a pcapng interface of another link
  /// type): then error() says what happened and the frames before it stand.
  bool next(UdpPacket& out);

  [[nodiscard]] const PacketCounters& counters() const noexcept { return counters_; }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  [[nodiscard]] int datalink() const noexcept { return dlt_; }
  /// Time of the file's first frame (whatever its protocol): tshark's time base.
  [[nodiscard]] std::int64_t first_ts_ns() const noexcept { return first_ts_ns_; }
  [[nodiscard]] bool has_frames() const noexcept { return counters_.frames > 0; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int dlt_ = 0;
  std::int64_t first_ts_ns_ = 0;
  PacketCounters counters_;
  std::string error_;
};

}  // namespace callroot::ingest
