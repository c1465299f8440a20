#pragma once
/// The Graph connector's configuration file (docs/connectors.md): JSON, every
/// key checked at start-up; an unknown or ill-typed key is a ConfigError
/// naming it.

#include <chrono>
#include <string>

#include "connectors/connector_core.h"
#include "connectors/secret.h"

namespace callroot::connectors {

struct GraphConfig : ConnectorSettings {
  std::string tenant;     ///< directory (tenant) id or domain
  std::string client_id;  ///< the app registration's application (client) id
  SecretSource secret;
  std::string token_url;  ///< default https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token
  std::string graph_url = "https://graph.microsoft.com";
  /// What the token is for; a national cloud's Graph has its own (https://graph.microsoft.us/.default).
  std::string scope = "https://graph.microsoft.com/.default";
  /// How far before the newest delivered call's start each poll lists again:
  /// callRecords appear minutes to hours after a call ends, and a long call
  /// that started earlier may appear after a short one that started later.
  std::chrono::seconds overlap{std::chrono::hours(24)};
};

/// Parses and checks `text` (the file's content; `origin` names it in errors).
GraphConfig parse_graph_config(const std::string& text, const std::string& origin);
/// Reads and parses FILE. Throws ConfigError.
GraphConfig load_graph_config(const std::string& path);

}  // namespace callroot::connectors
