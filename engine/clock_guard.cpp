#include "engine/clock_guard.h"

#include <algorithm>
#include <functional>
#include <string_view>
#include <type_traits>

namespace callroot::engine {

std::uint64_t event_origin(const Event& e) noexcept {
  const std::uint64_t id = std::visit(
      [](const auto& x) -> std::uint64_t {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, TelemetrySample>) {
          return static_cast<std::uint64_t>(x.family) << 32 | x.entity;
        } else if constexpr (std::is_same_v<T, CallSegment>) {
          return std::hash<std::string_view>{}(x.call_id) >> 8;
        } else if constexpr (std::is_same_v<T, RoomHealth>) {
          return x.device.value;
        } else if constexpr (requires { x.client.value; }) {
          return x.client.value;
        } else {
          return 0;
        }
      },
      e);
  // The variant's index keeps a client's id apart from an AP's of the same value.
  return id << 8 | e.index();
}

TimeMs ClockGuard::hold(Event&& e, TimeMs t, std::uint64_t& dropped) {
  if (held_.size() >= config_.max_held) {
    held_.pop_front();
    ++dropped;
  }
  held_.push_back(Held{t, event_origin(e), std::move(e)});
  // Distinct origins among the records within max_jump of this one, and
  // the earliest of them. Held records are few (a burst after a gap, or a
  // lone outlier); the origins seen are at most `quorum`, so a flood from
  // one bad clock costs one pass per record.
  std::vector<std::uint64_t> origins;
  origins.reserve(config_.quorum);
  TimeMs earliest = t;
  for (const Held& h : held_) {
    if (h.ts + config_.max_jump < t || h.ts > t + config_.max_jump) continue;
    earliest = std::min(earliest, h.ts);
    if (origins.size() < config_.quorum && std::find(origins.begin(), origins.end(), h.origin) == origins.end()) {
      origins.push_back(h.origin);
    }
  }
  return origins.size() >= config_.quorum ? earliest : kNoTime;
}

void ClockGuard::release(TimeMs now, std::vector<Event>& out) {
  auto keep = held_.begin();
  for (auto it = held_.begin(); it != held_.end(); ++it) {
    if (!must_hold(now, it->ts)) {
      out.push_back(std::move(it->event));
    } else {
      if (keep != it) *keep = std::move(*it);
      ++keep;
    }
  }
  held_.erase(keep, held_.end());
}

void ClockGuard::take_all(std::vector<Event>& out) {
  for (Held& h : held_) out.push_back(std::move(h.event));
  held_.clear();
}

std::size_t ClockGuard::drop_all() noexcept {
  const std::size_t n = held_.size();
  held_.clear();
  return n;
}

}  // namespace callroot::engine
