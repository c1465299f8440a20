#include "connectors/authorized_client.h"

#include <algorithm>

namespace callroot::connectors {

namespace {
bool retryable(const HttpResponse& r) noexcept {
  return r.transport_failed() || r.status == 429 || (r.status >= 500 && r.status <= 599);
}

/// Zoom's answer when the account's daily quota is spent: waiting it out is
/// the caller's business (its quota budget holds every request until the
/// quota resets), not a retry's.
bool daily_limit(const HttpResponse& r) { return r.status == 429 && r.header("x-ratelimit-type") == "Daily-limit"; }
}  // namespace

HttpResponse RetryingSender::send(const HttpRequest& request, std::string_view what) {
  const int attempts = std::max(1, backoff_.policy().max_attempts);
  HttpResponse response;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    response = http_.send(request);
    ++metrics_.requests_by_status[response.transport_failed() ? 0 : response.status];
    if (!retryable(response) || daily_limit(response) || attempt + 1 == attempts) break;
    std::chrono::milliseconds delay{};
    if (response.status == 429) {
      ++metrics_.throttled;
      delay = backoff_.retry_after(response.header("retry-after"), attempt);
      log_->warn("{}: throttled (429), retrying in {} ms", what, delay.count());
    } else {
      delay = backoff_.delay(attempt);
      log_->warn("{}: {}, retrying in {} ms", what,
                 response.transport_failed() ? response.error : "HTTP " + std::to_string(response.status),
                 delay.count());
    }
    if (!wait(delay)) break;
    ++metrics_.retries;
  }
  return response;
}

bool RetryingSender::wait(std::chrono::milliseconds delay) {
  const auto until = clock_.now() + delay;
  while (clock_.now() < until) {
    if (stopping_ && stopping_()) return false;
    clock_.sleep_until(std::min(until, clock_.now() + std::chrono::milliseconds(200)));
  }
  return !(stopping_ && stopping_());
}

HttpResponse AuthorizedClient::get(const std::string& url, std::string_view what) {
  // A token can be revoked or expire early (clock skew, a rotated secret):
  // one 401 earns one new token, a second is the answer.
  for (int round = 0; round < 2; ++round) {
    const TokenResult token = tokens_.token();
    if (!token.ok()) {
      HttpResponse failed;
      failed.error = token.error;
      return failed;
    }
    HttpRequest request;
    request.url = url;
    request.headers = {"Authorization: Bearer " + token.token, "Accept: application/json"};
    HttpResponse response = sender_.send(request, what);
    if (response.status != 401 || round == 1) return response;
    tokens_.invalidate();
  }
  return {};  // not reached: the loop returns in its second round
}

}  // namespace callroot::connectors
