// Sites scored over NATS JetStream (docs/scale-out.md), against a real nats-server.
//
// Hypotheses: sites are independent, so instances scale with the cores they
// get: two instances on this 2-core machine score close to twice as fast as
// one (less what nats-server itself takes), four no faster than two. The
// broker adds a publish, a store and a fetch per record, so the end-to-end
// rate is the router's (one publish per record and site) long before it is
// the engine's, and each segment's verdict waits for one more hop than over
// ZeroMQ.
//
// Method, each part against a fresh nats-server (store on disk):
// - routing: `StreamRouter` over the enterprise preset (`--data DIR`, or
//   `callroot simulate --preset enterprise --seed 1` into a scratch folder),
//   records merged by time as `callroot route` does; timed until the stream
//   confirmed the last publish.
// - scoring: N instances (`callroot run --nats`, separate processes, the
//   engine's default attribution) started together over the routed stream;
//   timed from their start to the last verdict in CALLROOT_VERDICTS (the
//   count polled every 50 ms, done when it has not moved for 3 s). Each N
//   reads the same routed stream from a copy of the store made after routing.
// - reference, same run: `callroot replay DIR/*.jsonl --out /dev/null`, one
//   process, no broker.
// - latency: the demo routed, N instances (`--rules data/rules`, as
//   zmq_latency_bench) score it; then `--latency` more segments one at a
//   time (copies of demo segments settled long enough to be scored at
//   arrival, under new ids), each timed from its publish by the router to
//   the arrival of its verdict at a consumer of the verdicts stream.
//   zmq_latency_bench gives the ZeroMQ figure beside it (bench/nats.sh runs both).
//   With each count of instances in turn; the demo has two sites, so with two
//   instances each holds one, and with four two of them hold nothing.
//
// Usage: nats_bench [--data DIR] [--instances 1,2,4] [--partitions P] [--latency N] [--no-throughput]

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/null_sink.h>

#include "bench/runtime/daemon_process.h"
#include "models/time.h"
#include "runtime/jetstream.h"
#include "runtime/route.h"
#include "testing/nats_server.h"

