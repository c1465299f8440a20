/// The `callroot` command: replay, run, privacy, rules, rtp, simulate, score.

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdio>
#include <map>
#include <string>

#include "eval/score.h"
#include "sim/simulate.h"
#include "cli/attribution_mode.h"
#include "runtime/curve.h"
#include "runtime/privacy.h"
#include "runtime/daemon.h"
#include "runtime/pipeline.h"
#include "runtime/replay.h"
#include "cli/rtp_cmd.h"
#include "cli/rules_cmd.h"

namespace {

/// Exit codes: 0 success, 2 could not run (unreadable input, unwritable
/// output, a socket that cannot be bound), 64 usage error.
constexpr int kExitUsage = 64;

void add_engine_options(CLI::App& cmd, callroot::engine::EngineConfig& cfg) {
  cmd.add_option("--lateness-ms", cfg.allowed_lateness, "Telemetry this far behind the newest event is still merged")
      ->capture_default_str();
  cmd.add_option("--grace-ms", cfg.grace, "Wait this long past a segment's end for its telemetry")
      ->capture_default_str();
  cmd.add_option("--retention-ms", cfg.retention, "How long telemetry is kept")->capture_default_str();
}

/// What replay and run read from packet captures; a flag overrides the configuration only when given.
struct CaptureFlags {
  double slice_s = 60, flow_idle_s = 30;
  std::vector<std::uint16_t> udp_ports, zmq_ports;
  CLI::Option *slice = nullptr, *idle = nullptr, *udp = nullptr, *zmq = nullptr;
  void add(CLI::App& cmd, const char* zmq_default) {
    slice = cmd.add_option("--slice-s", slice_s, "RTP streams: seconds of packet time per call segment")
                ->capture_default_str()
                ->check(CLI::PositiveNumber);
    idle = cmd.add_option("--flow-idle-s", flow_idle_s, "RTP streams: close a stream after this many idle seconds")
               ->capture_default_str()
               ->check(CLI::PositiveNumber);
    udp = cmd.add_option("--udp-port", udp_ports, "Read one JSON record per UDP datagram to this port (repeatable)")
              ->allow_extra_args(false)
              ->check(CLI::Range(1, 65535));
    zmq = cmd.add_option("--zmq-port", zmq_ports,
                         std::string("Decode TCP to this port as ZeroMQ (ZMTP) ingest traffic (repeatable; default ") +
                             zmq_default + ")")
              ->allow_extra_args(false)
              ->check(CLI::Range(1, 65535));
  }
  void apply(callroot::ingest::CaptureOptions& o) const {
    if (slice->count() > 0) o.segmenter.slice_ns = static_cast<std::int64_t>(slice_s * 1e9);
    if (idle->count() > 0) o.segmenter.idle_timeout_ns = static_cast<std::int64_t>(flow_idle_s * 1e9);
    if (udp->count() > 0) o.udp_ports = udp_ports;
    if (zmq->count() > 0) o.zmq_ports = zmq_ports;
  }
};

CLI::Option* add_attribution_option(CLI::App& cmd, std::string& method) {
  std::string help = "The attribution method:";
  std::vector<std::string> names;
  for (const auto& e : callroot::cli::attribution_methods().entries()) {
    help += "\n  " + e.name + ": " + e.description;
    names.push_back(e.name);
  }
  return cmd.add_option("--attribution", method, help)->check(CLI::IsMember(names, CLI::ignore_case));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "callroot: why was that Teams or Zoom call bad? Correlates call quality with Wi-Fi, switch and WAN "
      "telemetry and blames the client, access point, switch or WAN link.",
      "callroot"};  // the name in usage lines, however it was started
  app.require_subcommand(1);
  app.set_version_flag("--version", "callroot 0.1.0");

