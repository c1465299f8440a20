// The daemon's memory ceiling (tools/memory_ceiling.h): above it telemetry
// is shed and counted, call records are still taken, and it recovers below
// 90 % of the ceiling.

#include "runtime/memory_ceiling.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>
#include <zmq.hpp>

#include "child_process.h"
#include "daemon_sockets.h"
#include "demo_files.h"
#include "demo_split.h"

extern char** environ;

namespace callroot::runtime::testing {
namespace {

TEST(MemoryCeiling, ShedsTelemetryAboveTheCeilingAndRecoversUnderNinetyPercent) {
  std::size_t resident = 50;
  MemoryCeiling ceiling(100, [&] { return resident; });
  EXPECT_EQ(ceiling.check(), MemoryCeiling::Change::kNone);
  EXPECT_FALSE(ceiling.shed("wifi.client"));
  resident = 101;
  EXPECT_EQ(ceiling.check(), MemoryCeiling::Change::kStarted);
  for (const char* type : {"wifi.client", "wifi.ap", "switch.port", "wan.link", "client.device", "room.health",
                           "graph.teamworkDeviceHealth"}) {
    EXPECT_TRUE(ceiling.shed(type)) << type;
  }
  for (const char* type : {"call.segment", "graph.callRecord", "zoom.qos", "inventory.ap", "client.assoc",
                           "client.disassoc", "client.info", "graph.teamworkDevice"}) {
    EXPECT_FALSE(ceiling.shed(type)) << type << " is what verdicts are about, or small state";
  }
  EXPECT_EQ(ceiling.shed_count(), 7u);
  resident = 95;  // under the ceiling, not yet under 90 %: no flapping
  EXPECT_EQ(ceiling.check(), MemoryCeiling::Change::kNone);
  EXPECT_TRUE(ceiling.shedding());
  resident = 89;
  EXPECT_EQ(ceiling.check(), MemoryCeiling::Change::kStopped);
  EXPECT_FALSE(ceiling.shed("wifi.client"));
  MemoryCeiling none(0, [] { return std::size_t{1} << 40; });
  EXPECT_EQ(none.check(), MemoryCeiling::Change::kNone) << "0 is no ceiling";
  EXPECT_GT(resident_bytes(), 0u) << "this process has a resident set";
}

TEST(MemoryCeiling, TheDaemonOverItShedsTelemetryCountsItAndStillGivesVerdicts) {
  TempDir dir("memory-ceiling");
  const std::string pull = "ipc://" + (dir.path() / "pull").string();
  const std::string pub = "ipc://" + (dir.path() / "pub").string();
  const std::string log_path = (dir.path() / "daemon.log").string();
  // A ceiling of 1 MiB: any process is over it from the start.
  ChildProcess daemon({CALLROOT_BINARY, "run", "--pull", pull, "--sub", "ipc://" + (dir.path() / "sub").string(),
                       "--pub", pub, "--memory-limit-mb", "1"},
                      log_path);
  zmq::context_t ctx(1);
  zmq::socket_t verdicts = subscriber(ctx, pub, "verdict");
  zmq::socket_t push = pusher(ctx, pull);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the subscription, and the first measure
  std::size_t telemetry = 0, segments = 0;
  for (const auto& [type, body] : records_in_time_order(demo_inputs())) {
    telemetry += sheddable(type) ? 1 : 0;
    segments += type == "call.segment" ? 1 : 0;
    ASSERT_TRUE(push.send(zmq::buffer(type), zmq::send_flags::sndmore));
    ASSERT_TRUE(push.send(zmq::buffer(body), zmq::send_flags::none));
  }
  std::size_t got = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (got < segments && std::chrono::steady_clock::now() < deadline) {
    zmq::message_t type, body;
    if (!verdicts.recv(type)) continue;
    if (verdicts.recv(body)) ++got;
  }
  EXPECT_EQ(got, segments) << "every segment still has its verdict";
  const int status = daemon.terminate(std::chrono::seconds(10));
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(log_path);
  const std::string log = slurp(log_path);
  EXPECT_NE(log.find("over the ceiling of 1 MiB: shedding telemetry"), std::string::npos) << log;
  EXPECT_NE(log.find("memory ceiling: " + std::to_string(telemetry) + " telemetry record(s) shed above 1 MiB"),
            std::string::npos)
      << log;
}

}  // namespace
}  // namespace callroot::runtime::testing
