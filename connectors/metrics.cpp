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
      static_cast<double>(lag_ms) / 1000.0) +
         (quota_budget == 0 ? std::string()
                            : fmt::format(", quota {} of {} today, account remaining {}, meetings waiting {}, skipped {}",
                                          quota_spent, quota_budget,
                                          account_remaining < 0 ? std::string("unknown")
                                                                : std::to_string(account_remaining),
                                          meetings_waiting, meetings_skipped));
}

std::string ConnectorMetrics::prometheus_text(std::string_view connector) const {
  std::string out;
  const auto family = [&](std::string_view name, std::string_view type, std::string_view help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  const auto sample = [&](std::string_view name, auto value) {
    out += fmt::format("{}{{connector=\"{}\"}} {}\n", name, connector, value);
  };
  family("callroot_connector_requests_total", "counter", "HTTP requests by response status (0: no response)");
  for (const auto& [status, count] : requests_by_status) {
    out += fmt::format("callroot_connector_requests_total{{connector=\"{}\",status=\"{}\"}} {}\n", connector, status,
                       count);
  }
  struct Counter {
    const char* name;
    const char* help;
    std::uint64_t value;
  };
  const Counter counters[] = {
      {"callroot_connector_retries_total", "requests sent again after a 429, 5xx or network error", retries},
      {"callroot_connector_throttled_total", "429 responses", throttled},
      {"callroot_connector_tokens_total", "access tokens obtained", token_refreshes},
      {"callroot_connector_polls_total", "polls started", polls},
      {"callroot_connector_records_listed_total", "list entries seen, the same record again on every poll of its window",
       records_listed},
      {"callroot_connector_records_fetched_total", "documents fetched in full", records_fetched},
      {"callroot_connector_records_delivered_total", "documents delivered", records_delivered},
      {"callroot_connector_records_unchanged_total", "listed again at a version already delivered", records_unchanged},
      {"callroot_connector_records_failed_total", "not fetched or not delivered, left to the next poll", records_failed},
      {"callroot_connector_malformed_responses_total", "responses that were not the JSON expected", malformed_pages},
  };
  for (const Counter& c : counters) {
    family(c.name, "counter", c.help);
    sample(c.name, c.value);
  }
  family("callroot_connector_lag_seconds", "gauge", "delivery time minus lastModifiedDateTime of the last record delivered");
  sample("callroot_connector_lag_seconds", static_cast<double>(lag_ms) / 1000.0);
  if (quota_budget == 0) return out;
  const Counter gauges[] = {
      {"callroot_connector_quota_budget", "requests a day the connector may make (the daily limit less the customer's share)",
       quota_budget},
      {"callroot_connector_quota_used", "of them made today (UTC)", quota_spent},
      {"callroot_connector_quota_left", "of them left today", quota_budget > quota_spent ? quota_budget - quota_spent : 0},
      {"callroot_connector_meetings_waiting", "meetings listed and deferred until the quota allows them", meetings_waiting},
  };
  for (const Counter& g : gauges) {
    family(g.name, "gauge", g.help);
    sample(g.name, g.value);
  }
  family("callroot_connector_meetings_skipped_total", "counter", "meetings given up: still waiting max_age after they ended");
  sample("callroot_connector_meetings_skipped_total", meetings_skipped);
  if (account_remaining >= 0) {
    family("callroot_connector_account_remaining", "gauge", "what the API says the whole account has left of its daily limit");
    sample("callroot_connector_account_remaining", account_remaining);
  }
  return out;
}

}  // namespace callroot::connectors
