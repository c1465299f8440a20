#pragma once
/// What every connector is assembled from, written once: the settings every
/// configuration file has, and the HTTP client, retries, token, authorized
/// client and cursor store built from them, with the poll loop.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "connectors/authorized_client.h"
#include "connectors/backoff.h"
#include "connectors/cursor_store.h"
#include "connectors/http_client.h"
#include "connectors/metrics.h"
#include "connectors/oauth.h"
#include "runtime/clock.h"

namespace callroot::connectors {

/// The keys every connector's file has (docs/connectors.md): `poll_interval_s`,
/// `cursor_file`, `ca_bundle`, `proxy`, `timeout_s`, `max_attempts`.
struct ConnectorSettings {
  std::chrono::seconds poll_interval{300};
  std::string cursor_file;  ///< empty: no resume
  HttpOptions http;         ///< ca_bundle, proxy, timeout_s
  BackoffPolicy backoff;    ///< max_attempts
};

class ConnectorCore {
 public:
  /// Throws ConfigError (the secret) or std::runtime_error (libcurl options).
  ConnectorCore(const ConnectorSettings& settings, ClientCredentials credentials, std::shared_ptr<spdlog::logger> log,
                runtime::Clock& clock, std::uint64_t seed);
  ConnectorCore(const ConnectorCore&) = delete;
  ConnectorCore& operator=(const ConnectorCore&) = delete;

  /// Calls `poll(stop)` every poll_interval until `stop()` says so; once when
  /// `once`. `stop` is also what the retries' waits ask every 200 ms.
  void run(std::function<bool()> stop, bool once, const std::function<void(const std::function<bool()>&)>& poll);

  [[nodiscard]] AuthorizedClient& api() noexcept { return api_; }
  [[nodiscard]] CursorStore& store() noexcept { return store_; }
  [[nodiscard]] ConnectorMetrics& metrics() noexcept { return metrics_; }
  [[nodiscard]] const ConnectorMetrics& metrics() const noexcept { return metrics_; }
  [[nodiscard]] runtime::Clock& clock() noexcept { return clock_; }
  [[nodiscard]] std::chrono::seconds poll_interval() const noexcept { return poll_interval_; }

 private:
  std::chrono::seconds poll_interval_;
  runtime::Clock& clock_;
  std::function<bool()> stop_;  // run()'s, for the sender's waits
  ConnectorMetrics metrics_;
  HttpClient http_;
  Backoff backoff_;
  RetryingSender sender_;
  OAuthClientCredentials tokens_;
  AuthorizedClient api_;
  CursorStore store_;
};

}  // namespace callroot::connectors
