#include "connectors/config_reader.h"

#include <fstream>
#include <sstream>

namespace callroot::connectors {

void ConfigReader::fail(const std::string& key, const std::string& why) const {
  throw ConfigError(origin_ + ": " + key + ": " + why);
}

std::string ConfigReader::text(const std::string& key, bool required, std::string fallback) {
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

std::int64_t ConfigReader::number(const std::string& key, std::int64_t fallback, std::int64_t min, std::int64_t max) {
  seen_.insert(key);
  const auto it = doc_.find(key);
  if (it == doc_.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) fail(key, "must be a whole number");
  const auto value = it->get<std::int64_t>();
  if (value < min || value > max) fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  return value;
}

double ConfigReader::real(const std::string& key, double fallback, double min, double max) {
  seen_.insert(key);
  const auto it = doc_.find(key);
  if (it == doc_.end() || it->is_null()) return fallback;
  if (!it->is_number()) fail(key, "must be a number");
  const auto value = it->get<double>();
  if (!(value >= min && value <= max)) {
    std::ostringstream range;
    range << "must be between " << min << " and " << max;
    fail(key, range.str());
  }
  return value;
}

bool ConfigReader::flag(const std::string& key, bool fallback) {
  seen_.insert(key);
  const auto it = doc_.find(key);
  if (it == doc_.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) fail(key, "must be true or false");
  return it->get<bool>();
}

std::vector<std::string> ConfigReader::texts(const std::string& key) {
  seen_.insert(key);
  std::vector<std::string> out;
  const auto it = doc_.find(key);
  if (it == doc_.end() || it->is_null()) return out;
  if (!it->is_array()) fail(key, "must be a list of strings");
  for (const auto& item : *it) {
    if (!item.is_string() || item.get<std::string>().empty()) fail(key, "must be a list of non-empty strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

SecretSource ConfigReader::secret() {
  SecretSource s;
  s.file = text("secret_file", false);
  s.env = text("secret_env", false);
  if (s.file.empty() == s.env.empty()) fail("secret_file", "give exactly one of secret_file and secret_env");
  return s;
}

std::string ConfigReader::url(const std::string& key, bool required, std::string fallback) {
  std::string value = text(key, required, std::move(fallback));
  if (value.empty()) return value;
  if (!value.starts_with("https://") && !value.starts_with("http://")) fail(key, "must be an http:// or https:// URL");
  while (value.ends_with('/')) value.pop_back();
  return value;
}

void ConfigReader::settings(ConnectorSettings& s) {
  s.poll_interval = std::chrono::seconds(number("poll_interval_s", s.poll_interval.count(), 1, 86'400));
  s.cursor_file = text("cursor_file", false);
  s.http.ca_bundle = text("ca_bundle", false);
  s.http.proxy = url("proxy", false);
  s.http.timeout = std::chrono::seconds(number("timeout_s", 60, 1, 3600));
  s.backoff.max_attempts = static_cast<int>(number("max_attempts", s.backoff.max_attempts, 1, 100));
}

void ConfigReader::reject_unknown() const {
  for (const auto& [key, value] : doc_.items()) {
    if (!seen_.contains(key)) fail(key, "is not a setting of " + what_ + " (docs/connectors.md)");
  }
}

nlohmann::json parse_config_object(const std::string& text, const std::string& origin) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) throw ConfigError(origin + ": not a JSON object");
  return doc;
}

std::string read_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace callroot::connectors
