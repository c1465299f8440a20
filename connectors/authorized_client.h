#pragma once
/// Requests to a cloud API as every connector sends them: a bearer token from
/// a TokenSource, sent again after a 429 (waiting what Retry-After says) or a
/// 5xx or network error (exponential backoff with full jitter), and once
/// with a new token after a 401. Waits go through the injected Clock, so
/// tests never sleep.

#include <functional>
#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "connectors/backoff.h"
#include "connectors/http_client.h"
#include "connectors/metrics.h"
#include "runtime/clock.h"

namespace callroot::connectors {

/// An access token, or why there is none (never containing the secret).
struct TokenResult {
  std::string token;
  std::string error;
  [[nodiscard]] bool ok() const noexcept { return error.empty(); }
};

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  /// A token valid for a while yet (cached, or obtained now).
  virtual TokenResult token() = 0;
  /// Forgets the cached token: the API refused it.
  virtual void invalidate() = 0;
};

/// HttpClient::send with the retry policy above (no token: the token
/// endpoint's own requests go through it too). Counts every response in `metrics`.
class RetryingSender {
 public:
  /// `stopping`: when it says true, a wait ends early and nothing is sent
  /// again (a Retry-After of minutes must not hold up SIGTERM); checked
  /// every 200 ms of a wait.
  RetryingSender(HttpClient& http, Backoff& backoff, runtime::Clock& clock, ConnectorMetrics& metrics,
                 std::shared_ptr<spdlog::logger> log, std::function<bool()> stopping = {})
      : http_(http),
        backoff_(backoff),
        clock_(clock),
        metrics_(metrics),
        log_(std::move(log)),
        stopping_(std::move(stopping)) {}

  /// The first response that is neither a 429 nor a 5xx, or the last one
  /// when the attempts ran out or the sender is stopping (a transport
  /// failure: `error` set).
  HttpResponse send(const HttpRequest& request, std::string_view what);

 private:
  /// Waits `wait` in slices; false when stopping cut it short.
  bool wait(std::chrono::milliseconds delay);

  HttpClient& http_;
  Backoff& backoff_;
  runtime::Clock& clock_;
  ConnectorMetrics& metrics_;
  std::shared_ptr<spdlog::logger> log_;
  std::function<bool()> stopping_;
};

class AuthorizedClient {
 public:
  AuthorizedClient(RetryingSender& sender, TokenSource& tokens) : sender_(sender), tokens_(tokens) {}

  /// GET with `Authorization: Bearer`. When no token can be had the response
  /// carries the token source's error and status 0.
  HttpResponse get(const std::string& url, std::string_view what);

 private:
  RetryingSender& sender_;
  TokenSource& tokens_;
};

}  // namespace callroot::connectors
