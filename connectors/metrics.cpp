#include "connectors/metrics.h"

#include <spdlog/fmt/fmt.h>

namespace callroot::connectors {

std::uint64_t ConnectorMetrics::requests() const noexcept {
  std::uint64_t n = 0;
  for (const auto& [status, count] : requests_by_status) n += count;
  return n;
}

std::string ConnectorMetrics::summary() const {
  std::string by_status;
  for (const auto& [status, count] : requests_by_status) {
    if (!by_status.empty()) by_status += ", ";
    by_status += status == 0 ? std::string("network") : std::to_string(status);
    by_status += ": " + std::to_string(count);
  }
  return fmt::format(
      "polls {}, requests {} ({}), retries {}, throttled {}, tokens {}, records listed {}, fetched {}, delivered {}, "
      "unchanged {}, failed {}, malformed responses {}, lag {:.1f} s",
      polls, requests(), by_status.empty() ? "none" : by_status, retries, throttled, token_refreshes, records_listed,
      records_fetched, records_delivered, records_unchanged, records_failed, malformed_pages,
      static_cast<double>(lag_ms) / 1000.0);
}

}  // namespace callroot::connectors
