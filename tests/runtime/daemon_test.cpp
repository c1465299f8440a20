// End to end over ZeroMQ on loopback: the real `callroot run` binary takes the
// demo's records on its PULL socket and publishes a verdict per segment on
// PUB, the same verdicts a replay gives; bad messages are rejected without
// disturbing the rest; SIGTERM stops it cleanly.

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include <spdlog/sinks/null_sink.h>
#include <zmq.hpp>

#include "child_process.h"
#include "daemon_sockets.h"
#include "demo_files.h"
#include "free_ports.h"
#include "models/time.h"
#include "runtime/clock.h"
#include "runtime/daemon.h"
#include "runtime/replay.h"
#include "runtime/sinks.h"

extern char** environ;

namespace callroot::runtime::testing {
namespace {

class Daemon {
 public:
  /// Its log goes to `log_path` when not empty.
  explicit Daemon(int base_port, const std::string& log_path = {})
      : pull_("tcp://127.0.0.1:" + std::to_string(base_port)),
        sub_("tcp://127.0.0.1:" + std::to_string(base_port + 1)),
        pub_("tcp://127.0.0.1:" + std::to_string(base_port + 2)),
        process_({CALLROOT_BINARY, "run", "--pull", pull_, "--sub", sub_, "--pub", pub_}, log_path) {}
  /// Sends SIGTERM and waits up to `limit` for the exit; returns the wait status or -1.
  int terminate(std::chrono::seconds limit) { return process_.terminate(limit); }
  const std::string& pull() const { return pull_; }
  const std::string& pub() const { return pub_; }

 private:
  std::string pull_, sub_, pub_;
  ChildProcess process_;
};

/// The verdicts a replay of the demo gives, as JSON: what the daemon must publish.
std::multiset<std::string> replayed_demo_verdicts() {
  CollectingSink replayed;
  ReplayOptions options;
  options.files = demo_inputs();
  options.progress = false;
  replay_into(options, replayed, std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>()));
  std::multiset<std::string> expected;
  for (const auto& v : replayed.verdicts) expected.insert(to_json(v));
  return expected;
}

/// Every verdict the daemon publishes until `count` arrived or a minute passed.
std::multiset<std::string> collect(zmq::socket_t& verdicts, std::size_t count) {
  std::multiset<std::string> got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (got.size() < count && std::chrono::steady_clock::now() < deadline) {
    zmq::message_t type, body;
    if (!verdicts.recv(type) || !type.more() || !verdicts.recv(body)) continue;
    EXPECT_EQ(type.to_string(), "verdict");
    got.insert(body.to_string());
  }
  return got;
}

TEST(DaemonEndToEnd, PublishesTheSameVerdictsAsReplayAndStopsOnSigterm) {
  const std::multiset<std::string> expected = replayed_demo_verdicts();
  ASSERT_FALSE(expected.empty());

  const int base = free_port_block(3);
  Daemon daemon(base);
  zmq::context_t ctx(1);
  zmq::socket_t verdicts = subscriber(ctx, daemon.pub(), "verdict");
  zmq::socket_t push = pusher(ctx, daemon.pull());
  // PUB drops messages for subscribers it has not seen yet: give the subscription time to arrive.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  // Bad messages first: they must be rejected and change nothing.
  push.send(zmq::str_buffer("only one frame"), zmq::send_flags::none);
  push.send(zmq::str_buffer("wifi.client"), zmq::send_flags::sndmore);
  push.send(zmq::str_buffer("{\"type\":\"wifi.client\",\"ts\":"), zmq::send_flags::none);
  for (const auto& [type, body] : demo_records_in_time_order()) {
    push.send(zmq::buffer(type), zmq::send_flags::sndmore);
    push.send(zmq::buffer(body), zmq::send_flags::none);
  }

  const std::multiset<std::string> got = collect(verdicts, expected.size());
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);

