// `callroot connect graph|zoom`: Microsoft Graph callRecords or Zoom
// participants' QoS fetched and handed on (connectors/graph_poller.h,
// connectors/zoom_poller.h, docs/connectors.md).
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "connectors/graph_poller.h"
#include "connectors/metrics_listener.h"
#include "connectors/zoom_poller.h"
#include "runtime/signals.h"

namespace callroot::cli {
namespace {

class ConnectCommand final : public Command {
 public:
  explicit ConnectCommand(CLI::App& parent)
      : Command(parent.add_subcommand("connect", "Fetch call records from a cloud API (docs/connectors.md)")) {
    app_->require_subcommand(1);
    graph_ = app_->add_subcommand(
        "graph",
        "Poll Microsoft Graph callRecords (CallRecords.Read.All) and write them as JSON Lines or push them to a "
        "daemon's ZeroMQ PULL socket");
    zoom_ = app_->add_subcommand(
        "zoom",
        "Fetch Zoom participants' QoS of past meetings (dashboard_meetings:read:admin) within the account's daily "
        "quota, and write them as JSON Lines or push them to a daemon's ZeroMQ PULL socket");
    for (CLI::App* sub : {graph_, zoom_}) {
      sub->add_option("--config", config_path_, "The connector's JSON configuration (docs/connectors.md)")->required();
      auto* out = sub->add_option("--out", out_,
                                  "Append each record as a JSON Lines envelope to FILE (what `callroot replay` reads)");
      auto* push = sub->add_option("--push", push_, "Push each record to a daemon's PULL endpoint (tcp://host:port)");
      out->excludes(push);
      push->excludes(out);
      sub->add_flag("--once", once_, "One poll, then exit (cron, tests)");
      sub->add_option("--metrics-listen", metrics_listen_,
                      "Serve the counters for Prometheus on ADDR:PORT/metrics (e.g. 127.0.0.1:9465)");
    }
  }

  int run(std::shared_ptr<spdlog::logger> log) override {
    if (out_.empty() && push_.empty()) {
      log->error("give --out FILE.jsonl or --push tcp://host:port: where the records go");
      return kExitUsage;
    }
    if (zoom_->parsed()) return run_connector<connectors::ZoomConnector>("zoom", &connectors::load_zoom_config, log);
    return run_connector<connectors::GraphConnector>("graph", &connectors::load_graph_config, log);
  }

 private:
  template <typename Connector, typename Config>
  int run_connector(const char* name, Config (*load)(const std::string&), const std::shared_ptr<spdlog::logger>& log) {
    // Blocked before any thread starts (libcurl's resolver, ZeroMQ's I/O), so none takes them.
    runtime::SignalWatch signals;
    std::unique_ptr<Connector> connector;
    std::unique_ptr<connectors::RecordSink> sink;
    std::unique_ptr<connectors::MetricsListener> listener;
    zmq::context_t context;
    try {
      if (!metrics_listen_.empty()) listener = std::make_unique<connectors::MetricsListener>(metrics_listen_);
      const Config config = load(config_path_);
      if (!out_.empty()) {
        sink = std::make_unique<connectors::JsonlFileSink>(out_);
      } else {
        sink = std::make_unique<connectors::ZmqPushSink>(context, push_);
      }
      connector = std::make_unique<Connector>(config, *sink, log);
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      return kExitUsage;
    }
    bool stopping = false;
    connector->run(
        [&] {
          // Asked between records and every 200 ms of a wait: often enough for a scrape.
          if (listener) listener->publish(connector->metrics(), name);
          if (const int sig = signals.poll(); sig == SIGINT || sig == SIGTERM) stopping = true;
          return stopping;
        },
        once_);
    std::fprintf(stderr, "connect %s: %s\n", name, connector->metrics().summary().c_str());
    return 0;
  }

  CLI::App* graph_ = nullptr;
  CLI::App* zoom_ = nullptr;
  std::string config_path_, out_, push_, metrics_listen_;
  bool once_ = false;
};

}  // namespace

CommandPtr add_connect_command(CLI::App& parent) { return std::make_unique<ConnectCommand>(parent); }

}  // namespace callroot::cli
