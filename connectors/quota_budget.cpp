#include "connectors/quota_budget.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace callroot::connectors {

void QuotaBudgetConfig::validate() const {
  if (daily_limit == 0) throw std::invalid_argument("zoom quota: daily_limit must be positive");
  if (!(reserved_share >= 0 && reserved_share < 1)) {
    throw std::invalid_argument("zoom quota: reserved_share must be at least 0 and below 1");
  }
  if (!(headroom_share >= 0 && headroom_share <= 1)) {
    throw std::invalid_argument("zoom quota: headroom_share must be between 0 and 1");
  }
  if (!(per_second > 0)) throw std::invalid_argument("zoom quota: per_second must be positive");
}

std::uint32_t QuotaBudgetConfig::budget() const noexcept {
  return static_cast<std::uint32_t>(std::floor(daily_limit * (1.0 - reserved_share)));
}

std::uint32_t QuotaBudgetConfig::reserve() const noexcept { return daily_limit - budget(); }

QuotaBudget::QuotaBudget(QuotaBudgetConfig config) : config_(config) { config_.validate(); }

std::int64_t QuotaBudget::day_of(TimeMs t) noexcept {
  return t >= 0 ? t / kDay : -((-t + kDay - 1) / kDay);
}

void QuotaBudget::roll(TimeMs now) noexcept {
  const std::int64_t day = day_of(now);
  if (day == day_) return;
  day_ = day;
  spent_ = 0;
  throttled_ = 0;
  remaining_.reset();
  spent_since_remaining_ = 0;
  spent_at_remaining_ = 0;
}

TimeMs QuotaBudget::next_allowed(TimeMs now, FetchPriority priority) const noexcept {
  const auto spacing = static_cast<DurationMs>(std::ceil(1000.0 / config_.per_second));
  const double budget = config_.budget();
  const double headroom = config_.headroom_share * budget;
  // Each constraint moves the time forward; the day rolling over relaxes the
  // quota ones, so a few rounds settle it.
  TimeMs t = now;
  for (int round = 0; round < 4; ++round) {
    TimeMs at = t;
    if (throttled_until_ != kNoTime) at = std::max(at, throttled_until_);
    if (last_request_ != kNoTime) at = std::max(at, last_request_ + spacing);
    const std::int64_t day = day_of(at);
    const TimeMs day_start = start_of_day(day);
    const TimeMs next_day = start_of_day(day + 1);
    const bool same_day = day == day_;
    const double spent = same_day ? spent_ : 0;
    if (same_day && remaining_ && account_left() <= customer_share_left()) {
      at = next_day;  // what the account has left is the customer's
    } else if (spent >= budget) {
      at = next_day;
    } else {
      // What the pace line must have reached: monitored meetings may be the
      // headroom ahead of it; others must stay the headroom behind it, a
      // margin that closes over the day's last stretch so that nothing is
      // left unspent at midnight.
      const double needed = priority == FetchPriority::kMonitored ? spent + 1 - headroom
                            : spent + 1 + headroom <= budget - headroom
                                ? spent + 1 + headroom
                                : std::max(budget - headroom, (spent + 1 + budget) / 2);
      if (needed > 0) {
        const auto due = day_start + static_cast<DurationMs>(std::ceil(needed * static_cast<double>(kDay) / budget));
        at = std::max(at, due >= next_day ? next_day : due);
      }
    }
    if (at == t) return t;
    t = at;
  }
  return t;
}

std::int64_t QuotaBudget::account_left() const noexcept {
  return *remaining_ - static_cast<std::int64_t>(spent_since_remaining_);
}

std::int64_t QuotaBudget::customer_used() const noexcept {
  return std::max<std::int64_t>(0, std::int64_t{config_.daily_limit} - *remaining_ - spent_at_remaining_);
}

std::int64_t QuotaBudget::customer_share_left() const noexcept {
  return std::max<std::int64_t>(0, std::int64_t{config_.reserve()} - customer_used());
}

void QuotaBudget::spend(TimeMs now) noexcept {
  roll(now);
  ++spent_;
  if (remaining_) ++spent_since_remaining_;
  last_request_ = std::max(last_request_, now);
}

void QuotaBudget::restore(std::int64_t day, std::uint32_t spent) noexcept {
  roll(start_of_day(day));
  spent_ = spent;
}

void QuotaBudget::observe_remaining(TimeMs now, std::int64_t remaining) noexcept {
  roll(now);
  remaining_ = remaining;
  spent_since_remaining_ = 0;
  spent_at_remaining_ = spent_;
}

void QuotaBudget::throttle_until(TimeMs now, TimeMs until) noexcept {
  roll(now);
  ++throttled_;
  throttled_until_ = throttled_until_ == kNoTime ? until : std::max(throttled_until_, until);
}

QuotaUsage QuotaBudget::usage(TimeMs now) const noexcept {
  QuotaUsage u;
  u.day = day_of(now);
  u.budget = config_.budget();
  const double fraction = static_cast<double>(now - start_of_day(u.day)) / static_cast<double>(kDay);
  u.pace = static_cast<std::uint32_t>(std::floor(u.budget * fraction));
  if (today(now)) {
    u.spent = spent_;
    u.throttled = throttled_;
    if (remaining_) {
      u.account_remaining = account_left();
      u.customer_used = customer_used();
    }
  }
  return u;
}

void FetchPlanner::add(PendingMeeting meeting) {
  auto& q = queue(meeting.priority);
  const auto at = std::upper_bound(q.begin(), q.end(), meeting.ended,
                                   [](TimeMs t, const PendingMeeting& m) { return t < m.ended; });
  q.insert(at, std::move(meeting));
}

void FetchPlanner::expire(TimeMs now) {
  for (const FetchPriority p : {FetchPriority::kMonitored, FetchPriority::kOther}) {
    auto& q = queue(p);
    auto& skipped = p == FetchPriority::kMonitored ? counts_.skipped_monitored : counts_.skipped_other;
    while (!q.empty() && q.front().ended + max_age_ < now) {
      q.pop_front();
      ++skipped;
    }
  }
}

std::optional<PendingMeeting> FetchPlanner::next(TimeMs now, const QuotaBudget& budget) {
  expire(now);
  // Other meetings face a stricter line than monitored ones: when a monitored
  // meeting waits and may not go, neither may they.
  for (const FetchPriority p : {FetchPriority::kMonitored, FetchPriority::kOther}) {
    auto& q = queue(p);
    if (q.empty()) continue;
    if (!budget.allows(now, p)) return std::nullopt;
    PendingMeeting m = std::move(q.front());
    q.pop_front();
    ++(p == FetchPriority::kMonitored ? counts_.fetched_monitored : counts_.fetched_other);
    return m;
  }
  return std::nullopt;
}

PlannerCounts FetchPlanner::counts() const noexcept {
  PlannerCounts c = counts_;
  c.waiting_monitored = monitored_.size();
  c.waiting_other = other_.size();
  return c;
}

}  // namespace callroot::connectors
