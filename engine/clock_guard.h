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
///
/// Origins are not enough when one source speaks for many of them: a
/// controller whose clock is an hour ahead stamps every AP and client it
/// reports. So each record also names its source (a replay's file, a
/// daemon's connection), and an agreeing cluster from a single source is
/// outvoted by another source that is keeping up with the event time (its
/// last record within max_jump of it) and still speaking (within the last
/// `max_held / 2` arrivals) at a time more than max_jump below the cluster:
/// that source says the network has not moved on. Two sources agreeing carry
/// the jump: after a gap, the first source to resume waits for a second. A
/// source silent for `max_held / 2` arrivals no longer counts, so a source
/// that died does not block the others, and the jump comes before the held
/// records overflow. Only records that report the present vote (telemetry,
/// attachments, client and room state): a call segment is stamped with its
/// end, which call records deliver minutes to an hour later by design.
/// Held records of an outvoted cluster are crowded out and counted like any
/// uncorroborated record.
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
  std::size_t max_sources = 256;      ///< sources remembered; beyond, the one silent longest is forgotten
};

/// Where a record came from: a file of a replay, a connection of the daemon.
/// Records whose caller does not say are all one source, kAnySource.
using SourceId = std::uint64_t;
inline constexpr SourceId kAnySource = 0;

/// Who a timed record comes from: the device, client or call whose clock stamped it.
std::uint64_t event_origin(const Event& e) noexcept;

class ClockGuard {
 public:
  explicit ClockGuard(ClockGuardConfig config) : config_(config) {}

  /// Whether a record at `t` must be held while the event time is `now` (kNoTime: not started).
  [[nodiscard]] bool must_hold(TimeMs now, TimeMs t) const noexcept {
    return t != kNoTime && (now == kNoTime || t > now + config_.max_jump);
  }

  /// `e`, stamped `t`, from `source`, was applied (it was not held).
  void note_applied(SourceId source, TimeMs t, const Event& e);

  /// Holds `e` (stamped `t`, from `source`, while the event time is `now`).
  /// Returns the time the event time may now jump to when the held records
  /// corroborate one (the earliest of the agreeing cluster), kNoTime
  /// otherwise. Adds to `dropped` a record
  /// crowded out, and to `outvoted` a record another source still speaking
  /// contradicts (its clock is more than max_jump behind).
  TimeMs hold(Event&& e, TimeMs t, SourceId source, TimeMs now, std::uint64_t& dropped, std::uint64_t& outvoted);

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
    SourceId source;
    Event event;
  };
  /// What a source said last, when (in arrival order), and how many of its records are held.
  struct SourceClock {
    SourceId id = kAnySource;
    std::uint64_t last_arrival = 0;
    TimeMs last_ts = kNoTime;
    std::size_t held = 0;
  };
  /// Whether `e` says what time it is now where it comes from (a call segment does not).
  static bool reports_present(const Event& e) noexcept;
  /// `source`'s clock, remembered from now on.
  SourceClock& slot(SourceId source);
  /// Counts an arrival; when `e` reports the present, it is `source`'s clock at `t`.
  void note(SourceId source, TimeMs t, const Event& e);
  /// One held record of `source` left the hold.
  void forget_held(SourceId source) noexcept;
  /// Whether a source other than `source`, keeping up with `now` and still
  /// speaking, last said a time more than max_jump below `earliest`.
  [[nodiscard]] bool outvoted(SourceId source, TimeMs earliest, TimeMs now) const noexcept;

  ClockGuardConfig config_;
  std::deque<Held> held_;  // arrival order
  std::vector<SourceClock> sources_;
  std::size_t last_source_ = 0;  // consecutive records mostly come from one source
  std::uint64_t arrivals_ = 0;
};

}  // namespace callroot::engine
