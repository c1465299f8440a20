// Exactly one verdict per segment across a crash (docs/contract.md §5.3): the
// real daemon is killed with SIGKILL between two checkpoints, restarted on the
// same checkpoint, and the sender delivers again from the acknowledged
// position. Every segment must have a verdict, and any second one must be
// marked reissued.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <mutex>
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

using Clock = std::chrono::steady_clock;

/// Everything the daemon publishes, gathered by a thread of its own so that
/// PUB never drops for a slow reader.
class Listener {
 public:
  Listener(zmq::context_t& ctx, const std::string& endpoint) : socket_(ctx, zmq::socket_type::sub) {
    socket_.set(zmq::sockopt::rcvhwm, 0);
    socket_.set(zmq::sockopt::subscribe, "");
    socket_.set(zmq::sockopt::rcvtimeo, 50);
    socket_.connect(endpoint);
    thread_ = std::thread([this] { run(); });
  }
  ~Listener() {
    stop_ = true;
    thread_.join();
  }

  /// The messages of `type` so far.
  std::vector<nlohmann::json> of(const std::string& type) {
    std::lock_guard lock(mutex_);
    std::vector<nlohmann::json> out;
    for (const auto& [t, body] : got_) {
      if (t == type) out.push_back(body);
    }
    return out;
  }

  /// Waits up to `limit` for a checkpoint acknowledgment that `accept` takes.
  template <class Accept>
  std::optional<nlohmann::json> wait_checkpoint(Accept accept, std::chrono::seconds limit) {
    const auto until = Clock::now() + limit;
    while (Clock::now() < until) {
      for (const auto& j : of("checkpoint")) {
        if (accept(j)) return j;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::nullopt;
  }

 private:
  void run() {
    while (!stop_) {
      zmq::message_t type, body;
      if (!socket_.recv(type)) continue;
      if (!type.more() || !socket_.recv(body)) continue;
      std::lock_guard lock(mutex_);
      got_.emplace_back(type.to_string(), nlohmann::json::parse(body.to_string()));
    }
  }

  zmq::socket_t socket_;
  std::mutex mutex_;
  std::vector<std::pair<std::string, nlohmann::json>> got_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

bool is_state(const std::string& type) {
  return type.rfind("inventory.", 0) == 0 || type == "client.assoc" || type == "client.disassoc" ||
         type == "client.info" || type == "room.health";
}

TEST(CrashRestart, SigkillBetweenCheckpointsLosesNoVerdictAndRepeatsNoneUnmarked) {
  TempDir dir("crash-restart");
  const std::string checkpoint = (dir.path() / "callroot.ckpt").string();
  const auto config = dir.path() / "callroot.json";
  // No idle flush: what waits for its verdict at the crash must be in the checkpoint.
  const auto out_dir = dir.path() / "verdicts";
  std::ofstream(config) << R"({"checkpoint":")" << checkpoint << R"(","checkpoint_every_s":2,"idle_flush_ms":600000,)"
                        << R"("out_dir":")" << out_dir.string() << R"("})";
  const std::string pull = "ipc://" + (dir.path() / "pull").string();
  const std::string pub = "ipc://" + (dir.path() / "pub").string();
  const std::vector<std::string> args = {CALLROOT_BINARY, "run",   "--pull", pull, "--sub",
                                         "ipc://" + (dir.path() / "sub").string(), "--pub", pub, "--config",
                                         config.string()};

  const auto records = records_in_time_order(demo_inputs());
  std::set<std::string> segments;
  for (const auto& [type, body] : records) {
    if (type != "call.segment") continue;
    const auto j = nlohmann::json::parse(body);
    segments.insert(j.at("call_id").get<std::string>() + "/" + j.at("segment_id").get<std::string>());
  }
  ASSERT_GT(segments.size(), 100u);

  zmq::context_t ctx(1);
  Listener listener(ctx, pub);
  zmq::socket_t push = pusher(ctx, pull);
  const auto send = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      ASSERT_TRUE(push.send(zmq::buffer(records[i].first), zmq::send_flags::sndmore));
      ASSERT_TRUE(push.send(zmq::buffer(records[i].second), zmq::send_flags::none));
    }
  };

  const std::size_t half = records.size() / 2, three_quarters = records.size() * 3 / 4;
  std::string first_run;
  {
    ChildProcess daemon(args, (dir.path() / "first.log").string());
    // A first acknowledgment: the subscription is live.
    const auto hello = listener.wait_checkpoint([](const auto&) { return true; }, std::chrono::seconds(20));
    ASSERT_TRUE(hello) << slurp((dir.path() / "first.log").string());
    first_run = hello->at("run");
    send(0, half);
    // A checkpoint taken after the first half was applied...
    const auto saved = listener.wait_checkpoint(
        [&](const auto& j) { return j.at("records").template get<std::size_t>() >= half; }, std::chrono::seconds(30));
    ASSERT_TRUE(saved) << slurp((dir.path() / "first.log").string());
    // ...then a quarter more, verdicts going out, and a crash well before the next save.
    send(half, three_quarters);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    daemon.kill_now();
  }
  const std::size_t before_restart = listener.of("verdict").size();
  ASSERT_GT(before_restart, 0u);

  ChildProcess daemon(args, (dir.path() / "second.log").string());
  const auto restarted = listener.wait_checkpoint([&](const auto& j) { return j.at("run") != first_run; },
                                                  std::chrono::seconds(20));
  ASSERT_TRUE(restarted) << slurp((dir.path() / "second.log").string());
  ASSERT_FALSE(restarted->at("replay_from").is_null());
  EXPECT_GT(restarted->at("pending").get<std::size_t>(), 0u) << "the checkpoint held segments waiting for a verdict";
  const TimeMs replay_from = *parse_rfc3339(restarted->at("replay_from").get<std::string>());
  // The sender delivers its state again, and every record from replay_from on.
  std::size_t resent = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& [type, body] = records[i];
    if (!is_state(type) && record_time(nlohmann::json::parse(body)) < replay_from) continue;
    send(i, i + 1);
    ++resent;
  }
  ASSERT_LT(resent, records.size()) << "the acknowledgment saves resending everything";
  // What a sender still holds at SIGTERM is not taken: wait until the daemon has applied what was sent.
  const auto applied = listener.wait_checkpoint(
      [&](const auto& j) { return j.at("run") == restarted->at("run") && j.at("records").template get<std::size_t>() >= resent; },
      std::chrono::seconds(30));
  ASSERT_TRUE(applied) << slurp((dir.path() / "second.log").string());
  const int status = daemon.terminate(std::chrono::seconds(30));
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp((dir.path() / "second.log").string());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the last verdicts in flight

