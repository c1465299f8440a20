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
  // The records within max_jump of this one, from distinct origins. Held
  // records are few (a burst after a gap, or a lone outlier), so a scan is
  // cheaper than keeping them sorted.
  std::vector<const Held*> near;
  for (const Held& h : held_) {
    if (h.ts + config_.max_jump >= t && h.ts <= t + config_.max_jump) near.push_back(&h);
  }
  std::sort(near.begin(), near.end(), [](const Held* a, const Held* b) { return a->origin < b->origin; });
  const auto origins = static_cast<std::size_t>(
      std::unique(near.begin(), near.end(), [](const Held* a, const Held* b) { return a->origin == b->origin; }) -
      near.begin());
  if (origins < config_.quorum) return kNoTime;
  TimeMs earliest = t;
  for (const Held& h : held_) {
    if (h.ts + config_.max_jump >= t && h.ts <= t + config_.max_jump) earliest = std::min(earliest, h.ts);
  }
  return earliest;
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

std::size_t ClockGuard::drop_all() noexcept {
  const std::size_t n = held_.size();
  held_.clear();
  return n;
}

}  // namespace callroot::engine
