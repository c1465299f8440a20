#pragma once
/// The Zoom connector's configuration file (docs/connectors.md): JSON, every
/// key checked at start-up; an unknown or ill-typed key is a ConfigError
/// naming it.
#include <chrono>
#include <string>
#include <vector>

#include "connectors/connector_core.h"
#include "connectors/quota_budget.h"
#include "connectors/secret.h"

namespace callroot::connectors {

/// Which meetings are fetched first: what Zoom's meeting list says of a
/// meeting (its host, the host's department, whether Zoom Rooms joined) is
/// all that is known of it before its participants are fetched, so that is
/// what "on a monitored site" is judged by.
struct MonitoredMeetings {
  /// Host e-mail addresses, or domains as `@example.com`.
  std::vector<std::string> hosts;
  std::vector<std::string> departments;  ///< the host's `dept`, exactly
  bool rooms = true;                      ///< a meeting a Zoom Room joined (`in_room_participants` > 0)
};

struct ZoomConfig : ConnectorSettings {
  std::string account_id;
  std::string client_id;
  SecretSource secret;
  std::string token_url = "https://zoom.us/oauth/token";
  std::string api_url = "https://api.zoom.us/v2";
  /// `plan` sets the quota: "pro" (30,000 heavy requests a day, 10 a second;
  /// 10 meeting lists a minute) or "business" (Business and above: 60,000,
  /// 40 a second, 20 lists a minute); `daily_limit` and `per_second` override.
  QuotaBudgetConfig quota;
  int lists_per_minute = 10;
  MonitoredMeetings monitored;
  /// How far back the first start lists meetings; afterwards each poll lists
  /// from the day of the newest meeting delivered, less this.
  std::chrono::hours lookback{24};
  /// A meeting still waiting for quota this long after it ended is skipped
  /// (and counted): Zoom keeps dashboard data for a limited time.
  std::chrono::hours max_age{7 * 24};
};

/// Parses and checks `text` (the file's content; `origin` names it in errors).
ZoomConfig parse_zoom_config(const std::string& text, const std::string& origin);
/// Reads and parses FILE. Throws ConfigError.
ZoomConfig load_zoom_config(const std::string& path);

}  // namespace callroot::connectors