  const std::string log = slurp((dir.path() / "second.log").string());
  EXPECT_NE(log.find("went out after the checkpoint"), std::string::npos)
      << "the crash fell between a save and verdicts: the journal must have been read\n"
      << log;
  // On PUB, and in the verdict files both runs wrote to (every line whole).
  std::vector<nlohmann::json> in_files;
  for (const auto& e : std::filesystem::directory_iterator(out_dir)) {
    std::ifstream in(e.path());
    for (std::string line; std::getline(in, line);) {
      const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      ASSERT_FALSE(j.is_discarded()) << e.path() << ": a line that is not JSON: " << line;
      if (j.at("type") == "verdict") in_files.push_back(j);
    }
  }
  const std::vector<nlohmann::json> published = listener.of("verdict");
  std::size_t marked = 0;
  const std::vector<nlohmann::json>* const sources[] = {&published, &in_files};
  for (const auto* verdicts : sources) {
    std::map<std::string, int> plain, reissued;
    for (const auto& v : *verdicts) {
      const std::string key = v.at("call_id").get<std::string>() + "/" + v.at("segment_id").get<std::string>();
      ++(v.value("reissued", false) ? reissued : plain)[key];
    }
    std::size_t missing = 0, repeated = 0;
    for (const auto& s : segments) {
      if (plain[s] + reissued[s] == 0) ++missing;
      if (plain[s] > 1) ++repeated;
    }
    const char* where = verdicts == &in_files ? "in the verdict files" : "on PUB";
    EXPECT_EQ(missing, 0u) << "segments without a verdict " << where;
    EXPECT_EQ(repeated, 0u) << "segments with a second verdict not marked reissued " << where;
    marked = 0;
    for (const auto& [s, n] : reissued) marked += static_cast<std::size_t>(n);
    EXPECT_GT(marked, 0u) << where;
  }
  RecordProperty("verdicts", static_cast<int>(listener.of("verdict").size()));
  RecordProperty("reissued", static_cast<int>(marked));
}

}  // namespace
}  // namespace callroot::runtime::testing
