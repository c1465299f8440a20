// The daemon as an operator runs it (docs/operations.md): its Prometheus
// metrics scraped over loopback and checked against a replay of the same
// input, its health and readiness probes, and what it tells systemd.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>

#include <spdlog/sinks/null_sink.h>
#include <zmq.hpp>

#include "child_process.h"
#include "daemon_sockets.h"
#include "demo_files.h"
#include "free_ports.h"
#include "runtime/daemon.h"
#include "runtime/replay.h"
#include "runtime/sinks.h"
#include "testing/http_get.h"

namespace callroot::runtime::testing {
namespace {

using callroot::testing::http_get;
using callroot::testing::HttpResponse;

/// The samples of a Prometheus text exposition: "name{labels}" -> value.
std::map<std::string, double> parse_metrics(const std::string& text) {
  std::map<std::string, double> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

// With --out-dir too: when it has stopped, its files hold every verdict and
// incident record it published, the replay's, each once.
TEST(Operations, TheMetricsOfTheDemoAreThoseOfItsReplay) {
  TempDir out("operations-out");
  CollectingSink replayed;
  ReplayOptions options;
  options.files = demo_inputs();
  options.progress = false;
  const PipelineStats stats =
      replay_into(options, replayed, std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>()));

  const int base = free_port_block(4);
  const std::string pull = "tcp://127.0.0.1:" + std::to_string(base);
  const std::string pub = "tcp://127.0.0.1:" + std::to_string(base + 1);
  const int http = base + 2;
  ChildProcess daemon({CALLROOT_BINARY, "run", "--pull", pull, "--sub", "tcp://127.0.0.1:" + std::to_string(base + 3),
                       "--pub", pub, "--metrics-listen", "127.0.0.1:" + std::to_string(http), "--out-dir",
                       out.path().string(), "--rotate-mb", "1"});
  HttpResponse health;
  for (int i = 0; i < 100 && health.status == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    health = http_get(http, "/healthz");
  }
  ASSERT_EQ(health.status, 200) << "the listener did not answer";
  EXPECT_EQ(health.body, "ok\n");
  EXPECT_EQ(http_get(http, "/readyz").status, 200);
  EXPECT_EQ(http_get(http, "/nothing-here").status, 404);

  zmq::context_t ctx(1);
  zmq::socket_t verdicts = subscriber(ctx, pub, "verdict");
  zmq::socket_t push = pusher(ctx, pull);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::map<std::string, double> sent_by_type;
  push.send(zmq::str_buffer("wifi.client"), zmq::send_flags::sndmore);  // one bad record
  push.send(zmq::str_buffer("{\"type\":\"wifi.client\",\"ts\":"), zmq::send_flags::none);
  for (const auto& [type, body] : demo_records_in_time_order()) {
    push.send(zmq::buffer(type), zmq::send_flags::sndmore);
    push.send(zmq::buffer(body), zmq::send_flags::none);
    ++sent_by_type[type];
  }
  std::size_t got = 0;
  for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       got < replayed.verdicts.size() && std::chrono::steady_clock::now() < until;) {
    zmq::message_t type, body;
    if (verdicts.recv(type) && type.more() && verdicts.recv(body)) ++got;
  }
  ASSERT_EQ(got, replayed.verdicts.size());

