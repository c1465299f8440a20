#pragma once
/// `callroot simulate`: the scenario generator. It builds an organization
/// (sites, switches, APs, WAN links, clients), writes its inventory, hours of
/// Wi-Fi, switch, WAN and device telemetry and the call segments, and plants
/// faults of every kind, confounders that must not be blamed, background
/// noise, telemetry gaps and roaming. The ground truth goes to truth/.
///
/// Four presets: `demo` (the bundled two-site demo: one hour, five faults),
/// `campus` and `enterprise` (a normal first hour for baselines, then faults
/// at different sites and times), and `mixed` (campus with faults as they
/// come on real networks: mild to severe, in bursts, starting and ending
/// inside calls; and decoys). docs/simulate.md describes the model.
///
/// The output depends on nothing but the options: the same options give
/// byte-identical files on every platform (mt19937_64 and arithmetic only, no
/// std:: distributions and no libm transcendental functions).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace callroot::sim {

enum class Preset : std::uint8_t { kDemo, kCampus, kEnterprise, kMixed };

std::string_view to_string(Preset p) noexcept;
std::optional<Preset> parse_preset(std::string_view name) noexcept;

struct SimulateOptions {
  std::uint64_t seed = 7;
  /// Directory the .jsonl files are written into; created when missing.
  std::string out_dir;
  Preset preset = Preset::kDemo;
  // Each of these left at 0 takes the preset's value.
  int sites = 0;              ///< 1..60; site 0 is `hq`
  int aps_per_site = 0;       ///< 2..64 (the demo's branch has half of hq's)
  int clients = 0;            ///< client MACs over all sites
  int hours = 0;              ///< 1..48 of telemetry
  int interval_s = 0;         ///< telemetry period, 5..300 s
  int segments = 0;           ///< call segments to generate, roughly (at least 60)
  int aps_per_switch = 0;     ///< APs per access switch, 1..16 (default 4)
  /// Ports every switch reports, 0..96: the ports in use, then idle ones
  /// (nothing plugged in: down, counters still) up to this many. 0: only
  /// the ports in use.
  int switch_ports = 0;
  std::int64_t start_ms = 0;  ///< start of the data, ms since the Unix epoch
};

/// Record counts per written file, and the ground truth in numbers.
struct SimulateSummary {
  std::size_t inventory = 0;            ///< inventory.jsonl
  std::size_t clients = 0;              ///< clients.jsonl (client.assoc + client.info)
  std::size_t wifi = 0;                 ///< wifi.jsonl (wifi.client + wifi.ap)
  std::size_t wired = 0;                ///< wired.jsonl (switch.port)
  std::size_t wan = 0;                  ///< wan.jsonl (wan.link)
  std::size_t devices = 0;              ///< devices.jsonl (client.device)
  std::size_t calls = 0;                ///< calls.jsonl (call.segment)
  std::size_t faults = 0;               ///< truth.jsonl lines with role "fault"
  std::size_t confounders = 0;          ///< ... role "confounder"
  std::size_t gaps = 0;                 ///< ... role "gap"
  std::size_t poor_segments = 0;        ///< expected poor: by a fault or background noise
  std::size_t background_segments = 0;  ///< poor with no planted cause
  std::size_t gap_segments = 0;         ///< segments with telemetry_gap
  std::vector<std::string> files;       ///< paths written, in the order above, then the truth

  [[nodiscard]] std::size_t records() const noexcept {
    return inventory + clients + wifi + wired + wan + devices + calls;
  }
};

/// Writes inventory.jsonl, clients.jsonl, wifi.jsonl, wired.jsonl, wan.jsonl,
/// devices.jsonl and calls.jsonl into options.out_dir, and the ground truth
/// into options.out_dir/truth/ (truth.jsonl, segments.jsonl).
/// Throws std::invalid_argument for an empty out_dir or options out of range
/// (also when they leave no room for one fault of every kind),
/// std::runtime_error when a file cannot be written.
SimulateSummary write_scenario(const SimulateOptions& options);

}  // namespace callroot::sim
