// CurveZMQ on the daemon's sockets, with real sockets and the real daemon: an
// allowed client sends records and reads verdicts; a client with an unknown
// key, or with no CURVE at all, gets nothing in and nothing out. And the
// daemon will not expose a socket beyond loopback without CURVE.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "child_process.h"
#include "free_ports.h"
#include "runtime/curve.h"

namespace callroot::runtime::testing {
namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / (name + "-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(CurveKeys, KeygenWritesASecretFileOthersCannotReadAndNeverOverwrites) {
  const fs::path dir = scratch("curve-keys");
  const CurveKeyPair keys = generate_curve_key_pair();
  write_curve_key_pair((dir / "daemon").string(), keys);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "daemon.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const CurveKeyPair read = read_curve_secret_file((dir / "daemon.key").string());
  EXPECT_EQ(read.public_key, keys.public_key);
  EXPECT_EQ(read.secret_key, keys.secret_key);
  EXPECT_EQ(read_curve_public_file((dir / "daemon.pub").string()), keys.public_key);
  EXPECT_THROW(write_curve_key_pair((dir / "daemon").string(), generate_curve_key_pair()), std::runtime_error);
  EXPECT_EQ(read_curve_secret_file((dir / "daemon.key").string()).secret_key, keys.secret_key);

  ::chmod((dir / "daemon.key").c_str(), 0640);
  try {
    read_curve_secret_file((dir / "daemon.key").string());
    ADD_FAILURE() << "a group-readable secret key was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("mode 640"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "bad.pub") << "not a key\n";
  EXPECT_THROW(read_curve_public_file((dir / "bad.pub").string()), std::runtime_error);
  fs::remove_all(dir);
}

TEST(CurveKeys, WhichEndpointsAreExposed) {
  EXPECT_FALSE(exposed_endpoint("tcp://127.0.0.1:7711"));
  EXPECT_FALSE(exposed_endpoint("tcp://127.0.0.1:*"));
  EXPECT_FALSE(exposed_endpoint("tcp://localhost:7711"));
  EXPECT_FALSE(exposed_endpoint("tcp://[::1]:7711"));
  EXPECT_FALSE(exposed_endpoint("ipc:///run/callroot/ingest"));
  EXPECT_FALSE(exposed_endpoint("inproc://callroot-capture"));
  EXPECT_TRUE(exposed_endpoint("tcp://0.0.0.0:7711"));
  EXPECT_TRUE(exposed_endpoint("tcp://*:7711"));
  EXPECT_TRUE(exposed_endpoint("tcp://eth0:7711"));
  EXPECT_TRUE(exposed_endpoint("tcp://10.0.0.5:7711"));
  EXPECT_TRUE(exposed_endpoint("tcp://[::]:7711"));
  EXPECT_TRUE(exposed_endpoint("udp://127.0.0.1:7711"));
}

/// One peer of the daemon: a PUSH for records and a SUB for verdicts, with
/// CURVE client keys or none (the NULL mechanism).
struct Peer {
  Peer(zmq::context_t& ctx, const std::string& pull, const std::string& pub, const CurveKeyPair* keys,
       const std::string& server_public)
      : push(ctx, zmq::socket_type::push), sub(ctx, zmq::socket_type::sub) {
    for (zmq::socket_t* s : {&push, &sub}) {
      s->set(zmq::sockopt::linger, 0);
      if (keys != nullptr) {
        s->set(zmq::sockopt::curve_serverkey, server_public);
        s->set(zmq::sockopt::curve_publickey, keys->public_key);
        s->set(zmq::sockopt::curve_secretkey, keys->secret_key);
      }
    }
    push.set(zmq::sockopt::sndtimeo, 200);
    sub.set(zmq::sockopt::subscribe, "verdict");
    sub.set(zmq::sockopt::rcvtimeo, 100);
    push.connect(pull);
    sub.connect(pub);
  }
  void send_segment(const std::string& id) {
    const std::string body = R"({"type":"call.segment","call_id":")" + id + R"(","segment_id":")" + id +
                             R"(","start":"2026-03-02T09:00:00Z","end":"2026-03-02T09:01:00Z",)"
                             R"("streams":[{"from":"caller","media":"audio","jitter_avg_ms":45,"loss_avg_pct":1}]})";
    (void)push.send(zmq::str_buffer("call.segment"), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    (void)push.send(zmq::buffer(body), zmq::send_flags::dontwait);
  }
  /// Segment ids of the verdicts received until `until`.
  void collect(std::set<std::string>& ids) {
    zmq::message_t type, body;
    while (sub.recv(type)) {
      if (!type.more() || !sub.recv(body)) continue;
      const std::string b = body.to_string();
      const auto at = b.find("\"segment_id\":\"");
      if (at != std::string::npos) ids.insert(b.substr(at + 14, b.find('"', at + 14) - at - 14));
    }
  }
  zmq::socket_t push, sub;
};

TEST(CurveDaemon, OnlyAllowedClientsGetRecordsInAndVerdictsOut) {
  const fs::path dir = scratch("curve-daemon");
  fs::create_directories(dir / "allowed");
  write_curve_key_pair((dir / "daemon").string(), generate_curve_key_pair());
  const CurveKeyPair server = read_curve_secret_file((dir / "daemon.key").string());
  const CurveKeyPair allowed = generate_curve_key_pair();
  write_curve_key_pair((dir / "client").string(), allowed);
  fs::copy_file(dir / "client.pub", dir / "allowed" / "client.pub");
  const CurveKeyPair stranger = generate_curve_key_pair();

  const int base = free_port_block(3);
  const std::string pull = "tcp://127.0.0.1:" + std::to_string(base);
  const std::string sub = "tcp://127.0.0.1:" + std::to_string(base + 1);
  const std::string pub = "tcp://127.0.0.1:" + std::to_string(base + 2);
  const fs::path config = dir / "run.json";
  std::ofstream(config) << R"({"idle_flush_ms": 200})";
  const fs::path log = dir / "run.log";
  ChildProcess daemon({CALLROOT_BINARY, "run", "--config", config.string(), "--pull", pull, "--sub", sub, "--pub", pub,
                       "--curve-key", (dir / "daemon.key").string(), "--curve-allow", (dir / "allowed").string()},
                      log.string());

  zmq::context_t ctx(1);
  Peer good(ctx, pull, pub, &allowed, server.public_key);
  Peer unknown(ctx, pull, pub, &stranger, server.public_key);
  Peer plain(ctx, pull, pub, nullptr, server.public_key);
  std::set<std::string> good_got, unknown_got, plain_got;
  // The daemon starts after the process does and PUB drops what a subscriber
  // has not yet asked for: send until the allowed client's verdict comes back.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (int n = 0; !good_got.contains("good-" + std::to_string(n > 0 ? n - 1 : 0)) &&
                  std::chrono::steady_clock::now() < deadline;
       ++n) {
    unknown.send_segment("unknown-" + std::to_string(n));
    plain.send_segment("plain-" + std::to_string(n));
    good.send_segment("good-" + std::to_string(n));
    for (int k = 0; k < 5; ++k) {
      good.collect(good_got);
      unknown.collect(unknown_got);
      plain.collect(plain_got);
    }
  }
  ASSERT_FALSE(good_got.empty()) << slurp(log);
  for (const auto& id : good_got) EXPECT_EQ(id.rfind("good-", 0), 0u) << id << " came in without an allowed key";
  EXPECT_TRUE(unknown_got.empty()) << "a client with an unknown key read verdicts";
  EXPECT_TRUE(plain_got.empty()) << "a client without CURVE read verdicts";

