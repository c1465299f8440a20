#pragma once
/// IPv4 reassembly for capture readers: a JSON record over UDP larger than the
/// path MTU (a call.segment is ~1.2 kB, a Graph document far more) arrives as
/// fragments, and only the first carries the UDP header.
///
/// Bounded like the Linux stack (net.ipv4.ipfrag_time = 30 s): at most
/// `max_datagrams` datagrams in progress (past it the oldest is dropped) and a
/// timeout in capture time. Fragments of a dropped or expired datagram are
/// counted, never an error. Overlapping fragments are copied over each other
/// (the last one wins): a capture reader has nobody to defend against
/// teardrop-style overlaps, and it must not crash on them.

#include <cstdint>
#include <vector>

#include "ingest/pcap_reader.h"

namespace callroot::ingest {

struct Ipv4ReassemblyOptions {
  std::size_t max_datagrams = 256;
  std::int64_t timeout_ns = 30'000'000'000;
};

class Ipv4Reassembler {
 public:
  explicit Ipv4Reassembler(Ipv4ReassemblyOptions options = {}) : options_(options) {}

  /// Takes one fragment captured at `ts_ns`. Returns true when it completes a
  /// datagram: datagram() then holds the whole IPv4 packet (header of the
  /// first fragment, total length set, no fragment bits), valid until the next add().
  bool add(const Ipv4Fragment& f, std::int64_t ts_ns);
  [[nodiscard]] const std::vector<std::uint8_t>& datagram() const noexcept { return out_; }

  /// Fragments dropped since the last call (expired, evicted, impossible offsets).
  std::uint64_t take_dropped() noexcept {
    const auto d = dropped_;
    dropped_ = 0;
    return d;
  }
  /// Fragments of datagrams still incomplete (at the end of a capture they are lost).
  [[nodiscard]] std::uint64_t pending_fragments() const noexcept;
  [[nodiscard]] std::size_t in_progress() const noexcept { return entries_.size(); }

 private:
  struct Key {
    IpAddr src, dst;
    std::uint16_t id = 0;
    std::uint8_t protocol = 0;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct Entry {
    Key key;
    std::int64_t first_ns = 0;
    std::vector<std::uint8_t> header;  // from the fragment at offset 0
    std::vector<std::uint8_t> data;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges;  // received [begin, end), merged
    std::uint32_t total = 0;                                      // payload length, once the last fragment is in
    bool have_last = false;
    std::uint32_t fragments = 0;
  };
  void expire(std::int64_t now_ns);
  static bool complete(const Entry& e) noexcept;

  Ipv4ReassemblyOptions options_;
  std::vector<Entry> entries_;  // few at a time: a linear search is cheapest
  std::vector<std::uint8_t> out_;
  std::uint64_t dropped_ = 0;
  std::int64_t next_sweep_ns_ = 0;
};

}  // namespace callroot::ingest
