// `callroot replay`: files merged by event time, verdicts to a file or the terminal.
#include <cctype>
#include <cstdio>

#include "cli/attribution_mode.h"
#include "cli/command.h"
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
    add_engine_options(cmd, options_.engine);
    capture_.add(cmd, "7710 and 7711");
    cmd.add_option("--idle-flush-ms", options_.idle_flush_ms,
                   "Captures: score pending segments at gaps this long between records, as the daemon's idle "
                   "flush (default: 2000 when every input is a capture; 0: never)");
    cmd.add_option("--rules", rules_, "Attribute with these rule files or folders (default: the built-in heuristic)")
        ->allow_extra_args(false);
    add_attribution_option(cmd, method_);
    cmd.add_option("--checkpoint-in", options_.checkpoint_in,
                   "Restore this checkpoint (open incidents, baselines) before replaying")
        ->check(CLI::ExistingFile);
    cmd.add_option("--checkpoint-out", options_.checkpoint_out, "Save a checkpoint here after the end of the input");
    cmd.add_option("--key-file", options_.key_file,
                   "Privacy mode: pseudonymize users, hostnames and MACs with this organization key, keep input "
                   "values out of the log, encrypt the checkpoint (docs/privacy.md)")
        ->check(CLI::ExistingFile);
  }

  int run(std::shared_ptr<spdlog::logger> log) override {
    using Format = runtime::ReplayOptions::Format;
    for (char& c : format_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    options_.format = format_ == "table" ? Format::kTable : format_ == "jsonl" ? Format::kJsonl : Format::kAuto;
    std::shared_ptr<const rules::Program> rules;
    if (!rules_.empty()) {
      std::vector<std::string> diagnostics;
      rules = runtime::load_rule_program(rules_, diagnostics);
      for (const auto& d : diagnostics) std::fprintf(stderr, "%s\n", d.c_str());
      if (!rules) {
        log->error("the rules did not load");
        return kExitUsage;
      }
    }
    std::string error;
    engine::AttributorPtr attributor = make_attributor(method_, std::move(rules), error);
    if (!attributor) {
      runtime::log_lines(*log, spdlog::level::err, error);
      return kExitUsage;
    }
    auto shared = std::make_shared<engine::AttributorPtr>(std::move(attributor));
    options_.make_attributor = [shared]() { return std::move(*shared); };
    capture_.apply(options_.capture);
    return runtime::run_replay(options_, log);
  }

 private:
  runtime::ReplayOptions options_;
  bool max_speed_ = false;
  std::string format_ = "auto";
  CaptureFlags capture_;
  std::vector<std::string> rules_;
  std::string method_ = "combined";
};

}  // namespace

CommandPtr add_replay_command(CLI::App& parent) { return std::make_unique<ReplayCommand>(parent); }

}  // namespace callroot::cli
