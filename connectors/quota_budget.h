#pragma once
/// Zoom's daily request quota, spent so that it lasts the day and leaves the
/// customer their share.
///
/// Zoom's dashboard APIs (a meeting's participants' QoS is "Heavy"; the
/// meeting list is "Resource-intensive") draw on one daily limit per account:
/// 30,000 requests on Pro, 60,000 on Business and above, reset at 00:00 UTC,
/// and shared with every other app the customer runs on the same account.
/// A connector that spends it as fast as meetings end leaves nothing for the
/// afternoon, nor for the customer's own reports. So:
/// - **The customer's share is left to them.** `reserved_share` of the daily
///   limit is the customer's, the rest (the budget) the connector's. Zoom's
///   `X-RateLimit-Remaining` says what the account as a whole has left; less
///   the connector's own requests, that tells what the customer has used. The
///   connector never brings the account below what the customer has not yet
///   used of their share, and stops until the next UTC day when it is there.
///   A customer who goes beyond their share competes for the remainder (the
///   connector never takes more than its budget either). The connector's own
///   count must survive a restart (`restore`, from its cursor): without it the
///   connector would take its earlier requests for the customer's.
/// - **The rest is spread over the day along a pace line.** By a fraction f
///   of the day at most f of the budget may be spent, plus `headroom_share`
///   of it ahead of the line. Budget not spent overnight carries forward to
///   the working day's peak; a burst cannot take the evening's share.
/// - **Meetings on monitored sites first.** They may borrow the headroom
///   ahead of the line; other meetings spend only while the spend is at least
///   the headroom behind it, so monitored meetings always have twice the
///   headroom to draw on (the margin closes over the day's last stretch, so
///   what nobody monitored needed is spent by midnight).
/// - **Per-second pace and throttling.** Requests are spaced by the plan's
///   per-second limit, and a 429 holds every request until its
///   `Retry-After`.
///
/// Pure: time is passed in (UTC milliseconds since the epoch), nothing is
/// read from a clock, so a day can be simulated in a test.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "models/time.h"

namespace callroot::connectors {

struct QuotaBudgetConfig {
  std::uint32_t daily_limit = 30'000;  ///< the plan's heavy + resource-intensive requests a day (Pro)
  double reserved_share = 0.2;         ///< of daily_limit, left for the customer's own use
  double headroom_share = 1.0 / 24;    ///< of the budget, spendable ahead of the pace line (an hour's)
  double per_second = 10;              ///< the plan's heavy requests a second (Pro; Business+ 40)

  /// Throws std::invalid_argument naming the field out of range.
  void validate() const;
  /// Requests the connector may make in a day: the limit less the reserve.
  [[nodiscard]] std::uint32_t budget() const noexcept;
  [[nodiscard]] std::uint32_t reserve() const noexcept;
};

enum class FetchPriority : std::uint8_t {
  kMonitored,  ///< a participant on a monitored site: may borrow ahead of the pace line
  kOther,      ///< only while the spend is the headroom behind the line
};

/// Today's spending, for metrics and the report of what was deferred.
struct QuotaUsage {
  std::int64_t day = 0;          ///< UTC day number (days since the epoch)
  std::uint32_t spent = 0;       ///< requests made today
  std::uint32_t budget = 0;      ///< the day's budget (limit less reserve)
  std::uint32_t pace = 0;        ///< what the pace line allows by now (before headroom)
  std::optional<std::int64_t> account_remaining;  ///< Zoom's last X-RateLimit-Remaining today, less our requests since
  std::optional<std::int64_t> customer_used;      ///< what the account used that was not ours, as of that response
  std::uint32_t throttled = 0;   ///< 429s today
};

class QuotaBudget {
 public:
  explicit QuotaBudget(QuotaBudgetConfig config);

