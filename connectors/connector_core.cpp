#include "connectors/connector_core.h"

#include <algorithm>

namespace callroot::connectors {

ConnectorCore::ConnectorCore(const ConnectorSettings& settings, ClientCredentials credentials,
                             std::shared_ptr<spdlog::logger> log, runtime::Clock& clock, std::uint64_t seed)
    : poll_interval_(settings.poll_interval),
      clock_(clock),
      http_(settings.http),
      backoff_(settings.backoff, seed),
      sender_(http_, backoff_, clock, metrics_, std::move(log), [this] { return stop_ && stop_(); }),
      tokens_(std::move(credentials), sender_, clock, metrics_),
      api_(sender_, tokens_),
      store_(settings.cursor_file) {}

void ConnectorCore::run(std::function<bool()> stop, bool once,
                        const std::function<void(const std::function<bool()>&)>& poll) {
  stop_ = std::move(stop);
  while (!stop_()) {
    const auto due = clock_.now() + poll_interval_;
    poll(stop_);
    if (once) break;
    while (!stop_() && clock_.now() < due) {
      clock_.sleep_until(std::min(due, clock_.now() + std::chrono::milliseconds(200)));
    }
  }
  stop_ = nullptr;
}

}  // namespace callroot::connectors