  const int status = daemon.terminate(std::chrono::seconds(10));
  ASSERT_NE(status, -1) << "callroot run did not stop on SIGTERM";
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(DaemonEndToEnd, AConnectionWhoseClockIsTwoHoursAheadChangesNoVerdict) {
  const std::multiset<std::string> expected = replayed_demo_verdicts();
  TempDir dir("skewed-source");
  const std::string log_path = (dir.path() / "daemon.log").string();
  const int base = free_port_block(3);
  Daemon daemon(base, log_path);
  zmq::context_t ctx(1);
  zmq::socket_t verdicts = subscriber(ctx, daemon.pub(), "verdict");
  zmq::socket_t on_time = pusher(ctx, daemon.pull());
  zmq::socket_t skewed = pusher(ctx, daemon.pull());  // its own connection: its own clock source
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  const auto records = demo_records_in_time_order();
  const auto send = [](zmq::socket_t& to, const std::string& type, const std::string& body) {
    to.send(zmq::buffer(type), zmq::send_flags::sndmore);
    to.send(zmq::buffer(body), zmq::send_flags::none);
  };
  const std::size_t half = records.size() / 2;
  for (std::size_t i = 0; i < half; ++i) send(on_time, records[i].first, records[i].second);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // A controller whose clock runs two hours ahead reports hundreds of
  // clients: enough origins to move the time by themselves.
  std::size_t sent = 0;
  for (const auto& [type, body] : records) {
    const auto at = body.find("\"ts\":\"2026-03-02T09:");
    if (type != "client.device" || at == std::string::npos || sent == 600) continue;
    std::string ahead = body;
    ahead.replace(at + 17, 2, "11");
    send(skewed, type, ahead);
    ++sent;
  }
  ASSERT_EQ(sent, 600u);
  for (std::size_t i = half; i < records.size(); ++i) send(on_time, records[i].first, records[i].second);

  const std::multiset<std::string> got = collect(verdicts, expected.size());
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
  const int status = daemon.terminate(std::chrono::seconds(10));
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(log_path);
  const std::string log = slurp(log_path);
  EXPECT_NE(log.find("600 held for being far ahead of another source's clock"), std::string::npos) << log;
  EXPECT_NE(log.find("0 late telemetry dropped"), std::string::npos) << log;
}

// The daemon's timers read the configured clock. Run in-process with a
// manual clock and an idle flush of an hour, the segments the watermark has
// not passed wait however long the test waits in real time, and come out
// the moment the clock is moved past the idle flush; a stop request ends the
// loop as SIGTERM does.
TEST(DaemonInProcess, AManualClockDecidesWhenTheIdleFlushComes) {
  const std::multiset<std::string> expected = replayed_demo_verdicts();
  const int base = free_port_block(3);
  DaemonOptions options;
  options.source.pull_endpoints = {"tcp://127.0.0.1:" + std::to_string(base)};
  options.source.sub_endpoints = {};
  options.publish = {"tcp://127.0.0.1:" + std::to_string(base + 1)};
  options.idle_flush = std::chrono::hours(1);
  ManualClock clock;
  options.config.clock = &clock;
  int rc = -1;
  std::jthread daemon([&](std::stop_token stop) {
    rc = run_daemon(options, std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>()),
                    stop);
  });
  zmq::context_t ctx(1);
  zmq::socket_t verdicts = subscriber(ctx, options.publish.front(), "verdict");
  zmq::socket_t push = pusher(ctx, options.source.pull_endpoints.front());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // PUB drops what comes before the subscription
  for (const auto& [type, body] : demo_records_in_time_order()) {
    push.send(zmq::buffer(type), zmq::send_flags::sndmore);
    push.send(zmq::buffer(body), zmq::send_flags::none);
  }
  // Everything the watermark passed, and nothing more, however long we wait.
  std::multiset<std::string> got;
  for (auto quiet_since = std::chrono::steady_clock::now();
       std::chrono::steady_clock::now() - quiet_since < std::chrono::seconds(3);) {
    zmq::message_t type, body;
    if (verdicts.recv(type) && type.more() && verdicts.recv(body)) {
      got.insert(body.to_string());
      quiet_since = std::chrono::steady_clock::now();
    }
  }
  ASSERT_GT(got.size(), 0u);
  ASSERT_LT(got.size(), expected.size()) << "segments the watermark had not passed were scored before the idle flush";

  clock.advance(std::chrono::hours(1));
  for (const auto& v : collect(verdicts, expected.size() - got.size())) got.insert(v);
  EXPECT_TRUE(got == expected);

  daemon.request_stop();
  daemon.join();
  EXPECT_EQ(rc, 0);
}

TEST(DaemonEndToEnd, RefusesAnEndpointItCannotBind) {
  std::string bad = "tcp://256.0.0.1:1";
  std::vector<std::string> args = {CALLROOT_BINARY, "run", "--pull", bad};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, CALLROOT_BINARY, nullptr, nullptr, argv.data(), environ), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

}  // namespace
}  // namespace callroot::runtime::testing

