#pragma once
/// Reading a connector's JSON configuration: every key checked at start-up,
/// each error a ConfigError naming the file and the key; a key no reader
/// asked for is refused, so a misspelt setting never passes for a default.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "connectors/connector_core.h"
#include "connectors/secret.h"

namespace callroot::connectors {

class ConfigReader {
 public:
  /// `what`: the connector, for the message about unknown keys ("the Zoom connector").
  ConfigReader(const nlohmann::json& doc, std::string origin, std::string what)
      : doc_(doc), origin_(std::move(origin)), what_(std::move(what)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& why) const;
  std::string text(const std::string& key, bool required, std::string fallback = {});
  std::int64_t number(const std::string& key, std::int64_t fallback, std::int64_t min, std::int64_t max);
  double real(const std::string& key, double fallback, double min, double max);
  bool flag(const std::string& key, bool fallback);
  std::vector<std::string> texts(const std::string& key);
  /// `secret_file` or `secret_env`, exactly one.
  SecretSource secret();
  /// An http:// or https:// URL, without trailing slashes.
  std::string url(const std::string& key, bool required, std::string fallback = {});
  /// The keys every connector has (ConnectorSettings).
  void settings(ConnectorSettings& s);
  void reject_unknown() const;

 private:
  const nlohmann::json& doc_;
  std::string origin_;
  std::string what_;
  std::set<std::string> seen_;
};

/// The file's text. Throws ConfigError when it cannot be read.
std::string read_config_file(const std::string& path);
/// `text` as a JSON object; `origin` names it in the error.
nlohmann::json parse_config_object(const std::string& text, const std::string& origin);

}  // namespace callroot::connectors
