#pragma once
/// When to try a failed request again: exponential backoff with full jitter
/// (a uniformly random wait in [0, min(cap, base * 2^attempt)]), so many
/// clients failing together do not come back together. The random source is
/// seeded by the caller: tests get the same waits every run.

#include <chrono>
#include <cstdint>
#include <random>
#include <string>

namespace callroot::connectors {

struct BackoffPolicy {
  std::chrono::milliseconds base{500};
  std::chrono::milliseconds cap{60'000};
  /// Attempts of one request in all (the first one included) before it is
  /// given up as failed; the next poll starts again.
  int max_attempts = 6;
  /// A server's Retry-After above this is shortened to it: a poll that
  /// would otherwise sleep for an hour holds everything else up.
  std::chrono::milliseconds max_retry_after{300'000};
};

class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy, std::uint64_t seed = std::random_device{}())
      : policy_(policy), rng_(seed) {}

  /// The wait before retry number `attempt` (0: after the first failure).
  std::chrono::milliseconds delay(int attempt);
  /// The wait a `Retry-After` header asks for (delta-seconds; an HTTP date
  /// or nothing usable: the backoff delay of `attempt`), at most max_retry_after.
  std::chrono::milliseconds retry_after(const std::string& header, int attempt);

  [[nodiscard]] const BackoffPolicy& policy() const noexcept { return policy_; }

 private:
  BackoffPolicy policy_;
  std::mt19937_64 rng_;
};

}  // namespace callroot::connectors
