#pragma once
/// OAuth 2.0 client credentials (RFC 6749 §4.4) as Microsoft's identity
/// platform takes them: POST to the tenant's token endpoint with the client
/// id and secret, an access token back with its lifetime. The token is kept
/// until shortly before it expires; the secret is read again whenever a new
/// token is needed, so fixing a rotated secret's file needs no restart.

#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "connectors/authorized_client.h"
#include "connectors/secret.h"
#include "runtime/clock.h"

namespace callroot::connectors {

struct ClientCredentials {
  std::string token_url;  ///< https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token
  std::string client_id;
  std::string scope;      ///< https://graph.microsoft.com/.default
  SecretSource secret;
  /// A token is renewed this long before it expires (or at half its
  /// lifetime, when that is sooner), so no request carries one about to lapse.
  std::chrono::seconds renew_before{300};
};

class OAuthClientCredentials final : public TokenSource {
 public:
  /// Reads the secret once to find configuration errors at start-up: throws ConfigError.
  OAuthClientCredentials(ClientCredentials credentials, RetryingSender& sender, runtime::Clock& clock,
                         ConnectorMetrics& metrics);

  TokenResult token() override;
  void invalidate() override { token_.clear(); }

 private:
  TokenResult fetch();

  ClientCredentials credentials_;
  RetryingSender& sender_;
  runtime::Clock& clock_;
  ConnectorMetrics& metrics_;
  std::string token_;
  runtime::Clock::time_point renew_at_{};
};

}  // namespace callroot::connectors
