/// The `callroot` command: each subcommand registers its own options
/// (cli/command.h); this file only lists them and runs the one chosen.

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "cli/command.h"
#include "runtime/pipeline.h"

int main(int argc, char** argv) {
  using namespace callroot::cli;
  CLI::App app{
      "callroot: why was that Teams or Zoom call bad? Correlates call quality with Wi-Fi, switch and WAN "
      "telemetry and blames the client, access point, switch or WAN link.",
      "callroot"};  // the name in usage lines, however it was started
  app.require_subcommand(1);
  app.set_version_flag("--version", "callroot 0.1.0");
  // Given before or after the subcommand's name: the subcommands fall through to it.
  std::string log_format;
  app.add_option("--log-format", log_format,
                 "Log lines as text (the default), json or logfmt: keys ts, level, logger, msg "
                 "(also CALLROOT_LOG_FORMAT)")
      ->check(CLI::IsMember({"text", "json", "logfmt"}));
  app.fallthrough();
  // `callroot: error: ...`, as other tools say it.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("callroot: error: ") + e.what() + "\nRun with --help for more information.\n";
  });
  CommandPtr commands[] = {add_replay_command(app), add_run_command(app),   add_keygen_command(app),
                           add_privacy_command(app), add_rules_command(app), add_rtp_command(app),
                           add_simulate_command(app), add_score_command(app),
                           add_report_command(app), add_route_command(app), add_connect_command(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" that exit 0; real usage errors exit 2.
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  // Every line says which program speaks: `callroot run: warning: ...`.
  std::optional<callroot::runtime::LogFormat> format;
  if (callroot::runtime::LogFormat f; callroot::runtime::parse_log_format(log_format, f)) format = f;
  auto log = callroot::runtime::make_logger("callroot " + app.get_subcommands().front()->get_name(), format);
  for (CommandPtr& command : commands) {
    if (command->chosen()) return command->run(log);
  }
  return kExitUsage;
}
