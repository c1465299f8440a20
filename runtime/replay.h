#pragma once
/// `callroot replay`: JSON Lines files in event-time order through the
/// engine, verdicts out, a summary on stderr.

#include <functional>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "engine/sink.h"
#include "runtime/config.h"
#include "runtime/pipeline.h"

namespace callroot::runtime {

struct ReplayOptions {
  std::vector<std::string> files;
  std::string out;    ///< where verdicts go; empty or "-": stdout
  enum class Format : std::uint8_t { kAuto, kTable, kJsonl };
  Format format = Format::kAuto;  ///< kAuto: a table when writing to a terminal, JSON Lines otherwise
  double speed = 0;   ///< 0: as fast as possible; X: event time runs X times faster than wall time
  bool progress = true;  ///< a progress line on stderr, when stderr is a terminal
  /// What replay shares with the daemon and an embedder: the engine, the
  /// attribution, privacy (pseudonyms; the checkpoint written is encrypted),
  /// what is read from packet captures among `files`, and the clock that
  /// paces `speed`.
  Config config;
  /// The daemon's idle flush, replayed: pending segments are scored when two
  /// capture records are this far apart in capture time. -1: the daemon's
  /// default (2000) when every input is a capture, else 0; 0: never.
  std::int64_t idle_flush_ms = -1;
  /// A checkpoint to restore before replaying (open incidents, baselines),
  /// and one to save after the end of the input; empty: none.
  std::string checkpoint_in;
  std::string checkpoint_out;
  /// Exit 1 when a record was rejected, dropped as late or dropped for being far ahead (`--strict`).
  bool strict = false;
  /// Write only the poor segments' verdicts (and every incident record) (`--poor`).
  bool poor_only = false;
};

/// Replays `options.files` merged by event time into `sink`. A JSON Lines
/// file is cut into runs in time order first (docs/contract.md, `callroot
/// replay`), a capture is read in capture order; runs and captures are merged
/// by the time of their next record (inventory first), so files sorted by
/// time give a sorted stream.
/// Throws std::runtime_error when a file cannot be opened or read, the key
/// file holds no key, or the attribution does not load (its diagnostics).
PipelineStats replay_into(const ReplayOptions& options, engine::VerdictSink& sink,
                          std::shared_ptr<spdlog::logger> log, std::string* summary = nullptr);

/// The merge alone, into a pipeline someone else owns (an embedder's
/// Correlator): `options.files` read and applied as replay_into does, each
/// file its own clock source, with `options.speed`, `progress`,
/// `config.capture`, `config.clock` and `idle_flush_ms`; the pipeline is not flushed. Returns the captures'
/// summary lines. Throws std::runtime_error when a file cannot be opened.
std::string merge_files(const ReplayOptions& options, Pipeline& pipeline, const Pseudonymizer* pseudonymizer,
                        std::shared_ptr<spdlog::logger> log);

/// The command: opens the output, replays, prints the summary. Returns the exit code.
int run_replay(const ReplayOptions& options, std::shared_ptr<spdlog::logger> log);

}  // namespace callroot::runtime
