#pragma once
// A Microsoft Graph and token endpoint on 127.0.0.1 for the connector tests:
// the client-credentials token endpoint, the callRecords list (the
// `startDateTime ge` filter, `@odata.nextLink` pages) and a callRecord with
// its sessions expanded (`sessions@odata.nextLink` pages), with faults a test
// queues up (429 with Retry-After, 5xx bursts, a malformed body, revoked
// tokens). Shapes follow Microsoft's published examples in tests/data/graph.
#include <httplib.h>

#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace callroot::connectors::testing {

using json = nlohmann::json;

inline json load_fixture(const std::string& name) {
  std::ifstream in(std::string(CALLROOT_TEST_DATA_DIR) + "/graph/" + name);
  return json::parse(in);
}

struct Scripted {
  int status = 200;
  std::string body;
  std::map<std::string, std::string> headers;
};

/// Answers `req` with the first response queued for a prefix of its path,
/// if any (the emulators' faults on demand).
inline bool answer_scripted(std::map<std::string, std::deque<Scripted>>& queued, const httplib::Request& req,
                            httplib::Response& res) {
  for (auto& [prefix, queue] : queued) {
    if (!queue.empty() && req.path.starts_with(prefix)) {
      const Scripted s = queue.front();
      queue.pop_front();
      res.status = s.status;
      for (const auto& [k, v] : s.headers) res.set_header(k, v);
      res.set_content(s.body, "application/json");
      return true;
    }
  }
  return false;
}

/// One call record as the emulator holds it: the record without sessions,
/// and its sessions cut into pages (the first comes with the record).
struct EmulatedRecord {
  json head;
  std::vector<json> session_pages;

  /// The whole document: what a client must end up with after merging.
  [[nodiscard]] json document() const {
    json doc = head;
    doc["sessions"] = json::array();
    for (const auto& page : session_pages) {
      for (const auto& s : page) doc["sessions"].push_back(s);
    }
    return doc;
  }
};

/// `fixture`'s record under a new id, start and version, its sessions in
/// pages of `per_page`; `extra_pages`: more sessions pages appended (the
/// session-list fixture's page).
inline EmulatedRecord make_record(const std::string& fixture, const std::string& id, const std::string& start,
                                  const std::string& last_modified, std::int64_t version, std::size_t per_page = 10,
                                  const std::vector<json>& extra_sessions = {}) {
  json doc = load_fixture(fixture);
  json sessions = doc.contains("sessions") ? doc["sessions"] : json::array();
  for (const auto& s : extra_sessions) sessions.push_back(s);
  doc.erase("sessions");
  doc.erase("sessions@odata.nextLink");
  doc["id"] = id;
  doc["startDateTime"] = start;
  doc["lastModifiedDateTime"] = last_modified;
  doc["version"] = version;
  EmulatedRecord r{doc, {}};
  for (std::size_t i = 0; i < sessions.size(); i += per_page) {
    json page = json::array();
    for (std::size_t j = i; j < std::min(sessions.size(), i + per_page); ++j) page.push_back(sessions[j]);
    r.session_pages.push_back(page);
  }
  if (r.session_pages.empty()) r.session_pages.push_back(json::array());
  return r;
}

class GraphEmulator {
 public:
  static constexpr const char* kTenant = "contoso.onmicrosoft.com";
  static constexpr const char* kClientId = "11111111-2222-3333-4444-555555555555";

  /// Plain HTTP, or TLS with the given certificate and key files.
  explicit GraphEmulator(std::string secret, const std::string& cert = {}, const std::string& key = {})
      : secret_(std::move(secret)) {
    if (cert.empty()) {
      server_ = std::make_unique<httplib::Server>();
    } else {
      server_ = std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str());
    }
    routes();
    if (!server_->is_valid()) throw std::runtime_error("the emulator's server cannot start (certificate files?)");
    port_ = server_->bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("the emulator cannot bind 127.0.0.1");
    base_ = std::string(cert.empty() ? "http" : "https") + "://127.0.0.1:" + std::to_string(port_);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    // stop() only stops a server that is running: wait for it to run.
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~GraphEmulator() {
    server_->stop();
    thread_.join();
  }