  // The totals are handed to the listener every 200 ms: wait for the last verdict's.
  std::map<std::string, double> m;
  for (int i = 0; i < 100; ++i) {
    m = parse_metrics(http_get(http, "/metrics").body);
    if (m["callroot_ingest_to_verdict_seconds_count"] == static_cast<double>(got) &&
        m["callroot_segments_total{quality=\"good\"}"] + m["callroot_segments_total{quality=\"poor\"}"] ==
            static_cast<double>(got)) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string source = "source=\"" + pull + "\"";
  for (const auto& [type, count] : sent_by_type) {
    // Labels come sorted by name.
    EXPECT_EQ((m["callroot_records_total{result=\"accepted\"," + source + ",type=\"" + type + "\"}"]), count) << type;
  }
  EXPECT_EQ((m["callroot_records_total{result=\"rejected\"," + source + ",type=\"wifi.client\"}"]), 1);
  EXPECT_EQ(m["callroot_records_rejected_total{reason=\"truncated\"}"] + m["callroot_records_rejected_total{reason=\"bad_json\"}"], 1);
  EXPECT_EQ(m["callroot_segments_total{quality=\"good\"}"], static_cast<double>(stats.engine.segments_good));
  EXPECT_EQ(m["callroot_segments_total{quality=\"poor\"}"], static_cast<double>(stats.engine.segments_poor));
  const char* const kinds[] = {"client", "ap", "switch", "wan", "remote", "unknown"};  // ComponentKind's order
  for (std::size_t k = 0; k < std::size(kinds); ++k) {
    EXPECT_EQ(m["callroot_blame_total{kind=\"" + std::string(kinds[k]) + "\"}"], static_cast<double>(stats.engine.blamed[k]))
        << kinds[k];
  }
  EXPECT_EQ(m["callroot_incidents_total{event=\"opened\"}"], static_cast<double>(stats.engine.incidents_opened));
  EXPECT_EQ(m["callroot_telemetry_late_total"], 0);
  EXPECT_GT(m["callroot_resident_memory_bytes"], 1e6);
  EXPECT_GT(m["callroot_store_bytes"], 0);
  EXPECT_GT(m["callroot_store_rows_total"], 0);
  EXPECT_EQ(m["callroot_rules_info{hash=\"none\"}"], 1);
  // The demo is from March 2026: the event time is months behind the wall clock.
  EXPECT_GT(m["callroot_watermark_lag_seconds"], 0);
  EXPECT_EQ(m["callroot_ingest_to_verdict_seconds_count"], static_cast<double>(got));

  const int status = daemon.terminate(std::chrono::seconds(10));
  ASSERT_NE(status, -1);
  EXPECT_EQ(WEXITSTATUS(status), 0);

  std::multiset<std::string> expected, written;
  for (const auto& v : replayed.verdicts) expected.insert(to_json(v));
  std::size_t incidents = 0, files = 0;
  for (const auto& e : std::filesystem::directory_iterator(out.path())) {
    ++files;
    std::ifstream in(e.path());
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(R"({"type":"incident")", 0) == 0) ++incidents;
      else written.insert(line);
    }
  }
  EXPECT_GE(files, 2u) << "1 MiB of verdicts and incidents did not rotate";
  EXPECT_TRUE(written == expected) << written.size() << " verdict lines, " << expected.size() << " expected";
  EXPECT_EQ(incidents, replayed.incidents.size());
}

// What the package installs as /etc/callroot/run.json is a configuration the
// daemon takes, with the shipped rules, a checkpoint in the state directory
// and the listener on loopback.
TEST(Operations, TheShippedConfigurationReads) {
  const DaemonOptions o = load_daemon_config(std::string(CALLROOT_SOURCE_DIR) + "/packaging/run.json");
  EXPECT_EQ(o.config.attribution.rules, std::vector<std::string>{"/usr/share/callroot/rules"});
  EXPECT_EQ(o.checkpoint, "/var/lib/callroot/state.ckpt");
  EXPECT_EQ(o.metrics_listen, "127.0.0.1:9464");
  for (const auto* list : {&o.source.pull_endpoints, &o.source.sub_endpoints, &o.publish}) {
    for (const auto& endpoint : *list) EXPECT_EQ(endpoint.rfind("tcp://127.0.0.1:", 0), 0u) << endpoint;
  }
}

