// `callroot replay`: files merged by event time, verdicts to a file or the terminal.
#include <cctype>
#include <cstdio>

#include "cli/attribution_mode.h"
#include "cli/command.h"
#include "runtime/daemon.h"
#include "runtime/pipeline.h"
#include "runtime/replay.h"
#include "runtime/rule_watcher.h"
#include "runtime/sinks.h"
#include "runtime/stream_replay.h"

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
        ->check(CLI::Validator(
            [](std::string& path) {
              return path == "-" ? std::string() : CLI::ExistingFile(path);
            },
            "FILE or -"));
    cmd.add_option("--out", options_.out, "Write verdicts as JSON Lines to this file ('-' for stdout)");
    cmd.add_option("--nats", nats_,
                   "Instead of files: a site's records kept in the NATS JetStream stream (with --site; "
                   "docs/scale-out.md), read as an instance holding the site read them; JSON Lines out");
    cmd.add_option("--site", site_, "With --nats: the site");
    cmd.add_option("--from", from_, "With --nats: only verdicts of segments ending at or after this RFC 3339 time");
    cmd.add_option("--to", to_, "With --nats: only verdicts of segments ending before this RFC 3339 time");
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
    if (!nats_.empty()) return replay_from_stream(log);
    if (options_.files.empty()) {
      log->error("no input: give files, or --nats URL --site NAME");
      return kExitUsage;
    }
    return runtime::run_replay(options_, log);
  }

  /// A site from the records stream, verdicts as JSON Lines.
  int replay_from_stream(const std::shared_ptr<spdlog::logger>& log) {
    runtime::StreamReplayOptions o;
    o.url = nats_;
    o.site = site_;
    o.config = options_.config;
    if (site_.empty()) {
      log->error("--nats needs --site");
      return kExitUsage;
    }
    for (const auto& [text, value] : {std::pair{&from_, &o.from}, std::pair{&to_, &o.to}}) {
      if (text->empty()) continue;
      const auto t = parse_rfc3339(*text);
      if (!t) {
        log->error("{} is not an RFC 3339 time", *text);
        return kExitUsage;
      }
      *value = *t;
    }
    std::FILE* file = options_.out.empty() || options_.out == "-" ? stdout : std::fopen(options_.out.c_str(), "w");
    if (file == nullptr) {
      log->error("cannot write {}", options_.out);
      return kExitUsage;
    }
    int code = 0;
    try {
      runtime::JsonlSink sink(file);
      const runtime::PipelineStats stats = runtime::replay_site(o, sink, log);
      std::fprintf(stderr, "replay of site %s from %s: %llu records, %llu segments scored\n", site_.c_str(),
                   nats_.c_str(), static_cast<unsigned long long>(stats.records),
                   static_cast<unsigned long long>(stats.engine.segments_scored));
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      code = kExitUsage;
    }
    if (file != stdout) std::fclose(file);
    return code;
  }

 private:
  runtime::ReplayOptions options_;
  bool max_speed_ = false;
  std::string format_ = "auto";
  CaptureFlags capture_;
  std::string nats_, site_, from_, to_;
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
