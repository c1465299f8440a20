#pragma once
/// One subcommand of `callroot`: it registers its own options on the
/// application and runs when the user chose it. main() only lists them.

#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/logger.h>

#include "engine/engine.h"
#include "ingest/capture_source.h"

namespace callroot::cli {

/// Exit codes (docs/contract.md §8): 0 success, 1 findings, 2 usage or input
/// errors (a bad option, unreadable input, unwritable output, a socket that
/// cannot be bound), as every command says it.
inline constexpr int kExitFindings = 1;
inline constexpr int kExitUsage = 2;

class Command {
 public:
  virtual ~Command() = default;
  /// Whether the user chose this command (after parsing).
  [[nodiscard]] bool chosen() const { return app_->parsed(); }
  /// Runs after a successful parse; returns the exit code.
  virtual int run(std::shared_ptr<spdlog::logger> log) = 0;

 protected:
  explicit Command(CLI::App* app) : app_(app) {}
  CLI::App* app_;
};
using CommandPtr = std::unique_ptr<Command>;

CommandPtr add_replay_command(CLI::App& parent);
CommandPtr add_run_command(CLI::App& parent);
CommandPtr add_keygen_command(CLI::App& parent);
CommandPtr add_privacy_command(CLI::App& parent);
CommandPtr add_rules_command(CLI::App& parent);
CommandPtr add_rtp_command(CLI::App& parent);
CommandPtr add_simulate_command(CLI::App& parent);
CommandPtr add_score_command(CLI::App& parent);
CommandPtr add_report_command(CLI::App& parent);
CommandPtr add_route_command(CLI::App& parent);
CommandPtr add_connect_command(CLI::App& parent);

// Options more than one command takes.

/// --lateness-ms, --grace-ms, --retention-ms; a flag overrides the configuration only when given.
struct EngineFlags {
  engine::EngineConfig values;  // the defaults shown in --help
  CLI::Option *lateness = nullptr, *grace = nullptr, *retention = nullptr;
  void add(CLI::App& cmd);
  void apply(engine::EngineConfig& config) const;
};

/// --attribution with every method and its description in the help.
CLI::Option* add_attribution_option(CLI::App& cmd, std::string& method);

/// What replay and run read from packet captures; a flag overrides the configuration only when given.
struct CaptureFlags {
  double slice_s = 60, flow_idle_s = 30;
  std::vector<std::uint16_t> udp_ports, zmq_ports;
  CLI::Option *slice = nullptr, *idle = nullptr, *udp = nullptr, *zmq = nullptr;
  void add(CLI::App& cmd, const char* zmq_default);
  void apply(ingest::CaptureOptions& o) const;
};

}  // namespace callroot::cli
