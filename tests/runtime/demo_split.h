#pragma once
// The demo cut in two at an event time, as a restart would cut it, for the
// checkpoint tests: part 1 is everything before the cut; part 2 is what a
// restarted engine needs to score the rest exactly as one run would.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "demo_files.h"
#include "models/time.h"

namespace callroot::runtime::testing {

/// 09:43Z: the client, AP and switch incidents are open, the AP's is to close
/// after it, and the WAN link has two blamed segments before it and its third
/// after it, so its incident opens from blames the checkpoint carried.
inline constexpr TimeMs kDemoCut = 1'772'444'580'000;  // 2026-03-02T09:43:00Z

struct DemoSplit {
  std::vector<std::string> part1, part2;  // file paths, one per demo file
};

/// Writes both parts under `dir`.
/// - Part 1: every record before `cut`, except segments ending in its last 5
///   minutes: those would still be pending at its end and be scored early by
///   the final flush, with part of their telemetry missing.
/// - Part 2: inventory, every attachment, client info and room health
///   (state with intervals, never late), telemetry from 20 minutes before the
///   cut (the new engine's store starts empty, and the segments it scores
///   reach back up to 5 minutes plus padding), and the remaining segments.
inline DemoSplit split_demo(const std::filesystem::path& dir, TimeMs cut = kDemoCut) {
  constexpr DurationMs kMin = 60'000;
  DemoSplit split;
  std::filesystem::create_directories(dir / "part1");
  std::filesystem::create_directories(dir / "part2");
  for (const auto& file : demo_inputs()) {
    const std::string name = std::filesystem::path(file).filename().string();
    split.part1.push_back((dir / "part1" / name).string());
    split.part2.push_back((dir / "part2" / name).string());
    std::ofstream one(split.part1.back()), two(split.part2.back());
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const auto j = nlohmann::json::parse(line);
      const std::string type = j.at("type");
      const TimeMs t = record_time(j);
      bool first = false, second = false;
      if (type.rfind("inventory.", 0) == 0) {
        first = second = true;
      } else if (type == "client.assoc" || type == "client.disassoc" || type == "client.info" ||
                 type == "room.health") {
        first = t == kNoTime || t < cut;
        second = true;
      } else if (type == "call.segment") {
        first = t < cut - 5 * kMin;
        second = !first;
      } else {
        first = t < cut;
        second = t >= cut - 20 * kMin;
      }
      if (first) one << line << '\n';
      if (second) two << line << '\n';
    }
  }
  return split;
}

/// The records of `files` in the order replay applies them: inventory first, then by event time.
inline std::vector<std::pair<std::string, std::string>> records_in_time_order(const std::vector<std::string>& files) {
  struct Rec {
    TimeMs key;
    std::string type, line;
  };
  std::vector<Rec> recs;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const auto j = nlohmann::json::parse(line);
      recs.push_back({record_time(j), j.at("type"), line});
    }
  }
  std::stable_sort(recs.begin(), recs.end(), [](const Rec& a, const Rec& b) { return a.key < b.key; });
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& r : recs) out.emplace_back(std::move(r.type), std::move(r.line));
  return out;
}

}  // namespace callroot::runtime::testing
