#include "connectors/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <stdexcept>

namespace callroot::connectors {

struct HttpClient::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

namespace {

// libcurl's own global state: initialised once per process, as its manual asks
// before the first handle (curl_easy_init would do it lazily, but not thread-safely
// on older releases).
void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& headers = *static_cast<std::map<std::string, std::string>*>(user);
  const std::string_view line(data, size * count);
  // A new status line (after a redirect or a proxy's CONNECT) starts a new header set.
  if (line.starts_with("HTTP/")) {
    headers.clear();
  } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    headers[name] = trim(line.substr(colon + 1));
  }
  return size * count;
}

template <typename T>
void set(CURL* curl, CURLoption option, T value, const char* what) {
  if (curl_easy_setopt(curl, option, value) != CURLE_OK) {
    throw std::runtime_error(std::string("libcurl does not accept the option ") + what);
  }
}

struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
};

}  // namespace

std::string HttpResponse::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)), handle_(std::make_unique<Handle>()) {
  init_curl_once();
  handle_->curl = curl_easy_init();
  if (handle_->curl == nullptr) throw std::runtime_error("libcurl could not make a handle");
  CURL* c = handle_->curl;
  set(c, CURLOPT_SSL_VERIFYPEER, 1L, "ssl_verifypeer");
  set(c, CURLOPT_SSL_VERIFYHOST, 2L, "ssl_verifyhost");
  set(c, CURLOPT_NOSIGNAL, 1L, "nosignal");  // timeouts without SIGALRM: safe in threads
  set(c, CURLOPT_PROTOCOLS_STR, "http,https", "protocols");
  set(c, CURLOPT_FOLLOWLOCATION, 0L, "followlocation");
  set(c, CURLOPT_ACCEPT_ENCODING, "", "accept_encoding");  // whatever libcurl can decompress
  set(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()), "connecttimeout");
  set(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()), "timeout");
  if (!options_.ca_bundle.empty()) set(c, CURLOPT_CAINFO, options_.ca_bundle.c_str(), "cainfo (ca_bundle)");
  // An empty string turns the environment's http_proxy/https_proxy off as well.
  set(c, CURLOPT_PROXY, options_.proxy.c_str(), "proxy");
}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::send(const HttpRequest& request) {
  HttpResponse out;
  CURL* c = handle_->curl;
  HeaderList headers;
  for (const auto& h : request.headers) headers.list = curl_slist_append(headers.list, h.c_str());
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.list);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &out.headers);
  if (request.method == HttpRequest::Method::kPost) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  }
  const CURLcode rc = curl_easy_perform(c);
  // The handle outlives this call: it must not keep pointers into our locals.
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, nullptr);
  if (rc != CURLE_OK) {
    out.error = error[0] != '\0' ? std::string(error) : std::string(curl_easy_strerror(rc));
    out.body.clear();
    out.headers.clear();
    return out;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
  return out;
}

std::string form_escape(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char ch : value) {
    if (std::isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

}  // namespace callroot::connectors
