#include "connectors/backoff.h"

#include <algorithm>
#include <charconv>
#include <string>

namespace callroot::connectors {

std::chrono::milliseconds Backoff::delay(int attempt) {
  const int shift = std::clamp(attempt, 0, 30);
  const auto ceiling = std::min<std::int64_t>(policy_.cap.count(), policy_.base.count() << shift);
  std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(ceiling, 0));
  return std::chrono::milliseconds(pick(rng_));
}

std::chrono::milliseconds Backoff::retry_after(const std::string& header, int attempt) {
  std::int64_t seconds = -1;
  const char* begin = header.data();
  const char* end = begin + header.size();
  if (const auto [ptr, ec] = std::from_chars(begin, end, seconds); ec != std::errc() || ptr != end || seconds < 0) {
    return std::min(delay(attempt), policy_.max_retry_after);
  }
  // Compared in seconds: a huge value would overflow as milliseconds.
  if (seconds >= std::chrono::duration_cast<std::chrono::seconds>(policy_.max_retry_after).count()) {
    return policy_.max_retry_after;
  }
  return std::chrono::seconds(seconds);
}

}  // namespace callroot::connectors
