#include "runtime/clock.h"

#include <thread>

namespace callroot::runtime {
namespace {

class SteadyClock final : public Clock {
 public:
  [[nodiscard]] time_point now() const noexcept override { return std::chrono::steady_clock::now(); }
  void sleep_until(time_point t) override { std::this_thread::sleep_until(t); }
};

}  // namespace

Clock& steady_clock() noexcept {
  static SteadyClock clock;  // stateless: shared by every caller
  return clock;
}

void ManualClock::sleep_until(time_point t) {
  auto current = ticks_.load();
  const auto target = t.time_since_epoch().count();
  while (current < target && !ticks_.compare_exchange_weak(current, target)) {
  }
}

}  // namespace callroot::runtime
