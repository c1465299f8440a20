#include "runtime/pipeline.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include "models/capacity.h"
#include "models/json_writer.h"
#include "models/text.h"
#include "models/time.h"

namespace callroot::runtime {

namespace {
// Rejections are logged one by one up to this many, then one in every
// kLogEvery, so a stream of garbage cannot flood the log; all are counted.
constexpr std::uint64_t kLogFirst = 50;
constexpr std::uint64_t kLogEvery = 1000;
}  // namespace

namespace {

/// The syslog priority journald reads from the start of a line (sd-daemon(3)).
std::string_view journal_prefix(spdlog::level::level_enum level) noexcept {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return "<7>";
    case spdlog::level::info: return "<6>";
    case spdlog::level::warn: return "<4>";
    case spdlog::level::err: return "<3>";
    case spdlog::level::critical: return "<2>";
    default: return "<6>";
  }
}

/// Escapes each message's text before the pattern lays it out; the pattern's
/// own parts (level, time) are ours and need nothing.
class EscapingFormatter final : public spdlog::formatter {
 public:
  EscapingFormatter(std::string pattern, std::string_view (*prefix)(spdlog::level::level_enum) noexcept)
      : pattern_(std::move(pattern)), prefix_(prefix), inner_(std::make_unique<spdlog::pattern_formatter>(pattern_)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    if (prefix_ != nullptr) {
      const std::string_view p = prefix_(msg.level);
      dest.append(p.data(), p.data() + p.size());
    }
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (!needs_log_escape(payload)) return inner_->format(msg, dest);
    const std::string escaped = escape_for_log(payload);
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(escaped.data(), escaped.size());
    inner_->format(copy, dest);
    // A colour sink reads the level's colour range from the message it passed in.
    msg.color_range_start = copy.color_range_start;
    msg.color_range_end = copy.color_range_end;
  }
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<EscapingFormatter>(pattern_, prefix_);
  }

 private:
  std::string pattern_;
  std::string_view (*prefix_)(spdlog::level::level_enum) noexcept;
  std::unique_ptr<spdlog::formatter> inner_;
};

void append(spdlog::memory_buf_t& out, std::string_view text) { out.append(text.data(), text.data() + text.size()); }

/// JSON Lines or logfmt with the keys ts, level, logger and msg, one line
/// per message, whatever the message holds.
class StructuredFormatter final : public spdlog::formatter {
 public:
  StructuredFormatter(LogFormat format, bool journal) : format_(format), journal_(journal) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    if (journal_) append(dest, journal_prefix(msg.level));
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    const spdlog::string_view_t level_name = spdlog::level::to_string_view(msg.level);
    const std::string_view level(level_name.data(), level_name.size());
    const std::string_view logger(msg.logger_name.data(), msg.logger_name.size());
    const std::string_view text(msg.payload.data(), msg.payload.size());
    line_.clear();
    JsonWriter w(line_);
    if (format_ == LogFormat::kJson) {
      w.begin_object().key("ts").time(ms).key("level").value(level).key("logger").value(logger).key("msg").value(text);
      w.end_object();
    } else {
      // logfmt's quoted values escape as JSON strings do.
      line_ += "ts=" + format_rfc3339(ms) + " level=" + std::string(level) + " logger=";
      JsonWriter(line_).value(logger);
      line_ += " msg=";
      JsonWriter(line_).value(text);
    }
    line_ += '\n';
    append(dest, line_);
  }
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<StructuredFormatter>(format_, journal_);
  }

 private:
  LogFormat format_;
  bool journal_;
  std::string line_;
};

/// Whether stderr is the journal's stream: systemd sets JOURNAL_STREAM to
/// its device and inode (systemd.exec(5)), and a redirect changes them.
bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  return fstat(2, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

}  // namespace

bool parse_log_format(std::string_view text, LogFormat& out) noexcept {
  if (text == "text") out = LogFormat::kText;
  else if (text == "json") out = LogFormat::kJson;
  else if (text == "logfmt") out = LogFormat::kLogfmt;
  else return false;
  return true;
}

std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format, bool journal) {
  if (format != LogFormat::kText) return std::make_unique<StructuredFormatter>(format, journal);
  // journald adds its own time and the unit's name; the prefix gives the level.
  return journal ? std::make_unique<EscapingFormatter>("%^%l%$: %v", journal_prefix)
                 : std::make_unique<EscapingFormatter>("%n: %^%l%$: %v", nullptr);
}