namespace {

using Clock = std::chrono::steady_clock;
using callroot::runtime::JetStream;
using callroot::runtime::StreamLayout;
namespace fs = std::filesystem;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::shared_ptr<spdlog::logger> quiet() {
  return std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
}

std::vector<std::string> jsonl_files(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".jsonl") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

int run_and_wait(std::vector<std::string> args) {
  const pid_t pid = callroot::bench::start_daemon(std::move(args), "/dev/null");
  if (pid < 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// Waits until the verdicts stream stops growing for `quiet_for`; returns
/// the count and the seconds from `start` to when it last grew.
std::pair<std::uint64_t, double> wait_for_quiet(JetStream& js, Clock::time_point start, std::chrono::seconds quiet_for,
                                                std::chrono::seconds limit) {
  std::uint64_t count = 0;
  auto last_growth = start;
  while (Clock::now() - start < limit) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::uint64_t now = js.state(StreamLayout::kVerdictsStream, "callroot.verdicts.>").messages;
    if (now != count) {
      count = now;
      last_growth = Clock::now();
    } else if (count > 0 && Clock::now() - last_growth >= quiet_for) {
      break;
    }
  }
  return {count, std::chrono::duration<double>(last_growth - start).count()};
}

/// Stops the instances; returns the largest peak RSS among them, in MB.
double stop_all(const std::vector<pid_t>& pids) {
  for (const pid_t pid : pids) kill(pid, SIGTERM);
  long peak_kb = 0;
  for (const pid_t pid : pids) {
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    peak_kb = std::max(peak_kb, usage.ru_maxrss);
  }
  return static_cast<double>(peak_kb) / 1024.0;
}

/// A nats-server on `store` (a copy of a routed store, or empty) on a free port.
class StoreServer {
 public:
  explicit StoreServer(const fs::path& store) {
    port_ = 47000 + static_cast<int>(getpid() % 2000);
    const std::string port = std::to_string(port_);
    const std::string dir = store.string();
    pid_ = fork();
    if (pid_ == 0) {
      const int null = ::open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      execlp("nats-server", "nats-server", "-js", "-sd", dir.c_str(), "-a", "127.0.0.1", "-p", port.c_str(), nullptr);
      _exit(127);
    }
    for (int i = 0; i < 100; ++i) {
      try {
        JetStream probe(url(), std::chrono::milliseconds(200));
        return;
      } catch (const std::exception&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    throw std::runtime_error("nats-server on " + dir + " did not start");
  }
  ~StoreServer() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  [[nodiscard]] std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

 private:
  int port_ = 0;
  pid_t pid_ = -1;
};

struct Throughput {
  unsigned instances = 0;
  double seconds = 0;
  std::uint64_t verdicts = 0;
  double peak_rss_mb = 0;          ///< the largest instance's
  std::uint64_t checkpoint_bytes = 0;  ///< the checkpoints bucket's stream at the end (every site's latest)
};

Throughput score_with(unsigned n, const fs::path& routed_store, const fs::path& scratch, const fs::path& config) {
  const fs::path store = scratch / ("store-" + std::to_string(n));
  fs::remove_all(store);
  fs::copy(routed_store, store, fs::copy_options::recursive);
  Throughput out;
  out.instances = n;
  {
    StoreServer server(store);
    JetStream js(server.url());
    std::vector<pid_t> pids;
    const auto start = Clock::now();
    for (unsigned i = 0; i < n; ++i) {
      pids.push_back(callroot::bench::start_daemon(
          {"run", "--nats", server.url(), "--instance", "i" + std::to_string(i), "--lease-ms", "1500",
           "--checkpoint-every-s", "10", "--config", config.string()},
          (scratch / ("instance-" + std::to_string(n) + "-" + std::to_string(i) + ".log")).string()));
    }
    const auto [count, seconds] = wait_for_quiet(js, start, std::chrono::seconds(3), std::chrono::seconds(900));
    out.seconds = seconds;
    out.verdicts = count;
    out.peak_rss_mb = stop_all(pids);
    out.checkpoint_bytes = js.state("KV_callroot_checkpoints").bytes;
  }
  fs::remove_all(store);
  return out;
}

/// Demo records in time order (records without a time first), as the router merges them.
std::vector<std::pair<callroot::TimeMs, std::string>> demo_in_time_order() {
  std::vector<std::pair<callroot::TimeMs, std::string>> out;
  for (const auto& file : jsonl_files(fs::path(CALLROOT_DATA_DIR) / "demo")) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      const auto j = nlohmann::json::parse(line);
      const char* key = j.at("type") == "call.segment" ? "end" : "ts";
      callroot::TimeMs t = callroot::kNoTime;
      if (j.contains(key)) t = *callroot::parse_rfc3339(j[key].get<std::string>());
      out.emplace_back(t, line);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

int latency(int n, unsigned instances, const fs::path& scratch) {
  callroot::testing::NatsServer server;
  JetStream js(server.url());
  const StreamLayout layout = callroot::runtime::lay_out_streams(js, StreamLayout::kDefaultPartitions, std::chrono::hours(2));
  js.ensure_stream(callroot::runtime::verdicts_stream(std::chrono::minutes(20)));
  callroot::runtime::StreamRouter router(js, layout);
  const auto records = demo_in_time_order();
  std::vector<std::string> settled;
  const callroot::TimeMs newest = records.back().first;
  std::uint64_t owed = 0;  // a verdict for each (site, segment)
  for (const auto& [t, body] : records) {
    router.route(body);
    if (body.find("\"call.segment\"") == std::string::npos) continue;
    owed += router.last().sites.size();
    if (t <= newest - 3 * 60'000) settled.push_back(body);
  }
  router.flush();
  js.wait_published();

  std::vector<pid_t> pids;
  for (unsigned i = 0; i < instances; ++i) {
    pids.push_back(callroot::bench::start_daemon(
        {"run", "--nats", server.url(), "--instance", "latency-" + std::to_string(i), "--lease-ms", "1500", "--rules",
         std::string(CALLROOT_DATA_DIR) + "/rules"},
        (scratch / ("latency-instance-" + std::to_string(i) + ".log")).string()));
  }
  const auto warm_start = Clock::now();
  while (js.state(StreamLayout::kVerdictsStream, "callroot.verdicts.>").messages < owed && seconds_since(warm_start) < 60) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  callroot::runtime::ConsumerSpec spec;
  spec.stream = StreamLayout::kVerdictsStream;
  spec.filter = "callroot.verdicts.>";
  spec.start_sequence = js.last_sequence(StreamLayout::kVerdictsStream) + 1;
  auto verdicts = js.pull_consumer(spec);
  std::vector<double> micros;
  for (int i = 0; i < n; ++i) {
    auto seg = nlohmann::json::parse(settled[static_cast<std::size_t>(i) % settled.size()]);
    seg["segment_id"] = "latency-" + std::to_string(i);
    const std::string body = seg.dump();
    const auto sent = Clock::now();
    router.route(body);
    router.flush();
    const std::size_t expected = router.last().sites.size();
    std::size_t got = 0;
    while (got < expected && seconds_since(sent) < 5) got += verdicts->fetch(static_cast<int>(expected - got), std::chrono::milliseconds(500)).size();
    if (got < expected) {
      std::fprintf(stderr, "no verdict for segment %d\n", i);
      break;
    }
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - sent).count());
  }
  stop_all(pids);
  if (micros.empty()) return 1;
  std::sort(micros.begin(), micros.end());
  const auto q = [&](double p) { return micros[std::min(micros.size() - 1, static_cast<std::size_t>(p * micros.size()))]; };
  std::printf("ingest-to-verdict over NATS JetStream loopback (default rule pack), %u instance(s), %zu segments: p50 %.0f us, "
              "p90 %.0f us, p99 %.0f us, max %.0f us\n",
              instances, micros.size(), q(0.50), q(0.90), q(0.99), micros.back());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path data;
  std::vector<unsigned> counts = {1, 2, 4};
  int latency_n = 2000;
  bool throughput = true;
  unsigned partitions = StreamLayout::kDefaultPartitions;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--data" && i + 1 < argc) {
      data = argv[++i];
    } else if (a == "--instances" && i + 1 < argc) {
      counts.clear();
      std::stringstream list(argv[++i]);
      for (std::string item; std::getline(list, item, ',');) counts.push_back(static_cast<unsigned>(std::stoul(item)));
    } else if (a == "--latency" && i + 1 < argc) {
      latency_n = std::stoi(argv[++i]);
    } else if (a == "--partitions" && i + 1 < argc) {
      partitions = static_cast<unsigned>(std::stoul(argv[++i]));
    } else if (a == "--no-throughput") {
      throughput = false;
    } else {
      std::fprintf(stderr, "usage: nats_bench [--data DIR] [--instances 1,2,4] [--partitions P] [--latency N] [--no-throughput]\n");
      return 2;
    }
  }
  setenv("CALLROOT_LOG_LEVEL", "warn", 1);
  const fs::path scratch = fs::temp_directory_path() / ("callroot-nats-bench-" + std::to_string(getpid()));
  fs::create_directories(scratch);
  int code = 0;
  try {
    if (throughput) {
      if (data.empty()) {
        data = scratch / "enterprise";
        if (run_and_wait({"simulate", "--preset", "enterprise", "--seed", "1", "--out", data.string()}) != 0) {
          throw std::runtime_error("simulate failed");
        }
      }
      const auto files = jsonl_files(data);
      const fs::path config = scratch / "run.json";
      std::ofstream(config) << R"({"idle_flush_ms": 250})" << '\n';

      // The reference: one process, no broker.
      std::vector<std::string> replay = {"replay"};
      replay.insert(replay.end(), files.begin(), files.end());
      replay.insert(replay.end(), {"--out", "/dev/null"});
      auto t0 = Clock::now();
      if (run_and_wait(replay) != 0) throw std::runtime_error("replay failed");
      const double replay_s = seconds_since(t0);

      // Routing into a fresh server; its store is copied for each scoring run.
      const fs::path routed = scratch / "routed";
      callroot::runtime::RouteStats routed_stats;
      double route_s = 0;
      {
        StoreServer server(routed);
        callroot::runtime::RouteOptions route;
        route.url = server.url();
        route.files = files;
        route.partitions = partitions;
        auto log = quiet();
        t0 = Clock::now();
        routed_stats = callroot::runtime::route_files(route, *log);
        route_s = seconds_since(t0);
      }
      const double records = static_cast<double>(routed_stats.read);
      std::printf("data: %s, %.0f records, %u partition streams\n", data.c_str(), records, partitions);
      std::printf("reference: replay, one process, no broker: %.2f s, %.0f k records/s\n", replay_s, records / replay_s / 1e3);
      std::printf("routing: %.2f s, %.0f k records/s, %llu messages (%llu to two sites)\n", route_s, records / route_s / 1e3,
                  static_cast<unsigned long long>(routed_stats.published),
                  static_cast<unsigned long long>(routed_stats.router.multi_site));
      double one = 0;
      for (const unsigned n : counts) {
        const Throughput t = score_with(n, routed, scratch, config);
        if (n == counts.front()) one = t.seconds;
        std::printf("scoring with %u instance(s): %.2f s to the last of %llu verdicts, %.0f k records/s, %.2fx the first row, "
                    "%.2f of the replay's rate; largest instance %.0f MB peak RSS; checkpoints kept %.1f MB\n",
                    n, t.seconds, static_cast<unsigned long long>(t.verdicts), records / t.seconds / 1e3, one / t.seconds,
                    replay_s / t.seconds, t.peak_rss_mb, static_cast<double>(t.checkpoint_bytes) / 1e6);
        std::fflush(stdout);
      }
    }
    // The demo has two sites: with two instances each holds one, with four two are idle.
    for (const unsigned n : counts) {
      if (latency_n > 0 && code == 0) code = latency(latency_n, n, scratch);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nats_bench: %s\n", e.what());
    code = 1;
  }
  std::error_code ec;
  fs::remove_all(scratch, ec);
  return code;
}
