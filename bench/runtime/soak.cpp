// Soak: the real daemon fed at a fixed rate for a long time over loopback.
//
// Hypothesis: once the retention window has filled, the daemon's resident set
// stays flat; it keeps up with 200 k records/s on one core; above ZeroMQ's
// high-water mark a sender is refused, and every refusal is counted.
//
// Method: start `callroot run` on loopback TCP with a checkpoint every
// second (its acknowledgments say how many records the daemon has applied);
// push the given JSON Lines files in event-time order at RATE records/s,
// again and again, each pass shifted forward in event time by the span of
// the data (and its segments given new ids), so the stream never goes back
// in time. Sends never block: a send ZeroMQ refuses (the daemon's 100,000
// message queue and the socket buffers are full) is a drop, counted. Every
// second: records sent, dropped, applied by the daemon, verdicts received,
// the daemon's RSS and CPU. Writes a CSV and an SVG of them.
//
// Usage: soak OUT_PREFIX SECONDS RATE FILE.jsonl...
//        (e.g. soak /tmp/soak 600 200000 /tmp/ent/*.jsonl)

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "bench/runtime/daemon_process.h"
#include "models/time.h"


namespace {

using Clock = std::chrono::steady_clock;
using callroot::TimeMs;

/// One record, with where its timestamps and segment id are, so a pass can
/// shift them in place.
struct Record {
  std::string type;
  std::string line;
  TimeMs time = callroot::kNoTime;
  std::vector<std::size_t> stamps;  // offsets of RFC 3339 timestamps (24 characters, ms, Z)
  std::size_t segment_id = std::string::npos;  // offset of the segment id's last 4 characters
};

bool is_stamp(std::string_view s) {
  return s.size() >= 24 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' &&
         s[19] == '.' && s[23] == 'Z';
}

std::vector<Record> load(const std::vector<std::string>& files) {
  std::vector<Record> out;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      Record r;
      const auto j = nlohmann::json::parse(line);
      r.type = j.at("type");
      const char* key = r.type == "call.segment" ? "end" : "ts";
      if (j.contains(key) && j[key].is_string()) r.time = callroot::parse_rfc3339(j[key].get<std::string>()).value_or(callroot::kNoTime);
      for (std::size_t p = line.find("\"20"); p != std::string::npos; p = line.find("\"20", p + 1)) {
        if (is_stamp(std::string_view(line).substr(p + 1))) r.stamps.push_back(p + 1);
      }
      if (r.type == "call.segment") {
        const std::size_t k = line.find("\"segment_id\":\"");
        const std::size_t end = k == std::string::npos ? k : line.find('"', k + 14);
        if (end != std::string::npos && end - (k + 14) >= 4) r.segment_id = end - 4;
      }
      r.line = std::move(line);
      out.push_back(std::move(r));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Record& a, const Record& b) {
    const bool ia = a.type.rfind("inventory.", 0) == 0, ib = b.type.rfind("inventory.", 0) == 0;
    if (ia != ib) return ia;
    return a.time < b.time;
  });
  return out;
}

struct ProcStat {
  double cpu_s = 0;
  double rss_mb = 0;
};

ProcStat proc_stat(pid_t pid) {
  ProcStat s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return s;
  std::vector<std::string> f;
  std::size_t p = close + 2;
  while (p < text.size()) {
    const std::size_t q = text.find(' ', p);
    f.push_back(text.substr(p, q - p));
    if (q == std::string::npos) break;
    p = q + 1;
  }
  if (f.size() < 22) return s;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  s.cpu_s = (std::stod(f[11]) + std::stod(f[12])) / tick;  // utime, stime
  s.rss_mb = std::stod(f[21]) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
  return s;
}

struct Row {
  double t = 0, sent = 0, dropped = 0, applied = 0, verdicts = 0, rss_mb = 0, cpu_pct = 0;
};

