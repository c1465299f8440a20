#pragma once
/// Wall time for the runtime's timers: the daemon's idle flush, checkpoint
/// interval and rule-file checks, and a replay's pacing (`--speed`). The
/// engine itself never reads a clock (event time only); the runtime reads
/// this one, so a test or an embedder can step it instead of waiting.

#include <atomic>
#include <chrono>

namespace callroot::runtime {

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;

  virtual ~Clock() = default;
  [[nodiscard]] virtual time_point now() const noexcept = 0;
  /// Returns once now() has reached `t` (a manual clock: at once, set to `t`).
  virtual void sleep_until(time_point t) = 0;
};

/// The machine's monotonic clock: what the daemon and replay use unless given another.
Clock& steady_clock() noexcept;

/// A clock that moves only when told to (or when slept on): tests, and
/// embedders that drive the runtime from a simulation. Safe to advance from
/// one thread while another reads it.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(time_point start = time_point{}) noexcept : ticks_(start.time_since_epoch().count()) {}
  [[nodiscard]] time_point now() const noexcept override { return time_point(duration(ticks_.load())); }
  void sleep_until(time_point t) override;
  void advance(duration d) noexcept { ticks_.fetch_add(d.count()); }

 private:
  std::atomic<duration::rep> ticks_;
};

}  // namespace callroot::runtime
