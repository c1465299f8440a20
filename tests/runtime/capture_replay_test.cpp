// Captures as replay input and live capture (issue 6):
// - a capture of ZeroMQ ingest traffic that the tests' own generator wrote
//   (ZMTP over TCP, with reordered and retransmitted segments) replays to
//   byte-identical verdicts to the same records from JSON Lines;
// - a live loopback capture of the real daemon's ingest replays to the
//   verdicts the daemon published (root only: skipped without CAP_NET_RAW);
// - `callroot replay` takes pcaps on the command line, mixed with JSON Lines;
// - RTP in a capture becomes scored call segments;
// - `callroot run --iface`: a clear exit 2 without CAP_NET_RAW or with a
//   missing interface, and records from the interface when permitted.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/sinks/null_sink.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>
#include <zmq.hpp>

#include "daemon_sockets.h"
#include "demo_files.h"
#include "free_ports.h"
#include "testing/capture_writer.h"
#include "models/time.h"
#include "runtime/replay.h"
#include "runtime/sinks.h"

extern char** environ;

namespace callroot::runtime::testing {
namespace {

namespace fs = std::filesystem;
using ingest::endpoint;

std::shared_ptr<spdlog::logger> quiet() {
  return std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
}

struct Replayed {
  std::string jsonl;
  std::multiset<std::string> set;
  PipelineStats stats;
  std::string summary;
};

Replayed replay(const std::vector<std::string>& files, const ingest::CaptureOptions& capture = {}) {
  CollectingSink sink;
  ReplayOptions options;
  options.files = files;
  options.progress = false;
  options.config.capture = capture;
  Replayed r;
  r.stats = replay_into(options, sink, quiet(), &r.summary);
  for (const auto& v : sink.verdicts) {
    r.jsonl += to_json(v) + "\n";
    r.set.insert(to_json(v));
  }
  return r;
}

const Replayed& jsonl_replay() {
  static const Replayed r = replay(demo_inputs());
  return r;
}

std::string temp(const std::string& name) {
  return (fs::path(::testing::TempDir()) / ("callroot-cap-" + std::to_string(getpid()) + "-" + name)).string();
}

/// A ZeroMQ peer's TCP connection, written frame by frame, with the capture's
/// usual disorder: every 50th data segment swapped with the next, every 70th
/// sent twice.
class ZmtpConnection {
 public:
  ZmtpConnection(ingest::Endpoint client, ingest::Endpoint server, std::string_view socket_type, std::uint32_t isn)
      : client_(client), server_(server), seq_(isn) {
    ingest::zmtp_greeting(pending_);
    ingest::zmtp_ready(pending_, socket_type);
  }
  void message(std::string_view type, std::string_view body) { ingest::zmtp_message(pending_, type, body); }
  /// The handshake, then the bytes queued so far in segments of `mss`.
  void flush(std::vector<std::pair<std::int64_t, std::vector<std::uint8_t>>>& frames, std::int64_t t) {
    std::vector<std::uint8_t> f;
    if (!opened_) {
      fb_.tcp(f, client_, server_, seq_, 0, ingest::kTcpSyn, nullptr, 0);
      frames.emplace_back(t, f);
      ++seq_;
      opened_ = true;
    }
    std::vector<std::vector<std::uint8_t>> data;
    for (std::size_t off = 0; off < pending_.size(); off += 1460) {
      const std::size_t n = std::min<std::size_t>(1460, pending_.size() - off);
      fb_.tcp(f, client_, server_, seq_, 1, ingest::kTcpAck,
              reinterpret_cast<const std::uint8_t*>(pending_.data() + off), n);
      seq_ += static_cast<std::uint32_t>(n);
      data.push_back(f);
    }
    pending_.clear();
    for (std::size_t i = 0; i < data.size(); ++i, ++segments_) {
      if (segments_ % 50 == 49 && i + 1 < data.size()) {
        frames.emplace_back(t, data[i + 1]);
        frames.emplace_back(t, data[i]);
        ++i;
        ++segments_;
        continue;
      }
      frames.emplace_back(t, data[i]);
      if (segments_ % 70 == 69) frames.emplace_back(t, data[i]);
    }
  }

