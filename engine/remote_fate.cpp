#include "engine/remote_fate.h"

#include <algorithm>
#include <string_view>

#include "models/ascii.h"

namespace callroot::engine {
namespace {

/// FNV-1a over the kind and the name; domains and tenants are folded to
/// lower case (they compare without regard to case), prefixes are bytes.
std::uint64_t hash_name(std::string_view kind, std::string_view name, bool fold = true) {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&](char c) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  };
  for (const char c : kind) mix(c);
  mix(':');
  for (const char c : name) mix(fold ? ascii_lower(c) : c);
  return h;
}

}  // namespace

RemoteFate::RemoteFate(RemoteFateConfig config) : config_(config) {}

std::optional<std::uint64_t> RemoteFate::party(const Endpoint& ep) {
  if (const auto at = ep.user.rfind('@'); at != std::string::npos && at + 1 < ep.user.size()) {
    return hash_name("domain", std::string_view(ep.user).substr(at + 1));
  }
  if (!ep.tenant.empty()) return hash_name("tenant", ep.tenant);
  const std::optional<IpAddr>& ip = ep.reflexive_ip ? ep.reflexive_ip : ep.ip;
  if (!ip) return std::nullopt;
  // One ISP's customers share a prefix: the /24 of an IPv4 address (the
  // last four of its 16 bytes), the /48 of an IPv6 one.
  const auto& b = ip->bytes;
  const std::string_view prefix = ip->is_v4()
                                      ? std::string_view(reinterpret_cast<const char*>(b.data()) + 12, 3)
                                      : std::string_view(reinterpret_cast<const char*>(b.data()), 6);
  return hash_name("prefix", prefix, false);
}

void RemoteFate::add(TimeMs end, std::uint64_t party, bool poor, ClientId client, FateKey access) {
  if (newest_ != kNoTime && end < newest_ - config_.window) return;
  while (entries_.size() >= config_.max_entries) pop_oldest();
  entries_.push_back(Entry{end, party, access, client, poor});
  ++live_[party];
  newest_ = newest_ == kNoTime ? end : std::max(newest_, end);
}

void RemoteFate::pop_oldest() {
  const auto it = live_.find(entries_.front().party);
  if (it != live_.end() && --it->second == 0) live_.erase(it);
  entries_.pop_front();
}

void RemoteFate::expire(TimeMs now) {
  while (!entries_.empty() && entries_.front().end < now - config_.window) pop_oldest();
}

RemoteAssessment RemoteFate::assess(std::uint64_t party, ClientId exclude) const {
  RemoteAssessment a;
  if (!live_.contains(party)) return a;
  std::vector<FateKey> seen;
  // A party has a handful of calls in a window: a scan of the window is
  // cheap beside the rest of attribution, and only segments with an outside
  // party that look remote ask.
  for (const Entry& e : entries_) {
    if (e.party != party || e.client == exclude) continue;
    ++a.n;
    if (!e.poor) continue;
    ++a.k;
    if (std::find(seen.begin(), seen.end(), e.access) == seen.end()) seen.push_back(e.access);
  }
  a.access = static_cast<std::uint32_t>(seen.size());
  a.recurrent = a.k >= config_.min_poor && a.access >= config_.min_access &&
                static_cast<double>(a.k) >= config_.min_poor_share * static_cast<double>(a.n);
  return a;
}

std::size_t RemoteFate::memory_bytes() const noexcept {
  return entries_.size() * sizeof(Entry) + live_.size() * (sizeof(std::uint64_t) + sizeof(std::uint32_t) + 16);
}

}  // namespace callroot::engine