namespace callroot::runtime::testing {
namespace {

/// Waits for the verdict of `segment_id` on `sub`; the JSON, or "" after `limit`.
std::string await_verdict(zmq::socket_t& sub, const std::string& segment_id, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    zmq::message_t type, body;
    if (!sub.recv(type)) continue;
    if (!sub.recv(body)) continue;
    const auto j = nlohmann::json::parse(body.to_string());
    if (j.at("segment_id") == segment_id) return body.to_string();
  }
  return {};
}

bool fired(const std::string& verdict, const std::string& rule) {
  const auto parsed = nlohmann::json::parse(verdict);  // kept: the loop below walks into it
  for (const auto& b : parsed.at("blame")) {
    for (const auto& e : b.at("evidence")) {
      if (e.at("id") == rule) return true;
    }
  }
  return false;
}

TEST(DaemonEndToEnd, EditedRulesChangeLaterVerdictsAndABrokenEditKeepsTheOldRules) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / ("reload-" + std::to_string(getpid()));
  const auto rules_dir = dir / "rules";
  std::filesystem::create_directories(rules_dir);
  for (const auto& entry : std::filesystem::directory_iterator(std::string(CALLROOT_DATA_DIR) + "/rules")) {
    if (entry.path().extension() == ".rules") std::filesystem::copy(entry.path(), rules_dir / entry.path().filename());
  }
  const auto config = dir / "callroot.json";
  std::ofstream(config) << R"({"rules":[")" << rules_dir.string()
                        << R"("],"rules_check_interval_ms":100,"idle_flush_ms":300})";
  const auto log_file = dir / "daemon.log";

  const int base = free_port_block(3);
  const std::string pull = "tcp://127.0.0.1:" + std::to_string(base);
  const std::string sub_ep = "tcp://127.0.0.1:" + std::to_string(base + 1);
  const std::string pub = "tcp://127.0.0.1:" + std::to_string(base + 2);
  std::vector<std::string> args = {CALLROOT_BINARY, "run", "--config", config.string(), "--pull", pull,
                                   "--sub", sub_ep, "--pub", pub};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, CALLROOT_BINARY, &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);

  zmq::context_t ctx(1);
  zmq::socket_t verdicts = subscriber(ctx, pub, "verdict");
  zmq::socket_t push = pusher(ctx, pull);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  // The whole demo first: the weak Wi-Fi client's segments fire the Wi-Fi rules.
  std::string weak_segment_line;
  std::string weak_segment_id;
  for (const auto& fault : read_jsonl(demo_truth())) {
    if (fault.at("fault") == "weak_wifi_client") weak_segment_id = fault.at("segments")[0];
  }
  for (const auto& [type, body] : demo_records_in_time_order()) {
    if (type == "call.segment" && body.find(weak_segment_id) != std::string::npos) weak_segment_line = body;
    ASSERT_TRUE(push.send(zmq::buffer(type), zmq::send_flags::sndmore)) << slurp(log_file.string());
    ASSERT_TRUE(push.send(zmq::buffer(body), zmq::send_flags::none)) << slurp(log_file.string());
  }
  ASSERT_FALSE(weak_segment_line.empty());
  const std::string first = await_verdict(verdicts, weak_segment_id, std::chrono::seconds(30));
  ASSERT_FALSE(first.empty()) << "no verdict for " << weak_segment_id;
  EXPECT_TRUE(fired(first, "wifi.client_weak_signal")) << first;

  // The same segment again under a new id is scored at arrival, with whatever rules run then.
  auto resend = [&](const std::string& id) {
    nlohmann::json seg = nlohmann::json::parse(weak_segment_line);
    seg["segment_id"] = id;
    push.send(zmq::str_buffer("call.segment"), zmq::send_flags::sndmore);
    push.send(zmq::buffer(seg.dump()), zmq::send_flags::none);
    return await_verdict(verdicts, id, std::chrono::seconds(10));
  };
  const auto wifi_rules = rules_dir / "wifi.rules";
  const std::string original = slurp(wifi_rules.string());

  // A broken edit: rejected with its diagnostics; the old rules keep running.
  std::ofstream(wifi_rules) << original << "\nrule broken.edit {\n  when: client.wifi.rssi.avg <\n";
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  const std::string during_broken = resend("reload-broken");
  ASSERT_FALSE(during_broken.empty());
  EXPECT_TRUE(fired(during_broken, "wifi.client_weak_signal")) << during_broken;
  const std::string log_after_broken = slurp(log_file.string());
  EXPECT_NE(log_after_broken.find("not loaded; the running rules stay in force"), std::string::npos)
      << log_after_broken;
  EXPECT_NE(log_after_broken.find("wifi.rules:"), std::string::npos) << log_after_broken;

  // A valid edit that disables the rule: later verdicts no longer carry it.
  std::string edited = original;
  const std::string head = "rule wifi.client_weak_signal {";
  const auto at = edited.find(head);
  ASSERT_NE(at, std::string::npos);
  edited.insert(at + head.size(), "\n  enabled: false");
  std::ofstream(wifi_rules) << edited;
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  const std::string after = resend("reload-valid");
  ASSERT_FALSE(after.empty());
  EXPECT_FALSE(fired(after, "wifi.client_weak_signal")) << after;
  EXPECT_TRUE(fired(after, "wifi.client_low_snr")) << after;  // the rest of the pack still runs
  EXPECT_EQ(nlohmann::json::parse(after).at("blame")[0].at("kind"), "client");

  kill(pid, SIGTERM);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (waitpid(pid, &status, WNOHANG) != pid) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "callroot run did not stop on SIGTERM";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace callroot::runtime::testing
