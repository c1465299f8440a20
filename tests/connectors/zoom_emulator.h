#pragma once
// Zoom's OAuth token endpoint and dashboard API on 127.0.0.1 for the
// connector tests: Server-to-Server OAuth (HTTP Basic, account_credentials),
// the past-meetings list and participants' QoS, both paged with
// next_page_token, the daily quota (X-RateLimit-* headers, shared with a
// simulated customer, a 429 "Daily-limit" once it is spent) and faults a
// test queues up. QoS pages are cut from tests/data/zoom's fixture.
#include <httplib.h>
#include <sodium.h>

#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "graph_emulator.h"  // Scripted, answer_scripted

namespace callroot::connectors::testing {

inline json load_zoom_fixture(const std::string& name) {
  std::ifstream in(std::string(CALLROOT_TEST_DATA_DIR) + "/zoom/" + name);
  return json::parse(in);
}

struct EmulatedMeeting {
  std::string uuid;
  std::string start_time, end_time;  // RFC 3339
  std::string email = "someone@elsewhere.example";
  std::string dept;
  int in_room_participants = 0;
  json participants = json::array();  // the QoS participants
};

class ZoomEmulator {
 public:
  static constexpr const char* kAccountId = "AbCdEf-account";
  static constexpr const char* kClientId = "zoom-client-id";

  explicit ZoomEmulator(std::string secret) : secret_(std::move(secret)) {
    routes();
    port_ = server_.bind_to_any_port("127.0.0.1");
    base_ = "http://127.0.0.1:" + std::to_string(port_);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~ZoomEmulator() {
    server_.stop();
    thread_.join();
  }

  [[nodiscard]] std::string api_url() const { return base_ + "/v2"; }
  [[nodiscard]] std::string token_url() const { return base_ + "/oauth/token"; }

  void put(EmulatedMeeting m) {
    std::lock_guard lock(mutex_);
    meetings_[m.uuid] = std::move(m);
  }
  void script(const std::string& prefix, Scripted response) {
    std::lock_guard lock(mutex_);
    scripted_[prefix].push_back(std::move(response));
  }
  /// The account's daily limit, and what the customer's own apps have used of it.
  void set_quota(int daily_limit, int customer_used) {
    std::lock_guard lock(mutex_);
    daily_limit_ = daily_limit;
    customer_used_ = customer_used;
  }
  void set_qos_page_size(std::size_t n) {
    std::lock_guard lock(mutex_);
    qos_page_size_ = n;
  }
  [[nodiscard]] std::size_t count(const std::string& fragment) const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& r : requests_) n += r.find(fragment) != std::string::npos ? 1 : 0;
    return n;
  }
  [[nodiscard]] std::vector<std::string> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  [[nodiscard]] int api_requests() const {
    std::lock_guard lock(mutex_);
    return api_requests_;
  }

 private:
  static void send_json(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
  }

