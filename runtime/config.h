#pragma once
/// The one configuration the daemon (`callroot run`), a replay (`callroot
/// replay`) and an embedder (`Correlator`) are built from: the engine's
/// settings, how blame is assigned, privacy, what is read from packet
/// captures, and the clock the runtime's timers read. The daemon and replay
/// add only their own input and output (sockets, files, output format) around
/// it, so the same configuration gives the same verdicts in all three.
///
/// The JSON configuration file (docs/contract.md, "Configuration file") is
/// read by load_daemon_config (runtime/daemon.h); `callroot replay --config`
/// takes the shared part of the same file.

#include <memory>
#include <string>
#include <vector>

#include "engine/attributors.h"
#include "engine/engine.h"
#include "ingest/capture_source.h"
#include "rules/program.h"
#include "runtime/clock.h"

namespace callroot::runtime {

/// How blame is assigned.
struct AttributionConfig {
  /// Rule files or folders; empty: no rule pack (the `combined` method then
  /// uses the published targets alone). The daemon reloads them on SIGHUP.
  std::vector<std::string> rules;
  /// A rule pack already loaded (a command that printed its diagnostics
  /// first); used instead of reading `rules` for the first load.
  std::shared_ptr<const rules::Program> program;
  /// The method of `methods` (`--attribution`).
  std::string method = "combined";
  /// The methods to choose from; null: the engine's built-in ones
  /// (engine/attributors.h). The command line adds the evaluation's
  /// reference methods to its copy.
  std::shared_ptr<const engine::AttributorRegistry> methods;
  /// Refuse a reload that has fewer rule files or rules than the running set
  /// (it is logged as a warning either way).
  bool refuse_shrink = false;
};

struct Config {
  engine::EngineConfig engine;
  AttributionConfig attribution;
  /// Privacy mode (docs/privacy.md): the organization key file. Users,
  /// hostnames and MACs are pseudonymized on input, no input value reaches
  /// the log, checkpoints are encrypted. Empty: off.
  std::string key_file;
  /// What is read from packet captures (replay's pcap files, the daemon's `--iface`).
  ingest::CaptureOptions capture;
  /// The runtime's wall time (runtime/clock.h); null: the machine's steady
  /// clock. Not owned; must outlive what it is given to.
  Clock* clock = nullptr;

  [[nodiscard]] Clock& wall_clock() const noexcept { return clock != nullptr ? *clock : steady_clock(); }
};

/// What one load of the rule paths found.
struct RuleLoadReport {
  std::vector<std::string> diagnostics;  ///< rendered, one per entry (warnings too), and errors
  std::vector<std::string> files;        ///< the rule files read, in load order
  std::size_t rules = 0;                 ///< rules in the set that loaded
};

/// The configured method, with the rule pack taken from `config.program` or
/// loaded from `config.rules` when there is one. Returns null, with the
/// reasons in `report`, when a rule file has errors or the method is unknown
/// or needs rules it was not given. The daemon, replay, the rule tools, the
/// Correlator and every rule reload build their attribution here.
engine::AttributorPtr load_attribution(const AttributionConfig& config, RuleLoadReport& report);
/// The same for a setup that cannot go on without it (replay, the
/// Correlator): throws std::runtime_error with every diagnostic when it fails.
engine::AttributorPtr require_attribution(const AttributionConfig& config);

}  // namespace callroot::runtime
