#pragma once
/// `callroot run`: the daemon. Records in over ZeroMQ (SUB and PULL, bound),
/// verdicts out on a PUB socket. One thread: receive, decode, apply, publish;
/// ZeroMQ's own I/O threads do the network work. Stops on SIGINT/SIGTERM,
/// scoring what is pending before it exits.

#include <chrono>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "ingest/capture_source.h"
#include "ingest/pcap_reader.h"
#include "ingest/zmq_source.h"
#include "runtime/config.h"
#include "runtime/verdict_files.h"

namespace callroot::runtime {

struct DaemonOptions {
  /// What the daemon shares with replay and an embedder: the engine, the
  /// attribution (its `rules` reloaded on SIGHUP and when the files change),
  /// privacy, capture options, the clock of the timers below. Nothing is
  /// read from a live interface's ZeroMQ ports by default: the daemon's own
  /// sockets already receive that traffic.
  Config config = [] {
    Config c;
    c.capture.zmq_ports.clear();
    return c;
  }();
  ingest::ZmqSourceOptions source;
  std::vector<std::string> publish{"tcp://127.0.0.1:7720"};
  /// With no input for this long, pending segments are scored: the stream may
  /// have stopped, and waiting for the watermark would wait forever.
  std::chrono::milliseconds idle_flush{2000};
  /// How often the rule files are looked at for changes.
  std::chrono::milliseconds rules_check_interval{1000};
  /// Checkpoint file (open incidents, baselines): restored at start when it
  /// exists, saved every `checkpoint_every` of wall time (zero: only at
  /// shutdown) and at shutdown. Empty: no checkpoints.
  std::string checkpoint;
  std::chrono::seconds checkpoint_every{300};
  /// CurveZMQ (docs/security.md): the daemon's key pair file (`curve_key`,
  /// `--curve-key`, from `callroot keygen`) and the folder of the client
  /// public keys it admits (`curve_allow`, `--curve-allow`), read again on
  /// SIGHUP. With a key every socket the daemon binds is a CURVE server.
  std::string curve_key;
  std::string curve_allow;
  /// Allow binding an address other than loopback without CURVE (`--insecure`).
  bool insecure = false;
  /// The total memory ceiling in MiB (`memory_limit_mb`, `--memory-limit-mb`;
  /// 0: none): above it telemetry is shed until the resident set falls below
  /// 90 % of it (runtime/memory_ceiling.h).
  std::size_t memory_limit_mb = 1024;
  /// The operators' HTTP listener (`metrics_listen`, `--metrics-listen`,
  /// e.g. "127.0.0.1:9464"): Prometheus `/metrics`, `/healthz`, `/readyz`
  /// (runtime/metrics.h, docs/operations.md). Empty: none.
  std::string metrics_listen;
  /// Verdicts and incident records also to rotating JSON Lines files
  /// (`out_dir`, `--out-dir`; runtime/verdict_files.h). `dir` empty: none.
  VerdictFilesOptions verdict_files;
  /// Live capture (`--iface`): `live.iface` empty means none. Records and
  /// metered segments from the interface go through the same pipeline.
  ingest::LiveCaptureOptions live;
};

/// Reads a JSON configuration file (keys documented in docs/contract.md); throws
/// std::runtime_error naming the file and the offending key. `attribution`
/// names one of `methods` (null: the engine's built-in ones), which the
/// result's `config.attribution.methods` keeps.
DaemonOptions load_daemon_config(const std::string& path,
                                 std::shared_ptr<const engine::AttributorRegistry> methods = nullptr);

/// Reads the configuration again on SIGHUP, the way it was built at start
/// (the file, with the command line's flags over it); throws
/// std::runtime_error naming the file and the offending key.
using ConfigReader = std::function<DaemonOptions()>;

/// Runs until SIGINT or SIGTERM, or until `stop` is requested (an embedder
/// running the daemon on a thread of its own); returns the exit code. SIGHUP
/// reads the rule files and the CURVE allow-list again and, with `reread`,
/// the configuration: what can change at once does (runtime/config_reload.h),
/// a change that needs a restart is logged as such, and a configuration that
/// does not read or whose attribution does not load changes nothing.
int run_daemon(const DaemonOptions& options, std::shared_ptr<spdlog::logger> log, std::stop_token stop = {},
               const ConfigReader& reread = {});

}  // namespace callroot::runtime
