#include "connectors/oauth.h"

#include <algorithm>
#include <cstdlib>

#include <nlohmann/json.hpp>
#include <sodium.h>

namespace callroot::connectors {
namespace {

std::string base64(const std::string& bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

}  // namespace

OAuthClientCredentials::OAuthClientCredentials(ClientCredentials credentials, RetryingSender& sender,
                                               runtime::Clock& clock, ConnectorMetrics& metrics)
    : credentials_(std::move(credentials)), sender_(sender), clock_(clock), metrics_(metrics) {
  (void)read_secret(credentials_.secret);
}

TokenResult OAuthClientCredentials::token() {
  if (!token_.empty() && clock_.now() < renew_at_) return {token_, {}};
  token_.clear();
  return fetch();
}

TokenResult OAuthClientCredentials::fetch() {
  std::string secret;
  try {
    secret = read_secret(credentials_.secret);
  } catch (const ConfigError& e) {
    return {{}, e.what()};
  }
  HttpRequest request;
  request.method = HttpRequest::Method::kPost;
  request.url = credentials_.token_url;
  request.headers = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"};
  if (credentials_.account_id.empty()) {
    request.body = "grant_type=client_credentials&client_id=" + form_escape(credentials_.client_id) +
                   "&client_secret=" + form_escape(secret) + "&scope=" + form_escape(credentials_.scope);
  } else {
    request.headers.push_back("Authorization: Basic " + base64(credentials_.client_id + ":" + secret));
    request.body = "grant_type=account_credentials&account_id=" + form_escape(credentials_.account_id);
  }
  const HttpResponse response = sender_.send(request, "token request");
  // What the endpoint says is quoted; what we sent (the secret) never is.
  const std::string where = "token endpoint " + credentials_.token_url;
  if (response.transport_failed()) return {{}, where + ": " + response.error};
  const auto doc = nlohmann::json::parse(response.body, nullptr, false);
  if (response.status != 200) {
    std::string reason = "HTTP " + std::to_string(response.status);
    if (doc.is_object() && doc.contains("error") && doc["error"].is_string()) {
      reason += ", " + doc["error"].get<std::string>();
      // Microsoft explains in error_description, Zoom in reason.
      for (const char* key : {"error_description", "reason"}) {
        if (doc.contains(key) && doc[key].is_string()) {
          const auto description = doc[key].get<std::string>();
          reason += ": " + description.substr(0, description.find_first_of("\r\n"));
          break;
        }
      }
    }
    if (response.status == 400 || response.status == 401) {
      reason += credentials_.account_id.empty()
                    ? " (check client_id, the tenant and the client secret; it may have expired)"
                    : " (check account_id, client_id and the client secret of the Server-to-Server OAuth app)";
    }
    return {{}, where + ": " + reason};
  }
  if (!doc.is_object() || !doc.contains("access_token") || !doc["access_token"].is_string()) {
    return {{}, where + ": the response has no access_token"};
  }
  std::int64_t lifetime_s = 3599;
  if (const auto it = doc.find("expires_in"); it != doc.end()) {
    // Microsoft's v2.0 endpoint sends a number; some servers a numeric string.
    if (it->is_number_integer()) {
      lifetime_s = it->get<std::int64_t>();
    } else if (it->is_string()) {
      lifetime_s = std::atoll(it->get<std::string>().c_str());
    }
  }
  const std::int64_t margin = std::min<std::int64_t>(credentials_.renew_before.count(), lifetime_s / 2);
  renew_at_ = clock_.now() + std::chrono::seconds(std::max<std::int64_t>(lifetime_s - margin, 0));
  token_ = doc["access_token"].get<std::string>();
  ++metrics_.token_refreshes;
  return {token_, {}};
}

}  // namespace callroot::connectors
