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

ClockGuard::SourceClock& ClockGuard::slot(SourceId source) {
  if (last_source_ >= sources_.size() || sources_[last_source_].id != source) {
    const auto it = std::find_if(sources_.begin(), sources_.end(), [&](const SourceClock& s) { return s.id == source; });
    if (it != sources_.end()) {
      last_source_ = static_cast<std::size_t>(it - sources_.begin());
    } else if (sources_.size() < config_.max_sources) {
      last_source_ = sources_.size();
      sources_.push_back(SourceClock{source});
    } else {
      // The forgotten source's held records keep its id and are no longer
      // counted: counts only ever fall short, which only costs a full scan.
      const auto silent = std::min_element(sources_.begin(), sources_.end(), [](const SourceClock& a, const SourceClock& b) {
        return a.last_arrival < b.last_arrival;
      });
      *silent = SourceClock{source};
      last_source_ = static_cast<std::size_t>(silent - sources_.begin());
    }
  }
  return sources_[last_source_];
}

bool ClockGuard::reports_present(const Event& e) noexcept { return !std::holds_alternative<CallSegment>(e); }

void ClockGuard::note(SourceId source, TimeMs t, const Event& e) {
  ++arrivals_;
  if (!reports_present(e)) return;
  SourceClock& s = slot(source);
  s.last_arrival = arrivals_;
  s.last_ts = t;
}

void ClockGuard::note_applied(SourceId source, TimeMs t, const Event& e) {
  if (t != kNoTime) note(source, t, e);
}

void ClockGuard::forget_held(SourceId source) noexcept {
  for (SourceClock& s : sources_) {
    if (s.id == source) {
      s.held -= s.held > 0 ? 1 : 0;
      return;
    }
  }
}

bool ClockGuard::outvoted(SourceId source, TimeMs earliest, TimeMs now) const noexcept {
  const std::uint64_t speaking_since = arrivals_ - std::min<std::uint64_t>(arrivals_, config_.max_held / 2);
  return std::any_of(sources_.begin(), sources_.end(), [&](const SourceClock& s) {
    return s.id != source && s.last_arrival > speaking_since && s.last_ts != kNoTime &&
           s.last_ts + config_.max_jump < earliest && (now == kNoTime || s.last_ts + config_.max_jump >= now);
  });
}

TimeMs ClockGuard::hold(Event&& e, TimeMs t, SourceId source, TimeMs now, std::uint64_t& dropped,
                        std::uint64_t& outvoted_count) {
  if (held_.size() >= config_.max_held) {
    forget_held(held_.front().source);
    held_.pop_front();
    ++dropped;
  }
  note(source, t, e);
  const std::size_t own_held = ++slot(source).held;
  held_.push_back(Held{t, event_origin(e), source, std::move(e)});
  // With nothing held from another source, the cluster can only be this
  // source's, and it starts no earlier than t - max_jump: a source that
  // outvotes that time outvotes the cluster, without a pass over the held
  // records. This keeps a flood from one skewed clock cheap.
  if (own_held == held_.size() && outvoted(source, t - config_.max_jump, now)) {
    ++outvoted_count;
    return kNoTime;
  }
  // Distinct origins among the records within max_jump of this one, the
  // earliest of them, and whether more than one source sent them. Held
  // records are few (a burst after a gap, or a lone outlier); the origins
  // seen are at most `quorum`.
  std::vector<std::uint64_t> origins;
  origins.reserve(config_.quorum);
  TimeMs earliest = t;
  bool one_source = true;
  for (const Held& h : held_) {
    if (h.ts + config_.max_jump < t || h.ts > t + config_.max_jump) continue;
    earliest = std::min(earliest, h.ts);
    one_source = one_source && h.source == source;
    if (origins.size() < config_.quorum && std::find(origins.begin(), origins.end(), h.origin) == origins.end()) {
      origins.push_back(h.origin);
    }
  }
  if (one_source && outvoted(source, earliest, now)) {
    ++outvoted_count;
    return kNoTime;
  }
  return origins.size() >= config_.quorum ? earliest : kNoTime;
}

void ClockGuard::release(TimeMs now, std::vector<Event>& out) {
  auto keep = held_.begin();
  for (auto it = held_.begin(); it != held_.end(); ++it) {
    if (!must_hold(now, it->ts)) {
      forget_held(it->source);
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
  for (SourceClock& s : sources_) s.held = 0;
}

std::size_t ClockGuard::drop_all() noexcept {
  const std::size_t n = held_.size();
  held_.clear();
  for (SourceClock& s : sources_) s.held = 0;
  return n;
}

}  // namespace callroot::engine
