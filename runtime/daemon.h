#pragma once
/// `callroot run`: the daemon. Records in over ZeroMQ (SUB and PULL, bound),
/// verdicts out on a PUB socket. One thread: receive, decode, apply, publish;
/// ZeroMQ's own I/O threads do the network work. Stops on SIGINT/SIGTERM,
/// scoring what is pending before it exits.

#include <chrono>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "engine/engine.h"
#include "ingest/capture_source.h"
#include "ingest/pcap_reader.h"
#include "ingest/zmq_source.h"
#include "engine/attributors.h"

namespace callroot::runtime {

struct DaemonOptions {
  ingest::ZmqSourceOptions source;
  std::vector<std::string> publish{"tcp://127.0.0.1:7720"};
  engine::EngineConfig engine;
  /// With no input for this long, pending segments are scored: the stream may
  /// have stopped, and waiting for the watermark would wait forever.
  std::chrono::milliseconds idle_flush{2000};
  /// Rule files or folders; empty: the built-in heuristic. Reloaded on SIGHUP
  /// and when the files change (looked at every `rules_check_interval`).
  std::vector<std::string> rules;
  std::chrono::milliseconds rules_check_interval{1000};
  /// Refuse a reload with fewer rule files or rules than the running set
  /// (`rules_refuse_shrink`); such a reload is logged as a warning either way.
  bool rules_refuse_shrink = false;
  /// How blame is assigned (`--attribution`): a method of `methods` (null:
  /// the engine's built-in ones); a reloaded rule set is wrapped the same way.
  std::string attribution = "combined";
  std::shared_ptr<const engine::AttributorRegistry> methods;
  /// Checkpoint file (open incidents, baselines): restored at start when it
  /// exists, saved every `checkpoint_every` of wall time (zero: only at
  /// shutdown) and at shutdown. Empty: no checkpoints.
  std::string checkpoint;
  std::chrono::seconds checkpoint_every{300};
  /// Privacy mode (docs/privacy.md): the organization key file (`key_file`,
  /// `--key-file`). Users, hostnames and MACs are pseudonymized on input, no
  /// input value reaches the log, checkpoints are encrypted. Empty: off.
  std::string key_file;
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
  /// 90 % of it (tools/memory_ceiling.h).
  std::size_t memory_limit_mb = 1024;
  /// Live capture (`--iface`): `live.iface` empty means none. Records and
  /// metered segments from the interface go through the same pipeline.
  ingest::LiveCaptureOptions live;
  /// What is read from the interface. No ZeroMQ ports by default: the
  /// daemon's own sockets already receive that traffic.
  ingest::CaptureOptions capture = [] {
    ingest::CaptureOptions o;
    o.zmq_ports.clear();
    return o;
  }();
};

/// Reads a JSON configuration file (keys documented in docs/contract.md); throws
/// std::runtime_error naming the file and the offending key. `attribution`
/// names one of `methods` (null: the engine's built-in ones).
DaemonOptions load_daemon_config(const std::string& path,
                                 std::shared_ptr<const engine::AttributorRegistry> methods = nullptr);

/// Runs until SIGINT or SIGTERM; returns the exit code.
int run_daemon(const DaemonOptions& options, std::shared_ptr<spdlog::logger> log);

}  // namespace callroot::runtime