TEST(Operations, AnAddressItCannotListenOnStopsItWithExitCode2) {
  const int base = free_port_block(3);
  ChildProcess daemon({CALLROOT_BINARY, "run", "--pull", "tcp://127.0.0.1:" + std::to_string(base), "--sub",
                       "tcp://127.0.0.1:" + std::to_string(base + 1), "--pub",
                       "tcp://127.0.0.1:" + std::to_string(base + 2), "--metrics-listen", "192.0.2.1:9464"},
                      "/dev/null");
  const int status = daemon.wait(std::chrono::seconds(20));
  ASSERT_NE(status, -1) << "it kept running";
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

// Type=notify: READY=1 once the sockets are bound and the rules loaded,
// STOPPING=1 on SIGTERM, on the socket systemd names in NOTIFY_SOCKET.
TEST(Operations, TellsSystemdWhenItIsReadyAndWhenItStops) {
  TempDir dir("notify");
  const std::string path = (dir.path() / "notify.sock").string();
  const int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  timeval timeout{20, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

  const int base = free_port_block(3);
  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  ChildProcess daemon({CALLROOT_BINARY, "run", "--pull", "tcp://127.0.0.1:" + std::to_string(base), "--sub",
                       "tcp://127.0.0.1:" + std::to_string(base + 1), "--pub",
                       "tcp://127.0.0.1:" + std::to_string(base + 2)},
                      "/dev/null");
  unsetenv("NOTIFY_SOCKET");
  const auto next = [&] {
    char buf[512];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  };
  const std::string ready = next();
  EXPECT_NE(ready.find("READY=1"), std::string::npos) << ready;
  const int status = daemon.terminate(std::chrono::seconds(10));
  const std::string stopping = next();
  EXPECT_NE(stopping.find("STOPPING=1"), std::string::npos) << stopping;
  ASSERT_NE(status, -1);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  close(fd);
}

/// The verdicts of the demo replayed with the attribution `method`, as JSON lines.
std::multiset<std::string> demo_verdicts(const std::string& method) {
  CollectingSink replayed;
  ReplayOptions options;
  options.files = demo_inputs();
  options.progress = false;
  options.config.attribution.method = method;
  replay_into(options, replayed, std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>()));
  std::multiset<std::string> out;
  for (const auto& v : replayed.verdicts) out.insert(to_json(v));
  return out;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// `systemctl reload` with a configuration file: the new attribution scores
// what comes next (the verdicts are a replay's with it), a key that needs a
// restart is named and keeps its value, and a file that does not read
// changes nothing. systemd hears RELOADING=1 and READY=1 around each.
TEST(Operations, SighupReadsTheConfigurationAgain) {
  const std::multiset<std::string> heuristic = demo_verdicts("heuristic");
  const std::multiset<std::string> combined = demo_verdicts("combined");
  ASSERT_NE(heuristic, combined) << "the demo cannot tell the two methods apart";

  TempDir dir("reload");
  const int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", (dir.path() / "notify.sock").c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  timeval timeout{20, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  const auto notified = [&] {
    char buf[512];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  };

  const int base = free_port_block(5);
  const auto ep = [&](int i) { return "\"tcp://127.0.0.1:" + std::to_string(base + i) + "\""; };
  const std::filesystem::path config = dir.path() / "run.json";
  const auto write_config = [&](const std::string& text) {
    std::ofstream(config) << text;
  };
  const std::string sockets = "\"pull\": [" + ep(0) + "], \"sub\": [" + ep(1) + "], \"metrics_listen\": \"127.0.0.1:" +
                              std::to_string(base + 3) + "\"";
  write_config("{" + sockets + ", \"pub\": [" + ep(2) + "], \"attribution\": \"heuristic\"}");
  const std::filesystem::path log = dir.path() / "stderr.log";
  setenv("NOTIFY_SOCKET", addr.sun_path, 1);
  ChildProcess daemon({CALLROOT_BINARY, "run", "--config", config.string()}, log.string());
  unsetenv("NOTIFY_SOCKET");
  ASSERT_NE(notified().find("READY=1"), std::string::npos);

  // Another method, and another PUB endpoint, which has to wait for a restart.
  write_config("{" + sockets + ", \"pub\": [" + ep(4) + "], \"attribution\": \"combined\", \"memory_limit_mb\": 2048}");
  daemon.signal(SIGHUP);
  EXPECT_NE(notified().find("RELOADING=1"), std::string::npos);
  EXPECT_NE(notified().find("READY=1"), std::string::npos);

  zmq::context_t ctx(1);
  zmq::socket_t verdicts = subscriber(ctx, "tcp://127.0.0.1:" + std::to_string(base + 2), "verdict");
  zmq::socket_t push = pusher(ctx, "tcp://127.0.0.1:" + std::to_string(base));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (const auto& [type, body] : demo_records_in_time_order()) {
    push.send(zmq::buffer(type), zmq::send_flags::sndmore);
    push.send(zmq::buffer(body), zmq::send_flags::none);
  }
  std::multiset<std::string> got;
  for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       got.size() < combined.size() && std::chrono::steady_clock::now() < until;) {
    zmq::message_t type, body;
    if (verdicts.recv(type) && type.more() && verdicts.recv(body)) got.insert(body.to_string());
  }
  EXPECT_TRUE(got == combined) << got.size() << " verdicts on the PUB it started with, " << combined.size()
                               << " expected from a replay with `combined`";

  // A file cut short: the running configuration stays.
  write_config("{" + sockets + ", \"attribution\": ");
  daemon.signal(SIGHUP);
  EXPECT_NE(notified().find("RELOADING=1"), std::string::npos);
  EXPECT_NE(notified().find("READY=1"), std::string::npos);
  std::map<std::string, double> m;
  for (int i = 0; i < 50; ++i) {
    m = parse_metrics(http_get(base + 3, "/metrics").body);
    if (m["callroot_config_reloads_total{result=\"failed\"}"] == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(m["callroot_config_reloads_total{result=\"ok\"}"], 1);
  EXPECT_EQ(m["callroot_config_reloads_total{result=\"failed\"}"], 1);
  EXPECT_TRUE(daemon.running());

  const int status = daemon.terminate(std::chrono::seconds(10));
  ASSERT_NE(status, -1);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  close(fd);
  const std::string text = read_file(log);
  EXPECT_NE(text.find("`pub` changed in the configuration; it takes effect at the next start"), std::string::npos)
      << text;
  EXPECT_NE(text.find("attribution combined"), std::string::npos) << text;
  EXPECT_NE(text.find("memory ceiling 2048 MiB"), std::string::npos) << text;
  EXPECT_NE(text.find("the configuration was not taken, the running one stays: " + config.string()),
            std::string::npos)
      << text;
}

// The shipped unit, as systemd itself reads it: `systemd-analyze verify`
// finds nothing wrong (with ExecStart pointed at the binary just built), and
// its offline security review rates the hardening at an exposure of 2.0 or
// less on systemd's scale of 0 (locked down) to 10.
TEST(Operations, TheUnitPassesSystemdsOwnChecks) {
  TempDir dir("unit");
  std::string unit = read_file(std::string(CALLROOT_SOURCE_DIR) + "/packaging/callroot.service");
  const std::string shipped = "ExecStart=/usr/bin/callroot ";
  const auto at = unit.find(shipped);
  ASSERT_NE(at, std::string::npos);
  unit.replace(at, shipped.size(), "ExecStart=" + std::string(CALLROOT_BINARY) + " ");
  const std::filesystem::path path = dir.path() / "callroot.service";
  std::ofstream(path) << unit;
  const std::filesystem::path out = dir.path() / "out.txt";
  const auto run = [&](const std::string& command) {
    const int status = std::system((command + " > " + out.string() + " 2>&1").c_str());
    return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out));
  };
  const auto [verified, verify_text] = run("systemd-analyze verify --man=no " + path.string());
  EXPECT_EQ(verified, 0) << verify_text;
  EXPECT_EQ(verify_text, "");
  const auto [secure, security_text] = run("systemd-analyze security --offline=true --threshold=20 " + path.string());
  EXPECT_EQ(secure, 0) << security_text;
  EXPECT_NE(security_text.find("Overall exposure level for callroot.service"), std::string::npos) << security_text;
}

}  // namespace
}  // namespace callroot::runtime::testing
