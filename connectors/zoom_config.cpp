#include "connectors/zoom_config.h"

#include <stdexcept>

#include "connectors/config_reader.h"

namespace callroot::connectors {

ZoomConfig parse_zoom_config(const std::string& text, const std::string& origin) {
  const nlohmann::json doc = parse_config_object(text, origin);
  ConfigReader r(doc, origin, "the Zoom connector");
  ZoomConfig c;
  c.account_id = r.text("account_id", true);
  c.client_id = r.text("client_id", true);
  c.secret = r.secret();
  c.token_url = r.url("token_url", false, c.token_url);
  c.api_url = r.url("api_url", false, c.api_url);

  const std::string plan = r.text("plan", false, "pro");
  if (plan == "pro") {
    c.quota.daily_limit = 30'000;
    c.quota.per_second = 10;
    c.lists_per_minute = 10;
  } else if (plan == "business") {
    c.quota.daily_limit = 60'000;
    c.quota.per_second = 40;
    c.lists_per_minute = 20;
  } else {
    r.fail("plan", "must be \"pro\" or \"business\" (Business, Education, Enterprise and Partner accounts)");
  }
  c.quota.daily_limit = static_cast<std::uint32_t>(r.number("daily_limit", c.quota.daily_limit, 1, 10'000'000));
  c.quota.per_second = r.real("per_second", c.quota.per_second, 0.01, 1000);
  c.lists_per_minute = static_cast<int>(r.number("lists_per_minute", c.lists_per_minute, 1, 600));
  c.quota.reserved_share = r.real("reserved_share", c.quota.reserved_share, 0, 0.99);
  c.quota.headroom_share = r.real("headroom_share", c.quota.headroom_share, 0, 1);
  try {
    c.quota.validate();
  } catch (const std::invalid_argument& e) {
    throw ConfigError(origin + ": " + e.what());
  }

  c.monitored.hosts = r.texts("monitored_hosts");
  c.monitored.departments = r.texts("monitored_departments");
  c.monitored.rooms = r.flag("monitored_rooms", c.monitored.rooms);

  c.lookback = std::chrono::hours(r.number("lookback_h", c.lookback.count(), 1, 30 * 24));
  c.max_age = std::chrono::hours(r.number("max_age_h", c.max_age.count(), 1, 180 * 24));
  r.settings(c);
  r.reject_unknown();
  return c;
}

ZoomConfig load_zoom_config(const std::string& path) {
  return parse_zoom_config(read_config_file(path), path);
}

}  // namespace callroot::connectors
