#include "connectors/metrics_listener.h"

#include <CivetServer.h>

#include <vector>

#include "connectors/secret.h"

namespace callroot::connectors {

class MetricsListener::Handler final : public CivetHandler {
 public:
  explicit Handler(MetricsListener& owner) : owner_(owner) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    std::string body;
    {
      const std::lock_guard lock(owner_.mutex_);
      body = owner_.text_;
    }
    mg_printf(conn,
              "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %zu\r\n"
              "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
              body.size());
    mg_write(conn, body.data(), body.size());
    return true;
  }

 private:
  MetricsListener& owner_;
};

MetricsListener::MetricsListener(const std::string& listen) : handler_(std::make_unique<Handler>(*this)) {
  try {
    server_ = std::make_unique<CivetServer>(std::vector<std::string>{"listening_ports", listen, "num_threads", "2"});
  } catch (const CivetException& e) {
    throw ConfigError("--metrics-listen " + listen + ": " + e.what());
  }
  server_->addHandler("/metrics", handler_.get());
}

MetricsListener::~MetricsListener() {
  if (server_) server_->close();
}

int MetricsListener::port() const {
  const auto ports = server_->getListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

void MetricsListener::publish(const ConnectorMetrics& metrics, std::string_view connector) {
  std::string text = metrics.prometheus_text(connector);
  const std::lock_guard lock(mutex_);
  text_ = std::move(text);
}

}  // namespace callroot::connectors
