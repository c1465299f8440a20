#pragma once
/// The daemon's total memory ceiling (`memory_limit_mb`): above it the daemon
/// sheds load rather than grow until the system kills it.
///
/// What is shed: telemetry (`wifi.*`, `switch.*`, `wan.*`, `client.device`,
/// `room.health`, `graph.teamworkDeviceHealth`), the bulk of any stream. Call
/// quality, inventory and client attachments are always taken: they are
/// what verdicts are about, and they are small. A shed record is read off its
/// socket and dropped, so ZeroMQ's queues drain instead of growing; the
/// verdicts of the segments meanwhile rest on less evidence, which is the
/// price of staying up. Shedding starts when the resident set exceeds the
/// ceiling and stops below 90 % of it, so it does not flap.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

namespace callroot::runtime {

/// The resident set of this process in bytes (/proc/self/statm), 0 when unknown.
std::size_t resident_bytes() noexcept;

/// Whether a record of `type` may be shed (see above).
bool sheddable(std::string_view type) noexcept;

class MemoryCeiling {
 public:
  enum class Change : std::uint8_t { kNone, kStarted, kStopped };

  /// `limit_bytes` 0: no ceiling. `measure` gives the resident bytes (injected for tests).
  explicit MemoryCeiling(std::size_t limit_bytes, std::function<std::size_t()> measure = resident_bytes);

  /// Measures and decides; call it on a timer (the daemon: every 20 ms).
  Change check();
  /// True when the record of `type` is to be dropped now; counts it.
  bool shed(std::string_view type) noexcept;

  [[nodiscard]] bool shedding() const noexcept { return shedding_; }
  [[nodiscard]] std::uint64_t shed_count() const noexcept { return shed_; }
  [[nodiscard]] std::size_t limit() const noexcept { return limit_; }
  /// A new ceiling (a configuration reload); the next check() decides with it.
  void set_limit(std::size_t limit_bytes) noexcept { limit_ = limit_bytes; }
  /// Shedding stops below this: 90 % of the ceiling, so that it does not flap.
  [[nodiscard]] std::size_t resume_below() const noexcept { return limit_ / 10 * 9; }
  /// The last measure, in bytes.
  [[nodiscard]] std::size_t resident() const noexcept { return resident_; }

 private:
  std::size_t limit_;
  std::function<std::size_t()> measure_;
  std::size_t resident_ = 0;
  bool shedding_ = false;
  std::uint64_t shed_ = 0;
};

}  // namespace callroot::runtime
