#pragma once
/// The daemon's HTTP listener for operators (`--metrics-listen`): Prometheus
/// metrics on `/metrics`, liveness on `/healthz`, readiness on `/readyz`
/// (docs/operations.md has every metric and what each probe checks).
///
/// Threads: the listener answers on threads of its own (civetweb's). The
/// daemon's thread counts records and latencies as they happen (lock-free
/// increments of counters it created up front) and hands over the pipeline's
/// totals a few times a second (publish()); a scrape reads what was last
/// handed over. No scrape ever touches the engine.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/pipeline.h"

namespace callroot::runtime {

/// What the daemon hands over a few times a second.
struct MetricsSnapshot {
  const PipelineStats* pipeline = nullptr;       ///< records, rejections by reason
  const engine::EngineStats* engine = nullptr;   ///< segments, blame, late drops, incidents
  std::uint64_t open_incidents = 0;
  std::uint64_t store_bytes = 0;
  std::uint64_t store_rows_recorded = 0;
  std::uint64_t resident_bytes = 0;
  std::uint64_t shed_records = 0;                ///< dropped above the memory ceiling
  /// The engine's watermark (ms since the epoch; 0: none yet) and the wall
  /// time of this snapshot: the watermark lag is their difference.
  std::int64_t watermark_ms = 0;
  std::int64_t wall_time_ms = 0;
  std::uint64_t rule_reloads_ok = 0;
  std::uint64_t rule_reloads_failed = 0;
  std::uint64_t config_reloads_ok = 0;      ///< SIGHUP with a configuration file that was taken
  std::uint64_t config_reloads_failed = 0;  ///< one that did not read or whose attribution did not load
  std::string rules_hash;  ///< of the running rule files' contents; empty: no rule files
};

/// Why the daemon is or is not ready, as `/readyz` reports it.
struct Readiness {
  bool started = false;          ///< sockets bound, rules loaded, checkpoint restored
  bool watermark_stalled = false;  ///< records keep arriving but the event time has not moved
  std::string detail;            ///< one line for humans
};

class MetricsServer {
 public:
  /// Listens on `listen` ("127.0.0.1:9464", "[::1]:9464"). Throws
  /// std::runtime_error naming the address when it cannot.
  explicit MetricsServer(const std::string& listen);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  /// The port it listens on (useful with port 0).
  [[nodiscard]] int port() const noexcept;

  /// One record taken from socket `source` (an index into the daemon's
  /// endpoints, named by name_source()), of `type` (frame 1; types callroot
  /// does not know are counted as "other"), accepted or rejected.
  void count_record(std::size_t source, std::string_view type, bool accepted);
  void name_source(std::size_t source, std::string name);
  /// A verdict went out this long after the record that let it be scored arrived.
  void observe_latency(std::chrono::nanoseconds ingest_to_verdict);
  /// The pipeline's totals, a few times a second, from the daemon's thread.
  void publish(const MetricsSnapshot& snapshot);
  void set_readiness(Readiness readiness);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

/// A short hash of the rule files' contents (FNV-1a 64 over path and bytes,
/// hex), for `callroot_rules_info{hash}`; empty without files.
std::string rules_hash(const std::vector<std::string>& files);

}  // namespace callroot::runtime
