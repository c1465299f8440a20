#pragma once
/// HTTP over libcurl, one easy handle per client (reused, so connections and
/// TLS sessions are kept between requests). A request that fails below HTTP
/// (DNS, connect, TLS, timeout) is a value with `error` set, never an
/// exception: fetching runs on the per-record path.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace callroot::connectors {

struct HttpOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds timeout{60'000};  ///< whole request
  /// PEM file of the CAs to trust instead of the system's (a TLS-inspecting proxy, a private CA).
  std::string ca_bundle;
  /// `http://host:port` or `https://host:port`; empty: none, and the
  /// environment's proxy variables are ignored as well, so what is
  /// configured is what is used.
  std::string proxy;
};

struct HttpRequest {
  enum class Method : unsigned char { kGet, kPost };
  Method method = Method::kGet;
  std::string url;
  std::vector<std::string> headers;  ///< "Name: value"
  std::string body;                  ///< POST only
};

struct HttpResponse {
  /// Non-empty when no HTTP status came back (curl's message with the URL's host).
  std::string error;
  long status = 0;
  /// Header names lower-cased; the last value of a repeated header wins.
  std::map<std::string, std::string> headers;
  std::string body;

  [[nodiscard]] bool transport_failed() const noexcept { return !error.empty(); }
  [[nodiscard]] std::string header(const std::string& lower_name) const;
};

class HttpClient {
 public:
  /// Throws std::runtime_error when libcurl cannot make a handle or does not
  /// accept an option (a proxy scheme it was built without): configuration.
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// TLS peers and host names are always verified.
  HttpResponse send(const HttpRequest& request);

 private:
  struct Handle;
  HttpOptions options_;
  std::unique_ptr<Handle> handle_;
};

/// `application/x-www-form-urlencoded` escaping of one value.
std::string form_escape(std::string_view value);

}  // namespace callroot::connectors
