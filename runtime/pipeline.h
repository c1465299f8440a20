#pragma once
/// Wires decoding to the engine for one command: every record, from any
/// source, goes through Pipeline::feed, which decodes it, counts and logs a
/// rejection with its position, and hands good events to the engine.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

#include "engine/engine.h"
#include "ingest/decoder.h"
#include "ingest/reject.h"
#include "models/directory.h"

namespace callroot::runtime {

struct PipelineStats {
  std::uint64_t records = 0;
  std::uint64_t accepted = 0;
  ingest::RejectCounters rejected;
  /// Where the first record dropped as late came from (`file:line`), when known.
  std::string first_late;
  /// The engine's counters when the input ended (replay_into fills them).
  engine::EngineStats engine;
};

class Pipeline {
 public:
  /// `pseudonymizer` (not owned; outlives the pipeline) turns privacy mode on
  /// (docs/privacy.md): the decoder pseudonymizes what it reads, and the input
  /// values that rejections and warnings quote are left out of the log.
  Pipeline(engine::EngineConfig config, engine::VerdictSink& sink, std::shared_ptr<spdlog::logger> log,
           const Pseudonymizer* pseudonymizer = nullptr);

  /// Decodes and applies one record from `source` (a file, a connection:
  /// engine/clock_guard.h). `padded`: see RecordDecoder::decode. Returns
  /// false when the record was rejected (already counted and logged).
  bool feed(std::string_view json, const ingest::Position& where, bool padded = false,
            std::string_view type_hint = {}, engine::SourceId source = engine::kAnySource);
  /// Decodes one record without applying it (the replay merge holds events
  /// back), appending its events to `out`: one for a native record, many for
  /// a Graph callRecord or a Zoom QoS page.
  bool decode(std::string_view json, const ingest::Position& where, std::vector<Event>& out, bool padded = false,
              std::string_view type_hint = {});
  /// Counts and logs a record rejected before decoding (e.g. a malformed ZeroMQ message).
  void reject(ingest::RejectReason reason, std::string_view detail, const ingest::Position& where);
  /// Applies an event decoded earlier from the record at `where` (null: not known).
  engine::ApplyResult apply(Event&& event, engine::SourceId source = engine::kAnySource,
                            const ingest::Position* where = nullptr);
  void flush() { engine_.flush(); }

  [[nodiscard]] engine::Engine& engine() noexcept { return engine_; }
  [[nodiscard]] const engine::Engine& engine() const noexcept { return engine_; }
  [[nodiscard]] const PipelineStats& stats() const noexcept { return stats_; }
  /// The replay summary: records, rejections by reason, segments, blame by kind.
  [[nodiscard]] std::string summary() const;

 private:
  Directory directory_;
  ingest::RecordDecoder decoder_;
  engine::Engine engine_;
  std::shared_ptr<spdlog::logger> log_;
  PipelineStats stats_;
  std::uint64_t logged_rejections_ = 0;
  bool redact_ = false;  // privacy mode: no input values in the log
  std::vector<Event> scratch_;  // feed()'s events, reused
};

/// How log lines are laid out (`--log-format`, CALLROOT_LOG_FORMAT):
/// `<logger>: <level>: <message>` text, JSON Lines, or logfmt. The structured
/// two have the stable keys ts (RFC 3339, UTC, ms), level (trace, debug,
/// info, warning, error, critical), logger (`callroot run`) and msg.
enum class LogFormat : std::uint8_t { kText, kJson, kLogfmt };
/// "text", "json" or "logfmt"; false for anything else.
bool parse_log_format(std::string_view text, LogFormat& out) noexcept;

/// The logger commands write to: stderr, level from the environment
/// (CALLROOT_LOG_LEVEL), format `format` or else CALLROOT_LOG_FORMAT's (text
/// by default). Every message is one line: control bytes and bytes that are
/// not UTF-8 are escaped (models/text.h; JSON escapes in the structured
/// formats), so a value from a record, a rule file or a peer can never forge
/// a line of its own. When stderr is the systemd journal (JOURNAL_STREAM),
/// each line starts with its syslog priority (`<4>` for a warning), which
/// journald keeps as the entry's level, and text lines leave out the
/// logger's name, which journald records itself.
std::shared_ptr<spdlog::logger> make_logger(std::string_view name = "callroot",
                                            std::optional<LogFormat> format = std::nullopt);
/// make_logger's formatter, for loggers with other sinks.
std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format = LogFormat::kText, bool journal = false);

/// Logs a text of several lines (a rendered rule diagnostic) one log line per line.
void log_lines(spdlog::logger& log, spdlog::level::level_enum level, std::string_view text);

}  // namespace callroot::runtime
