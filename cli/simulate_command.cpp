// `callroot simulate`: a scenario with planted faults and its ground truth (sim/).
#include "cli/command.h"
#include "sim/simulate.h"

namespace callroot::cli {
namespace {

class SimulateCommand final : public Command {
 public:
  explicit SimulateCommand(CLI::App& parent)
      : Command(parent.add_subcommand(
            "simulate", "Generate a scenario: inventory, telemetry and calls with planted faults, and its ground truth")) {
    CLI::App& cmd = *app_;
    cmd.add_option("--out", options_.out_dir, "Output directory")->required();
    cmd.add_option("--seed", options_.seed, "Random seed (same options and seed, same files)")->capture_default_str();
    cmd.add_option("--preset", preset_,
                   "demo (the bundled demo), campus, enterprise, or mixed (campus with faults mild to severe, "
                   "in bursts, edges inside calls, and decoys)")
        ->check(CLI::IsMember({"demo", "campus", "enterprise", "mixed"}))
        ->capture_default_str();
    cmd.add_option("--sites", options_.sites, "Sites (default: the preset's)")->check(CLI::Range(1, 60));
    cmd.add_option("--aps-per-site", options_.aps_per_site, "Access points per site")->check(CLI::Range(2, 64));
    cmd.add_option("--clients", options_.clients, "Client devices over all sites")->check(CLI::Range(24, 100000));
    cmd.add_option("--hours", options_.hours, "Hours of telemetry and calls")->check(CLI::Range(1, 48));
    cmd.add_option("--interval-s", options_.interval_s, "Telemetry period in seconds")->check(CLI::Range(5, 300));
    cmd.add_option("--segments", options_.segments, "Call segments, roughly")->check(CLI::Range(60, 1000000));
    cmd.add_option("--aps-per-switch", options_.aps_per_switch, "APs per access switch (default 4)")
        ->check(CLI::Range(1, 16));
    cmd.add_option("--switch-ports", options_.switch_ports,
                   "Ports every switch reports: those in use, then idle ones up to this many (default: those in "
                   "use only)")
        ->check(CLI::Range(0, 96));
  }

  int run(std::shared_ptr<spdlog::logger> log) override {
    options_.preset = *sim::parse_preset(preset_);
    try {
      const auto summary = sim::write_scenario(options_);
      log->info("wrote the {} scenario to {}: {} records, {} call segments ({} poor: {} by {} planted faults, {} "
                "background), {} confounders, {} telemetry gaps",
                sim::to_string(options_.preset), options_.out_dir, summary.records(), summary.calls,
                summary.poor_segments, summary.poor_segments - summary.background_segments, summary.faults,
                summary.background_segments, summary.confounders, summary.gaps);
    } catch (const std::exception& e) {
      // Options out of range (std::invalid_argument) and files that cannot be written alike.
      log->error("{}", e.what());
      return kExitUsage;
    }
    return 0;
  }

 private:
  sim::SimulateOptions options_;
  std::string preset_ = "demo";
};

}  // namespace

CommandPtr add_simulate_command(CLI::App& parent) { return std::make_unique<SimulateCommand>(parent); }

}  // namespace callroot::cli
