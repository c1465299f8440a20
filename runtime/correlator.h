#pragma once
/// The engine for an embedder, behind one small API: records in as JSON text
/// (native records, Graph callRecords, Zoom QoS pages, Teams Rooms health),
/// verdicts and incidents out through callbacks, checkpoints, rule reloads.
///
///     callroot::runtime::Config config;  // the one the daemon and replay take (runtime/config.h)
///     config.attribution.rules = {"/etc/callroot/rules"};
///     callroot::runtime::Correlator correlator(config, [](const callroot::Verdict& v) { ... });
///     correlator.push(R"({"type":"wifi.client","ts":...})", controller);
///     ...
///     correlator.flush();  // end of input: score what is still waiting
///
/// One thread: every member runs on the caller's thread, and the callbacks
/// are called from push(), replay() and flush() before they return. A
/// record that does not decode is counted and logged (rate-limited), never
/// thrown: push() returns false. Setup errors (rules that do not load, a bad
/// key file, an unreadable checkpoint) throw std::runtime_error with the file.
/// This header, `runtime/config.h`, `runtime/clock.h`, `engine/engine.h`'s
/// EngineConfig and the record formats of docs/contract.md are the stable
/// surface (docs/embedding.md).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/logger.h>

#include "models/incident.h"
#include "models/verdict.h"
#include "runtime/config.h"
#include "runtime/pipeline.h"

namespace callroot::runtime {

struct Privacy;
class Correlator {
 public:
  using VerdictHandler = std::function<void(const Verdict&)>;
  using IncidentHandler = std::function<void(const Incident&)>;

  /// Throws std::runtime_error when the rules do not load (with their
  /// diagnostics), the method is unknown or the key file is bad. Rejections
  /// and warnings go to `log` (null: stderr, make_logger).
  Correlator(Config config, VerdictHandler on_verdict, IncidentHandler on_incident = {},
             std::shared_ptr<spdlog::logger> log = nullptr);
  ~Correlator();
  Correlator(const Correlator&) = delete;
  Correlator& operator=(const Correlator&) = delete;

  /// One record. `source` names where it came from (a connection, a
  /// controller: engine/clock_guard.h); `type_hint` types a body without a
  /// `type` field (a Graph callRecord, a Zoom page). False when it was
  /// rejected (counted in stats(), logged).
  bool push(std::string_view json, engine::SourceId source = engine::kAnySource, std::string_view type_hint = {});
  /// JSON Lines files and captures merged by event time, as `callroot
  /// replay` reads them (each file its own clock source); not flushed.
  /// Throws std::runtime_error when a file cannot be read.
  void replay(const std::vector<std::string>& files);
  /// Scores every segment still waiting (end of input, shutdown).
  void flush();

  /// Saves, or restores before the first record, what a restart should not
  /// forget (engine/engine.h); encrypted in privacy mode.
  void save_checkpoint(const std::string& path) const;
  void restore_checkpoint(const std::string& path);

  /// Loads the configured rules (`config.attribution.rules`) again. On errors
  /// the running rules stay and `diagnostics` says why; returns whether the
  /// new rules took over.
  bool reload_rules(std::vector<std::string>& diagnostics);

  [[nodiscard]] const PipelineStats& stats() const noexcept;
  [[nodiscard]] const engine::EngineStats& engine_stats() const noexcept;
  /// The summary `callroot replay` prints: records, rejections, segments, blame, incidents.
  [[nodiscard]] std::string summary() const;

 private:
  class Sink;
  Config config_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<Privacy> privacy_;
  std::unique_ptr<Sink> sink_;
  std::unique_ptr<Pipeline> pipeline_;
  std::uint64_t pushed_ = 0;
};

}  // namespace callroot::runtime
