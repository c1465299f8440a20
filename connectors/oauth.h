#pragma once
/// OAuth 2.0 client credentials (RFC 6749 §4.4) in the two forms the cloud
/// APIs take them: Microsoft's identity platform (the client id and secret in
/// the form, `grant_type=client_credentials` and a scope) and Zoom's
/// Server-to-Server OAuth (the id and secret as HTTP Basic authentication,
/// `grant_type=account_credentials` for one account). An access token comes
/// back with its lifetime. The token is kept
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
  std::string scope{};    ///< https://graph.microsoft.com/.default (Microsoft only)
  SecretSource secret;
  /// A token is renewed this long before it expires (or at half its
  /// lifetime, when that is sooner), so no request carries one about to lapse.
  std::chrono::seconds renew_before{300};
  /// Zoom's account id: when set, the Server-to-Server OAuth form is used.
  std::string account_id{};
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
