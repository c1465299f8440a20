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
  while (order_.size() >= config_.max_entries) pop_oldest();
  Party& p = by_party_[party];
  p.items.push_back(Item{end, access, client, poor});
  ++p.n;
  if (poor) {
    ++p.k;
    auto it = std::find_if(p.poor_by_access.begin(), p.poor_by_access.end(),
                           [&](const auto& x) { return x.first == access; });
    if (it == p.poor_by_access.end()) p.poor_by_access.emplace_back(access, 1);
    else ++it->second;
  }
  order_.emplace_back(end, party);
  newest_ = newest_ == kNoTime ? end : std::max(newest_, end);
}

void RemoteFate::pop_oldest() {
  const auto it = by_party_.find(order_.front().second);
  order_.pop_front();
  if (it == by_party_.end()) return;
  Party& p = it->second;
  const Item gone = p.items.front();
  p.items.pop_front();
  --p.n;
  if (gone.poor) {
    --p.k;
    auto a = std::find_if(p.poor_by_access.begin(), p.poor_by_access.end(),
                          [&](const auto& x) { return x.first == gone.access; });
    if (a != p.poor_by_access.end() && --a->second == 0) p.poor_by_access.erase(a);
  }
  if (p.items.empty()) by_party_.erase(it);
}

void RemoteFate::expire(TimeMs now) {
  while (!order_.empty() && order_.front().first < now - config_.window) pop_oldest();
}

RemoteAssessment RemoteFate::assess(std::uint64_t party, ClientId exclude) const {
  RemoteAssessment a;
  const auto it = by_party_.find(party);
  if (it == by_party_.end()) return a;
  const Party& p = it->second;
  if (!exclude.valid()) {
    a.n = p.n;
    a.k = p.k;
    a.access = static_cast<std::uint32_t>(p.poor_by_access.size());
  } else {
    std::vector<FateKey> seen;
    for (const Item& e : p.items) {
      if (e.client == exclude) continue;
      ++a.n;
      if (!e.poor) continue;
      ++a.k;
      if (std::find(seen.begin(), seen.end(), e.access) == seen.end()) seen.push_back(e.access);
    }
    a.access = static_cast<std::uint32_t>(seen.size());
  }
  a.recurrent = a.k >= config_.min_poor && a.access >= config_.min_access &&
                static_cast<double>(a.k) >= config_.min_poor_share * static_cast<double>(a.n);
  return a;
}

std::size_t RemoteFate::memory_bytes() const noexcept {
  return order_.size() * (sizeof(Item) + sizeof(std::pair<TimeMs, std::uint64_t>)) +
         by_party_.size() * (sizeof(std::uint64_t) + sizeof(Party) + 16);
}

}  // namespace callroot::engine