  callroot::runtime::ReplayOptions replay;
  bool max_speed = false;
  auto* replay_cmd = app.add_subcommand("replay", "Replay JSON Lines files and packet captures in event-time order and write verdicts");
  replay_cmd
      ->add_option("files", replay.files,
                   "JSON Lines files (.jsonl, .jsonl.gz) and packet captures (.pcap, .pcapng); - for JSON Lines on "
                   "standard input")
      ->required()
      ->check(CLI::ExistingFile | CLI::IsMember({"-"}));
  replay_cmd->add_option("--out", replay.out, "Write verdicts as JSON Lines to this file ('-' for stdout)");
  auto* speed = replay_cmd->add_option("--speed", replay.speed, "Replay at X times event-time speed");
  replay_cmd->add_flag("--max", max_speed, "Replay as fast as possible (the default)")->excludes(speed);
  replay_cmd->add_flag("!--no-progress", replay.progress, "No progress line on stderr");
  replay_cmd->add_flag("--poor", replay.poor_only, "Write only the poor segments' verdicts (and incident records)");
  replay_cmd->add_flag("--strict", replay.strict,
                       "Exit 1 when a record was rejected, dropped as late or dropped for being far ahead (for CI)");
  // Read as text: CLI11 prints an enum's mapped values as raw bytes in --help and errors.
  std::string replay_format = "auto";
  replay_cmd->add_option("--format", replay_format, "auto (a table on a terminal, else JSON Lines), table or jsonl")
      ->check(CLI::IsMember({"auto", "table", "jsonl"}, CLI::ignore_case));
  add_engine_options(*replay_cmd, replay.engine);
  CaptureFlags replay_capture;
  replay_capture.add(*replay_cmd, "7710 and 7711");
  replay_cmd->add_option("--idle-flush-ms", replay.idle_flush_ms,
                         "Captures: score pending segments at gaps this long between records, as the daemon's idle "
                         "flush (default: 2000 when every input is a capture; 0: never)");

  std::vector<std::string> replay_rules;
  replay_cmd
      ->add_option("--rules", replay_rules,
                   "Attribute with these rule files or folders (default: the built-in heuristic)")
      ->allow_extra_args(false);
  std::string replay_mode = "combined";
  add_attribution_option(*replay_cmd, replay_mode);
  replay_cmd
      ->add_option("--checkpoint-in", replay.checkpoint_in,
                   "Restore this checkpoint (open incidents, baselines) before replaying")
      ->check(CLI::ExistingFile);
  replay_cmd->add_option("--checkpoint-out", replay.checkpoint_out,
                         "Save a checkpoint here after the end of the input");
  replay_cmd
      ->add_option("--key-file", replay.key_file,
                   "Privacy mode: pseudonymize users, hostnames and MACs with this organization key, keep input "
                   "values out of the log, encrypt the checkpoint (docs/privacy.md)")
      ->check(CLI::ExistingFile);

  callroot::runtime::DaemonOptions daemon;
  std::string config_path;
  std::vector<std::string> sub, pull, pub;
  auto* run_cmd = app.add_subcommand("run", "Run the daemon: records in over ZeroMQ, verdicts out on PUB");
  run_cmd->add_option("--config", config_path, "JSON configuration file")->check(CLI::ExistingFile);
  run_cmd->add_option("--sub", sub, "Bind an ingest SUB socket here (default tcp://127.0.0.1:7710)")
      ->allow_extra_args(false);
  run_cmd->add_option("--pull", pull, "Bind an ingest PULL socket here (default tcp://127.0.0.1:7711)")
      ->allow_extra_args(false);
  run_cmd->add_option("--pub", pub, "Bind the verdict PUB socket here (default tcp://127.0.0.1:7720)")
      ->allow_extra_args(false);
  CaptureFlags run_capture;
  std::string run_iface, run_bpf;
  run_cmd->add_option("--iface", run_iface, "Also capture records and RTP on this interface (needs CAP_NET_RAW)");
  run_cmd->add_option("--bpf", run_bpf, "With --iface: a pcap filter, e.g. 'udp or tcp port 7711'");
  run_capture.add(*run_cmd, "none");
  std::string run_mode = "combined";
  auto* run_mode_option = add_attribution_option(*run_cmd, run_mode);
  std::vector<std::string> run_rules;
  run_cmd
      ->add_option("--rules", run_rules,
                   "Attribute with these rule files or folders; reloaded on SIGHUP and when they change")
      ->allow_extra_args(false);
  bool run_refuse_shrink = false;
  run_cmd->add_flag("--rules-refuse-shrink", run_refuse_shrink,
                    "Refuse a rule reload that has fewer files or rules than the running set");
  std::string run_checkpoint;
  std::int64_t run_checkpoint_every = -1;  // -1: the configuration's or the default
  run_cmd->add_option("--checkpoint", run_checkpoint,
                      "Checkpoint file (open incidents, baselines): restored at start, saved periodically and at exit");
  run_cmd
      ->add_option("--checkpoint-every-s", run_checkpoint_every,
                   "Wall-time seconds between checkpoints (default 300; 0: only at exit)")
      ->check(CLI::NonNegativeNumber);
  std::string run_key_file;
  run_cmd
      ->add_option("--key-file", run_key_file,
                   "Privacy mode: pseudonymize users, hostnames and MACs with this organization key, keep input "
                   "values out of the log, encrypt checkpoints (docs/privacy.md)")
      ->check(CLI::ExistingFile);
  std::string run_curve_key, run_curve_allow;
  run_cmd
      ->add_option("--curve-key", run_curve_key,
                   "CurveZMQ: the daemon's key pair (from `callroot keygen`); every socket then admits only the "
                   "clients in --curve-allow (docs/security.md)")
      ->check(CLI::ExistingFile);
  run_cmd->add_option("--curve-allow", run_curve_allow, "CurveZMQ: a folder of the client public keys (*.pub) admitted")
      ->check(CLI::ExistingDirectory);
  bool run_insecure = false;
  run_cmd->add_flag("--insecure", run_insecure, "Allow binding an address other than loopback without CURVE");
  std::int64_t run_memory_limit = -1;  // -1: the configuration's or the default
  run_cmd
      ->add_option("--memory-limit-mb", run_memory_limit,
                   "Memory ceiling in MiB: above it telemetry is shed, call records still taken (default 1024; 0: none)")
      ->check(CLI::NonNegativeNumber);

