#pragma once
// The bundled demo's input files, and helpers shared by the tools tests.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "models/time.h"

namespace callroot::runtime::testing {

inline std::vector<std::string> demo_inputs() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(CALLROOT_DATA_DIR) + "/demo")) {
    if (entry.path().extension() == ".jsonl") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

inline std::string demo_truth() { return std::string(CALLROOT_DATA_DIR) + "/demo/truth/truth.jsonl"; }

inline std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

/// A record's event time (`ts`, or `end` for a segment), or kNoTime.
inline TimeMs record_time(const nlohmann::json& j) {
  const char* field = j.at("type") == "call.segment" ? "end" : "ts";
  if (!j.contains(field) || j[field].is_null()) return kNoTime;
  const auto& v = j[field];
  return v.is_string() ? parse_rfc3339(v.get<std::string>()).value_or(kNoTime) : v.get<TimeMs>();
}

/// The demo's records (type, line) in the order replay applies them:
/// inventory first (it has no time), then by event time, ties in file order.
inline std::vector<std::pair<std::string, std::string>> demo_records_in_time_order() {
  struct Rec {
    TimeMs key;
    std::string type, line;
  };
  std::vector<Rec> recs;
  for (const auto& file : demo_inputs()) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const auto j = nlohmann::json::parse(line);
      recs.push_back({record_time(j), j.at("type").get<std::string>(), line});
    }
  }
  std::stable_sort(recs.begin(), recs.end(), [](const Rec& a, const Rec& b) { return a.key < b.key; });
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& r : recs) out.emplace_back(std::move(r.type), std::move(r.line));
  return out;
}

/// A fresh directory under the test's temporary folder, removed afterwards.
class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(std::filesystem::path(::testing::TempDir()) / (name + "-" + std::to_string(getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace callroot::runtime::testing
