#pragma once
// The demo replayed to JSON Lines (as `callroot replay --format jsonl` writes
// it) and its report, for the report's tests.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <spdlog/sinks/null_sink.h>

#include "demo_files.h"
#include "report/report.h"
#include "runtime/replay.h"
#include "runtime/sinks.h"

namespace callroot::report::testing {

/// Writes the demo's verdicts to `path` (default attribution, every verdict and incident record).
inline void write_demo_verdicts(const std::string& path) {
  std::FILE* out = std::fopen(path.c_str(), "w");
  {
    runtime::JsonlSink sink(out);
    runtime::ReplayOptions options;
    options.files = runtime::testing::demo_inputs();
    options.progress = false;
    runtime::replay_into(options, sink,
                         std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>()));
  }
  std::fclose(out);
}

/// The demo's report, with its inputs unless `verdicts_only`.
inline std::string demo_report(const std::string& verdicts, bool verdicts_only = false, ReportStats* stats = nullptr) {
  ReportOptions options;
  options.verdicts = {verdicts};
  if (!verdicts_only) options.inputs = runtime::testing::demo_inputs();
  std::ostringstream page;
  const ReportStats s = write_report(options, page);
  if (stats != nullptr) *stats = s;
  return page.str();
}

/// The components the demo's truth planted faults on, as the page names them (kind, id).
inline std::vector<std::pair<std::string, std::string>> demo_faults() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : runtime::testing::read_jsonl(runtime::testing::demo_truth())) {
    if (f.value("role", "") != "fault") continue;
    const std::string kind = f.at("kind");
    out.emplace_back(kind, kind == "remote" ? "far side" : f.at("id").get<std::string>());
  }
  return out;
}

}  // namespace callroot::report::testing
