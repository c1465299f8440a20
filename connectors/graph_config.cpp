#include "connectors/graph_config.h"

#include <fstream>
#include <sstream>

#include "connectors/config_reader.h"

namespace callroot::connectors {

GraphConfig parse_graph_config(const std::string& text, const std::string& origin) {
  const nlohmann::json doc = parse_config_object(text, origin);
  ConfigReader r(doc, origin, "the Graph connector");
  GraphConfig c;
  c.tenant = r.text("tenant", true);
  c.client_id = r.text("client_id", true);
  c.secret = r.secret();
  c.token_url = r.url("token_url", false, "https://login.microsoftonline.com/" + c.tenant + "/oauth2/v2.0/token");
  c.graph_url = r.url("graph_url", false, c.graph_url);
  c.scope = r.text("scope", false, c.scope);
  c.poll_interval = std::chrono::seconds(r.number("poll_interval_s", c.poll_interval.count(), 1, 86'400));
  c.overlap = std::chrono::seconds(r.number("overlap_s", c.overlap.count(), 0, 30 * 86'400));
  c.cursor_file = r.text("cursor_file", false);
  c.http.ca_bundle = r.text("ca_bundle", false);
  c.http.proxy = r.url("proxy", false);
  c.http.timeout = std::chrono::seconds(r.number("timeout_s", 60, 1, 3600));
  c.backoff.max_attempts = static_cast<int>(r.number("max_attempts", c.backoff.max_attempts, 1, 100));
  r.reject_unknown();
  return c;
}

GraphConfig load_graph_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_graph_config(text.str(), path);
}

}  // namespace callroot::connectors