  std::string curve_keygen_base;
  auto* curve_keygen_cmd =
      app.add_subcommand("keygen", "Write a CurveZMQ key pair: NAME.key (secret, mode 0600) and NAME.pub (docs/security.md)");
  curve_keygen_cmd->add_option("name", curve_keygen_base, "Path and name of the pair, without extension")->required();

  auto* privacy_cmd = app.add_subcommand("privacy", "Organization keys and pseudonyms (docs/privacy.md)");
  privacy_cmd->require_subcommand(1);
  std::string keygen_out;
  auto* keygen_cmd = privacy_cmd->add_subcommand("keygen", "Write a new random organization key");
  keygen_cmd->add_option("--out", keygen_out, "The key file to create (mode 0600, never overwritten); default stdout");
  std::string pseudonym_key;
  std::vector<std::string> pseudonym_values;
  auto* pseudonym_cmd =
      privacy_cmd->add_subcommand("pseudonym", "Print the pseudonym of each MAC, IP address, e-mail/user or hostname");
  pseudonym_cmd->add_option("--key-file", pseudonym_key, "The organization key file")
      ->required()
      ->check(CLI::ExistingFile);
  pseudonym_cmd->add_option("values", pseudonym_values, "Values to look up")->required();

  auto* rules_cmd = app.add_subcommand("rules", "Check, list, test and explain attribution rules");
  rules_cmd->require_subcommand(1);
  callroot::cli::RulesCheckOptions check;
  auto* check_cmd = rules_cmd->add_subcommand("check", "Validate rule files; every diagnostic with its position");
  check_cmd->add_option("paths", check.paths, "Rule files or folders of .rules files")->required();
  check_cmd->add_flag("--json", check.json, "One JSON object per diagnostic");
  check_cmd->add_flag("--werror", check.werror, "Warnings fail the check too");
  std::vector<std::string> list_paths;
  bool list_json = false;
  auto* list_cmd = rules_cmd->add_subcommand("list", "List rules: id, target, weight, severity, where");
  list_cmd->add_option("paths", list_paths, "Rule files or folders")->required();
  list_cmd->add_flag("--json", list_json, "One JSON object per rule");
  std::vector<std::string> list_replay;
  list_cmd->add_option("--replay", list_replay, "Replay these JSON Lines files with the rules and add per-rule counters")
      ->check(CLI::ExistingFile);
  auto* fields_cmd = rules_cmd->add_subcommand("fields", "Print the reference of fields and functions (Markdown)");
  auto* targets_cmd = rules_cmd->add_subcommand(
      "targets", "Print the published targets: the parameters every rule set and the built-in heuristic read");
  callroot::cli::RulesTestOptions rtest;
  auto* test_cmd = rules_cmd->add_subcommand("test", "Run rule tests (.ruletest files)");
  test_cmd->add_option("files", rtest.files, "Rule test files")->required()->check(CLI::ExistingFile);
  test_cmd->add_option("--rules", rtest.rules, "Rules for cases that name none")->allow_extra_args(false);
  test_cmd->add_option("--run", rtest.run_regex, "Only cases whose name matches this regular expression");
  test_cmd->add_option("--junit", rtest.junit_path, "Write JUnit XML here");
  callroot::cli::RulesExplainOptions explain;
  auto* explain_cmd = rules_cmd->add_subcommand("explain", "Replay and show how one segment's verdict came about");
  explain_cmd->add_option("--segment", explain.segment_id, "The segment id")->required();
  explain_cmd->add_option("--rules", explain.rules, "Rule files or folders")->required()->allow_extra_args(false);
  explain_cmd->add_option("files", explain.files, "JSON Lines input")->required()->check(CLI::ExistingFile);

