#pragma once
/// Keeps one record's clock from running away with the event time.
///
/// The engine's event time is the newest time it has seen; one record stamped
/// 2099 would make every later record "late". So a record more than
/// `max_jump` ahead of the event time (or any timed record before the event
/// time has started) is held rather than applied. Held records are released,
/// in arrival order, once records from `quorum` different origins (devices,
/// clients, calls) agree on a time within `max_jump` of each other: the
/// network has moved on, and the event time follows. A record that nothing
/// corroborates stays held until it is crowded out (`max_held`) or the input
/// ends, and is then dropped and counted. Everything is decided on event time
/// and arrival order, so replays stay deterministic.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "models/events.h"
#include "models/time.h"

namespace callroot::engine {

struct ClockGuardConfig {
  DurationMs max_jump = 15 * 60'000;  ///< how far past the event time one record may move it by itself
  std::size_t quorum = 3;             ///< distinct origins that must agree before the event time jumps
  std::size_t max_held = 4096;        ///< records held at most; beyond, the earliest held is dropped
};

/// Who a timed record comes from: the device, client or call whose clock stamped it.
std::uint64_t event_origin(const Event& e) noexcept;

class ClockGuard {
 public:
  explicit ClockGuard(ClockGuardConfig config) : config_(config) {}

  /// Whether a record at `t` must be held while the event time is `now` (kNoTime: not started).
  [[nodiscard]] bool must_hold(TimeMs now, TimeMs t) const noexcept {
    return t != kNoTime && (now == kNoTime || t > now + config_.max_jump);
  }

  /// Holds `e` (stamped `t`). Returns the time the event time may now jump
  /// to when the held records corroborate one (the earliest of the agreeing
  /// cluster), kNoTime otherwise. Adds to `dropped` a record crowded out.
  TimeMs hold(Event&& e, TimeMs t, std::uint64_t& dropped);

  /// Moves out, in arrival order, every held record within reach of `now`.
  void release(TimeMs now, std::vector<Event>& out);

  /// Moves out every held record, in arrival order.
  void take_all(std::vector<Event>& out);

  /// Drops every held record (end of input); returns how many there were.
  std::size_t drop_all() noexcept;

  [[nodiscard]] bool empty() const noexcept { return held_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return held_.size(); }
  [[nodiscard]] const ClockGuardConfig& config() const noexcept { return config_; }

 private:
  struct Held {
    TimeMs ts;
    std::uint64_t origin;
    Event event;
  };
  ClockGuardConfig config_;
  std::deque<Held> held_;  // arrival order
};

}  // namespace callroot::engine
