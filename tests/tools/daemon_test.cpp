// End to end over ZeroMQ on loopback: the real `callroot run` binary takes the
// demo's records on its PULL socket and publishes a verdict per segment on
// PUB, the same verdicts a replay gives; bad messages are rejected without
// disturbing the rest; SIGTERM stops it cleanly.

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <thread>

#include <spdlog/sinks/null_sink.h>
#include <zmq.hpp>

#include "demo_files.h"
#include "models/time.h"
#include "tools/replay.h"
#include "tools/sinks.h"

extern char** environ;

namespace callroot::tools::testing {
namespace {

/// The demo's records in the order replay applies them: inventory first, then by event time.
std::vector<std::pair<std::string, std::string>> demo_records_in_time_order() {
  struct Rec {
    TimeMs key;
    std::size_t order;
    std::string type, line;
  };
  std::vector<Rec> recs;
  for (const auto& file : demo_inputs()) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const auto j = nlohmann::json::parse(line);
      const std::string type = j.at("type");
      TimeMs key = kNoTime;
      const char* field = type == "call.segment" ? "end" : "ts";
      if (j.contains(field)) {
        key = j[field].is_string() ? *parse_rfc3339(j[field].get<std::string>()) : j[field].get<TimeMs>();
      }
      recs.push_back({key, recs.size(), type, line});
    }
  }
  std::stable_sort(recs.begin(), recs.end(), [](const Rec& a, const Rec& b) { return a.key < b.key; });
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& r : recs) out.emplace_back(std::move(r.type), std::move(r.line));
  return out;
}

class Daemon {
 public:
  explicit Daemon(int base_port) {
    pull_ = "tcp://127.0.0.1:" + std::to_string(base_port);
    sub_ = "tcp://127.0.0.1:" + std::to_string(base_port + 1);
    pub_ = "tcp://127.0.0.1:" + std::to_string(base_port + 2);
    std::vector<std::string> args = {CALLROOT_BINARY, "run", "--pull", pull_, "--sub", sub_, "--pub", pub_};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid_, CALLROOT_BINARY, nullptr, nullptr, argv.data(), environ), 0);
  }
  ~Daemon() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  /// Sends SIGTERM and waits up to `limit` for the exit; returns the wait status or -1.
  int terminate(std::chrono::seconds limit) {
    kill(pid_, SIGTERM);
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  const std::string& pull() const { return pull_; }
  const std::string& pub() const { return pub_; }

 private:
  pid_t pid_ = -1;
  std::string pull_, sub_, pub_;
};

TEST(DaemonEndToEnd, PublishesTheSameVerdictsAsReplayAndStopsOnSigterm) {
  // Expected: the replay of the same records.
  CollectingSink replayed;
  ReplayOptions options;
  options.files = demo_inputs();
  options.progress = false;
  replay_into(options, replayed, std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>()));
  std::multiset<std::string> expected;
  for (const auto& v : replayed.verdicts) expected.insert(to_json(v));
  ASSERT_FALSE(expected.empty());

  const int base = 30000 + static_cast<int>(getpid() % 10000) * 3;
  Daemon daemon(base);
  zmq::context_t ctx(1);
  zmq::socket_t verdicts(ctx, zmq::socket_type::sub);
  verdicts.set(zmq::sockopt::subscribe, "verdict");
  verdicts.set(zmq::sockopt::rcvtimeo, 200);
  verdicts.connect(daemon.pub());
  zmq::socket_t push(ctx, zmq::socket_type::push);
  push.set(zmq::sockopt::linger, 0);
  push.connect(daemon.pull());
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

  std::multiset<std::string> got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (got.size() < expected.size() && std::chrono::steady_clock::now() < deadline) {
    zmq::message_t type, body;
    if (!verdicts.recv(type)) continue;
    ASSERT_TRUE(type.more());
    ASSERT_TRUE(verdicts.recv(body));
    EXPECT_EQ(type.to_string(), "verdict");
    got.insert(body.to_string());
  }
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);

  const int status = daemon.terminate(std::chrono::seconds(10));
  ASSERT_NE(status, -1) << "callroot run did not stop on SIGTERM";
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
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
}  // namespace callroot::tools::testing
