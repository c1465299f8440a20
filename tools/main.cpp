/// The `callroot` command: replay, run, simulate.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <string>

#include "tools/daemon.h"
#include "tools/demo_generator.h"
#include "tools/pipeline.h"
#include "tools/replay.h"
#include "tools/rtp_cmd.h"
#include "tools/rules_cmd.h"

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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "callroot: why was that Teams or Zoom call bad? Correlates call quality with Wi-Fi, switch and WAN "
      "telemetry and blames the client, access point, switch or WAN link."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "callroot 0.1.0");

  callroot::tools::ReplayOptions replay;
  bool max_speed = false;
  auto* replay_cmd = app.add_subcommand("replay", "Replay JSON Lines files in event-time order and write verdicts");
  replay_cmd->add_option("files", replay.files, "JSON Lines files (.jsonl, .jsonl.gz)")
      ->required()
      ->check(CLI::ExistingFile);
  replay_cmd->add_option("--out", replay.out, "Write verdicts as JSON Lines to this file ('-' for stdout)");
  auto* speed = replay_cmd->add_option("--speed", replay.speed, "Replay at X times event-time speed");
  replay_cmd->add_flag("--max", max_speed, "Replay as fast as possible (the default)")->excludes(speed);
  replay_cmd->add_flag("!--no-progress", replay.progress, "No progress line on stderr");
  const std::map<std::string, callroot::tools::ReplayOptions::Format> formats{
      {"auto", callroot::tools::ReplayOptions::Format::kAuto},
      {"table", callroot::tools::ReplayOptions::Format::kTable},
      {"jsonl", callroot::tools::ReplayOptions::Format::kJsonl}};
  replay_cmd->add_option("--format", replay.format, "auto (a table on a terminal, else JSON Lines), table or jsonl")
      ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case));
  add_engine_options(*replay_cmd, replay.engine);

  std::vector<std::string> replay_rules;
  replay_cmd
      ->add_option("--rules", replay_rules,
                   "Attribute with these rule files or folders (default: the built-in heuristic)")
      ->allow_extra_args(false);

  callroot::tools::DaemonOptions daemon;
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
  std::vector<std::string> run_rules;
  run_cmd
      ->add_option("--rules", run_rules,
                   "Attribute with these rule files or folders; reloaded on SIGHUP and when they change")
      ->allow_extra_args(false);

  auto* rules_cmd = app.add_subcommand("rules", "Check, list, test and explain attribution rules");
  rules_cmd->require_subcommand(1);
  callroot::tools::RulesCheckOptions check;
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
  callroot::tools::RulesTestOptions rtest;
  auto* test_cmd = rules_cmd->add_subcommand("test", "Run rule tests (.ruletest files)");
  test_cmd->add_option("files", rtest.files, "Rule test files")->required()->check(CLI::ExistingFile);
  test_cmd->add_option("--rules", rtest.rules, "Rules for cases that name none")->allow_extra_args(false);
  test_cmd->add_option("--run", rtest.run_regex, "Only cases whose name matches this regular expression");
  test_cmd->add_option("--junit", rtest.junit_path, "Write JUnit XML here");
  callroot::tools::RulesExplainOptions explain;
  auto* explain_cmd = rules_cmd->add_subcommand("explain", "Replay and show how one segment's verdict came about");
  explain_cmd->add_option("--segment", explain.segment_id, "The segment id")->required();
  explain_cmd->add_option("--rules", explain.rules, "Rule files or folders")->required()->allow_extra_args(false);
  explain_cmd->add_option("files", explain.files, "JSON Lines input")->required()->check(CLI::ExistingFile);

  std::vector<std::string> rtp_files;
  bool rtp_json = false;
  auto* rtp_cmd = app.add_subcommand("rtp", "Per-stream RTP figures of pcap/pcapng files, as tshark -z rtp,streams");
  rtp_cmd->add_option("files", rtp_files, "Capture files (.pcap, .pcapng)")->required()->check(CLI::ExistingFile);
  rtp_cmd->add_flag("--json", rtp_json, "One JSON object per stream per line");

  callroot::tools::DemoOptions demo;
  auto* sim_cmd =
      app.add_subcommand("simulate", "Generate the demo campus: inventory, telemetry and calls with planted faults");
  sim_cmd->add_option("--seed", demo.seed, "Random seed (same seed, same files)")->capture_default_str();
  sim_cmd->add_option("--out", demo.out_dir, "Output directory")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" that exit 0; real usage errors exit 64 (EX_USAGE).
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  auto log = callroot::tools::make_logger();

  if (*replay_cmd) {
    if (!replay_rules.empty()) {
      std::vector<std::string> diagnostics;
      auto attributor = callroot::tools::load_rule_attributor(replay_rules, diagnostics);
      for (const auto& d : diagnostics) std::fprintf(stderr, "%s\n", d.c_str());
      if (!attributor) {
        log->error("the rules did not load");
        return 2;
      }
      auto shared = std::make_shared<callroot::engine::AttributorPtr>(std::move(attributor));
      replay.make_attributor = [shared]() { return std::move(*shared); };
    }
    return callroot::tools::run_replay(replay, log);
  }
  if (*rtp_cmd) return callroot::tools::run_rtp(rtp_files, rtp_json, log);
  if (*rules_cmd) {
    if (*check_cmd) return callroot::tools::rules_check(check);
    if (*list_cmd) return callroot::tools::rules_list(list_paths, list_json, list_replay, log);
    if (*fields_cmd) return callroot::tools::rules_fields();
    if (*test_cmd) return callroot::tools::rules_test(rtest, log);
    if (*explain_cmd) return callroot::tools::rules_explain(explain, log);
  }
  if (*run_cmd) {
    try {
      if (!config_path.empty()) daemon = callroot::tools::load_daemon_config(config_path);
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      return 2;
    }
    if (!sub.empty()) daemon.source.sub_endpoints = sub;
    if (!pull.empty()) daemon.source.pull_endpoints = pull;
    if (!pub.empty()) daemon.publish = pub;
    if (!run_rules.empty()) daemon.rules = run_rules;
    return callroot::tools::run_daemon(daemon, log);
  }
  if (*sim_cmd) {
    try {
      const auto summary = callroot::tools::write_demo(demo);
      log->info("wrote the demo campus to {}: {} records ({} call segments, {} made poor by {} planted faults)",
                demo.out_dir, summary.records(), summary.calls, summary.poor_segments, summary.truth);
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      return 2;
    }
  }
  return 0;
}
