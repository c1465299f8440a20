#pragma once
/// A connector's counters over HTTP for Prometheus (`connect graph
/// --metrics-listen`): `/metrics` answers with what was last published.
/// civetweb answers on threads of its own; the connector's thread publishes
/// a rendered copy, so a scrape never reads the live counters.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "connectors/metrics.h"

class CivetServer;

namespace callroot::connectors {

class MetricsListener {
 public:
  /// Listens on `listen` ("127.0.0.1:9465"; port 0: any). Throws ConfigError naming it.
  explicit MetricsListener(const std::string& listen);
  ~MetricsListener();
  MetricsListener(const MetricsListener&) = delete;
  MetricsListener& operator=(const MetricsListener&) = delete;

  [[nodiscard]] int port() const;
  void publish(const ConnectorMetrics& metrics, std::string_view connector);

 private:
  class Handler;
  std::mutex mutex_;
  std::string text_;
  std::unique_ptr<Handler> handler_;
  std::unique_ptr<CivetServer> server_;  // last: closed before the handler and text go
};

}  // namespace callroot::connectors
