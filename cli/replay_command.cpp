// `callroot replay`: files merged by event time, verdicts to a file or the terminal.
#include <cctype>
#include <cstdio>

#include "cli/attribution_mode.h"
#include "cli/command.h"
#include "runtime/daemon.h"
#include "runtime/pipeline.h"
#include "runtime/replay.h"
#include "runtime/rule_watcher.h"

namespace callroot::cli {
namespace {

class ReplayCommand final : public Command {
 public:
  explicit ReplayCommand(CLI::App& parent)
      : Command(parent.add_subcommand(
            "replay", "Replay JSON Lines files and packet captures in event-time order and write verdicts")) {
    CLI::App& cmd = *app_;
    cmd.add_option("files", options_.files,
                   "JSON Lines files (.jsonl, .jsonl.gz) and packet captures (.pcap, .pcapng); - for JSON Lines on "
                   "standard input")
        ->required()
        ->check(CLI::Validator(
            [](std::string& path) {
              return path == "-" ? std::string() : CLI::ExistingFile(path);
            },
            "FILE or -"));
    cmd.add_option("--out", options_.out, "Write verdicts as JSON Lines to this file ('-' for stdout)");
    auto* speed = cmd.add_option("--speed", options_.speed, "Replay at X times event-time speed");
    cmd.add_flag("--max", max_speed_, "Replay as fast as possible (the default)")->excludes(speed);
    cmd.add_flag("!--no-progress", options_.progress, "No progress line on stderr");
    cmd.add_flag("--poor", options_.poor_only, "Write only the poor segments' verdicts (and incident records)");
    cmd.add_flag("--strict", options_.strict,
                 "Exit 1 when a record was rejected, dropped as late or dropped for being far ahead (for CI)");
    // Read as text: CLI11 prints an enum's mapped values as raw bytes in --help and errors.
    cmd.add_option("--format", format_, "auto (a table on a terminal, else JSON Lines), table or jsonl")
        ->check(CLI::IsMember({"auto", "table", "jsonl"}, CLI::ignore_case));
    cmd.add_option("--config", config_path_,
                   "Take the engine settings, rules, attribution, key file and capture ports of this `callroot run` "
                   "configuration file (flags given here win)")
        ->check(CLI::ExistingFile);
    engine_.add(cmd);
    capture_.add(cmd, "7710 and 7711");
    cmd.add_option("--idle-flush-ms", options_.idle_flush_ms,
                   "Captures: score pending segments at gaps this long between records, as the daemon's idle "
                   "flush (default: 2000 when every input is a capture; 0: never)");
    cmd.add_option("--rules", rules_, "Attribute with these rule files or folders (default: the built-in heuristic)")
        ->allow_extra_args(false);
    method_option_ = add_attribution_option(cmd, method_);
    cmd.add_option("--checkpoint-in", options_.checkpoint_in,
                   "Restore this checkpoint (open incidents, baselines) before replaying")
        ->check(CLI::ExistingFile);
    cmd.add_option("--checkpoint-out", options_.checkpoint_out, "Save a checkpoint here after the end of the input");
    cmd.add_option("--key-file", key_file_,
                   "Privacy mode: pseudonymize users, hostnames and MACs with this organization key, keep input "
                   "values out of the log, encrypt the checkpoint (docs/privacy.md)")
        ->check(CLI::ExistingFile);
  }

  int run(std::shared_ptr<spdlog::logger> log) override {
    using Format = runtime::ReplayOptions::Format;
    for (char& c : format_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    options_.format = format_ == "table" ? Format::kTable : format_ == "jsonl" ? Format::kJsonl : Format::kAuto;
    // The engine's methods and the evaluation's references.
    const auto methods = std::make_shared<const engine::AttributorRegistry>(attribution_methods());
    runtime::Config& config = options_.config;
    config.attribution.methods = methods;
    if (!config_path_.empty()) {
      try {
        config = runtime::load_daemon_config(config_path_, methods).config;
      } catch (const std::exception& e) {
        log->error("{}", e.what());
        return kExitUsage;
      }
    }
    engine_.apply(config.engine);
    capture_.apply(config.capture);
    if (!key_file_.empty()) config.key_file = key_file_;
    if (method_option_->count() > 0) config.attribution.method = method_;
    if (!rules_.empty()) config.attribution.rules = rules_;
    // Loaded here, so that its warnings show even when it loads.
    if (!config.attribution.rules.empty()) {
      std::vector<std::string> diagnostics;
      config.attribution.program = runtime::load_rule_program(config.attribution.rules, diagnostics);
      for (const auto& d : diagnostics) std::fprintf(stderr, "%s\n", d.c_str());
      if (!config.attribution.program) {
        log->error("the rules did not load");
        return kExitUsage;
      }
    }
    return runtime::run_replay(options_, log);
  }

 private:
  runtime::ReplayOptions options_;
  bool max_speed_ = false;
  std::string format_ = "auto";
  CaptureFlags capture_;
  std::string config_path_;
  EngineFlags engine_;
  std::string key_file_;
  std::vector<std::string> rules_;
  std::string method_ = "combined";
  CLI::Option* method_option_ = nullptr;
};

}  // namespace

CommandPtr add_replay_command(CLI::App& parent) { return std::make_unique<ReplayCommand>(parent); }

}  // namespace callroot::cli
