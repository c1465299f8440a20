#include "connectors/zoom_poller.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <nlohmann/json.hpp>

namespace callroot::connectors {
namespace {

using json = nlohmann::json;
// A page keeps Zoom's key order: what is delivered reads as what Zoom sent.
using ordered = nlohmann::ordered_json;

constexpr int kListPageSize = 300;  // the list's maximum
constexpr int kQosPageSize = 10;    // the QoS endpoint's maximum
/// A started meeting's next page waits at most this for quota; longer, and
/// the meeting is left for later (its page token lasts 15 minutes).
constexpr DurationMs kMaxPageWait = 60'000;

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string utc_date(TimeMs t) { return format_rfc3339(t).substr(0, 10); }

TimeMs time_field(const json& doc, const char* key) {
  const auto it = doc.find(key);
  if (it == doc.end() || !it->is_string()) return kNoTime;
  return parse_rfc3339(it->get<std::string>()).value_or(kNoTime);
}

std::string string_field(const json& doc, const char* key) {
  const auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<std::int64_t> integer_header(const HttpResponse& r, const std::string& name) {
  const std::string text = r.header(name);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string describe(const HttpResponse& r) {
  if (r.transport_failed()) return r.error;
  std::string out = "HTTP " + std::to_string(r.status);
  // Zoom's error body: {"code":124,"message":"Invalid access token."}.
  const auto doc = json::parse(r.body, nullptr, false);
  if (doc.is_object() && doc.contains("message") && doc["message"].is_string()) {
    out += ": " + doc["message"].get<std::string>();
  }
  if (r.status == 400 || r.status == 403) {
    out += " (does the app have the dashboard_meetings:read:admin scope, on a Business plan or above?)";
  }
  return out;
}

bool ends_with_ignoring_case(std::string_view text, std::string_view suffix) {
  if (suffix.size() > text.size()) return false;
  return std::equal(suffix.rbegin(), suffix.rend(), text.rbegin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) ==
                                                std::tolower(static_cast<unsigned char>(b)); });
}

}  // namespace

std::string zoom_meeting_path(std::string_view uuid) {
  const std::string once = percent_encode(uuid);
  return uuid.starts_with('/') || uuid.find("//") != std::string_view::npos ? percent_encode(once) : once;
}

bool is_monitored(const MonitoredMeetings& monitored, std::string_view host_email, std::string_view department,
                  std::int64_t room_participants) {
  if (monitored.rooms && room_participants > 0) return true;
  for (const auto& host : monitored.hosts) {
    const bool domain = host.starts_with('@');
    if (domain ? ends_with_ignoring_case(host_email, host)
               : host.size() == host_email.size() && ends_with_ignoring_case(host_email, host)) {
      return true;
    }
  }
  return std::find(monitored.departments.begin(), monitored.departments.end(), department) !=
         monitored.departments.end();
}

ZoomPoller::ZoomPoller(const ZoomConfig& config, AuthorizedClient& api, CursorStore& store, RecordSink& sink,
                       ConnectorMetrics& metrics, std::shared_ptr<spdlog::logger> log, runtime::Clock& clock,
                       WallClock wall)
    : config_(config),
      api_(api),
      store_(store),
      sink_(sink),
      metrics_(metrics),
      log_(std::move(log)),
      clock_(clock),
      wall_(std::move(wall)),
      cursor_(store_.load()),
      budget_(config.quota),
      planner_(std::chrono::duration_cast<std::chrono::milliseconds>(config.max_age).count()) {
  if (cursor_.quota_day != 0) budget_.restore(cursor_.quota_day, cursor_.quota_spent);
  update_metrics();
}

ZoomPoller::Wait ZoomPoller::wait_for_quota(FetchPriority priority, runtime::Clock::time_point deadline) {
  const TimeMs now = wall_();
  const TimeMs at = budget_.next_allowed(now, priority);
  if (at <= now) return Wait::kGranted;
  const std::chrono::milliseconds wait(at - now);
  const auto wake = clock_.now() + wait;
  if (wake > deadline || wait > max_wait_) return Wait::kTooLong;
  while (clock_.now() < wake) {
    if (stop_ != nullptr && (*stop_)()) return Wait::kTooLong;
    clock_.sleep_until(std::min(wake, clock_.now() + std::chrono::milliseconds(200)));
  }
  return Wait::kGranted;
}

void ZoomPoller::read_quota_headers(const HttpResponse& r) {
  const TimeMs now = wall_();
  // The daily count, not a per-second one: its limit is the plan's daily limit.
  if (integer_header(r, "x-ratelimit-limit") == std::int64_t{config_.quota.daily_limit}) {
    if (const auto remaining = integer_header(r, "x-ratelimit-remaining")) budget_.observe_remaining(now, *remaining);
  }
  if (r.status != 429) return;
  if (r.header("x-ratelimit-type") == "Daily-limit") {
    // Retry-After is a time here (2020-05-31T00:00:00Z); the quota resets at 00:00 UTC in any case.
    const TimeMs midnight = QuotaBudget::start_of_day(QuotaBudget::day_of(now) + 1);
    const TimeMs until = parse_rfc3339(r.header("retry-after")).value_or(midnight);
    budget_.throttle_until(now, std::max(until, now + 1000));
    log_->warn("Zoom's daily quota is spent for the account: nothing more until {}", format_rfc3339(until));
  } else {
    budget_.throttle_until(now, now + 1000);  // a per-second limit still hit after the retries
  }
}

HttpResponse ZoomPoller::spend_get(const std::string& url, std::string_view what) {
  budget_.spend(wall_());
  HttpResponse r = api_.get(url, what);
  read_quota_headers(r);
  return r;
}

bool ZoomPoller::list(runtime::Clock::time_point deadline, std::string& error) {
  const TimeMs now = wall_();
  const TimeMs anchor = cursor_.newest_start != kNoTime ? std::min(cursor_.newest_start, now) : now;
  const TimeMs from = anchor - std::chrono::duration_cast<std::chrono::milliseconds>(config_.lookback).count();
  const std::string base = config_.api_url + "/metrics/meetings?type=past&from=" + utc_date(from) +
                           "&to=" + utc_date(now) + "&page_size=" + std::to_string(kListPageSize);
  const auto spacing = std::chrono::milliseconds(60'000 / std::max(1, config_.lists_per_minute));
  std::string token;
  for (int page = 1;; ++page) {
    const std::string what = "meetings list page " + std::to_string(page);
    if (listed_before_ && clock_.now() < last_list_ + spacing) {
      if (last_list_ + spacing > deadline) {
        error = what + ": not before the next poll (" + std::to_string(config_.lists_per_minute) +
                " meeting lists a minute)";
        return false;
      }
      clock_.sleep_until(last_list_ + spacing);
    }
    if (wait_for_quota(FetchPriority::kMonitored, deadline) == Wait::kTooLong) {
      error = what + ": no quota left before the next poll";
      return false;
    }
    listed_before_ = true;
    last_list_ = clock_.now();
    const HttpResponse r = spend_get(token.empty() ? base : base + "&next_page_token=" + percent_encode(token), what);
    if (r.transport_failed() || r.status != 200) {
      error = what + ": " + describe(r);
      return false;
    }
    const json doc = json::parse(r.body, nullptr, false);
    if (!doc.is_object() || !doc.contains("meetings") || !doc["meetings"].is_array()) {
      ++metrics_.malformed_pages;
      error = what + ": the response is not a meeting list (no \"meetings\" array)";
      return false;
    }
    for (const auto& m : doc["meetings"]) {
      const std::string uuid = m.is_object() ? string_field(m, "uuid") : std::string();
      const TimeMs end = m.is_object() ? time_field(m, "end_time") : kNoTime;
      if (uuid.empty() || end == kNoTime) {
        ++metrics_.malformed_pages;
        log_->warn("{}: a meeting without a uuid or an end_time, skipped", what);
        continue;
      }
      ++metrics_.records_listed;
      if (!cursor_.wants(uuid, 0) || queued_.contains(uuid)) {
        ++metrics_.records_unchanged;
        continue;
      }
      const std::int64_t rooms = m.contains("in_room_participants") && m["in_room_participants"].is_number_integer()
                                     ? m["in_room_participants"].get<std::int64_t>()
                                     : 0;
      const FetchPriority priority =
          is_monitored(config_.monitored, string_field(m, "email"), string_field(m, "dept"), rooms)
              ? FetchPriority::kMonitored
              : FetchPriority::kOther;
      TimeMs start = time_field(m, "start_time");
      queued_[uuid] = {start == kNoTime ? end : start, end};
      planner_.add({uuid, priority, end});
    }
    token = doc.contains("next_page_token") && doc["next_page_token"].is_string()
                ? doc["next_page_token"].get<std::string>()
                : std::string();
    if (token.empty()) return true;
  }
}

std::optional<std::vector<std::string>> ZoomPoller::fetch(const PendingMeeting& meeting,
                                                          runtime::Clock::time_point deadline) {
  const std::string base = config_.api_url + "/metrics/meetings/" + zoom_meeting_path(meeting.uuid) +
                           "/participants/qos?type=past&page_size=" + std::to_string(kQosPageSize);
  std::vector<std::string> pages;
  std::string token;
  for (int page = 1;; ++page) {
    const std::string what = "meeting " + meeting.uuid + " QoS page " + std::to_string(page);
    if (page > 1) {
      // A started meeting goes on with the monitored meetings' headroom: its
      // page token lapses after 15 minutes.
      const auto limit = std::min(deadline, clock_.now() + std::chrono::milliseconds(kMaxPageWait));
      if (wait_for_quota(FetchPriority::kMonitored, limit) == Wait::kTooLong) {
        log_->info("{}: no quota for it soon; the meeting is fetched again later", what);
        return std::nullopt;
      }
    }
    const HttpResponse r =
        spend_get(token.empty() ? base : base + "&next_page_token=" + percent_encode(token), what);
    if (r.transport_failed() || r.status != 200) {
      log_->error("{}: {}", what, describe(r));
      return std::nullopt;
    }
    ordered doc = ordered::parse(r.body, nullptr, false);
    if (!doc.is_object() || !doc.contains("participants") || !doc["participants"].is_array()) {
      ++metrics_.malformed_pages;
      log_->error("{}: the response is not a QoS page (no \"participants\" array)", what);
      return std::nullopt;
    }
    token = doc.contains("next_page_token") && doc["next_page_token"].is_string()
                ? doc["next_page_token"].get<std::string>()
                : std::string();
    doc["meeting_uuid"] = meeting.uuid;
    pages.push_back(doc.dump());
    if (token.empty()) return pages;
  }
}

void ZoomPoller::save() {
  const QuotaUsage usage = budget_.usage(wall_());
  cursor_.quota_day = usage.day;
  cursor_.quota_spent = usage.spent;
  if (const std::string error = store_.save(cursor_); !error.empty()) log_->error("{}", error);
}

void ZoomPoller::update_metrics() {
  const QuotaUsage usage = budget_.usage(wall_());
  metrics_.quota_budget = usage.budget;
  metrics_.quota_spent = usage.spent;
  metrics_.account_remaining = usage.account_remaining.value_or(-1);
  const PlannerCounts counts = planner_.counts();
  metrics_.meetings_waiting = counts.waiting_monitored + counts.waiting_other;
  metrics_.meetings_skipped = counts.skipped_monitored + counts.skipped_other;
}

ZoomPollResult ZoomPoller::poll_once(runtime::Clock::time_point deadline, const std::function<bool()>& stop,
                                     std::chrono::milliseconds max_wait) {
  stop_ = &stop;
  max_wait_ = max_wait;
  ++metrics_.polls;
  ZoomPollResult result;
  if (!list(deadline, result.list_error)) log_->warn("{}", result.list_error);
  while (clock_.now() < deadline && !stop()) {
    planner_.expire(wall_());
    std::optional<PendingMeeting> meeting = planner_.next(wall_(), budget_);
    if (!meeting) {
      const PlannerCounts counts = planner_.counts();
      if (counts.waiting_monitored + counts.waiting_other == 0) break;
      const FetchPriority waiting =
          counts.waiting_monitored > 0 ? FetchPriority::kMonitored : FetchPriority::kOther;
      if (wait_for_quota(waiting, deadline) == Wait::kTooLong) break;
      continue;
    }
    const auto pages = fetch(*meeting, deadline);
    const Queued queued = queued_[meeting->uuid];
    if (!pages) {
      ++metrics_.records_failed;
      ++result.failed;
      queued_.erase(meeting->uuid);  // listed and queued again by a later poll
      save();
      continue;
    }
    ++metrics_.records_fetched;
    std::string error;
    for (const std::string& page : *pages) {
      error = sink_.deliver(kZoomQosType, page);
      if (!error.empty()) break;
    }
    queued_.erase(meeting->uuid);
    if (!error.empty()) {
      log_->error("meeting {}: not delivered: {}", meeting->uuid, error);
      ++metrics_.records_failed;
      ++result.failed;
      save();
      continue;
    }
    cursor_.mark_delivered(meeting->uuid, 0, queued.start, queued.end);
    save();
    ++metrics_.records_delivered;
    ++result.delivered;
    metrics_.lag_ms = wall_() - queued.end;
    log_->debug("meeting {} delivered ({} QoS pages)", meeting->uuid, pages->size());
  }
  // A list starts at the UTC day of (newest - lookback): a meeting that
  // started a day before that is never listed again.
  const TimeMs anchor = cursor_.newest_start != kNoTime ? std::min(cursor_.newest_start, wall_()) : wall_();
  cursor_.forget_before(anchor - std::chrono::duration_cast<std::chrono::milliseconds>(config_.lookback).count() -
                        QuotaBudget::kDay);
  save();
  update_metrics();
  stop_ = nullptr;
  return result;
}

ZoomConnector::ZoomConnector(const ZoomConfig& config, RecordSink& sink, std::shared_ptr<spdlog::logger> log,
                             runtime::Clock& clock, WallClock wall, std::uint64_t seed)
    : core_(config,
            ClientCredentials{.token_url = config.token_url,
                              .client_id = config.client_id,
                              .secret = config.secret,
                              .account_id = config.account_id},
            log, clock, seed),
      poller_(config, core_.api(), core_.store(), sink, core_.metrics(), std::move(log), clock, std::move(wall)) {}

ZoomPollResult ZoomConnector::poll_once() { return poller_.poll_once(core_.clock().now() + core_.poll_interval()); }

void ZoomConnector::run(std::function<bool()> stop, bool once) {
  // Once: what the quota allows now, waiting only for the per-second spacing.
  const auto max_wait = once ? std::chrono::milliseconds(1000) : std::chrono::milliseconds::max();
  core_.run(std::move(stop), once, [&](const std::function<bool()>& stopping) {
    poller_.poll_once(core_.clock().now() + core_.poll_interval(), stopping, max_wait);
  });
}

}  // namespace callroot::connectors
