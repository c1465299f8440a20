#include "runtime/replay.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "ingest/jsonl_reader.h"
#include "ingest/time_peek.h"
#include "runtime/capture.h"
#include "runtime/privacy.h"
#include "runtime/sinks.h"

namespace callroot::runtime {
namespace {

/// One input file with its next decoded events held back for the merge (a
/// Graph callRecord or a Zoom page gives several).
struct Input {
  std::unique_ptr<ingest::JsonlReader> reader;
  std::uint64_t first_line = 1, last_line = 0;  // the run of the file this input reads; 0: to the end
  std::uint64_t head_line = 0;                  // where the head's record was read (JSON Lines)
  std::unique_ptr<CaptureFileInput> capture;  // instead of `reader` for a pcap/pcapng file
  engine::SourceId source = engine::kAnySource;  // each file is a clock source of its own
  std::int64_t last_record_ns = 0;            // capture time of the capture's last record
  bool flush_before = false;                  // the daemon would have idle-flushed before the head
  std::vector<Event> events;
  std::size_t next = 0;
  TimeMs head_time = kNoTime;
  TimeMs last_time = kNoTime;  // of the last event taken from this file
  bool has_head = false;

  Event& head() { return events[next]; }
};

/// A capture's next good record; a gap of `idle_flush_ns` in capture time
/// before it marks the flush the daemon would have made.
void advance_capture(Input& in, Pipeline& pipeline, std::shared_ptr<spdlog::logger>& log, std::int64_t idle_flush_ns) {
  ingest::CaptureRecord rec;
  bool gap = false;
  while (in.capture->next(rec)) {
    gap = gap || (idle_flush_ns > 0 && in.last_record_ns != 0 && rec.ts_ns - in.last_record_ns >= idle_flush_ns);
    in.last_record_ns = rec.ts_ns;
    if (rec.rejected) {
      pipeline.reject(rec.reason, rec.detail, rec.where);
      continue;
    }
    in.events.clear();
    in.next = 0;
    if (pipeline.decode(rec.body, rec.where, in.events, /*padded=*/true, rec.type) && !in.events.empty()) {
      in.head_time = event_time(in.head());
      in.has_head = true;
      in.flush_before = gap;
      return;
    }
  }
  if (!in.capture->error().empty()) {
    log->error("{}: {} (the records before it are used)", in.capture->path(), in.capture->error());
  }
}

/// The next good record of a JSON Lines file into `in.events` (appended);
/// false at the end. Rejected lines are counted by the pipeline.
bool read_record(Input& in, Pipeline& pipeline, std::vector<Event>& out) {
  std::string_view line;
  while (in.reader->next(line)) {
    const std::uint64_t number = in.reader->line_number();
    if (number < in.first_line) continue;
    if (in.last_line != 0 && number > in.last_line) return false;
    const ingest::Position where{in.reader->path(), number};
    const std::size_t before = out.size();
    if (pipeline.decode(line, where, out, /*padded=*/true) && out.size() > before) return true;
  }
  return false;
}

/// The lines of a JSON Lines file as runs in time order: a run ends where
/// the next record goes back more than `lateness` behind the newest of the
/// run (files concatenated, a collector that flushed out of order). Each run
/// is then merged with the other inputs like a file of its own, so a file's
/// order no longer decides what is late. Records without a time (inventory)
/// just before such a step back open the next run, whose head they then are,
/// so they come first as an inventory file's would. Times are peeked from the
/// text, not decoded. Past `max_runs` the file is left whole: its records
/// arrive as they are, and what is late is reported.
std::vector<std::pair<std::uint64_t, std::uint64_t>> time_ordered_runs(const std::string& path, DurationMs lateness,
                                                                       std::size_t max_runs) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> runs{{1, 0}};
  ingest::JsonlReader reader(path);
  std::string_view line;
  TimeMs newest = kNoTime;
  std::uint64_t untimed_since = 0;  // the first of the untimed lines just read
  while (reader.next(line)) {
    const TimeMs t = ingest::peek_event_time(line);
    if (t == kNoTime) {
      if (untimed_since == 0) untimed_since = reader.line_number();
      continue;
    }
    if (newest != kNoTime && t < newest - lateness) {
      if (runs.size() == max_runs) return {{1, 0}};
      const std::uint64_t start = untimed_since != 0 ? untimed_since : reader.line_number();
      runs.back().second = start - 1;
      runs.emplace_back(start, 0);
      newest = t;
    } else if (newest == kNoTime || t > newest) {
      newest = t;
    }
    untimed_since = 0;
  }
  return runs;
}

/// `in`'s head, just read, is far ahead of what came before it: a gap or a
/// bad clock. The record after it tells which: when that one goes back in
/// time, the head is an outlier and goes to the engine at once (whose clock
/// guard holds it) instead of stalling its whole file behind a time that may
/// be decades away while the other files run on.
void settle_outlier(Input& in, Pipeline& pipeline, DurationMs jump) {
  const std::size_t ahead = in.events.size();
  if (!read_record(in, pipeline, in.events)) return;
  const TimeMs after = event_time(in.events[ahead]);
  if (after == kNoTime || after + jump >= in.head_time) return;  // a gap: the file goes on from there
  for (std::size_t i = 0; i < ahead; ++i) pipeline.apply(std::move(in.events[i]), in.source);
  in.events.erase(in.events.begin(), in.events.begin() + static_cast<std::ptrdiff_t>(ahead));
  in.next = 0;
  in.head_time = event_time(in.head());
}

/// Moves `in` to its next event, reading ahead to the next good record when
/// the current one is used up; rejected lines are counted by the pipeline.
void advance(Input& in, Pipeline& pipeline, std::shared_ptr<spdlog::logger>& log, std::int64_t idle_flush_ns = 0) {
  in.flush_before = false;
  if (in.has_head) in.last_time = std::max(in.last_time, in.head_time);
  if (in.has_head && in.next + 1 < in.events.size()) {
    ++in.next;
    in.head_time = event_time(in.head());
    return;
  }
  in.has_head = false;
  if (in.capture) {
    advance_capture(in, pipeline, log, idle_flush_ns);
    return;
  }
  in.events.clear();
  in.next = 0;
  if (read_record(in, pipeline, in.events)) {
    in.head_line = in.reader->line_number();
    in.head_time = event_time(in.head());
    in.has_head = true;
    const DurationMs jump = pipeline.engine().clock_guard().config().max_jump;
    if (in.head_time != kNoTime && in.last_time != kNoTime && in.head_time > in.last_time + jump) {
      settle_outlier(in, pipeline, jump);
    }
    return;
  }
  if (!in.reader->error().empty()) log->error("{}: {}", in.reader->path(), in.reader->error());
}

/// The first heads, before anything is applied: one far ahead of every other
/// file's is checked the same way (a file may well start later; a bad first
/// line goes back in time at the second).
void settle_first_heads(std::vector<Input>& inputs, Pipeline& pipeline) {
  const DurationMs jump = pipeline.engine().clock_guard().config().max_jump;
  for (auto& in : inputs) {
    if (!in.has_head || in.capture || in.head_time == kNoTime) continue;
    TimeMs earliest_other = kNoTime;
    for (const auto& other : inputs) {
      if (&other == &in || !other.has_head || other.head_time == kNoTime) continue;
      if (earliest_other == kNoTime || other.head_time < earliest_other) earliest_other = other.head_time;
    }
    if (earliest_other != kNoTime && in.head_time > earliest_other + jump) settle_outlier(in, pipeline, jump);
  }
}

class Progress {
 public:
  Progress(bool enabled, const Clock& clock)
      : enabled_(enabled && isatty(STDERR_FILENO)), clock_(clock), start_(clock.now()), last_(start_) {}
  void tick(const Pipeline& p) {
    if (!enabled_ || (++calls_ & 0x3fff) != 0) return;
    const auto now = clock_.now();
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
  const Clock& clock_;
  Clock::time_point start_;
  Clock::time_point last_;
};

}  // namespace

std::string merge_files(const ReplayOptions& options, Pipeline& pipeline, const Pseudonymizer* pseudonymizer,
                        std::shared_ptr<spdlog::logger> log) {
  ingest::CaptureOptions capture = options.config.capture;
  capture.pseudonymizer = pseudonymizer;
  // Each run reads through a reader of its own (a 1 MiB buffer): a few runs
  // cover files concatenated or split by time; more is a shuffle.
  constexpr std::size_t kMaxRunsPerFile = 16;
  std::vector<Input> inputs;
  inputs.reserve(options.files.size());
  bool all_captures = true;
  for (std::size_t f = 0; f < options.files.size(); ++f) {
    const std::string& path = options.files[f];
    if (path == "-") {  // standard input: JSON Lines, read once, as it comes
      auto& in = inputs.emplace_back();
      in.source = f + 1;
      in.reader = std::make_unique<ingest::JsonlReader>("/dev/stdin");
      all_captures = false;
      continue;
    }
    if (is_capture_file(path)) {
      auto& in = inputs.emplace_back();
      in.source = f + 1;
      in.capture = std::make_unique<CaptureFileInput>(path, capture);
      continue;
    }
    all_captures = false;
    for (const auto& [first, last] : time_ordered_runs(path, options.config.engine.allowed_lateness, kMaxRunsPerFile)) {
      auto& in = inputs.emplace_back();
      in.source = f + 1;
      in.reader = std::make_unique<ingest::JsonlReader>(path);
      in.first_line = first;
      in.last_line = last;
    }
  }
  const std::int64_t idle_flush_ns =
      (options.idle_flush_ms >= 0 ? options.idle_flush_ms : (all_captures ? 2000 : 0)) * 1'000'000;
  for (auto& in : inputs) advance(in, pipeline, log, idle_flush_ns);
  settle_first_heads(inputs, pipeline);

  Clock& clock = options.config.wall_clock();
  Progress progress(options.progress, clock);
  const auto wall_start = clock.now();
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
      const auto due = wall_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(
                                        static_cast<double>(next->head_time - first_time) / options.speed));
      clock.sleep_until(due);
    }
    if (next->flush_before && pipeline.engine().pending() > 0) pipeline.flush();
    const ingest::Position where{next->reader ? std::string_view(next->reader->path()) : std::string_view{},
                                 next->head_line};
    pipeline.apply(std::move(next->head()), next->source, next->reader ? &where : nullptr);
    advance(*next, pipeline, log, idle_flush_ns);
    progress.tick(pipeline);
  }
  std::string captures;
  for (const auto& in : inputs) {
    if (in.capture) captures += in.capture->summary();
  }
  return captures;
}