  /// The earliest time at or after `now` a request of this priority may be
  /// made: `now` itself when it may be made at once.
  [[nodiscard]] TimeMs next_allowed(TimeMs now, FetchPriority priority) const noexcept;
  [[nodiscard]] bool allows(TimeMs now, FetchPriority priority) const noexcept {
    return next_allowed(now, priority) <= now;
  }
  /// A request was made at `now`.
  void spend(TimeMs now) noexcept;
  /// Zoom's `X-RateLimit-Remaining` on a response received at `now`: what
  /// the whole account has left of its daily limit.
  void observe_remaining(TimeMs now, std::int64_t remaining) noexcept;
  /// A 429: nothing until `until` (its `Retry-After`; the next UTC day for a
  /// daily limit).
  void throttle_until(TimeMs now, TimeMs until) noexcept;

  /// The count of requests already made on `day` (kept in the connector's
  /// cursor), after a restart.
  void restore(std::int64_t day, std::uint32_t spent) noexcept;

  [[nodiscard]] QuotaUsage usage(TimeMs now) const noexcept;
  [[nodiscard]] const QuotaBudgetConfig& config() const noexcept { return config_; }

  static constexpr DurationMs kDay = 86'400'000;
  [[nodiscard]] static std::int64_t day_of(TimeMs t) noexcept;
  [[nodiscard]] static TimeMs start_of_day(std::int64_t day) noexcept { return day * kDay; }

 private:
  void roll(TimeMs now) noexcept;  // a new UTC day starts the counts afresh
  [[nodiscard]] bool today(TimeMs now) const noexcept { return day_of(now) == day_; }
  // With remaining_ seen today:
  [[nodiscard]] std::int64_t account_left() const noexcept;
  [[nodiscard]] std::int64_t customer_used() const noexcept;
  [[nodiscard]] std::int64_t customer_share_left() const noexcept;

  QuotaBudgetConfig config_;
  std::int64_t day_ = 0;
  std::uint32_t spent_ = 0;
  std::uint32_t throttled_ = 0;
  std::optional<std::int64_t> remaining_;  // the account's, as last seen today
  std::uint32_t spent_since_remaining_ = 0;
  std::uint32_t spent_at_remaining_ = 0;  // our count when remaining_ was seen
  TimeMs last_request_ = kNoTime;
  TimeMs throttled_until_ = kNoTime;
};

/// A meeting whose participants' QoS is to be fetched: one request a page.
struct PendingMeeting {
  std::string uuid;
  FetchPriority priority = FetchPriority::kOther;
  TimeMs ended = 0;  ///< when the meeting ended (its QoS is complete from then)
};

struct PlannerCounts {
  std::uint64_t fetched_monitored = 0, fetched_other = 0;  ///< meetings handed out
  std::uint64_t skipped_monitored = 0, skipped_other = 0;  ///< given up: older than max_age before the budget allowed
  std::size_t waiting_monitored = 0, waiting_other = 0;    ///< deferred now
};

/// Which meeting to spend the next request on: monitored meetings first,
/// oldest first within a priority (their data is complete and nearest to
/// expiring); a meeting still waiting `max_age` after it ended is skipped and
/// counted, never fetched late and silently.
class FetchPlanner {
 public:
  explicit FetchPlanner(DurationMs max_age = 7 * QuotaBudget::kDay) : max_age_(max_age) {}

  void add(PendingMeeting meeting);
  /// The meeting to fetch now under `budget`, taken off the queue; none when
  /// nothing waits or the budget allows no request of the waiting priorities.
  /// The caller spends the request on the budget (and calls again for each
  /// further page of the same meeting).
  [[nodiscard]] std::optional<PendingMeeting> next(TimeMs now, const QuotaBudget& budget);
  /// Drops (and counts) the meetings older than max_age.
  void expire(TimeMs now);
  [[nodiscard]] PlannerCounts counts() const noexcept;

 private:
  std::deque<PendingMeeting>& queue(FetchPriority p) noexcept {
    return p == FetchPriority::kMonitored ? monitored_ : other_;
  }

  DurationMs max_age_;
  std::deque<PendingMeeting> monitored_, other_;  // each in order of `ended`
  PlannerCounts counts_;
};

}  // namespace callroot::connectors