  std::vector<std::string> rtp_files;
  bool rtp_json = false;
  auto* rtp_cmd = app.add_subcommand("rtp", "Per-stream RTP figures of pcap/pcapng files, as tshark -z rtp,streams");
  rtp_cmd->add_option("files", rtp_files, "Capture files (.pcap, .pcapng)")->required()->check(CLI::ExistingFile);
  rtp_cmd->add_flag("--json", rtp_json, "One JSON object per stream per line");

  callroot::sim::SimulateOptions sim;
  auto* sim_cmd = app.add_subcommand(
      "simulate", "Generate a scenario: inventory, telemetry and calls with planted faults, and its ground truth");
  sim_cmd->add_option("--out", sim.out_dir, "Output directory")->required();
  sim_cmd->add_option("--seed", sim.seed, "Random seed (same options and seed, same files)")->capture_default_str();
  std::string preset = "demo";
  sim_cmd->add_option("--preset", preset,
                      "demo (the bundled demo), campus, enterprise, or mixed (campus with faults mild to severe, "
                      "in bursts, edges inside calls, and decoys)")
      ->check(CLI::IsMember({"demo", "campus", "enterprise", "mixed"}))
      ->capture_default_str();
  sim_cmd->add_option("--sites", sim.sites, "Sites (default: the preset's)")->check(CLI::Range(1, 60));
  sim_cmd->add_option("--aps-per-site", sim.aps_per_site, "Access points per site")->check(CLI::Range(2, 64));
  sim_cmd->add_option("--clients", sim.clients, "Client devices over all sites")->check(CLI::Range(24, 100000));
  sim_cmd->add_option("--hours", sim.hours, "Hours of telemetry and calls")->check(CLI::Range(1, 48));
  sim_cmd->add_option("--interval-s", sim.interval_s, "Telemetry period in seconds")->check(CLI::Range(5, 300));
  sim_cmd->add_option("--segments", sim.segments, "Call segments, roughly")->check(CLI::Range(60, 1000000));
  sim_cmd->add_option("--aps-per-switch", sim.aps_per_switch, "APs per access switch (default 4)")
      ->check(CLI::Range(1, 16));
  sim_cmd->add_option("--switch-ports", sim.switch_ports,
                      "Ports every switch reports: those in use, then idle ones up to this many (default: those in "
                      "use only)")
      ->check(CLI::Range(0, 96));

  callroot::eval::ScoreOptions score;
  auto* score_cmd = app.add_subcommand("score", "Grade verdicts against a scenario's ground truth");
  score_cmd
      ->add_option("--truth", score.truth,
                   "The truth folder (DIR/truth) or its segments.jsonl; or an independent truth.json(.gz) or its folder")
      ->required();
  score_cmd->add_option("verdicts", score.verdicts, "Verdicts as JSON Lines ('-' for stdin)")->required();
  score_cmd->add_flag("--json", score.json, "One JSON object instead of the table");
  score_cmd->add_flag("--by-site", score.by_site, "Add the figures per site");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" that exit 0; real usage errors exit 64 (EX_USAGE).
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  auto log = callroot::runtime::make_logger();

