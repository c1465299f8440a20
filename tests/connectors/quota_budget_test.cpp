#include "connectors/quota_budget.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <optional>
#include <unordered_map>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace callroot::connectors {
namespace {

constexpr TimeMs kSecond = 1000;
constexpr TimeMs kHour = 3600 * kSecond;
// 2026-12-07T00:00:00Z
constexpr TimeMs kDayStart = 20'794 * QuotaBudget::kDay;

QuotaBudgetConfig pro() {
  QuotaBudgetConfig c;
  c.daily_limit = 30'000;
  c.reserved_share = 0.2;
  c.headroom_share = 1.0 / 24;
  c.per_second = 10;
  return c;
}

TEST(QuotaBudget, ConfigOutOfRangeIsRefusedByName) {
  QuotaBudgetConfig c = pro();
  c.reserved_share = 1;
  try {
    QuotaBudget b(c);
    FAIL() << "accepted reserved_share = 1";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("reserved_share"), std::string::npos) << e.what();
  }
  c = pro();
  c.daily_limit = 0;
  EXPECT_THROW(QuotaBudget{c}, std::invalid_argument);
  c = pro();
  c.per_second = 0;
  EXPECT_THROW(QuotaBudget{c}, std::invalid_argument);
  EXPECT_EQ(pro().budget(), 24'000u);
  EXPECT_EQ(pro().reserve(), 6'000u);
}

TEST(QuotaBudget, AtMidnightMonitoredMeetingsMayBorrowAheadAndOthersWaitAnHourBehindThePaceLine) {
  QuotaBudget b(pro());
  EXPECT_TRUE(b.allows(kDayStart, FetchPriority::kMonitored));
  EXPECT_FALSE(b.allows(kDayStart, FetchPriority::kOther));
  // 24,000 a day, 1,000 of headroom: the line reaches 1,001 requests 1 h 3.6 s into the day.
  EXPECT_EQ(b.next_allowed(kDayStart, FetchPriority::kOther), kDayStart + kHour + 3'600);
}

TEST(QuotaBudget, InTheDaysLastStretchOthersMayTakeWhatIsLeft) {
  QuotaBudget b(pro());
  b.restore(QuotaBudget::day_of(kDayStart), 23'000);
  // 23,000 spent: the margin is what is left of the budget beyond the line,
  // so others may spend once the line is halfway from the spend to the budget
  // (23,500.5 requests: 23:30:01.8).
  EXPECT_EQ(b.next_allowed(kDayStart + 23 * kHour, FetchPriority::kOther), kDayStart + 23 * kHour + 1'801'800);
  b.restore(QuotaBudget::day_of(kDayStart), 23'998);  // the line at 23,999.5: 1.8 s before midnight
  EXPECT_EQ(b.next_allowed(kDayStart + 23 * kHour, FetchPriority::kOther), kDayStart + QuotaBudget::kDay - 1'800);
}

TEST(QuotaBudget, RequestsAreSpacedByThePerSecondLimit) {
  QuotaBudget b(pro());
  const TimeMs t = kDayStart + 12 * kHour;
  ASSERT_TRUE(b.allows(t, FetchPriority::kOther));
  b.spend(t);
  EXPECT_EQ(b.next_allowed(t, FetchPriority::kOther), t + 100);
}

TEST(QuotaBudget, TheHeadroomIsAllAMonitoredBurstMayTakeAheadOfTheLine) {
  QuotaBudget b(pro());
  TimeMs t = kDayStart + 6 * kHour;  // the line is at 6,000
  std::uint32_t made = 0;
  while (b.allows(t, FetchPriority::kMonitored) && made < 10'000) {
    b.spend(t);
    ++made;
    t += 100;
  }
  // 6,000 on the line by 06:00, a thousand ahead of it, and the line's own
  // progress during the burst (100 ms a request: 0.028 requests each).
  EXPECT_GE(made, 7'000u);
  EXPECT_LE(made, 7'300u);
  EXPECT_FALSE(b.allows(t, FetchPriority::kOther)) << "others may only use the slack behind the line";
}

QuotaBudgetConfig small() {  // 100 a day, 20 of them the customer's; no pacing
  QuotaBudgetConfig c;
  c.daily_limit = 100;
  c.reserved_share = 0.2;
  c.headroom_share = 1;
  c.per_second = 1000;
  return c;
}

/// Requests made one a second from `t`, each answered with the account's
/// remaining (`customer` used besides ours), until the budget says no.
std::uint32_t spend_all(QuotaBudget& b, TimeMs t, std::int64_t customer) {
  std::uint32_t made = 0;
  while (b.allows(t, FetchPriority::kMonitored) && made < 1000) {
    b.spend(t);
    ++made;
    b.observe_remaining(t, 100 - customer - b.usage(t).spent);
    t += kSecond;
  }
  return made;
}

TEST(QuotaBudget, ACustomerWithinTheirShareLeavesTheWholeBudget) {
  QuotaBudget b(small());
  const TimeMs t = kDayStart + 15 * kHour;
  b.observe_remaining(t, 85);  // the customer's apps used 15 of their 20
  EXPECT_EQ(spend_all(b, t, 15), 80u);
  EXPECT_EQ(b.usage(t + kHour).account_remaining, 5);  // what they have not used of their share
  EXPECT_EQ(b.usage(t + kHour).customer_used, 15);
}

TEST(QuotaBudget, ACustomerBeyondTheirShareLeavesOnlyWhatTheAccountHasLeft) {
  QuotaBudget b(small());
  const TimeMs t = kDayStart + 15 * kHour;
  b.observe_remaining(t, 60);  // the customer used 40
  EXPECT_EQ(spend_all(b, t, 40), 60u);
  EXPECT_EQ(b.next_allowed(t + kHour, FetchPriority::kMonitored), kDayStart + QuotaBudget::kDay);
  // A new day: the counts start afresh.
  EXPECT_TRUE(b.allows(kDayStart + QuotaBudget::kDay, FetchPriority::kMonitored));
  EXPECT_EQ(b.usage(kDayStart + QuotaBudget::kDay).spent, 0u);
}

TEST(QuotaBudget, ARestoredCountKeepsARestartFromTakingTheCustomersShare) {
  QuotaBudget b(small());
  const TimeMs t = kDayStart + 15 * kHour;
  b.restore(QuotaBudget::day_of(t), 50);  // made before the restart
  b.observe_remaining(t, 40);             // 100 - the customer's 10 - our 50
  EXPECT_EQ(spend_all(b, t, 10), 30u);    // 80 in all: the customer keeps their last 10
}

TEST(QuotaBudget, A429HoldsEveryRequestUntilItsRetryAfter) {
  QuotaBudget b(pro());
  const TimeMs t = kDayStart + 10 * kHour;
  b.throttle_until(t, t + 30 * kSecond);
  EXPECT_EQ(b.next_allowed(t, FetchPriority::kMonitored), t + 30 * kSecond);
  EXPECT_EQ(b.usage(t).throttled, 1u);
}

TEST(QuotaBudget, ABudgetSpentUpWaitsForTheNextDay) {
  QuotaBudgetConfig c = pro();
  c.daily_limit = 10;
  c.reserved_share = 0;
  c.headroom_share = 1;
  QuotaBudget b(c);
  TimeMs t = kDayStart + kHour;
  for (int i = 0; i < 10; ++i, t += kSecond) {
    ASSERT_TRUE(b.allows(t, FetchPriority::kMonitored)) << i;
    b.spend(t);
  }
  EXPECT_EQ(b.next_allowed(t, FetchPriority::kMonitored), kDayStart + QuotaBudget::kDay);
}

TEST(FetchPlanner, MonitoredFirstOldestFirstAndTooOldIsSkippedAndCounted) {
  QuotaBudgetConfig c = pro();
  c.headroom_share = 0;  // at noon the line is far ahead of an empty spend: no pacing in this test
  QuotaBudget b(c);
  FetchPlanner planner(2 * QuotaBudget::kDay);
  const TimeMs t = kDayStart + 12 * kHour;
  planner.add({"other-1", FetchPriority::kOther, t - 3 * kHour});
  planner.add({"mon-late", FetchPriority::kMonitored, t - kHour});
  planner.add({"mon-early", FetchPriority::kMonitored, t - 2 * kHour});
  planner.add({"ancient", FetchPriority::kOther, t - 3 * QuotaBudget::kDay});
  std::vector<std::string> order;
  TimeMs now = t;
  while (auto m = planner.next(now, b)) {
    order.push_back(m->uuid);
    b.spend(now);
    now += kSecond;
  }
  EXPECT_EQ(order, (std::vector<std::string>{"mon-early", "mon-late", "other-1"}));
  const PlannerCounts counts = planner.counts();
  EXPECT_EQ(counts.fetched_monitored, 2u);
  EXPECT_EQ(counts.fetched_other, 1u);
  EXPECT_EQ(counts.skipped_other, 1u);
  EXPECT_EQ(counts.waiting_other + counts.waiting_monitored, 0u);
}

// A working day of meetings, more than the budget can fetch, and the
// customer's own apps on the same account. Optionally plotted
// (CALLROOT_QUOTA_PLOT=FILE.svg) for docs/connectors.md.
struct Hour {
  std::uint32_t demand_monitored = 0, demand_other = 0;  // requests of the meetings ending in the hour
  std::uint32_t monitored = 0, other = 0, customer = 0;  // requests made in the hour
};

struct Day {
  std::array<Hour, 24> hours{};
  std::uint32_t spent = 0;
  // Requests made when the account had nothing left beyond what the customer
  // had not used of their share (Zoom's count is learnt from responses, so
  // the customer's use since the last one is not known).
  std::uint32_t into_customer_share = 0;
  double worst_ahead_of_line = -1e9;  // requests, at any moment
  PlannerCounts counts;
  std::uint32_t monitored_pages_left = 0;
};

Day simulate_day(std::uint32_t meetings, double monitored_share, std::uint32_t customer_requests) {
  const QuotaBudgetConfig config = pro();
  QuotaBudget budget(config);
  FetchPlanner planner;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(0, 1);
  Day day;

  // Meetings end mostly in working hours (08:00-18:00 UTC), a few at night;
  // each needs 1-3 pages of participants' QoS.
  struct Meeting {
    TimeMs ended;
    FetchPriority priority;
    std::uint32_t pages;
  };
  std::vector<Meeting> plan;
  for (std::uint32_t i = 0; i < meetings; ++i) {
    const bool working = unit(rng) < 0.9;
    const double hour = working ? 8 + 10 * unit(rng) : 24 * unit(rng);
    const auto ended = kDayStart + static_cast<TimeMs>(hour * kHour);
    const auto priority = unit(rng) < monitored_share ? FetchPriority::kMonitored : FetchPriority::kOther;
    plan.push_back({ended, priority, 1 + static_cast<std::uint32_t>(unit(rng) * 3)});
  }
  std::sort(plan.begin(), plan.end(), [](const Meeting& a, const Meeting& b) { return a.ended < b.ended; });
  std::unordered_map<std::string, std::uint32_t> pages;
  std::size_t next_meeting = 0;
  std::uint32_t customer_done = 0;
  std::int64_t account_used = 0;
  std::optional<PendingMeeting> current;  // a meeting whose pages are being fetched
  std::uint32_t current_pages = 0;

  for (TimeMs now = kDayStart; now < kDayStart + QuotaBudget::kDay; now += 100) {
    const auto hour = static_cast<std::size_t>((now - kDayStart) / kHour);
    while (next_meeting < plan.size() && plan[next_meeting].ended <= now) {
      const Meeting& m = plan[next_meeting];
      const std::string uuid = "m" + std::to_string(next_meeting++);
      pages[uuid] = m.pages;
      auto& h = day.hours[static_cast<std::size_t>((m.ended - kDayStart) / kHour)];
      (m.priority == FetchPriority::kMonitored ? h.demand_monitored : h.demand_other) += m.pages;
      planner.add({uuid, m.priority, m.ended});
    }
    // The customer's reports: evenly through working hours.
    const double working_fraction = std::clamp(static_cast<double>(now - kDayStart - 8 * kHour) / (10.0 * kHour), 0.0, 1.0);
    while (customer_done < customer_requests * working_fraction) {
      ++customer_done;
      ++account_used;
      ++day.hours[hour].customer;
    }
    if (!current) {
      current = planner.next(now, budget);
      if (current) current_pages = pages[current->uuid];
    }
    if (current && budget.allows(now, current->priority)) {
      const std::int64_t owed = std::max<std::int64_t>(0, std::int64_t{config.reserve()} - customer_done);
      if (config.daily_limit - account_used <= owed) ++day.into_customer_share;
      budget.spend(now);
      ++account_used;
      ++day.spent;
      ++(current->priority == FetchPriority::kMonitored ? day.hours[hour].monitored : day.hours[hour].other);
      budget.observe_remaining(now, config.daily_limit - account_used);  // Zoom's X-RateLimit-Remaining
      if (--current_pages == 0) current.reset();
      const double line = config.budget() * static_cast<double>(now - kDayStart) / QuotaBudget::kDay;
      day.worst_ahead_of_line = std::max(day.worst_ahead_of_line, day.spent - line);
    }
  }
  day.counts = planner.counts();
  if (current && current->priority == FetchPriority::kMonitored) day.monitored_pages_left = current_pages;
  return day;
}

void plot(const Day& day, const std::string& path, std::uint32_t budget) {
  // Requests per hour, stacked (monitored, other, the customer's), with the
  // demand and the pace line's hourly share.
  constexpr double kW = 720, kH = 300, kLeft = 50, kBottom = 30;
  std::uint32_t top = budget / 24;
  for (const Hour& h : day.hours) {
    top = std::max({top, h.monitored + h.other + h.customer, h.demand_monitored + h.demand_other});
  }
  const double scale = (kH - kBottom - 10) / top;
  const double bar = (kW - kLeft - 10) / 24;
  std::ofstream out(path);
  out << "<svg xmlns='http://www.w3.org/2000/svg' width='" << kW << "' height='" << kH + 40
      << "' font-family='sans-serif' font-size='11'>\n<rect width='100%' height='100%' fill='white'/>\n";
  for (std::size_t i = 0; i < 24; ++i) {
    const Hour& h = day.hours[i];
    double y = kH - kBottom;
    const double x = kLeft + i * bar + 2;
    for (const auto& [n, colour] : {std::pair{h.monitored, "#1f77b4"}, std::pair{h.other, "#aec7e8"},
                                    std::pair{h.customer, "#ff7f0e"}}) {
      const double height = n * scale;
      y -= height;
      out << "<rect x='" << x << "' y='" << y << "' width='" << bar - 4 << "' height='" << height << "' fill='"
          << colour << "'/>\n";
    }
    const double demand_y = kH - kBottom - (h.demand_monitored + h.demand_other) * scale;
    out << "<line x1='" << x << "' x2='" << x + bar - 4 << "' y1='" << demand_y << "' y2='" << demand_y
        << "' stroke='black' stroke-dasharray='3,2'/>\n";
    if (i % 3 == 0) out << "<text x='" << x << "' y='" << kH - kBottom + 14 << "'>" << i << ":00</text>\n";
  }
  const double pace_y = kH - kBottom - (budget / 24.0) * scale;
  out << "<line x1='" << kLeft << "' x2='" << kW - 10 << "' y1='" << pace_y << "' y2='" << pace_y
      << "' stroke='#2ca02c'/>\n<text x='" << kLeft << "' y='" << pace_y - 4 << "' fill='#2ca02c'>pace: budget / 24 = "
      << budget / 24 << " an hour</text>\n";
  out << "<text x='5' y='" << kH - kBottom << "'>0</text><text x='5' y='20'>" << top << "</text>\n";
  out << "<text x='" << kLeft << "' y='" << kH + 5
      << "'>requests per hour (UTC): monitored (dark blue), other (light blue), the customer's own (orange); "
         "dashes: demand</text>\n</svg>\n";
}

TEST(QuotaBudgetDay, ABusyDayLeavesTheCustomersShareFollowsThePaceAndFetchesMonitoredMeetingsFirst) {
  // 16,000 meetings of ~2 pages: ~32,000 requests wanted, 24,000 in the budget;
  // the customer's own reports take 5,000 of the account's limit.
  const Day day = simulate_day(16'000, 0.35, 5'000);
  const QuotaBudgetConfig config = pro();
  if (const char* path = std::getenv("CALLROOT_QUOTA_PLOT")) plot(day, path, config.budget());

  std::uint32_t demand_monitored = 0, monitored = 0, other = 0;
  for (const Hour& h : day.hours) {
    demand_monitored += h.demand_monitored;
    monitored += h.monitored;
    other += h.other;
  }
  EXPECT_LE(day.spent, config.budget());
  EXPECT_EQ(day.into_customer_share, 0u);
  EXPECT_LE(day.worst_ahead_of_line, config.headroom_share * config.budget() + 1);
  // Every monitored meeting's pages were fetched the same day...
  EXPECT_EQ(day.counts.waiting_monitored, 0u);
  EXPECT_EQ(day.monitored_pages_left, 0u);
  EXPECT_EQ(monitored, demand_monitored);
  // ...and the rest of the budget went to the others, whose remainder waits.
  EXPECT_GT(other, 0u);
  EXPECT_GT(day.counts.waiting_other, 0u);
  // The budget was used, not hoarded: what the pace line allowed by midnight.
  EXPECT_GE(day.spent + 50, config.budget());
  // Nothing was made before the meetings ended: the quiet night hours saved
  // their share for the working day's peak.
  std::uint32_t working = 0;
  for (std::size_t i = 8; i < 20; ++i) working += day.hours[i].monitored + day.hours[i].other;
  EXPECT_GT(working, day.spent / 2);
}

TEST(QuotaBudgetDay, AQuietDayFetchesEverythingAsItEnds) {
  const Day day = simulate_day(2'000, 0.35, 1'000);
  EXPECT_EQ(day.counts.waiting_monitored + day.counts.waiting_other, 0u);
  EXPECT_EQ(day.counts.fetched_monitored + day.counts.fetched_other, 2'000u);
}

TEST(QuotaBudgetDay, TheCustomerTakingTheAccountStopsUsAtTheReserve) {
  // The customer's apps take 26,000 of the 30,000, well beyond their 6,000:
  // we get what the account has left, at most one request late in noticing.
  const Day day = simulate_day(16'000, 0.35, 26'000);
  EXPECT_LE(day.into_customer_share, 1u);
  EXPECT_LT(day.spent, pro().budget());
  EXPECT_GT(day.spent, 0u);
}

}  // namespace
}  // namespace callroot::connectors
