#include "runtime/pipeline.h"

#include <cstdlib>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include "models/capacity.h"
#include "models/text.h"

namespace callroot::runtime {

namespace {
// Rejections are logged one by one up to this many, then one in every
// kLogEvery, so a stream of garbage cannot flood the log; all are counted.
constexpr std::uint64_t kLogFirst = 50;
constexpr std::uint64_t kLogEvery = 1000;
}  // namespace

namespace {

/// Escapes each message's text before the pattern lays it out; the pattern's
/// own parts (level, time) are ours and need nothing.
class EscapingFormatter final : public spdlog::formatter {
 public:
  explicit EscapingFormatter(std::string pattern)
      : pattern_(std::move(pattern)), inner_(std::make_unique<spdlog::pattern_formatter>(pattern_)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
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
    return std::make_unique<EscapingFormatter>(pattern_);
  }

 private:
  std::string pattern_;
  std::unique_ptr<spdlog::formatter> inner_;
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_log_formatter() {
  return std::make_unique<EscapingFormatter>("%n: %^%l%$: %v");
}

std::shared_ptr<spdlog::logger> make_logger(std::string_view name) {
  auto logger = std::make_shared<spdlog::logger>(std::string(name),
                                                 std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  logger->set_formatter(make_log_formatter());
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
