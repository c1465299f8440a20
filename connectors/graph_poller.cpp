#include "connectors/graph_poller.h"

#include <algorithm>
#include <string>

#include <nlohmann/json.hpp>

namespace callroot::connectors {

namespace {

using json = nlohmann::json;
// A fetched document keeps Graph's key order: what is delivered reads as what Graph sent.
using ordered = nlohmann::ordered_json;

template <typename Json>
TimeMs time_field(const Json& doc, const char* key) {
  const auto it = doc.find(key);
  if (it == doc.end() || !it->is_string()) return kNoTime;
  return parse_rfc3339(it->template get<std::string>()).value_or(kNoTime);
}

/// Graph's OData JSON may carry Int64 values as strings (IEEE754Compatible).
template <typename Json>
std::optional<std::int64_t> version_of(const Json& doc) {
  const auto it = doc.find("version");
  if (it == doc.end()) return std::nullopt;
  if (it->is_number_integer()) return it->template get<std::int64_t>();
  if (it->is_string()) {
    try {
      return std::stoll(it->template get<std::string>());
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string describe(const HttpResponse& r) {
  if (r.transport_failed()) return r.error;
  std::string out = "HTTP " + std::to_string(r.status);
  // Graph's error body: {"error":{"code":"…","message":"…"}}.
  const auto doc = json::parse(r.body, nullptr, false);
  if (doc.is_object() && doc.contains("error") && doc["error"].is_object()) {
    const auto& e = doc["error"];
    if (e.contains("code") && e["code"].is_string()) out += ", " + e["code"].get<std::string>();
    if (e.contains("message") && e["message"].is_string()) out += ": " + e["message"].get<std::string>();
  }
  if (r.status == 403) out += " (does the app have CallRecords.Read.All with admin consent?)";
  return out;
}

std::string url_escape_filter(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    if (ch == ' ') {
      out += "%20";
    } else if (ch == ':') {
      out += "%3A";
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace

WallClock system_wall_clock() {
  return [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
}

struct GraphPoller::Listed {
  std::string id;
  std::int64_t version = 0;
  TimeMs start = kNoTime;
  TimeMs last_modified = kNoTime;
};

GraphPoller::GraphPoller(std::string base_url, std::chrono::seconds overlap, AuthorizedClient& api,
                         CursorStore& store, RecordSink& sink, ConnectorMetrics& metrics,
                         std::shared_ptr<spdlog::logger> log, WallClock wall)
    : base_url_(std::move(base_url)),
      overlap_(overlap),
      api_(api),
      store_(store),
      sink_(sink),
      metrics_(metrics),
      log_(std::move(log)),
      wall_(std::move(wall)),
      cursor_(store_.load()) {}

bool GraphPoller::under_base(const std::string& url) const {
  return url.starts_with(base_url_ + "/");
}

bool GraphPoller::list(std::vector<Listed>& out, std::string& error) {
  const TimeMs anchor = cursor_.newest_start != kNoTime ? cursor_.newest_start : wall_();
  const TimeMs begin = anchor - std::chrono::duration_cast<std::chrono::milliseconds>(overlap_).count();
  std::string url = base_url_ + "/v1.0/communications/callRecords?$filter=" +
                    url_escape_filter("startDateTime ge " + format_rfc3339(begin));
  for (int page = 1; !url.empty(); ++page) {
    const std::string what = "callRecords list page " + std::to_string(page);
    const HttpResponse r = api_.get(url, what);
    if (r.transport_failed() || r.status != 200) {
      error = what + ": " + describe(r);
      return false;
    }
    const json doc = json::parse(r.body, nullptr, false);
    if (!doc.is_object() || !doc.contains("value") || !doc["value"].is_array()) {
      ++metrics_.malformed_pages;
      error = what + ": the response is not a callRecord collection (no \"value\" array)";
      return false;
    }
    for (const auto& item : doc["value"]) {
      Listed entry;
      if (item.is_object() && item.contains("id") && item["id"].is_string()) entry.id = item["id"].get<std::string>();
      const auto version = item.is_object() ? version_of(item) : std::nullopt;
      if (entry.id.empty() || !version) {
        ++metrics_.malformed_pages;
        log_->warn("{}: an entry without a string id or an integer version, skipped", what);
        continue;
      }
      entry.version = *version;
      entry.start = time_field(item, "startDateTime");
      entry.last_modified = time_field(item, "lastModifiedDateTime");
      ++metrics_.records_listed;
      out.push_back(std::move(entry));
    }
    url.clear();
    if (const auto next = doc.find("@odata.nextLink"); next != doc.end() && next->is_string()) {
      url = next->get<std::string>();
      if (!under_base(url)) {
        error = what + ": @odata.nextLink leaves " + base_url_ + ", not followed";
        return false;
      }
    }
  }
  return true;
}

std::optional<GraphPoller::Fetched> GraphPoller::fetch(const Listed& entry) {
  const std::string what = "callRecord " + entry.id;
  const HttpResponse r =
      api_.get(base_url_ + "/v1.0/communications/callRecords/" + entry.id + "?$expand=sessions(%24expand%3Dsegments)",
               what);
  if (r.transport_failed() || r.status != 200) {
    log_->error("{}: {}", what, describe(r));
    return std::nullopt;
  }
  ordered doc = ordered::parse(r.body, nullptr, false);
  if (!doc.is_object() || !doc.contains("id") || doc["id"] != entry.id) {
    ++metrics_.malformed_pages;
    log_->error("{}: the response is not that callRecord (not a JSON object with its id)", what);
    return std::nullopt;
  }
  // Sessions beyond the first page: their pages' values are appended, so the
  // engine sees one call with every session, as if it had been one response.
  if (!doc.contains("sessions") || !doc["sessions"].is_array()) doc["sessions"] = ordered::array();
  int page = 1;
  while (doc.contains("sessions@odata.nextLink")) {
    const auto& link = doc["sessions@odata.nextLink"];
    const std::string next = link.is_string() ? link.get<std::string>() : std::string();
    if (!under_base(next)) {
      ++metrics_.malformed_pages;
      log_->error("{}: sessions@odata.nextLink is not a URL under {}", what, base_url_);
      return std::nullopt;
    }
    const std::string page_what = what + " sessions page " + std::to_string(++page);
    const HttpResponse p = api_.get(next, page_what);
    if (p.transport_failed() || p.status != 200) {
      log_->error("{}: {}", page_what, describe(p));
      return std::nullopt;
    }
    ordered sessions = ordered::parse(p.body, nullptr, false);
    if (!sessions.is_object() || !sessions.contains("value") || !sessions["value"].is_array()) {
      ++metrics_.malformed_pages;
      log_->error("{}: the response is not a sessions collection (no \"value\" array)", page_what);
      return std::nullopt;
    }
    for (auto& s : sessions["value"]) doc["sessions"].push_back(std::move(s));
    if (sessions.contains("@odata.nextLink")) {
      doc["sessions@odata.nextLink"] = std::move(sessions["@odata.nextLink"]);
    } else {
      doc.erase("sessions@odata.nextLink");
    }
  }
  ++metrics_.records_fetched;
  // The document is the truth: it may already be a later version than the list said.
  Fetched out{{}, version_of(doc).value_or(entry.version), time_field(doc, "startDateTime"),
              time_field(doc, "lastModifiedDateTime")};
  if (out.start == kNoTime) out.start = entry.start;
  if (out.last_modified == kNoTime) out.last_modified = entry.last_modified;
  out.document = doc.dump();
  return out;
}

PollResult GraphPoller::poll_once(const std::function<bool()>& stopping) {
  ++metrics_.polls;
  PollResult result;
  std::vector<Listed> listed;
  if (!list(listed, result.list_error)) log_->error("{}", result.list_error);
  // Oldest change first: a restart after a failure resumes in the order the records were made.
  std::stable_sort(listed.begin(), listed.end(),
                   [](const Listed& a, const Listed& b) { return a.last_modified < b.last_modified; });
  for (const Listed& entry : listed) {
    if (stopping && stopping()) break;
    if (!cursor_.wants(entry.id, entry.version)) {
      ++metrics_.records_unchanged;
      continue;
    }
    const auto fetched = fetch(entry);
    if (!fetched) {
      ++metrics_.records_failed;
      ++result.failed;
      continue;
    }
    if (!cursor_.wants(entry.id, fetched->version)) {
      ++metrics_.records_unchanged;
      continue;
    }
    if (const std::string error = sink_.deliver(kGraphCallRecordType, fetched->document); !error.empty()) {
      log_->error("callRecord {}: not delivered: {}", entry.id, error);
      ++metrics_.records_failed;
      ++result.failed;
      continue;
    }
    cursor_.mark_delivered(entry.id, fetched->version, fetched->start, fetched->last_modified);
    if (const std::string error = store_.save(cursor_); !error.empty()) log_->error("{}", error);
    ++metrics_.records_delivered;
    ++result.delivered;
    if (fetched->last_modified != kNoTime) metrics_.lag_ms = wall_() - fetched->last_modified;
    log_->debug("callRecord {} version {} delivered", entry.id, fetched->version);
  }
  const TimeMs anchor = cursor_.newest_start != kNoTime ? cursor_.newest_start : wall_();
  cursor_.forget_before(anchor - std::chrono::duration_cast<std::chrono::milliseconds>(overlap_).count());
  if (const std::string error = store_.save(cursor_); !error.empty()) log_->error("{}", error);
  return result;
}

GraphConnector::GraphConnector(const GraphConfig& config, RecordSink& sink, std::shared_ptr<spdlog::logger> log,
                               runtime::Clock& clock, WallClock wall, std::uint64_t seed)
    : core_(config,
            ClientCredentials{.token_url = config.token_url,
                              .client_id = config.client_id,
                              .scope = config.scope,
                              .secret = config.secret},
            log, clock, seed),
      poller_(config.graph_url, config.overlap, core_.api(), core_.store(), sink, core_.metrics(), std::move(log),
              std::move(wall)) {}

void GraphConnector::run(std::function<bool()> stop, bool once) {
  core_.run(std::move(stop), once, [this](const std::function<bool()>& stopping) { poller_.poll_once(stopping); });
}

}  // namespace callroot::connectors
