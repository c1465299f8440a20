#pragma once
/// Zoom participants' QoS, polled within the account's daily quota.
///
/// Each poll lists the past meetings from the lookback before the newest one
/// delivered (`GET /metrics/meetings?type=past&from=…&to=…`, every
/// `next_page_token` page), queues each meeting not yet delivered, monitored
/// meetings first (MonitoredMeetings), and fetches their participants' QoS
/// (`GET /metrics/meetings/{uuid}/participants/qos?type=past`, ten
/// participants a page) as the quota budget allows (QuotaBudget). A meeting's
/// pages are delivered together once all of them are in, each as a
/// `zoom.qos` page with the meeting's `meeting_uuid` added (Zoom's response
/// does not name its meeting), so a meeting is delivered whole or not at all.
///
/// Quota: every request is one of the daily limit's; Zoom's
/// `X-RateLimit-Remaining` on a response whose `X-RateLimit-Limit` is the
/// plan's daily limit tells what the whole account has left; a 429 with
/// `X-RateLimit-Type: Daily-limit` holds everything until its Retry-After
/// (the next UTC midnight when it says nothing usable). The day's count is
/// kept in the cursor, so a restart does not take its own requests for the
/// customer's.
///
/// Nothing here throws after construction: a failed request or a malformed
/// response is logged with what was being fetched, counted, and the meeting
/// is left to a later poll.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "connectors/authorized_client.h"
#include "connectors/connector_core.h"
#include "connectors/cursor_store.h"
#include "connectors/delivery.h"
#include "connectors/graph_poller.h"
#include "connectors/metrics.h"
#include "connectors/oauth.h"
#include "connectors/quota_budget.h"
#include "connectors/zoom_config.h"
#include "runtime/clock.h"

namespace callroot::connectors {

/// The record type a Zoom QoS page is delivered as (docs/contract.md §5.2).
inline constexpr std::string_view kZoomQosType = "zoom.qos";

/// A meeting UUID as a path segment: percent-encoded, and encoded twice when
/// it begins with `/` or contains `//`, as Zoom requires.
std::string zoom_meeting_path(std::string_view uuid);

/// Whether a listed meeting is one of those fetched first.
bool is_monitored(const MonitoredMeetings& monitored, std::string_view host_email, std::string_view department,
                  std::int64_t room_participants);

struct ZoomPollResult {
  std::uint64_t delivered = 0;  ///< meetings
  std::uint64_t failed = 0;     ///< meetings that could not be fetched or delivered (tried again later)
  std::string list_error;       ///< why the listing stopped early (empty: it did not)
};

class ZoomPoller {
 public:
  /// `api` authorizes and retries every request; `clock` is what waits
  /// for the quota; `wall` is UTC (the quota's day, the lag).
  ZoomPoller(const ZoomConfig& config, AuthorizedClient& api, CursorStore& store, RecordSink& sink,
             ConnectorMetrics& metrics, std::shared_ptr<spdlog::logger> log, runtime::Clock& clock, WallClock wall);

  /// Lists, then fetches queued meetings until `deadline` (the clock's; the
  /// next poll), until the budget allows nothing before it (or not within
  /// `max_wait`: a single poll from cron takes what the quota allows now),
  /// or until `stop` (asked at least every 200 ms while waiting for quota).
  ZoomPollResult poll_once(runtime::Clock::time_point deadline, const std::function<bool()>& stop = [] { return false; },
                           std::chrono::milliseconds max_wait = std::chrono::milliseconds::max());

  [[nodiscard]] const Cursor& cursor() const noexcept { return cursor_; }
  [[nodiscard]] const QuotaBudget& budget() const noexcept { return budget_; }
  [[nodiscard]] PlannerCounts planner_counts() const noexcept { return planner_.counts(); }

 private:
  struct Queued {
    TimeMs start = kNoTime;
    TimeMs end = kNoTime;
  };
  enum class Wait { kGranted, kTooLong };
  /// Waits (on the clock) until the budget allows a request of `priority`,
  /// if that comes before `deadline`.
  Wait wait_for_quota(FetchPriority priority, runtime::Clock::time_point deadline);
  /// A request through the budget: spent, and the response's quota headers read.
  HttpResponse spend_get(const std::string& url, std::string_view what);
  void read_quota_headers(const HttpResponse& r);
  bool list(runtime::Clock::time_point deadline, std::string& error);
  /// All QoS pages of a meeting, or none (logged).
  std::optional<std::vector<std::string>> fetch(const PendingMeeting& meeting, runtime::Clock::time_point deadline);
  void save();
  void update_metrics();

  ZoomConfig config_;
  AuthorizedClient& api_;
  CursorStore& store_;
  RecordSink& sink_;
  ConnectorMetrics& metrics_;
  std::shared_ptr<spdlog::logger> log_;
  runtime::Clock& clock_;
  WallClock wall_;
  Cursor cursor_;
  QuotaBudget budget_;
  FetchPlanner planner_;
  std::map<std::string, Queued> queued_;  // by uuid: waiting in the planner
  runtime::Clock::time_point last_list_{};
  bool listed_before_ = false;
  const std::function<bool()>* stop_ = nullptr;  // poll_once's, while it runs
  std::chrono::milliseconds max_wait_ = std::chrono::milliseconds::max();
};

/// Everything `callroot connect zoom` runs, assembled from a ZoomConfig:
/// HTTP client, Server-to-Server OAuth token, retries, cursor, budget and
/// poller. For an embedder too.
class ZoomConnector {
 public:
  /// Throws ConfigError (the secret, the cursor file) or std::runtime_error
  /// (libcurl options). `seed`: the backoff's jitter.
  ZoomConnector(const ZoomConfig& config, RecordSink& sink, std::shared_ptr<spdlog::logger> log,
                runtime::Clock& clock = runtime::steady_clock(), WallClock wall = system_wall_clock(),
                std::uint64_t seed = std::random_device{}());
  /// One poll, fetching until the next poll would be due.
  ZoomPollResult poll_once();
  /// Polls every poll_interval until `stop()` says so; one poll when `once`,
  /// which fetches what the quota allows without waiting for more. `stop` is
  /// asked between meetings and every 200 ms of any wait (for quota, before a
  /// retry, between polls).
  void run(std::function<bool()> stop, bool once);
  [[nodiscard]] const ConnectorMetrics& metrics() const noexcept { return core_.metrics(); }
  [[nodiscard]] const ZoomPoller& poller() const noexcept { return poller_; }

 private:
  ConnectorCore core_;
  ZoomPoller poller_;
};

}  // namespace callroot::connectors