 private:
  ingest::FrameBuilder fb_;
  ingest::Endpoint client_, server_;
  std::uint32_t seq_;
  std::string pending_;
  bool opened_ = false;
  std::uint64_t segments_ = 0;
};

/// The demo's records as a PUSH peer (to 7711) and a PUB peer (to 7710) sent
/// them, alternating in time order, one capture-time microsecond apart.
std::string write_demo_capture(const std::string& path) {
  const auto records = demo_records_in_time_order();
  ZmtpConnection push(endpoint("10.9.0.1", 41000), endpoint("10.9.0.2", 7711), "PUSH", 0xFFFF0000u);
  ZmtpConnection pub(endpoint("10.9.0.3", 41001), endpoint("10.9.0.2", 7710), "PUB", 1000);
  std::vector<std::pair<std::int64_t, std::vector<std::uint8_t>>> frames;
  std::int64_t t = 1'800'000'000'000'000'000;
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto& c = i % 2 == 0 ? push : pub;
    c.message(records[i].first, records[i].second);
    c.flush(frames, t += 1000);
  }
  ingest::PcapWriter w(path);
  for (const auto& [ts, f] : frames) w.write(ts, f);
  w.close();
  return path;
}

TEST(CaptureReplay, AGeneratedZeromqCaptureGivesTheVerdictsOfTheSameRecordsFromJsonLines) {
  const std::string path = write_demo_capture(temp("demo-zmtp.pcap"));
  const auto& expected = jsonl_replay();
  ASSERT_FALSE(expected.jsonl.empty());
  const auto got = replay({path});
  EXPECT_EQ(got.stats.rejected.total(), 0u) << got.summary;
  EXPECT_EQ(got.stats.records, expected.stats.records) << got.summary;
  EXPECT_EQ(got.jsonl, expected.jsonl) << got.summary;
  EXPECT_NE(got.summary.find("zeromq: " + std::to_string(expected.stats.records) + " records on 2 connections"),
            std::string::npos)
      << got.summary;
  fs::remove(path);
}

struct CommandRun {
  int status = -1;
  std::multiset<std::string> verdicts;
  std::string stderr_text;
};

/// `callroot replay FILES... EXTRA...` writing JSON Lines.
CommandRun run_replay_command(const std::vector<std::string>& files, const std::vector<std::string>& extra) {
  static int n = 0;
  const std::string out = temp("verdicts-" + std::to_string(++n) + ".jsonl");
  const std::string err = temp("stderr-" + std::to_string(n) + ".txt");
  std::vector<std::string> args = {CALLROOT_BINARY, "replay", "--no-progress", "--format", "jsonl", "--out", out};
  args.insert(args.end(), extra.begin(), extra.end());
  args.insert(args.end(), files.begin(), files.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CommandRun r;
  pid_t pid = 0;
  if (posix_spawn(&pid, CALLROOT_BINARY, &actions, nullptr, argv.data(), environ) == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  std::ifstream in(out);
  for (std::string line; std::getline(in, line);) r.verdicts.insert(line);
  r.stderr_text = slurp(err);
  fs::remove(out);
  fs::remove(err);
  return r;
}

TEST(CaptureReplay, TheCommandTakesCapturesAndJsonLinesTogether) {
  // Inventory and telemetry from JSON Lines, the calls from a capture of them.
  std::vector<std::string> files;
  ZmtpConnection push(endpoint("10.9.0.1", 41000), endpoint("10.9.0.2", 7799), "PUSH", 7);
  std::vector<std::pair<std::int64_t, std::vector<std::uint8_t>>> frames;
  std::int64_t t = 1'800'000'000'000'000'000;
  for (const auto& f : demo_inputs()) {
    if (!f.ends_with("calls.jsonl")) {
      files.push_back(f);
      continue;
    }
    std::ifstream in(f);
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      push.message("call.segment", line);
      push.flush(frames, t += 1000);
    }
  }
  const std::string path = temp("calls.pcap");
  {
    ingest::PcapWriter w(path);
    for (const auto& [ts, f] : frames) w.write(ts, f);
    w.close();
  }
  // First, where calls.jsonl sorts among the demo's files: ties in event time go to the file given first.
  files.insert(files.begin(), path);
  // The same verdicts as all of it from JSON Lines through the same command:
  // the capture is one input, merged by the time of its next record.
  const auto with_capture = run_replay_command(files, {"--zmq-port", "7799"});
  const auto all_jsonl = run_replay_command(demo_inputs(), {});
  EXPECT_EQ(with_capture.status, 0) << with_capture.stderr_text;
  EXPECT_EQ(all_jsonl.status, 0) << all_jsonl.stderr_text;
  EXPECT_GE(with_capture.verdicts.size(), jsonl_replay().set.size());  // verdicts, and incidents when there are any
  EXPECT_TRUE(with_capture.verdicts == all_jsonl.verdicts);
  EXPECT_NE(with_capture.stderr_text.find("capture " + path + ":"), std::string::npos) << with_capture.stderr_text;
  fs::remove(path);
}

TEST(CaptureReplay, RtpInACaptureBecomesScoredCallSegments) {
  const auto r = replay({std::string(CALLROOT_TEST_DATA_DIR) + "/captures/SIP_CALL_RTP_G711.pcap"});
  ASSERT_FALSE(r.set.empty()) << r.summary;
  for (const auto& v : r.set) {
    const auto j = nlohmann::json::parse(v);
    EXPECT_NE(j.at("call_id").get<std::string>().find('@'), std::string::npos) << v;
    EXPECT_NE(j.at("quality"), "unclassified") << v;  // G.711: jitter and loss are measured
  }
  EXPECT_NE(r.summary.find("segments"), std::string::npos);
  EXPECT_EQ(r.stats.rejected.total(), 0u) << r.summary;
  // Shorter slices give more segments of the same calls.
  ingest::CaptureOptions o;
  o.segmenter.slice_ns = 5'000'000'000;
  const auto sliced = replay({std::string(CALLROOT_TEST_DATA_DIR) + "/captures/SIP_CALL_RTP_G711.pcap"}, o);
  EXPECT_GT(sliced.set.size(), r.set.size());
}

// ---------------------------------------------------------------------------
// Live: the real daemon on loopback, captured with libpcap.

/// Captures `lo` into a pcap file on a thread until stopped.
class LoopbackRecorder {
 public:
  /// False (with `why`) when the interface cannot be captured (no CAP_NET_RAW).
  bool start(const std::string& path, const std::string& filter, std::string& why) {
    char err[PCAP_ERRBUF_SIZE] = {};
    handle_ = pcap_create("lo", err);
    if (handle_ == nullptr) {
      why = err;
      return false;
    }
    pcap_set_snaplen(handle_, 262144);
    pcap_set_buffer_size(handle_, 64 << 20);
    pcap_set_immediate_mode(handle_, 1);
    pcap_set_timeout(handle_, 50);
    if (pcap_activate(handle_) < 0) {
      why = pcap_geterr(handle_);
      return false;
    }
    bpf_program prog{};
    if (pcap_compile(handle_, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0 ||
        pcap_setfilter(handle_, &prog) != 0) {
      why = pcap_geterr(handle_);
      return false;
    }
    pcap_freecode(&prog);
    dumper_ = pcap_dump_open(handle_, path.c_str());
    if (dumper_ == nullptr) {
      why = pcap_geterr(handle_);
      return false;
    }
    thread_ = std::thread([this] {
      while (!stop_) pcap_dispatch(handle_, -1, pcap_dump, reinterpret_cast<u_char*>(dumper_));
    });
    return true;
  }
  /// Stops, drains what the kernel still holds, closes the file; returns the kernel's drops.
  unsigned stop() {
    if (!thread_.joinable()) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop_ = true;
    pcap_breakloop(handle_);
    thread_.join();
    pcap_stat st{};
    pcap_stats(handle_, &st);
    pcap_dump_close(dumper_);
    dumper_ = nullptr;
    return st.ps_drop;
  }
  ~LoopbackRecorder() {
    stop();
    if (handle_ != nullptr) pcap_close(handle_);
  }

 private:
  pcap_t* handle_ = nullptr;
  pcap_dumper_t* dumper_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

pid_t spawn(std::vector<std::string> args, const std::string& stderr_file = {}) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!stderr_file.empty()) {
    posix_spawn_file_actions_addopen(&actions, 2, stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

int wait_exit(pid_t pid, std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

TEST(CaptureLive, ALoopbackCaptureOfTheDaemonsIngestReplaysToTheVerdictsItPublished) {
  const int base = free_port_block(4);
  const std::string pull = "tcp://127.0.0.1:" + std::to_string(base);
  const std::string pub = "tcp://127.0.0.1:" + std::to_string(base + 2);
  const std::string path = temp("live.pcap");
  LoopbackRecorder recorder;
  std::string why;
  if (!recorder.start(path, "tcp port " + std::to_string(base), why)) {
    GTEST_SKIP() << "cannot capture on lo (needs CAP_NET_RAW): " << why;
  }
  const std::string log = temp("live-daemon.log");
  const pid_t daemon = spawn(
      {CALLROOT_BINARY, "run", "--pull", pull, "--sub", "tcp://127.0.0.1:" + std::to_string(base + 1), "--pub", pub},
      log);
  ASSERT_GT(daemon, 0);
  zmq::context_t ctx(1);
  zmq::socket_t verdicts = subscriber(ctx, pub, "verdict");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  zmq::socket_t push(ctx, zmq::socket_type::push);
  push.set(zmq::sockopt::linger, 2000);
  push.set(zmq::sockopt::sndtimeo, 10'000);
  push.connect(pull);
  // A bad message among the good ones: rejected in both runs alike.
  push.send(zmq::str_buffer("only one frame"), zmq::send_flags::none);
  const auto records = demo_records_in_time_order();
  for (const auto& [type, body] : records) {
    ASSERT_TRUE(push.send(zmq::buffer(type), zmq::send_flags::sndmore));
    ASSERT_TRUE(push.send(zmq::buffer(body), zmq::send_flags::none));
  }
  std::multiset<std::string> live;
  const std::size_t want = jsonl_replay().set.size();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (live.size() < want && std::chrono::steady_clock::now() < deadline) {
    zmq::message_t type, body;
    if (!verdicts.recv(type)) continue;
    if (!verdicts.recv(body)) continue;
    live.insert(body.to_string());
  }
  push.close();
  kill(daemon, SIGTERM);
  EXPECT_EQ(wait_exit(daemon, std::chrono::seconds(10)), 0) << slurp(log);
  const unsigned drops = recorder.stop();
  ASSERT_EQ(drops, 0u) << "the kernel dropped packets: the capture is incomplete";
  ASSERT_EQ(live.size(), want) << slurp(log);

  ingest::CaptureOptions o;
  o.zmq_ports = {static_cast<std::uint16_t>(base)};
  const auto replayed = replay({path}, o);
  EXPECT_EQ(replayed.stats.records, records.size()) << replayed.summary;
  EXPECT_EQ(replayed.stats.rejected.count(ingest::RejectReason::kBadFrames), 1u) << replayed.summary;
  EXPECT_TRUE(replayed.set == live) << replayed.summary;
  fs::remove(path);
  fs::remove(log);
}

// ---------------------------------------------------------------------------
// callroot run --iface

TEST(RunIface, AMissingInterfaceIsExit2NamingIt) {
  const std::string log = temp("noiface.log");
  const pid_t pid = spawn({CALLROOT_BINARY, "run", "--iface", "callroot-nope0", "--pull", "tcp://127.0.0.1:*", "--sub",
                           "tcp://127.0.0.1:*", "--pub", "tcp://127.0.0.1:*"},
                          log);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(wait_exit(pid, std::chrono::seconds(10)), 2);
  EXPECT_NE(slurp(log).find("callroot-nope0"), std::string::npos) << slurp(log);
  fs::remove(log);
}

TEST(RunIface, WithoutCapNetRawItSaysSoAndExits2) {
  // As root, drop CAP_NET_RAW from the bounding set so the exec'd daemon lacks it.
  std::vector<std::string> args;
  if (geteuid() == 0) {
    if (access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "root and no setpriv to drop CAP_NET_RAW";
    args = {"/usr/bin/setpriv", "--bounding-set", "-net_raw,-net_admin", "--inh-caps", "-net_raw,-net_admin", "--"};
  }
  for (const char* a : {CALLROOT_BINARY, "run", "--iface", "lo", "--pull", "tcp://127.0.0.1:*", "--sub",
                        "tcp://127.0.0.1:*", "--pub", "tcp://127.0.0.1:*"}) {
    args.emplace_back(a);
  }
  const std::string log = temp("noperm.log");
  const pid_t pid = spawn(args, log);
  ASSERT_GT(pid, 0);
  const int rc = wait_exit(pid, std::chrono::seconds(10));
  const std::string text = slurp(log);
  if (rc == -1 && text.find("capturing on lo") != std::string::npos) {
    GTEST_SKIP() << "the capture was permitted (ambient capabilities): " << text;
  }
  EXPECT_EQ(rc, 2) << text;
  EXPECT_NE(text.find("CAP_NET_RAW"), std::string::npos) << text;
  EXPECT_NE(text.find("`lo`"), std::string::npos) << text;
  fs::remove(log);
}

TEST(RunIface, ReadsAJsonRecordFromAUdpDatagramOnLoopback) {
  {
    char err[PCAP_ERRBUF_SIZE] = {};
    pcap_t* h = pcap_create("lo", err);
    const bool ok = h != nullptr && pcap_activate(h) >= 0;
    if (h != nullptr) pcap_close(h);
    if (!ok) GTEST_SKIP() << "cannot capture on lo here (needs CAP_NET_RAW)";
  }
  const int base = free_port_block(3);
  const int udp_port = base + 2;
  const std::string pub = "tcp://127.0.0.1:" + std::to_string(base);
  const std::string config = temp("iface.json");
  std::ofstream(config) << R"({"idle_flush_ms": 200})";
  const std::string log = temp("iface.log");
  const pid_t pid = spawn({CALLROOT_BINARY, "run", "--config", config, "--iface", "lo", "--bpf",
                           "udp port " + std::to_string(udp_port), "--udp-port", std::to_string(udp_port), "--pub", pub,
                           "--pull", "tcp://127.0.0.1:*", "--sub", "tcp://127.0.0.1:*"},
                          log);
  ASSERT_GT(pid, 0);
  zmq::context_t ctx(1);
  zmq::socket_t verdicts = subscriber(ctx, pub, "verdict");
  const int sock = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(udp_port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // The capture starts after the process does: send until a verdict comes back.
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (int n = 0; got.empty() && std::chrono::steady_clock::now() < deadline; ++n) {
    const std::string seg =
        R"({"type":"call.segment","call_id":"udp-call","segment_id":"udp-seg-)" + std::to_string(n) +
        R"(","start":"2026-03-02T09:00:00Z","end":"2026-03-02T09:01:00Z",)"
        R"("streams":[{"from":"caller","media":"audio","jitter_avg_ms":45,"loss_avg_pct":1}]})";
    sendto(sock, seg.data(), seg.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    for (int k = 0; k < 3 && got.empty(); ++k) {
      zmq::message_t type, body;
      if (verdicts.recv(type) && verdicts.recv(body)) got = body.to_string();
    }
  }
  close(sock);
  kill(pid, SIGTERM);
  const int rc = wait_exit(pid, std::chrono::seconds(10));
  const std::string text = slurp(log);
  ASSERT_FALSE(got.empty()) << text;
  const auto j = nlohmann::json::parse(got);
  EXPECT_EQ(j.at("call_id"), "udp-call");
  EXPECT_EQ(j.at("quality"), "poor");  // jitter 45 ms > 30
  EXPECT_EQ(rc, 0) << text;
  EXPECT_NE(text.find("capture lo:"), std::string::npos) << text;
  fs::remove(config);
  fs::remove(log);
}

}  // namespace
}  // namespace callroot::runtime::testing
