#pragma once
/// Shared fate for the far side: which outside parties' calls go badly.
///
/// A remote participant's bad home network, or a partner's ISP, harms every
/// call with that party, whatever site, AP or WAN link the organization's
/// side uses. Local faults do the opposite: their poor calls pile up on one
/// local hop, whoever is called. So a party whose poor calls in the window
/// arrived through several different local access points (APs, or access
/// ports for wired clients) is the common factor, and the local hops are not.
///
/// A party is named by what its endpoint says of itself: the domain of its
/// user (a partner's or a home user's), else its directory tenant, else its
/// public /24 (IPv4) or /48 (IPv6) prefix (one ISP's customers). Only a
/// 64-bit hash of that name is kept, never the name.
///
/// Bounded: at most max_entries segments in the window (the oldest go).

#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <unordered_map>
#include <vector>

#include "engine/fate_key.h"
#include "models/segment.h"
#include "models/time.h"

namespace callroot::engine {

struct RemoteFateConfig {
  DurationMs window = 15 * 60'000;
  std::size_t max_entries = 200'000;
  std::uint32_t min_poor = 2;        ///< other poor calls with the party needed...
  std::uint32_t min_access = 2;      ///< ...through at least this many different local access points...
  double min_poor_share = 0.5;       ///< ...and at least this share of its calls poor
};

struct RemoteAssessment {
  std::uint32_t n = 0, k = 0;  ///< the party's other calls in the window, and the poor ones
  std::uint32_t access = 0;    ///< distinct local access points among the poor ones
  bool recurrent = false;      ///< the party is the common factor of poor calls
};

class RemoteFate {
 public:
  explicit RemoteFate(RemoteFateConfig config = {});

  /// The party of an outside endpoint; none when it says nothing of itself.
  static std::optional<std::uint64_t> party(const Endpoint& ep);

  /// Records a scored segment with an outside party, `access` being the
  /// organization side's nearest hop (its AP, or its access port).
  void add(TimeMs end, std::uint64_t party, bool poor, ClientId client, FateKey access);
  /// The party's calls in the window (those of `exclude` left out, when
  /// valid: a walk of the party's calls rather than its counts).
  [[nodiscard]] RemoteAssessment assess(std::uint64_t party, ClientId exclude) const;
  void expire(TimeMs now);

  [[nodiscard]] std::size_t size() const noexcept { return order_.size(); }
  [[nodiscard]] std::size_t memory_bytes() const noexcept;
  [[nodiscard]] const RemoteFateConfig& config() const noexcept { return config_; }

 private:
  struct Item {
    TimeMs end = 0;
    FateKey access;
    ClientId client;
    bool poor = false;
  };
  void pop_oldest();

  RemoteFateConfig config_;
  /// A party's calls, oldest first, with their counts kept as they come and
  /// go, so that assess() costs the party's distinct access points, not its
  /// calls (a partner domain can have thousands in a window).
  struct Party {
    std::deque<Item> items;
    std::uint32_t n = 0, k = 0;
    std::vector<std::pair<FateKey, std::uint32_t>> poor_by_access;
  };
  // Every call's party in the order added, which expiry and the bound follow
  // (a party's oldest call is the front of its list).
  std::unordered_map<std::uint64_t, Party> by_party_;
  std::deque<std::pair<TimeMs, std::uint64_t>> order_;
  TimeMs newest_ = kNoTime;
};

}  // namespace callroot::engine
