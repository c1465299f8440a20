#pragma once
/// What a connector counts: requests by HTTP status, retries, records found,
/// fetched and delivered, and how far behind real time the delivered
/// records are. One thread writes it (the poller's); the CLI prints
/// summary() at exit and an embedder may read it between polls.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "models/time.h"

namespace callroot::connectors {

struct ConnectorMetrics {
  /// Responses by HTTP status; 0 counts requests that got none (network, TLS, timeout).
  std::map<long, std::uint64_t> requests_by_status;
  std::uint64_t retries = 0;            ///< requests sent again after a 429, 5xx or network error
  std::uint64_t throttled = 0;          ///< 429 responses
  std::uint64_t token_refreshes = 0;    ///< access tokens obtained
  std::uint64_t records_listed = 0;     ///< list entries seen (the same record again on every poll of its window)
  std::uint64_t records_fetched = 0;    ///< documents fetched in full (sessions pages merged)
  std::uint64_t records_delivered = 0;
  std::uint64_t records_unchanged = 0;  ///< listed again with a version already delivered: not fetched
  std::uint64_t records_failed = 0;     ///< not fetched (given up after retries, malformed): tried again next poll
  std::uint64_t malformed_pages = 0;    ///< list or record responses that were not the JSON expected
  std::uint64_t polls = 0;
  /// Delivery time minus the record's lastModifiedDateTime (a Zoom meeting's
  /// end), of the last one delivered.
  DurationMs lag_ms = 0;
  // A daily request quota (Zoom's); all zero for a connector without one.
  std::uint64_t quota_budget = 0;       ///< requests a day the connector may make
  std::uint64_t quota_spent = 0;        ///< of them, today (UTC)
  std::int64_t account_remaining = -1;  ///< what Zoom says the whole account has left today (-1: not said)
  std::uint64_t meetings_waiting = 0;   ///< listed, deferred until the quota allows them
  std::uint64_t meetings_skipped = 0;   ///< given up: still waiting max_age after they ended

  [[nodiscard]] std::uint64_t requests() const noexcept;
  /// One line: `polls 3, requests 12 (200: 10, 429: 1, 503: 1), retries 2, ...`.
  [[nodiscard]] std::string summary() const;
  /// The Prometheus text exposition, every series labelled `connector="NAME"`
  /// (`callroot_connector_requests_total{connector="graph",status="200"}`, ...).
  [[nodiscard]] std::string prometheus_text(std::string_view connector) const;
};

}  // namespace callroot::connectors