  std::string basic(const std::string& id, const std::string& secret) const {
    const std::string plain = id + ":" + secret;
    std::string out(sodium_base64_ENCODED_LEN(plain.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    out.resize(out.size() - 1);
    return "Basic " + out;
  }

  /// An API request under the daily quota: counted, with Zoom's headers; a
  /// 429 once the account's limit is spent. False when answered.
  bool metered(const httplib::Request& req, httplib::Response& res) {
    requests_.push_back(req.method + " " + req.target);
    if (req.get_header_value("Authorization") != "Bearer " + token_) {
      send_json(res, 401, {{"code", 124}, {"message", "Invalid access token."}});
      return false;
    }
    const int remaining = daily_limit_ - customer_used_ - api_requests_;
    res.set_header("X-RateLimit-Category", "Heavy");
    res.set_header("X-RateLimit-Limit", std::to_string(daily_limit_));
    if (remaining <= 0) {
      res.set_header("X-RateLimit-Type", "Daily-limit");
      res.set_header("X-RateLimit-Remaining", "0");
      res.set_header("Retry-After", "2026-12-08T00:00:00Z");
      send_json(res, 429, {{"code", 429}, {"message", "You have reached the daily limit for the API."}});
      return false;
    }
    ++api_requests_;
    res.set_header("X-RateLimit-Remaining", std::to_string(remaining - 1));
    return !answer_scripted(scripted_, req, res);
  }

  void routes() {
    server_.Post("/oauth/token", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      requests_.push_back("POST /oauth/token");
      if (req.get_param_value("grant_type") != "account_credentials" ||
          req.get_param_value("account_id") != kAccountId) {
        send_json(res, 400, {{"reason", "Invalid request : Unsupported grant type"}, {"error", "invalid_request"}});
        return;
      }
      if (req.get_header_value("Authorization") != basic(kClientId, secret_)) {
        send_json(res, 401, {{"reason", "Invalid client_id or client_secret"}, {"error", "invalid_client"}});
        return;
      }
      token_ = "zoom-token-" + std::to_string(++tokens_issued_);
      send_json(res, 200, {{"access_token", token_}, {"token_type", "bearer"}, {"expires_in", 3599},
                           {"scope", "dashboard_meetings:read:admin"}});
    });
    server_.Get("/v2/metrics/meetings", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      if (!metered(req, res)) return;
      if (req.get_param_value("type") != "past" || req.get_param_value("from").size() != 10 ||
          req.get_param_value("to").size() != 10) {
        send_json(res, 400, {{"code", 300}, {"message", "The from and to dates are required."}});
        return;
      }
      const std::string from = req.get_param_value("from"), to = req.get_param_value("to") + "T23:59:59Z";
      std::vector<const EmulatedMeeting*> listed;
      for (const auto& [uuid, m] : meetings_) {
        if (m.end_time >= from && m.end_time <= to) listed.push_back(&m);
      }
      const std::size_t skip = req.has_param("next_page_token") ? std::stoul(req.get_param_value("next_page_token")) : 0;
      json page = {{"from", req.get_param_value("from")}, {"to", req.get_param_value("to")},
                   {"page_size", list_page_size_}, {"total_records", listed.size()},
                   {"next_page_token", ""}, {"meetings", json::array()}};
      for (std::size_t i = skip; i < std::min(listed.size(), skip + list_page_size_); ++i) {
        const EmulatedMeeting& m = *listed[i];
        page["meetings"].push_back({{"uuid", m.uuid}, {"id", 85746065432}, {"topic", "a meeting"},
                                    {"host", "Host"}, {"email", m.email}, {"user_type", "Licensed"},
                                    {"start_time", m.start_time}, {"end_time", m.end_time},
                                    {"duration", "00:30:00"}, {"participants", m.participants.size()},
                                    {"has_pstn", false}, {"has_voip", true}, {"has_video", true},
                                    {"dept", m.dept}, {"in_room_participants", m.in_room_participants}});
      }
      if (skip + list_page_size_ < listed.size()) page["next_page_token"] = std::to_string(skip + list_page_size_);
      send_json(res, 200, page);
    });
    server_.Get(R"(/v2/metrics/meetings/(.+)/participants/qos)", [this](const httplib::Request& req,
                                                                          httplib::Response& res) {
      std::lock_guard lock(mutex_);
      if (!metered(req, res)) return;
      // The path is decoded once by the server; a double-encoded UUID needs a second decode.
      std::string uuid = req.matches[1];
      if (uuid.find('%') != std::string::npos) uuid = httplib::detail::decode_url(uuid, false);
      const auto it = meetings_.find(uuid);
      if (it == meetings_.end() || req.get_param_value("type") != "past") {
        send_json(res, 404, {{"code", 3001}, {"message", "Meeting does not exist: " + uuid + "."}});
        return;
      }
      const auto& all = it->second.participants;
      const std::size_t skip = req.has_param("next_page_token") ? std::stoul(req.get_param_value("next_page_token")) : 0;
      json page = {{"page_count", (all.size() + qos_page_size_ - 1) / qos_page_size_},
                   {"page_size", qos_page_size_}, {"total_records", all.size()}, {"next_page_token", ""},
                   {"participants", json::array()}};
      for (std::size_t i = skip; i < std::min(all.size(), skip + qos_page_size_); ++i) page["participants"].push_back(all[i]);
      if (skip + qos_page_size_ < all.size()) page["next_page_token"] = std::to_string(skip + qos_page_size_);
      send_json(res, 200, page);
    });
  }

  mutable std::mutex mutex_;
  std::string secret_;
  std::string token_;
  int tokens_issued_ = 0;
  int daily_limit_ = 30'000;
  int customer_used_ = 0;
  int api_requests_ = 0;
  std::size_t list_page_size_ = 2;
  std::size_t qos_page_size_ = 2;
  std::map<std::string, EmulatedMeeting> meetings_;
  std::map<std::string, std::deque<Scripted>> scripted_;
  std::vector<std::string> requests_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::string base_;
};

}  // namespace callroot::connectors::testing
