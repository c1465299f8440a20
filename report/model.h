#pragma once
/// What the report draws, gathered from verdicts, incident records and
/// (optionally) the inputs: counts per component and site, incidents, the
/// calls with poor segments and the series to draw beside them.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "models/time.h"
#include "report/report.h"

namespace callroot::report {

/// A hop of a path as verdicts name it: "ap" "hq-ap04", "switch" "hq-acc1" (port in `detail`).
struct Hop {
  std::string kind, id, detail;
};

/// One component of a site's tree.
struct Node {
  std::string kind, id, site;
  std::vector<std::string> parents;  ///< keys of the components above it on some path, first seen first
  std::vector<std::string> details;  ///< ports or radios crossed, for the tooltip
  std::uint64_t segments = 0;  ///< segments that crossed it
  std::uint64_t poor = 0;      ///< of those, poor
  std::uint64_t blamed = 0;    ///< poor segments whose top blame it is
  int depth = 0;               ///< hops between it and the top of the tree
  [[nodiscard]] std::string key() const { return kind + "/" + id; }
};

struct Site {
  std::string name;
  std::map<std::string, Node> nodes;  ///< by Node::key()
  std::uint64_t segments = 0, poor = 0;
};

struct SegmentRow {
  std::string segment_id;
  TimeMs start = 0, end = 0;
  std::string quality;
  double mos = 0;  ///< NaN when not measured
  std::string blame_kind, blame_id, blame_site;
  double confidence = 0;
  std::vector<std::string> why;  ///< the thresholds its poor streams crossed
  std::vector<Hop> hops;         ///< both paths, for poor segments
};

struct Call {
  std::string id;
  std::vector<SegmentRow> segments;  ///< by start
  std::uint64_t poor = 0;
  double worst_mos = 0;  ///< NaN when none measured
  std::string blame_kind, blame_id;  ///< the top blame most of its poor segments carry
};

struct IncidentRow {
  std::string id, kind, component, site;
  TimeMs since = 0, last = 0;  ///< last: closed, or its last update
  bool closed = false;
  std::uint64_t segments = 0, users = 0;
  double confidence = 0;
  std::vector<TimeMs> updates;
  std::string evidence;  ///< its first evidence texts, for the tooltip
};

/// Per segment and direction, what a call record measured.
struct StreamPoint {
  TimeMs start = 0, end = 0;
  std::string from;  ///< "caller" or "callee": who sent it
  double jitter_ms = 0, loss_pct = 0, rtt_ms = 0;  ///< NaN when not measured
};

/// One line of a hop's telemetry over a call.
struct Series {
  std::string label;  ///< "hq-ap04 5 GHz channel_util_pct"
  std::string unit;
  std::vector<std::pair<TimeMs, double>> points;
};

struct Model {
  std::vector<Site> sites;  ///< by name
  std::vector<Call> calls;  ///< those drawn: with poor segments, worst first
  std::vector<IncidentRow> incidents;  ///< by since
  std::array<std::uint64_t, 6> blame_by_kind{};  ///< client, ap, switch, wan, remote, unknown
  std::vector<std::pair<std::string, std::uint64_t>> top;  ///< "ap hq-ap04" -> poor segments blamed, most first
  std::uint64_t segments = 0, poor = 0, good = 0, unclassified = 0;
  TimeMs first = 0, last = 0;
  std::map<std::string, std::vector<StreamPoint>> streams;  ///< by segment id, from the inputs
  std::map<std::string, std::vector<Series>> hop_series;    ///< by call id, from the inputs
  bool have_inputs = false;
};

/// Reads the verdict files (throws std::runtime_error with file:line on a
/// line that is not JSON) and, when given, the inputs.
Model build_model(const ReportOptions& options, ReportStats& stats);

/// Lays the model out as the page (report/render.cpp).
void render(const Model& model, const ReportOptions& options, std::string& out);

/// Index of a blame kind in Model::blame_by_kind; 5 (unknown) for anything else.
std::size_t kind_index(const std::string& kind) noexcept;
inline constexpr const char* kKinds[] = {"client", "ap", "switch", "wan", "remote", "unknown"};

}  // namespace callroot::report
