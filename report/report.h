#pragma once
/// `callroot report`: one self-contained HTML page that shows the problem
/// before it explains it (docs/report.md). From the verdicts and incident
/// records a replay or the daemon wrote (JSON Lines), and optionally the
/// inputs they were scored from:
/// - a summary: segments, the poor share, blame by kind, the components
///   blamed most;
/// - each site's topology as a tree (WAN links, switches, access points, the
///   clients blamed), each component coloured by the share of the poor
///   segments through it that were blamed on it, ringed by its poor share;
/// - the incidents on a time line, one row per component;
/// - the calls with poor segments, worst first and paged: each segment's
///   jitter, loss and round trip per direction against the CQD thresholds
///   (from the inputs' call records), beside the telemetry of the hop blamed.
/// No network access is needed to view it: inline SVG, CSS and a few lines
/// of script for paging.

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace callroot::report {

struct ReportOptions {
  std::vector<std::string> verdicts;  ///< JSON Lines of verdicts and incident records
  std::vector<std::string> inputs;    ///< the records they were scored from (optional)
  std::string title = "callroot report";
  std::size_t max_calls = 200;        ///< calls with poor segments drawn, worst first
  std::size_t calls_per_page = 20;
  std::size_t max_incident_rows = 300;
};

struct ReportStats {
  std::uint64_t verdicts = 0;
  std::uint64_t poor = 0;
  std::uint64_t incident_records = 0;
  std::uint64_t sites = 0;
  std::uint64_t components_drawn = 0;
  std::uint64_t calls_drawn = 0;
  std::uint64_t input_records = 0;
  std::uint64_t input_rejected = 0;  ///< input records that did not decode (counted, skipped)
};

/// Reads the files and writes the page to `out`. Throws std::runtime_error
/// naming the file and line of a verdict line that is not JSON, or a file
/// that cannot be read. Input records that do not decode are counted and
/// skipped: the verdicts alone make a report.
ReportStats write_report(const ReportOptions& options, std::ostream& out);

}  // namespace callroot::report
