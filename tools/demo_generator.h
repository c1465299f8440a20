#pragma once
/// Deterministic demo data for callroot: a two-site campus (hq and branch),
/// one hour of Wi-Fi, switch, WAN and device telemetry, and call segments,
/// with five planted faults whose expected blame is written to truth.jsonl.
///
/// The output depends on nothing but DemoOptions: the same options give
/// byte-identical files on every platform (mt19937_64 and arithmetic only, no
/// std:: distributions and no libm transcendental functions).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace callroot::tools {

struct DemoOptions {
  std::uint64_t seed = 7;
  /// Directory the .jsonl files are written into; created when missing.
  std::string out_dir;
  /// Start of the hour of data, ms since the Unix epoch: 2026-03-02T09:00:00Z.
  std::int64_t start_ms = 1772442000000;
  /// Telemetry period in seconds (5..300).
  int interval_s = 30;
  /// Client MACs on the campus (24..200); about two thirds at hq.
  int clients = 50;
  /// Access points per site (hq 3..64, branch 2..64).
  int hq_aps = 8;
  int branch_aps = 4;
  /// Call segments to generate, roughly (at least 60).
  int target_segments = 300;
};

/// Record counts per written file, and the ground truth in numbers.
struct DemoSummary {
  std::size_t inventory = 0;       ///< inventory.jsonl
  std::size_t clients = 0;         ///< clients.jsonl (client.assoc + client.info)
  std::size_t wifi = 0;            ///< wifi.jsonl (wifi.client + wifi.ap)
  std::size_t wired = 0;           ///< wired.jsonl (switch.port)
  std::size_t wan = 0;             ///< wan.jsonl (wan.link)
  std::size_t devices = 0;         ///< devices.jsonl (client.device)
  std::size_t calls = 0;           ///< calls.jsonl (call.segment)
  std::size_t truth = 0;           ///< truth.jsonl (one line per planted fault)
  std::size_t poor_segments = 0;   ///< segments made poor by a planted fault
  std::vector<std::string> files;  ///< paths written, in the order above

  [[nodiscard]] std::size_t records() const noexcept {
    return inventory + clients + wifi + wired + wan + devices + calls;
  }
};

/// Writes inventory.jsonl, clients.jsonl, wifi.jsonl, wired.jsonl, wan.jsonl,
/// devices.jsonl and calls.jsonl into options.out_dir, and the ground truth
/// into options.out_dir/truth/truth.jsonl.
/// Throws std::invalid_argument for an empty out_dir or options out of range,
/// std::runtime_error when a file cannot be written, and std::logic_error if
/// the options leave too few calls to plant a fault in (never with defaults).
DemoSummary write_demo(const DemoOptions& options);

}  // namespace callroot::tools
