#include "connectors/graph_config.h"

#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace callroot::connectors {

namespace {

using json = nlohmann::json;

class Reader {
 public:
  Reader(const json& doc, const std::string& origin) : doc_(doc), origin_(origin) {}

  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw ConfigError(origin_ + ": " + key + ": " + why);
  }

  std::string text(const std::string& key, bool required, std::string fallback = {}) {
    seen_.insert(key);
    const auto it = doc_.find(key);
    if (it == doc_.end() || it->is_null()) {
      if (required) fail(key, "is required");
      return fallback;
    }
    if (!it->is_string()) fail(key, "must be a string");
    auto value = it->get<std::string>();
    if (required && value.empty()) fail(key, "must not be empty");
    return value;
  }

  std::int64_t number(const std::string& key, std::int64_t fallback, std::int64_t min, std::int64_t max) {
    seen_.insert(key);
    const auto it = doc_.find(key);
    if (it == doc_.end() || it->is_null()) return fallback;
    if (!it->is_number_integer()) fail(key, "must be a whole number");
    const auto value = it->get<std::int64_t>();
    if (value < min || value > max) {
      fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return value;
  }

  void reject_unknown() const {
    for (const auto& [key, value] : doc_.items()) {
      if (!seen_.contains(key)) fail(key, "is not a setting of the Graph connector (docs/connectors.md)");
    }
  }

 private:
  const json& doc_;
  const std::string& origin_;
  std::set<std::string> seen_;
};

bool http_url(const std::string& url) { return url.starts_with("https://") || url.starts_with("http://"); }

}  // namespace

GraphConfig parse_graph_config(const std::string& text, const std::string& origin) {
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) throw ConfigError(origin + ": not a JSON object");
  Reader r(doc, origin);
  GraphConfig c;
  c.tenant = r.text("tenant", true);
  c.client_id = r.text("client_id", true);
  c.secret.file = r.text("secret_file", false);
  c.secret.env = r.text("secret_env", false);
  if (c.secret.file.empty() == c.secret.env.empty()) {
    r.fail("secret_file", "give exactly one of secret_file and secret_env");
  }
  c.token_url = r.text("token_url", false,
                       "https://login.microsoftonline.com/" + c.tenant + "/oauth2/v2.0/token");
  if (!http_url(c.token_url)) r.fail("token_url", "must be an http:// or https:// URL");
  c.graph_url = r.text("graph_url", false, c.graph_url);
  if (!http_url(c.graph_url)) r.fail("graph_url", "must be an http:// or https:// URL");
  while (c.graph_url.ends_with('/')) c.graph_url.pop_back();
  c.scope = r.text("scope", false, c.scope);
  c.poll_interval = std::chrono::seconds(r.number("poll_interval_s", c.poll_interval.count(), 1, 86'400));
  c.overlap = std::chrono::seconds(r.number("overlap_s", c.overlap.count(), 0, 30 * 86'400));
  c.cursor_file = r.text("cursor_file", false);
  c.http.ca_bundle = r.text("ca_bundle", false);
  c.http.proxy = r.text("proxy", false);
  if (!c.http.proxy.empty() && !http_url(c.http.proxy)) r.fail("proxy", "must be an http:// or https:// URL");
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