std::shared_ptr<spdlog::logger> make_logger(std::string_view name, std::optional<LogFormat> format) {
  LogFormat chosen = LogFormat::kText;
  if (format) {
    chosen = *format;
  } else if (const char* env = std::getenv("CALLROOT_LOG_FORMAT")) {
    parse_log_format(env, chosen);
  }
  const bool journal = stderr_is_journal();
  auto logger = std::make_shared<spdlog::logger>(std::string(name),
                                                 std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  logger->set_formatter(make_log_formatter(chosen, journal));
  logger->set_level(spdlog::level::info);
  if (const char* level = std::getenv("CALLROOT_LOG_LEVEL")) logger->set_level(spdlog::level::from_str(level));
  return logger;
}

void log_lines(spdlog::logger& log, spdlog::level::level_enum level, std::string_view text) {
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    log.log(level, "{}", text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

namespace {
ingest::DecoderOptions decoder_options(const Pseudonymizer* pseudonymizer) {
  ingest::DecoderOptions o;
  o.pseudonymizer = pseudonymizer;
  return o;
}
}  // namespace

Pipeline::Pipeline(engine::EngineConfig config, engine::VerdictSink& sink, std::shared_ptr<spdlog::logger> log,
                   const Pseudonymizer* pseudonymizer)
    : decoder_(directory_, decoder_options(pseudonymizer)),
      engine_(config, directory_, sink),
      log_(std::move(log)),
      redact_(pseudonymizer != nullptr) {}

bool Pipeline::decode(std::string_view json, const ingest::Position& where, std::vector<Event>& out, bool padded,
                      std::string_view type_hint) {
  ++stats_.records;
  if (!decoder_.decode_many(json, out, padded, type_hint)) {
    const auto& err = decoder_.error();
    reject(err.reason, err.detail, where);
    return false;
  }
  // A cloud document with a few unreadable values still decodes; say which.
  if (log_->should_log(spdlog::level::debug)) {
    for (const auto& w : decoder_.warnings()) {
      log_->debug("{}: value not read, taken as not measured: {}", redact_ ? ingest::redact_values(where.str()) : where.str(),
                  redact_ ? ingest::redact_values(w) : w);
    }
  }
  ++stats_.accepted;
  return true;
}

bool Pipeline::feed(std::string_view json, const ingest::Position& where, bool padded, std::string_view type_hint,
                    engine::SourceId source) {
  scratch_.clear();
  if (!decode(json, where, scratch_, padded, type_hint)) return false;
  for (Event& e : scratch_) apply(std::move(e), source, &where);
  // One large cloud document must not pin its size in memory for good.
  release_if_large(scratch_);
  return true;
}

engine::ApplyResult Pipeline::apply(Event&& event, engine::SourceId source, const ingest::Position* where) {
  const engine::ApplyResult result = engine_.apply(std::move(event), source);
  if (result == engine::ApplyResult::kLate && where != nullptr && stats_.first_late.empty()) {
    stats_.first_late = redact_ ? ingest::redact_values(where->str()) : where->str();
  }
  return result;
}

void Pipeline::reject(ingest::RejectReason reason, std::string_view detail, const ingest::Position& where) {
  stats_.rejected.add(reason);
  ++logged_rejections_;
  if (logged_rejections_ <= kLogFirst || logged_rejections_ % kLogEvery == 0) {
    log_->warn("rejected {}: {}: {}{}", redact_ ? ingest::redact_values(where.str()) : where.str(), ingest::code(reason),
               redact_ ? ingest::redact_values(detail) : std::string(detail),
               logged_rejections_ == kLogFirst ? " (further rejections are logged 1 in 1000)" : "");
  }
}

std::string Pipeline::summary() const {
  const auto& e = engine_.stats();
  std::string s = fmt::format("records: {} read, {} accepted, {} rejected", stats_.records, stats_.accepted,
                              stats_.rejected.total());
  if (stats_.rejected.total() > 0) {
    s += " (";
    bool first = true;
    for (std::size_t i = 0; i < ingest::kRejectReasonCount; ++i) {
      const auto r = static_cast<ingest::RejectReason>(i);
      if (stats_.rejected.count(r) == 0) continue;
      s += fmt::format("{}{} {}", first ? "" : ", ", ingest::code(r), stats_.rejected.count(r));
      first = false;
    }
    s += ")";
  }
  s += fmt::format(", {} late telemetry dropped", e.late_dropped);
  if (e.future_dropped > 0) {
    s += fmt::format(", {} dropped for being far ahead of the event time with nothing to corroborate it",
                     e.future_dropped);
  }
  if (e.future_outvoted > 0) {
    s += fmt::format(", {} held for being far ahead of another source's clock", e.future_outvoted);
  }
  s += '\n';
  s += fmt::format("segments: {} scored, {} good, {} poor, {} unclassified", e.segments_scored, e.segments_good,
                   e.segments_poor, e.segments_unclassified);
  if (e.segments_reissued + e.segments_duplicate + e.segments_stale > 0) {
    s += fmt::format("; {} reissued, {} duplicates and {} stale versions dropped", e.segments_reissued,
                     e.segments_duplicate, e.segments_stale);
  }
  s += '\n';
  s += "blamed:";
  for (std::size_t k = 0; k < 6; ++k) {
    s += fmt::format(" {} {}", to_string(static_cast<ComponentKind>(k)), e.blamed[k]);
    if (k + 1 < 6) s += ',';
  }
  s += '\n';
  s += fmt::format("incidents: {} opened, {} closed, {} open at the end\n", e.incidents_opened, e.incidents_closed,
                   engine_.incidents().open_count());
  s += fmt::format("memory: telemetry store {:.1f} MB, statistics {:.1f} MB\n",
                   static_cast<double>(engine_.store().memory_bytes()) / 1e6,
                   static_cast<double>(engine_.statistics().memory_bytes()) / 1e6);
  return s;
}

}  // namespace callroot::runtime
