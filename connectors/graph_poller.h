#pragma once
/// Microsoft Graph callRecords, polled: each poll lists the records that
/// started within the overlap window before the newest one delivered
/// (`GET /v1.0/communications/callRecords?$filter=startDateTime ge T`, every
/// `@odata.nextLink` page), fetches each record that is new or whose
/// `version` grew (`GET …/callRecords/{id}?$expand=sessions($expand=segments)`,
/// every `sessions@odata.nextLink` page merged into the one document) and
/// delivers it. Microsoft documents `$filter` on startDateTime (and
/// participant id) only, so the window is one of start times and the
/// cursor's delivered set is what keeps a record from going out twice.
///
/// Nothing here throws after construction: a failed request or a malformed
/// response is logged with what was being fetched, counted, and left to the
/// next poll; the other records go on.

#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <vector>
#include <string>

#include <spdlog/logger.h>

#include "connectors/authorized_client.h"
#include "connectors/connector_core.h"
#include "connectors/cursor_store.h"
#include "connectors/delivery.h"
#include "connectors/graph_config.h"
#include "connectors/metrics.h"
#include "connectors/oauth.h"
#include "runtime/clock.h"

namespace callroot::connectors {

/// The record type a callRecord is delivered as (docs/contract.md §5.1).
inline constexpr std::string_view kGraphCallRecordType = "graph.callRecord";

/// Wall time (ms since the epoch): the first window when there is no
/// cursor yet, and the lag metric.
using WallClock = std::function<TimeMs()>;
WallClock system_wall_clock();

struct PollResult {
  std::uint64_t delivered = 0;
  std::uint64_t failed = 0;   ///< records that could not be fetched or delivered
  std::string list_error;     ///< why the listing stopped early (empty: it did not)
};

class GraphPoller {
 public:
  /// `api` authorizes and retries every request. `base_url`: e.g.
  /// https://graph.microsoft.com; `@odata.nextLink`s must stay under it,
  /// so a token is never sent to another host.
  GraphPoller(std::string base_url, std::chrono::seconds overlap, AuthorizedClient& api, CursorStore& store,
              RecordSink& sink, ConnectorMetrics& metrics, std::shared_ptr<spdlog::logger> log, WallClock wall);

  /// One poll; `stopping` is asked between records (what was not delivered
  /// is the next poll's, or the next start's).
  PollResult poll_once(const std::function<bool()>& stopping = {});
  [[nodiscard]] const Cursor& cursor() const noexcept { return cursor_; }

 private:
  struct Listed;
  struct Fetched {
    std::string document;  ///< every sessions page merged, on one line
    std::int64_t version = 0;
    TimeMs start = kNoTime;
    TimeMs last_modified = kNoTime;
  };
  bool list(std::vector<Listed>& out, std::string& error);
  /// Failures are logged and counted here.
  std::optional<Fetched> fetch(const Listed& entry);
  bool under_base(const std::string& url) const;

  std::string base_url_;
  std::chrono::seconds overlap_;
  AuthorizedClient& api_;
  CursorStore& store_;
  RecordSink& sink_;
  ConnectorMetrics& metrics_;
  std::shared_ptr<spdlog::logger> log_;
  WallClock wall_;
  Cursor cursor_;
};

/// Everything `callroot connect graph` runs, assembled from a GraphConfig:
/// HTTP client, token, retries, cursor and poller. For an embedder too.
class GraphConnector {
 public:
  /// Throws ConfigError (the secret, the cursor file) or std::runtime_error
  /// (libcurl options). `seed`: the backoff's jitter.
  GraphConnector(const GraphConfig& config, RecordSink& sink, std::shared_ptr<spdlog::logger> log,
                 runtime::Clock& clock = runtime::steady_clock(), WallClock wall = system_wall_clock(),
                 std::uint64_t seed = std::random_device{}());

  PollResult poll_once() { return poller_.poll_once(); }
  /// Polls every poll_interval until `stop()` says so; one poll when
  /// `once`. `stop` is asked between records and every 200 ms of any wait
  /// (between polls, before a retry), so a stop is taken within a request's time.
  void run(std::function<bool()> stop, bool once);

  [[nodiscard]] const ConnectorMetrics& metrics() const noexcept { return core_.metrics(); }
  [[nodiscard]] const Cursor& cursor() const noexcept { return poller_.cursor(); }

 private:
  ConnectorCore core_;
  GraphPoller poller_;
};

}  // namespace callroot::connectors