  [[nodiscard]] const std::string& base() const { return base_; }
  [[nodiscard]] std::string token_url() const { return base_ + "/" + kTenant + "/oauth2/v2.0/token"; }

  void put(const EmulatedRecord& r) {
    std::lock_guard lock(mutex_);
    records_[r.head["id"].get<std::string>()] = r;
  }
  /// The next responses to requests whose path starts with `prefix`, before any real answer.
  void script(const std::string& prefix, Scripted response) {
    std::lock_guard lock(mutex_);
    scripted_[prefix].push_back(std::move(response));
  }
  void set_secret(std::string secret) {
    std::lock_guard lock(mutex_);
    secret_ = std::move(secret);
  }
  void set_expires_in(int seconds) {
    std::lock_guard lock(mutex_);
    expires_in_ = seconds;
  }
  /// Every token issued so far stops working (as after a revocation).
  void revoke_tokens() {
    std::lock_guard lock(mutex_);
    valid_tokens_.clear();
  }
  void set_list_page_size(std::size_t n) {
    std::lock_guard lock(mutex_);
    list_page_size_ = n;
  }

  [[nodiscard]] int tokens_issued() const {
    std::lock_guard lock(mutex_);
    return tokens_issued_;
  }
  /// Requests answered, as "METHOD path?query".
  [[nodiscard]] std::vector<std::string> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  [[nodiscard]] std::size_t count(const std::string& fragment) const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& r : requests_) n += r.find(fragment) != std::string::npos ? 1 : 0;
    return n;
  }
  /// Every form body the token endpoint received (the secret is in them: the tests only compare).
  [[nodiscard]] std::vector<std::string> token_bodies() const {
    std::lock_guard lock(mutex_);
    return token_bodies_;
  }

 private:
  static void send_json(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
  }

  static std::string describe(const httplib::Request& req) {
    std::string line = req.method + " " + req.path;
    char sep = '?';
    for (const auto& [k, v] : req.params) {
      line += sep + k + "=" + v;
      sep = '&';
    }
    return line;
  }

  // Under the lock: a queued answer for this path, if any.
  bool scripted(const httplib::Request& req, httplib::Response& res) { return answer_scripted(scripted_, req, res); }

  bool authorized(const httplib::Request& req, httplib::Response& res) {
    const std::string auth = req.get_header_value("Authorization");
    if (auth.rfind("Bearer ", 0) == 0 && valid_tokens_.contains(auth.substr(7))) return true;
    send_json(res, 401,
              {{"error", {{"code", "InvalidAuthenticationToken"}, {"message", "Access token has expired or is not yet valid."}}}});
    return false;
  }

  static std::string odata_time(const std::string& filter) {
    const auto at = filter.find("startDateTime ge ");
    return at == std::string::npos ? std::string() : filter.substr(at + 17);
  }

  void routes() {
    server_->Post(std::string("/") + kTenant + "/oauth2/v2.0/token", [this](const httplib::Request& req,
                                                                             httplib::Response& res) {
      std::lock_guard lock(mutex_);
      requests_.push_back(describe(req));
      token_bodies_.push_back(req.body);
      if (scripted(req, res)) return;
      if (req.get_param_value("grant_type") != "client_credentials" || req.get_param_value("client_id") != kClientId ||
          req.get_param_value("scope").empty()) {
        send_json(res, 400, {{"error", "invalid_request"}, {"error_description", "AADSTS900144: bad request"}});
        return;
      }
      if (req.get_param_value("client_secret") != secret_) {
        send_json(res, 401,
                  {{"error", "invalid_client"},
                   {"error_description", "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 0"}});
        return;
      }
      const std::string token = "token-" + std::to_string(++tokens_issued_);
      valid_tokens_.insert(token);
      send_json(res, 200, {{"token_type", "Bearer"}, {"expires_in", expires_in_}, {"ext_expires_in", expires_in_},
                           {"access_token", token}});
    });
    server_->Get("/v1.0/communications/callRecords", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      requests_.push_back(describe(req));
      if (scripted(req, res) || !authorized(req, res)) return;
      const std::string filter = req.get_param_value("$filter");
      const std::string from = odata_time(filter);
      std::vector<json> listed;
      for (const auto& [id, r] : records_) {
        if (r.head["startDateTime"].get<std::string>() >= from) {
          listed.push_back({{"@odata.type", "#microsoft.graph.callRecords.callRecord"},
                            {"id", id},
                            {"version", r.head["version"]},
                            {"type", r.head["type"]},
                            {"startDateTime", r.head["startDateTime"]},
                            {"endDateTime", r.head["endDateTime"]},
                            {"lastModifiedDateTime", r.head["lastModifiedDateTime"]}});
        }
      }
      const std::size_t skip = req.has_param("$skiptoken") ? std::stoul(req.get_param_value("$skiptoken")) : 0;
      json page = {{"@odata.context", "https://graph.microsoft.com/v1.0/$metadata#communications/callRecords"},
                   {"value", json::array()}};
      for (std::size_t i = skip; i < std::min(listed.size(), skip + list_page_size_); ++i) page["value"].push_back(listed[i]);
      if (skip + list_page_size_ < listed.size()) {
        page["@odata.nextLink"] = base_ + "/v1.0/communications/callRecords?$filter=startDateTime%20ge%20" + from +
                                  "&$skiptoken=" + std::to_string(skip + list_page_size_);
      }
      send_json(res, 200, page);
    });
    server_->Get(R"(/v1.0/communications/callRecords/([^/]+))", [this](const httplib::Request& req,
                                                                        httplib::Response& res) {
      std::lock_guard lock(mutex_);
      requests_.push_back(describe(req));
      if (scripted(req, res) || !authorized(req, res)) return;
      const auto it = records_.find(req.matches[1]);
      if (it == records_.end() || req.get_param_value("$expand") != "sessions($expand=segments)") {
        send_json(res, 404, {{"error", {{"code", "NotFound"}, {"message", "not found"}}}});
        return;
      }
      json doc = it->second.head;
      doc["sessions"] = it->second.session_pages.front();
      if (it->second.session_pages.size() > 1) doc["sessions@odata.nextLink"] = sessions_link(it->first, 1);
      send_json(res, 200, doc);
    });
    server_->Get(R"(/v1.0/communications/callRecords/([^/]+)/sessions)", [this](const httplib::Request& req,
                                                                                 httplib::Response& res) {
      std::lock_guard lock(mutex_);
      requests_.push_back(describe(req));
      if (scripted(req, res) || !authorized(req, res)) return;
      const auto it = records_.find(req.matches[1]);
      const std::size_t k = req.has_param("$skiptoken") ? std::stoul(req.get_param_value("$skiptoken")) : 0;
      if (it == records_.end() || k >= it->second.session_pages.size()) {
        send_json(res, 404, {{"error", {{"code", "NotFound"}, {"message", "not found"}}}});
        return;
      }
      json page = {{"@odata.context", "https://graph.microsoft.com/v1.0/$metadata#communications/callRecords('" +
                                          it->first + "')/sessions"},
                   {"value", it->second.session_pages[k]}};
      if (k + 1 < it->second.session_pages.size()) page["@odata.nextLink"] = sessions_link(it->first, k + 1);
      send_json(res, 200, page);
    });
  }

  std::string sessions_link(const std::string& id, std::size_t k) const {
    return base_ + "/v1.0/communications/callRecords/" + id + "/sessions?$expand=segments&$skiptoken=" +
           std::to_string(k);
  }

  mutable std::mutex mutex_;
  std::string secret_;
  int expires_in_ = 3599;
  int tokens_issued_ = 0;
  std::set<std::string> valid_tokens_;
  std::size_t list_page_size_ = 2;
  std::map<std::string, EmulatedRecord> records_;
  std::map<std::string, std::deque<Scripted>> scripted_;
  std::vector<std::string> requests_;
  std::vector<std::string> token_bodies_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::string base_;
};

}  // namespace callroot::connectors::testing
