#include "tools/replay.h"

#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <spdlog/spdlog.h>

#include "ingest/jsonl_reader.h"
#include "tools/sinks.h"

namespace callroot::tools {
namespace {

/// Capture files are replayed by a later issue's packet reader; say so clearly.
bool looks_like_pcap(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char magic[4] = {};
  if (!in.read(reinterpret_cast<char*>(magic), 4)) return false;
  const std::uint32_t m = static_cast<std::uint32_t>(magic[0]) << 24 | static_cast<std::uint32_t>(magic[1]) << 16 |
                          static_cast<std::uint32_t>(magic[2]) << 8 | magic[3];
  return m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1 || m == 0x0a0d0d0a;
}

/// One input file with its next decoded events held back for the merge (a
/// Graph callRecord or a Zoom page gives several).
struct Input {
  std::unique_ptr<ingest::JsonlReader> reader;
  std::vector<Event> events;
  std::size_t next = 0;
  TimeMs head_time = kNoTime;
  bool has_head = false;

  Event& head() { return events[next]; }
};

/// Moves `in` to its next event, reading ahead to the next good record when
/// the current one is used up; rejected lines are counted by the pipeline.
void advance(Input& in, Pipeline& pipeline, std::shared_ptr<spdlog::logger>& log) {
  if (in.has_head && in.next + 1 < in.events.size()) {
    ++in.next;
    in.head_time = event_time(in.head());
    return;
  }
  in.has_head = false;
  std::string_view line;
  while (in.reader->next(line)) {
    const ingest::Position where{in.reader->path(), in.reader->line_number()};
    in.events.clear();
    in.next = 0;
    if (pipeline.decode(line, where, in.events, /*padded=*/true) && !in.events.empty()) {
      in.head_time = event_time(in.head());
      in.has_head = true;
      return;
    }
  }
  if (!in.reader->error().empty()) log->error("{}: {}", in.reader->path(), in.reader->error());
}

class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO)) {}
  void tick(const Pipeline& p) {
    if (!enabled_ || (++calls_ & 0x3fff) != 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(250)) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "\rreplay: %llu records (%.2f M/s), %llu segments scored   ",
                 static_cast<unsigned long long>(p.stats().records), p.stats().records / secs / 1e6,
                 static_cast<unsigned long long>(p.engine().stats().segments_scored));
    shown_ = true;
  }
  ~Progress() {
    if (shown_) std::fprintf(stderr, "\r%80s\r", "");
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::uint64_t calls_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

}  // namespace

PipelineStats replay_into(const ReplayOptions& options, engine::VerdictSink& sink,
                          std::shared_ptr<spdlog::logger> log, std::string* summary) {
  Pipeline pipeline(options.engine, sink, log);
  if (options.make_attributor) pipeline.engine().set_attributor(options.make_attributor());
  std::vector<Input> inputs;
  inputs.reserve(options.files.size());
  for (const auto& path : options.files) {
    if (looks_like_pcap(path)) {
      throw std::runtime_error(path + ": packet captures are not replayed yet (JSON Lines only in this version)");
    }
    auto& in = inputs.emplace_back();
    in.reader = std::make_unique<ingest::JsonlReader>(path);
  }
  for (auto& in : inputs) advance(in, pipeline, log);

  Progress progress(options.progress);
  const auto wall_start = std::chrono::steady_clock::now();
  TimeMs first_time = kNoTime;
  for (;;) {
    // Few files: a linear scan for the earliest head beats a heap's bookkeeping.
    Input* next = nullptr;
    for (auto& in : inputs) {
      if (in.has_head && (next == nullptr || in.head_time < next->head_time)) next = &in;
    }
    if (next == nullptr) break;
    if (options.speed > 0 && next->head_time != kNoTime) {
      if (first_time == kNoTime) first_time = next->head_time;
      const auto due = wall_start + std::chrono::duration<double, std::milli>(
                                        static_cast<double>(next->head_time - first_time) / options.speed);
      std::this_thread::sleep_until(due);
    }
    pipeline.apply(std::move(next->head()));
    advance(*next, pipeline, log);
    progress.tick(pipeline);
  }
  pipeline.flush();
  if (summary != nullptr) *summary = pipeline.summary();
  return pipeline.stats();
}

int run_replay(const ReplayOptions& options, std::shared_ptr<spdlog::logger> log) {
  std::FILE* out = stdout;
  bool close_out = false;
  if (!options.out.empty() && options.out != "-") {
    out = std::fopen(options.out.c_str(), "w");
    if (out == nullptr) {
      log->error("cannot write {}: {}", options.out, std::strerror(errno));
      return 2;
    }
    close_out = true;
  }
  std::unique_ptr<engine::VerdictSink> sink;
  JsonlSink* jsonl = nullptr;
  using Format = ReplayOptions::Format;
  const bool table = options.format == Format::kTable || (options.format == Format::kAuto && isatty(fileno(out)));
  if (table) {
    sink = std::make_unique<TableSink>(out);
  } else {
    auto s = std::make_unique<JsonlSink>(out);
    jsonl = s.get();
    sink = std::move(s);
  }
  int rc = 0;
  try {
    std::string summary;
    replay_into(options, *sink, log, &summary);
    if (jsonl != nullptr) jsonl->flush();
    std::fputs(summary.c_str(), stderr);
  } catch (const std::exception& e) {
    log->error("{}", e.what());
    rc = 2;
  }
  sink.reset();
  if (close_out && std::fclose(out) != 0) {
    log->error("cannot write {}: {}", options.out, std::strerror(errno));
    rc = 2;
  }
  return rc;
}

}  // namespace callroot::tools
