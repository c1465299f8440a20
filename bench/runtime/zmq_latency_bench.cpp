// Ingest-to-verdict latency over ZeroMQ loopback.
//
// Hypothesis: a call record that arrives after its call (as Graph's do) is
// scored at arrival, so the latency is two loopback hops plus decode and
// scoring: well under the 2 ms p99 target.
//
// Method: start `callroot run --rules data/rules` on loopback ports, push the
// demo campus (inventory, an hour of telemetry, its segments) and wait for
// its verdicts; then send N more segments one at a time (copies of the demo's
// segments that ended at least 3 minutes before the newest event, under new
// ids, so each is scored at arrival: the case of call records that come after
// the call) and time each from the send to the receipt of its verdict on the
// PUB socket. Prints p50, p90, p99 and max. With --metrics the daemon also
// serves its Prometheus listener (docs/operations.md), scraped every 100 ms
// while the segments go through, as an operator's Prometheus would (much
// more often than one would): what the metrics cost the scoring path.
// Usage: zmq_latency_bench [N=2000] [--heuristic] [--metrics]

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "bench/runtime/daemon_process.h"
#include "models/time.h"
#include "testing/http_get.h"


namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::pair<callroot::TimeMs, std::pair<std::string, std::string>>> demo_records() {
  std::vector<std::pair<callroot::TimeMs, std::pair<std::string, std::string>>> out;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(CALLROOT_DATA_DIR) + "/demo")) {
    if (entry.path().extension() != ".jsonl") continue;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      const auto j = nlohmann::json::parse(line);
      const std::string type = j.at("type");
      const char* key = type == "call.segment" ? "end" : "ts";
      callroot::TimeMs t = callroot::kNoTime;
      if (j.contains(key)) t = *callroot::parse_rfc3339(j[key].get<std::string>());
      out.push_back({t, {type, line}});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int n = 2000;
  bool heuristic = false, metrics = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--heuristic") heuristic = true;
    else if (a == "--metrics") metrics = true;
    else n = std::stoi(a);
  }
  const int base = 45000 + static_cast<int>(getpid() % 5000);
  const std::string pull = "tcp://127.0.0.1:" + std::to_string(base);
  const std::string sub = "tcp://127.0.0.1:" + std::to_string(base + 1);
  const std::string pub = "tcp://127.0.0.1:" + std::to_string(base + 2);
  std::vector<std::string> args = {"run", "--pull", pull, "--sub", sub, "--pub", pub};
  if (!heuristic) {
    args.push_back("--rules");
    args.push_back(std::string(CALLROOT_DATA_DIR) + "/rules");
  }
  const std::string http_port = std::to_string(base + 3);
  if (metrics) {
    args.push_back("--metrics-listen");
    args.push_back("127.0.0.1:" + http_port);
  }
  setenv("CALLROOT_LOG_LEVEL", "warn", 1);
  const pid_t pid = callroot::bench::start_daemon(args);
  if (pid < 0) {
    std::fprintf(stderr, "cannot start %s\n", CALLROOT_BINARY);
    return 2;
  }
  zmq::context_t ctx(1);
  zmq::socket_t verdicts(ctx, zmq::socket_type::sub);
  verdicts.set(zmq::sockopt::subscribe, "verdict");
  verdicts.set(zmq::sockopt::rcvtimeo, 5000);
  verdicts.connect(pub);
  zmq::socket_t push(ctx, zmq::socket_type::push);
  push.set(zmq::sockopt::sndtimeo, 5000);
  push.connect(pull);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  const auto records = demo_records();
  std::vector<std::string> segments;
  std::size_t expected = 0;
  // The segments timed are those a call-record feed delivers after the call:
  // ended at least lateness (2 min) + grace (1 min) before the newest event,
  // so the watermark is past them and they are scored at arrival. The others
  // wait for their telemetry by design, which is not what is measured here.
  const callroot::TimeMs newest = records.back().first;
  constexpr callroot::TimeMs kSettled = 3 * 60'000;
  for (const auto& [t, rec] : records) {
    push.send(zmq::buffer(rec.first), zmq::send_flags::sndmore);
    push.send(zmq::buffer(rec.second), zmq::send_flags::none);
    if (rec.first == "call.segment") {
      if (t <= newest - kSettled) segments.push_back(rec.second);
      ++expected;
    }
  }
  // Warm-up: the demo's own verdicts (the last ones come with the idle flush).
  for (std::size_t got = 0; got < expected;) {
    zmq::message_t type, body;
    if (!verdicts.recv(type)) {
      std::fprintf(stderr, "warm-up: %zu of %zu verdicts\n", got, expected);
      break;
    }
    (void)verdicts.recv(body);
    ++got;
  }

  std::atomic<bool> timing{true};
  std::atomic<int> scrapes{0};
  std::thread scraper;
  if (metrics) {
    scraper = std::thread([&] {
      while (timing) {
        if (callroot::testing::http_get(std::stoi(http_port), "/metrics").status == 200) ++scrapes;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  std::vector<double> micros;
  micros.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto seg = nlohmann::json::parse(segments[static_cast<std::size_t>(i) % segments.size()]);
    const std::string id = "latency-" + std::to_string(i);
    seg["segment_id"] = id;
    const std::string body = seg.dump();
    const auto sent = Clock::now();
    push.send(zmq::str_buffer("call.segment"), zmq::send_flags::sndmore);
    push.send(zmq::buffer(body), zmq::send_flags::none);
    zmq::message_t type, verdict;
    if (!verdicts.recv(type) || !verdicts.recv(verdict)) {
      std::fprintf(stderr, "no verdict for %s\n", id.c_str());
      break;
    }
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - sent).count());
  }
  timing = false;
  if (scraper.joinable()) scraper.join();
  if (metrics && scrapes == 0) std::fprintf(stderr, "the metrics listener never answered\n");
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  if (micros.empty()) return 1;
  std::sort(micros.begin(), micros.end());
  auto q = [&](double p) { return micros[std::min(micros.size() - 1, static_cast<std::size_t>(p * micros.size()))]; };
  std::printf("ingest-to-verdict over ZeroMQ loopback (%s%s), %zu segments: p50 %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us\n",
              heuristic ? "heuristic" : "default rule pack", metrics ? ", metrics scraped every 100 ms" : "",
              micros.size(), q(0.50), q(0.90), q(0.99), micros.back());
  return 0;
}