/// An SVG with one panel per series, for a quick look (no plotting package needed).
void write_svg(const std::string& path, const std::vector<Row>& rows) {
  struct Series {
    const char* name;
    double Row::*value;
  };
  const Series series[] = {{"RSS (MiB)", &Row::rss_mb},
                           {"CPU (% of a core)", &Row::cpu_pct},
                           {"records applied per second", &Row::applied},
                           {"sends refused per second (drops)", &Row::dropped}};
  const int w = 900, h = 170;
  std::ofstream out(path);
  out << "<svg xmlns='http://www.w3.org/2000/svg' width='" << w << "' height='" << h * 4
      << "' font-family='sans-serif' font-size='12'>\n";
  const double t_max = rows.empty() ? 1 : std::max(1.0, rows.back().t);
  for (int k = 0; k < 4; ++k) {
    const int y0 = k * h;
    double v_max = 1;
    for (const Row& r : rows) v_max = std::max(v_max, r.*series[k].value);
    out << "<text x='10' y='" << y0 + 16 << "'>" << series[k].name << " (max " << static_cast<long long>(v_max)
        << ")</text>\n<polyline fill='none' stroke='#1f5fa8' stroke-width='1.5' points='";
    for (const Row& r : rows) {
      out << 40 + (w - 60) * r.t / t_max << ',' << y0 + h - 20 - (h - 50) * (r.*series[k].value) / v_max << ' ';
    }
    out << "'/>\n<line x1='40' y1='" << y0 + h - 20 << "' x2='" << w - 20 << "' y2='" << y0 + h - 20
        << "' stroke='#999'/>\n";
  }
  out << "<text x='" << w / 2 << "' y='" << h * 4 - 4 << "'>seconds (0 to " << static_cast<long long>(t_max)
      << ")</text>\n</svg>\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: soak OUT_PREFIX SECONDS RATE FILE.jsonl...\n");
    return 2;
  }
  const std::string prefix = argv[1];
  const double seconds = std::stod(argv[2]);
  const double rate = std::stod(argv[3]);
  const std::vector<std::string> files(argv + 4, argv + argc);
  std::vector<Record> records = load(files);
  TimeMs first = callroot::kNoTime, last = callroot::kNoTime;
  for (const Record& r : records) {
    if (r.time == callroot::kNoTime) continue;
    if (first == callroot::kNoTime || r.time < first) first = r.time;
    last = std::max(last, r.time);
  }
  const TimeMs span = last - first + 60'000;
  std::fprintf(stderr, "soak: %zu records spanning %.1f min of event time, %.0f s at %.0f records/s\n",
               records.size(), static_cast<double>(span) / 60'000, seconds, rate);

  const std::string dir = prefix + ".d";
  std::filesystem::create_directories(dir);
  const int port = 20000 + static_cast<int>(getpid() % 20000);
  const std::string pull = "tcp://127.0.0.1:" + std::to_string(port);
  const std::string sub = "tcp://127.0.0.1:" + std::to_string(port + 1);
  const std::string pub = "tcp://127.0.0.1:" + std::to_string(port + 2);
  const std::string log = prefix + ".daemon.log";
  const pid_t pid = callroot::bench::start_daemon({"run", "--pull", pull, "--sub", sub, "--pub", pub, "--checkpoint",
                                                   dir + "/soak.ckpt", "--checkpoint-every-s", "1"},
                                                  log);
  if (pid < 0) {
    std::fprintf(stderr, "soak: cannot start %s\n", CALLROOT_BINARY);
    return 2;
  }

  zmq::context_t ctx(1);
  zmq::socket_t out(ctx, zmq::socket_type::sub);
  out.set(zmq::sockopt::subscribe, "");
  out.set(zmq::sockopt::rcvhwm, 0);
  out.connect(pub);
  zmq::socket_t push(ctx, zmq::socket_type::push);
  push.set(zmq::sockopt::linger, 0);
  // As deep as the daemon's queue: a refusal then means the daemon fell behind, not this socket.
  push.set(zmq::sockopt::sndhwm, 100'000);
  push.connect(pull);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));

  std::vector<Row> rows;
  std::uint64_t sent = 0, dropped = 0, verdicts = 0, applied = 0;
  std::uint64_t last_sent = 0, last_dropped = 0, last_applied = 0, last_verdicts = 0;
  ProcStat last_stat = proc_stat(pid);
  std::string buffer;
  char stamp[32];
  std::size_t i = 0;
  std::uint64_t pass = 0;
  const auto start = Clock::now();
  auto next_sample = start + std::chrono::seconds(1);
  const auto drain = [&] {
    zmq::message_t type, body;
    while (out.recv(type, zmq::recv_flags::dontwait)) {
      if (!type.more() || !out.recv(body)) continue;
      if (type.to_string_view() == "verdict") ++verdicts;
      if (type.to_string_view() == "checkpoint") {
        applied = nlohmann::json::parse(body.to_string_view()).value("records", applied);
      }
    }
  };
  while (true) {
    const auto now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - start).count();
    if (elapsed >= seconds) break;
    // Send what the schedule says is due by now, in small bursts.
    const auto due = static_cast<std::uint64_t>(elapsed * rate);
    while (sent + dropped < due) {
      Record& r = records[i];
      const bool inventory = r.type.rfind("inventory.", 0) == 0;
      if (pass > 0 && inventory) {  // inventory once
        i = (i + 1) % records.size();
        if (i == 0) ++pass;
        continue;
      }
      buffer = r.line;
      for (const std::size_t p : r.stamps) {
        const auto t = callroot::parse_rfc3339(std::string_view(r.line).substr(p, 24));
        if (t) {
          callroot::format_rfc3339(*t + static_cast<TimeMs>(pass) * span, stamp);
          std::memcpy(buffer.data() + p, stamp, 24);
        }
      }
      if (r.segment_id != std::string::npos && pass > 0) {
        std::snprintf(stamp, sizeof stamp, "%04x", static_cast<unsigned>(pass & 0xffff));
        std::memcpy(buffer.data() + r.segment_id, stamp, 4);
      }
      if (push.send(zmq::buffer(r.type), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        push.send(zmq::buffer(buffer), zmq::send_flags::none);
        ++sent;
      } else {
        ++dropped;
      }
      i = (i + 1) % records.size();
      if (i == 0) ++pass;
    }
    drain();
    if (Clock::now() >= next_sample) {
      const ProcStat st = proc_stat(pid);
      Row row;
      row.t = std::chrono::duration<double>(Clock::now() - start).count();
      row.sent = static_cast<double>(sent - last_sent);
      row.dropped = static_cast<double>(dropped - last_dropped);
      row.applied = static_cast<double>(applied - std::min(applied, last_applied));
      row.verdicts = static_cast<double>(verdicts - last_verdicts);
      row.rss_mb = st.rss_mb;
      row.cpu_pct = 100 * (st.cpu_s - last_stat.cpu_s);
      rows.push_back(row);
      std::fprintf(stderr, "%6.0f s  sent %8.0f/s  dropped %8.0f/s  applied %8.0f/s  verdicts %6.0f/s  rss %6.1f MiB  cpu %5.1f %%\n",
                   row.t, row.sent, row.dropped, row.applied, row.verdicts, row.rss_mb, row.cpu_pct);
      last_sent = sent;
      last_dropped = dropped;
      last_applied = applied;
      last_verdicts = verdicts;
      last_stat = st;
      next_sample += std::chrono::seconds(1);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  drain();

  std::ofstream csv(prefix + ".csv");
  csv << "t_s,sent_per_s,dropped_per_s,applied_per_s,verdicts_per_s,rss_mib,cpu_pct\n";
  for (const Row& r : rows) {
    csv << r.t << ',' << r.sent << ',' << r.dropped << ',' << r.applied << ',' << r.verdicts << ',' << r.rss_mb << ','
        << r.cpu_pct << '\n';
  }
  write_svg(prefix + ".svg", rows);
  double rss_max = 0, rss_last_half_min = 1e18, rss_last_half_max = 0;
  for (const Row& r : rows) {
    rss_max = std::max(rss_max, r.rss_mb);
    if (r.t > seconds / 2) {
      rss_last_half_min = std::min(rss_last_half_min, r.rss_mb);
      rss_last_half_max = std::max(rss_last_half_max, r.rss_mb);
    }
  }
  std::printf("soak: %.0f s, %llu records sent (%.0f/s), %llu refused by ZeroMQ (drops), %llu applied by the daemon, "
              "%llu verdicts; RSS max %.1f MiB, second half %.1f-%.1f MiB; daemon exit %d\n",
              seconds, static_cast<unsigned long long>(sent), static_cast<double>(sent) / seconds,
              static_cast<unsigned long long>(dropped), static_cast<unsigned long long>(applied),
              static_cast<unsigned long long>(verdicts), rss_max, rss_last_half_min, rss_last_half_max,
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  std::printf("soak: %s.csv, %s.svg, daemon log %s\n", prefix.c_str(), prefix.c_str(), log.c_str());
  return 0;
}
