#include "connectors/graph_config.h"

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
  c.overlap = std::chrono::seconds(r.number("overlap_s", c.overlap.count(), 0, 30 * 86'400));
  r.settings(c);
  r.reject_unknown();
  return c;
}

GraphConfig load_graph_config(const std::string& path) { return parse_graph_config(read_config_file(path), path); }

}  // namespace callroot::connectors