PipelineStats replay_into(const ReplayOptions& options, engine::VerdictSink& sink,
                          std::shared_ptr<spdlog::logger> log, std::string* summary) {
  engine::AttributorPtr attributor = require_attribution(options.config.attribution);
  const std::unique_ptr<Privacy> privacy = load_privacy(options.config.key_file, *log);
  const Pseudonymizer* pseudonymizer = privacy ? &privacy->pseudonymizer : nullptr;
  const StateCipher* cipher = privacy ? &privacy->cipher : nullptr;
  Pipeline pipeline(options.config.engine, sink, log, pseudonymizer);
  pipeline.engine().set_attributor(std::move(attributor));
  if (!options.checkpoint_in.empty()) pipeline.engine().restore_checkpoint(options.checkpoint_in, cipher);
  const std::string captures = merge_files(options, pipeline, pseudonymizer, log);
  pipeline.flush();
  if (!options.checkpoint_out.empty()) pipeline.engine().save_checkpoint(options.checkpoint_out, cipher);
  if (summary != nullptr) *summary = pipeline.summary() + captures;
  PipelineStats stats = pipeline.stats();
  stats.engine = pipeline.engine().stats();
  return stats;
}

namespace {

/// The columns of the terminal `fd` is, or 0 when it does not say.
std::size_t terminal_width(int fd) {
  winsize size{};
  return ioctl(fd, TIOCGWINSZ, &size) == 0 ? size.ws_col : 0;
}

/// Says loudly what a replay lost to the order of its input, and with
/// --strict makes what it lost a failure (exit 1).
int report_disorder(const ReplayOptions& options, const PipelineStats& stats, spdlog::logger& log) {
  const std::uint64_t late = stats.engine.late_dropped;
  if (late > 0) {
    log.warn("{} telemetry record(s) came more than {} ms behind the newest record and were dropped as late "
             "(first: {}): the input is out of event-time order by more than the lateness; give --lateness-ms "
             "larger than its disorder",
             late, options.config.engine.allowed_lateness, stats.first_late.empty() ? "a capture" : stats.first_late);
  }
  const std::uint64_t rejected = stats.rejected.total();
  const std::uint64_t far_ahead = stats.engine.future_dropped;
  if (!options.strict || rejected + late + far_ahead == 0) return 0;
  log.error("--strict: {} record(s) rejected, {} dropped as late, {} dropped for being far ahead", rejected,
            late, far_ahead);
  return 1;
}

}  // namespace

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
  const bool terminal = isatty(fileno(out)) != 0;
  const bool table = options.format == Format::kTable || (options.format == Format::kAuto && terminal);
  if (table) {
    sink = std::make_unique<TableSink>(out, terminal ? terminal_width(fileno(out)) : 0);
  } else {
    auto s = std::make_unique<JsonlSink>(out);
    jsonl = s.get();
    sink = std::move(s);
  }
  std::unique_ptr<engine::VerdictSink> filter;
  if (options.poor_only) filter = std::make_unique<PoorOnlySink>(*sink);
  ReplayOptions effective = options;
  // The progress line and a table on the same terminal would write over each other.
  if (terminal && isatty(STDERR_FILENO)) effective.progress = false;
  int rc = 0;
  try {
    std::string summary;
    const PipelineStats stats = replay_into(effective, filter ? *filter : *sink, log, &summary);
    if (jsonl != nullptr) jsonl->flush();
    std::fputs(summary.c_str(), stderr);
    rc = report_disorder(options, stats, *log);
  } catch (const std::exception& e) {
    log_lines(*log, spdlog::level::err, e.what());
    rc = 2;
  }
  filter.reset();
  sink.reset();
  if (close_out && std::fclose(out) != 0) {
    log->error("cannot write {}: {}", options.out, std::strerror(errno));
    rc = 2;
  }
  return rc;
}

}  // namespace callroot::runtime
