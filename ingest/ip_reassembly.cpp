#include "ingest/ip_reassembly.h"

#include <algorithm>
#include <cstring>

namespace callroot::ingest {

namespace {
constexpr std::uint32_t kMaxIpv4Payload = 65535 - 20;
}  // namespace

std::uint64_t Ipv4Reassembler::pending_fragments() const noexcept {
  std::uint64_t n = 0;
  for (const auto& e : entries_) n += e.fragments;
  return n;
}

bool Ipv4Reassembler::complete(const Entry& e) noexcept {
  return e.have_last && !e.header.empty() && e.ranges.size() == 1 && e.ranges[0].first == 0 &&
         e.ranges[0].second >= e.total;
}

void Ipv4Reassembler::expire(std::int64_t now_ns) {
  std::erase_if(entries_, [&](const Entry& e) {
    if (now_ns - e.first_ns <= options_.timeout_ns) return false;
    dropped_ += e.fragments;
    return true;
  });
}

bool Ipv4Reassembler::add(const Ipv4Fragment& f, std::int64_t ts_ns) {
  if (ts_ns >= next_sweep_ns_) {
    expire(ts_ns);
    next_sweep_ns_ = ts_ns + 1'000'000'000;
  }
  const std::uint64_t end = std::uint64_t{f.offset} + f.data_len;
  // A non-last fragment must carry a multiple of 8 bytes; none may pass 64 KiB.
  if (end > kMaxIpv4Payload || (f.more && f.data_len % 8 != 0) || f.header_len < 20 || f.header_len > 60) {
    ++dropped_;
    return false;
  }
  const Key key{f.src, f.dst, f.id, f.protocol};
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; });
  if (it == entries_.end()) {
    if (entries_.size() >= options_.max_datagrams) {
      // Evict the oldest: a flood of lone fragments must not hold memory.
      auto oldest = std::min_element(entries_.begin(), entries_.end(),
                                     [](const Entry& a, const Entry& b) { return a.first_ns < b.first_ns; });
      dropped_ += oldest->fragments;
      entries_.erase(oldest);
    }
    entries_.push_back(Entry{});
    it = entries_.end() - 1;
    it->key = key;
    it->first_ns = ts_ns;
  }
  Entry& e = *it;
  ++e.fragments;
  if (!f.more) {
    if (e.have_last && e.total != end) {  // two different ends: the datagram cannot be rebuilt
      dropped_ += e.fragments;
      entries_.erase(it);
      return false;
    }
    e.have_last = true;
    e.total = static_cast<std::uint32_t>(end);
  }
  if (e.have_last && end > e.total) {
    dropped_ += e.fragments;
    entries_.erase(it);
    return false;
  }
  if (f.offset == 0) e.header.assign(f.header, f.header + f.header_len);
  if (e.data.size() < end) e.data.resize(end);
  if (f.data_len > 0) std::memcpy(e.data.data() + f.offset, f.data, f.data_len);
  // Merge [offset, end) into the sorted, disjoint ranges.
  auto& r = e.ranges;
  std::pair<std::uint32_t, std::uint32_t> range{f.offset, static_cast<std::uint32_t>(end)};
  auto pos = std::lower_bound(r.begin(), r.end(), range);
  pos = r.insert(pos, range);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> merged;
  merged.reserve(r.size());
  for (const auto& x : r) {
    if (!merged.empty() && x.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, x.second);
    } else {
      merged.push_back(x);
    }
  }
  r.swap(merged);
  if (!complete(e)) return false;

  // The first fragment's header, with the whole length and no fragment bits.
  const auto ihl = static_cast<std::uint32_t>(e.header.size());
  if (ihl + e.total > 65535) {
    dropped_ += e.fragments;
    entries_.erase(it);
    return false;
  }
  out_.resize(ihl + e.total);
  std::memcpy(out_.data(), e.header.data(), ihl);
  std::memcpy(out_.data() + ihl, e.data.data(), e.total);
  const std::uint32_t total = ihl + e.total;
  out_[2] = static_cast<std::uint8_t>(total >> 8);
  out_[3] = static_cast<std::uint8_t>(total);
  out_[6] = out_[7] = 0;
  entries_.erase(it);
  return true;
}

}  // namespace callroot::ingest
