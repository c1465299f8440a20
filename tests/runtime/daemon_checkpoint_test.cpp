// The daemon and checkpoints, end to end with the real `callroot run`: it
// restores the incidents of a checkpoint and carries them on (updates and
// closes under the same ids, publishing `incident` records on PUB), saves a
// checkpoint at shutdown, and starts empty, without crashing, on a corrupt one.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/sinks/null_sink.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>
#include <zmq.hpp>

#include "child_process.h"
#include "daemon_sockets.h"
#include "demo_files.h"
#include "demo_split.h"
#include "engine/engine.h"
#include "runtime/replay.h"
#include "runtime/sinks.h"

extern char** environ;

namespace callroot::runtime::testing {
namespace {

std::shared_ptr<spdlog::logger> quiet() {
  return std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

/// `callroot run` on ipc:// endpoints in `dir` (no TCP ports to collide
/// with), stderr to `dir`/daemon.log.
class Daemon {
 public:
  Daemon(const std::filesystem::path& dir, const std::vector<std::string>& extra)
      : log_(dir / "daemon.log"),
        pull_("ipc://" + (dir / "pull").string()),
        pub_("ipc://" + (dir / "pub").string()),
        process_(args(dir, extra), log_.string()) {}
  /// Sends SIGTERM; the exit status, or -1 when it does not stop within 10 s.
  int terminate() { return process_.terminate(std::chrono::seconds(10)); }
  [[nodiscard]] bool running() const { return process_.running(); }
  [[nodiscard]] std::string log() const { return slurp(log_.string()); }
  const std::string& pull() const { return pull_; }
  const std::string& pub() const { return pub_; }

 private:
  std::vector<std::string> args(const std::filesystem::path& dir, const std::vector<std::string>& extra) const {
    std::vector<std::string> a = {CALLROOT_BINARY, "run", "--pull", pull_, "--sub", "ipc://" + (dir / "sub").string(),
                                  "--pub", pub_};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  std::filesystem::path log_;
  std::string pull_, pub_;
  ChildProcess process_;  // last: it starts with the members above in place
};

/// The incidents open in a checkpoint file, by id.
std::set<std::string> open_in_checkpoint(const std::string& path) {
  Directory directory;
  CollectingSink sink;
  engine::Engine engine(engine::EngineConfig{}, directory, sink);
  engine.restore_checkpoint(path);
  std::set<std::string> ids;
  for (const auto& x : engine.incidents().open_incidents()) ids.insert(x.id);
  return ids;
}

TEST(DaemonCheckpoint, RestoresIncidentsAndCarriesThemOn) {
  TempDir dir("daemon-ckpt");
  const DemoSplit split = split_demo(dir.path() / "split");
  const std::string checkpoint = (dir.path() / "callroot.ckpt").string();

  // What one replay of the whole demo says, and part 1 replayed into a checkpoint.
  CollectingSink whole;
  {
    ReplayOptions o;
    o.files = demo_inputs();
    o.progress = false;
    replay_into(o, whole, quiet());
  }
  CollectingSink part1;
  {
    ReplayOptions o;
    o.files = split.part1;
    o.progress = false;
    o.checkpoint_out = checkpoint;
    replay_into(o, part1, quiet());
  }
  std::string ap_incident, wan_incident;
  for (const auto& x : whole.incidents) {
    if (x.state != IncidentState::kOpen) continue;
    if (x.kind == ComponentKind::kAp) ap_incident = x.id;
    if (x.kind == ComponentKind::kWan) wan_incident = x.id;
  }
  ASSERT_FALSE(ap_incident.empty());
  ASSERT_FALSE(wan_incident.empty());
  const std::set<std::string> restored = open_in_checkpoint(checkpoint);
  ASSERT_EQ(restored.size(), 3u);
  ASSERT_TRUE(restored.count(ap_incident));

  Daemon daemon(dir.path(), {"--checkpoint", checkpoint, "--checkpoint-every-s", "0"});
  zmq::context_t ctx(1);
  zmq::socket_t incidents = subscriber(ctx, daemon.pub(), "incident");
  zmq::socket_t push = pusher(ctx, daemon.pull());
  // PUB drops messages for subscribers it has not seen yet: give the subscription time to arrive.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (const auto& [type, body] : records_in_time_order(split.part2)) {
    ASSERT_TRUE(push.send(zmq::buffer(type), zmq::send_flags::sndmore)) << daemon.log();
    ASSERT_TRUE(push.send(zmq::buffer(body), zmq::send_flags::none)) << daemon.log();
  }

  // The AP's incident, opened before the restart, closes after it under its id.
  std::vector<nlohmann::json> got;
  bool ap_closed = false, wan_opened = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!(ap_closed && wan_opened) && std::chrono::steady_clock::now() < deadline) {
    zmq::message_t type, body;
    if (!incidents.recv(type)) continue;
    ASSERT_TRUE(type.more());
    ASSERT_TRUE(incidents.recv(body));
    EXPECT_EQ(type.to_string(), "incident");
    got.push_back(nlohmann::json::parse(body.to_string()));
    const auto& j = got.back();
    ap_closed |= j.at("id") == ap_incident && j.at("state") == "closed";
    wan_opened |= j.at("id") == wan_incident && j.at("state") == "open";
  }
  EXPECT_TRUE(ap_closed) << daemon.log();
  EXPECT_TRUE(wan_opened) << "the WAN incident opens from blames the checkpoint carried: " << daemon.log();
  for (const auto& j : got) {
    if (restored.count(j.at("id").get<std::string>())) {
      EXPECT_NE(j.at("state"), "open") << "a restored incident opened again: " << j.dump();
    }
  }

  const auto saved_before = std::filesystem::last_write_time(checkpoint);
  const int status = daemon.terminate();
  ASSERT_NE(status, -1) << "callroot run did not stop on SIGTERM";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << daemon.log();
  const std::string log = daemon.log();
  EXPECT_NE(log.find("restored checkpoint"), std::string::npos) << log;
  EXPECT_NE(log.find("incidents: 1 opened, 1 closed"), std::string::npos) << log;
  // Saved again at shutdown: the AP's incident is gone, the WAN link's is there.
  EXPECT_NE(std::filesystem::last_write_time(checkpoint), saved_before);
  const std::set<std::string> after = open_in_checkpoint(checkpoint);
  EXPECT_FALSE(after.count(ap_incident));
  EXPECT_TRUE(after.count(wan_incident));
  EXPECT_EQ(after.size(), 3u);
}

TEST(DaemonCheckpoint, ACorruptCheckpointIsSetAsideAndTheDaemonStartsEmpty) {
  TempDir dir("daemon-bad-ckpt");
  const std::string checkpoint = (dir.path() / "callroot.ckpt").string();
  std::ofstream(checkpoint) << "CALLROOT-CKPT but not really";
  const auto config = dir.path() / "callroot.json";
  std::ofstream(config) << R"({"checkpoint":")" << checkpoint << R"(","checkpoint_every_s":1})";

  Daemon daemon(dir.path(), {"--config", config.string()});
  // Long enough for the periodic save (every second) to have run at least once.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(daemon.running()) << daemon.log();
  const int status = daemon.terminate();
  ASSERT_NE(status, -1);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << daemon.log();
  const std::string log = daemon.log();
  EXPECT_NE(log.find("starting empty"), std::string::npos) << log;
  EXPECT_NE(log.find(checkpoint), std::string::npos) << log;
  // The bad file is kept for a look, and a good one has taken its place.
  EXPECT_EQ(slurp(checkpoint + ".corrupt"), "CALLROOT-CKPT but not really");
  EXPECT_TRUE(open_in_checkpoint(checkpoint).empty());
}

}  // namespace
}  // namespace callroot::runtime::testing