  if (*replay_cmd) {
    using Format = callroot::runtime::ReplayOptions::Format;
    for (char& c : replay_format) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    replay.format = replay_format == "table" ? Format::kTable : replay_format == "jsonl" ? Format::kJsonl : Format::kAuto;
    std::shared_ptr<const callroot::rules::Program> rules;
    if (!replay_rules.empty()) {
      std::vector<std::string> diagnostics;
      rules = callroot::runtime::load_rule_program(replay_rules, diagnostics);
      for (const auto& d : diagnostics) std::fprintf(stderr, "%s\n", d.c_str());
      if (!rules) {
        log->error("the rules did not load");
        return 2;
      }
    }
    std::string error;
    callroot::engine::AttributorPtr attributor = callroot::cli::make_attributor(replay_mode, std::move(rules), error);
    if (!attributor) {
      callroot::runtime::log_lines(*log, spdlog::level::err, error);
      return kExitUsage;
    }
    auto shared = std::make_shared<callroot::engine::AttributorPtr>(std::move(attributor));
    replay.make_attributor = [shared]() { return std::move(*shared); };
    replay_capture.apply(replay.capture);
    return callroot::runtime::run_replay(replay, log);
  }
  if (*rtp_cmd) return callroot::cli::run_rtp(rtp_files, rtp_json, log);
  if (*privacy_cmd) {
    if (*keygen_cmd) return callroot::runtime::run_privacy_keygen(keygen_out, *log);
    if (*pseudonym_cmd) return callroot::runtime::run_privacy_pseudonym(pseudonym_key, pseudonym_values, *log);
  }
  if (*rules_cmd) {
    if (*check_cmd) return callroot::cli::rules_check(check);
    if (*list_cmd) return callroot::cli::rules_list(list_paths, list_json, list_replay, log);
    if (*fields_cmd) return callroot::cli::rules_fields();
    if (*targets_cmd) return callroot::cli::rules_targets();
    if (*test_cmd) return callroot::cli::rules_test(rtest, log);
    if (*explain_cmd) return callroot::cli::rules_explain(explain, log);
  }
  if (*curve_keygen_cmd) {
    try {
      callroot::runtime::write_curve_key_pair(curve_keygen_base, callroot::runtime::generate_curve_key_pair());
    } catch (const std::exception& e) {
      log->error("callroot keygen: {}", e.what());
      return 2;
    }
    std::printf("wrote %s.key (keep it secret) and %s.pub (give it to the peers)\n", curve_keygen_base.c_str(),
                curve_keygen_base.c_str());
    return 0;
  }
  if (*run_cmd) {
    // The engine's methods and the evaluation's references, as `replay` offers them.
    const auto methods = std::make_shared<const callroot::engine::AttributorRegistry>(callroot::cli::attribution_methods());
    daemon.methods = methods;
    try {
      if (!config_path.empty()) daemon = callroot::runtime::load_daemon_config(config_path, methods);
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      return 2;
    }
    if (!sub.empty()) daemon.source.sub_endpoints = sub;
    if (!pull.empty()) daemon.source.pull_endpoints = pull;
    if (!pub.empty()) daemon.publish = pub;
    if (!run_rules.empty()) daemon.rules = run_rules;
    if (run_refuse_shrink) daemon.rules_refuse_shrink = true;
    if (run_mode_option->count() > 0) daemon.attribution = run_mode;
    if (!run_iface.empty()) daemon.live.iface = run_iface;
    if (!run_bpf.empty()) daemon.live.bpf = run_bpf;
    run_capture.apply(daemon.capture);
    if (!run_checkpoint.empty()) daemon.checkpoint = run_checkpoint;
    if (run_checkpoint_every >= 0) daemon.checkpoint_every = std::chrono::seconds(run_checkpoint_every);
    if (!run_key_file.empty()) daemon.key_file = run_key_file;
    if (!run_curve_key.empty()) daemon.curve_key = run_curve_key;
    if (!run_curve_allow.empty()) daemon.curve_allow = run_curve_allow;
    if (run_insecure) daemon.insecure = true;
    if (run_memory_limit >= 0) daemon.memory_limit_mb = static_cast<std::size_t>(run_memory_limit);
    return callroot::runtime::run_daemon(daemon, log);
  }
  if (*sim_cmd) {
    sim.preset = *callroot::sim::parse_preset(preset);
    try {
      const auto summary = callroot::sim::write_scenario(sim);
      log->info("wrote the {} scenario to {}: {} records, {} call segments ({} poor: {} by {} planted faults, {} "
                "background), {} confounders, {} telemetry gaps",
                callroot::sim::to_string(sim.preset), sim.out_dir, summary.records(), summary.calls,
                summary.poor_segments, summary.poor_segments - summary.background_segments, summary.faults,
                summary.background_segments, summary.confounders, summary.gaps);
    } catch (const std::invalid_argument& e) {
      log->error("{}", e.what());
      return kExitUsage;
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      return 2;
    }
  }
  if (*score_cmd) return callroot::eval::run_score(score, log);
  return 0;
}