  const int status = daemon.terminate(std::chrono::seconds(10));
  ASSERT_NE(status, -1);
  EXPECT_EQ(WEXITSTATUS(status), 0) << slurp(log);
  const std::string text = slurp(log);
  EXPECT_NE(text.find("CURVE on every socket"), std::string::npos) << text;
  // The summary at exit counts the handshakes: the allowed client's two
  // sockets got in, the stranger's were refused.
  EXPECT_NE(text.find("connection(s) admitted"), std::string::npos) << text;
  EXPECT_EQ(text.find(" 0 refused"), std::string::npos) << text;
  EXPECT_NE(text.find("1 key(s) allowed"), std::string::npos) << text;
  EXPECT_NE(text.find("curve: refused a CURVE client with key " + stranger.public_key.substr(0, 8)),
            std::string::npos)
      << text;
  fs::remove_all(dir);
}

TEST(CurveDaemon, WillNotExposeASocketBeyondLoopbackWithoutCurve) {
  const fs::path dir = scratch("curve-exposed");
  const fs::path log = dir / "run.log";
  const int base = free_port_block(3);
  ChildProcess refused({CALLROOT_BINARY, "run", "--pull", "tcp://0.0.0.0:" + std::to_string(base), "--sub",
                        "tcp://127.0.0.1:*", "--pub", "tcp://127.0.0.1:*"},
                       log.string());
  const int status = refused.wait(std::chrono::seconds(10));
  ASSERT_NE(status, -1) << "the daemon started on 0.0.0.0 without CURVE";
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(slurp(log).find("tcp://0.0.0.0:" + std::to_string(base) + " is not a loopback address"),
            std::string::npos)
      << slurp(log);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace callroot::runtime::testing
