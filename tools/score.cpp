#include "tools/score.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "models/time.h"

namespace callroot::tools {
namespace {

using Json = nlohmann::json;
using OJson = nlohmann::ordered_json;

// ---------------------------------------------------------------- reading

std::string string_or_empty(const Json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_string()) throw std::invalid_argument(std::string("`") + key + "` is not a string");
  return it->get<std::string>();
}

std::int64_t time_of(const Json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return 0;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_string()) {
    if (const auto t = parse_rfc3339(it->get_ref<const std::string&>())) return *t;
  }
  throw std::invalid_argument(std::string("`") + key + "` is not a time");
}

template <typename F>
void read_lines(const std::filesystem::path& path, F&& each) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    try {
      const Json j = Json::parse(line);
      if (!j.is_object()) throw std::invalid_argument("not a JSON object");
      each(j);
    } catch (const std::exception& e) {
      throw std::runtime_error(path.string() + ":" + std::to_string(n) + ": " + e.what());
    }
  }
  if (in.bad()) throw std::runtime_error("error reading " + path.string());
}

TruthSegment segment_of(const Json& j) {
  TruthSegment s;
  s.segment_id = string_or_empty(j, "segment_id");
  if (s.segment_id.empty()) throw std::invalid_argument("no `segment_id`");
  s.call_id = string_or_empty(j, "call_id");
  const std::string expected = string_or_empty(j, "expected");
  if (expected != "poor" && expected != "good") throw std::invalid_argument("`expected` is not poor or good");
  s.poor = expected == "poor";
  if (const auto it = j.find("cause"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) throw std::invalid_argument("`cause` is not an object");
    TruthCause c;
    c.ref = string_or_empty(*it, "ref");
    c.fault = string_or_empty(*it, "fault");
    c.kind = string_or_empty(*it, "kind");
    c.id = string_or_empty(*it, "id");
    c.site = string_or_empty(*it, "site");
    if (c.kind.empty()) throw std::invalid_argument("`cause` has no `kind`");
    if (c.fault.empty()) c.fault = c.kind;
    s.cause = std::move(c);
  }
  if (const auto it = j.find("telemetry_gap"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) throw std::invalid_argument("`telemetry_gap` is not a boolean");
    s.telemetry_gap = it->get<bool>();
  }
  s.site = string_or_empty(j, "site");
  return s;
}

}  // namespace

Truth load_truth(const std::string& path) {
  namespace fs = std::filesystem;
  fs::path segments;
  fs::path truth_file;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const fs::path dir = fs::exists(fs::path(path) / "segments.jsonl") ? fs::path(path) : fs::path(path) / "truth";
    segments = dir / "segments.jsonl";
    truth_file = dir / "truth.jsonl";
  } else {
    segments = path;
    truth_file = fs::path(path).parent_path() / "truth.jsonl";
  }
  Truth truth;
  read_lines(segments, [&](const Json& j) { truth.segments.push_back(segment_of(j)); });
  if (fs::exists(truth_file, ec)) {
    read_lines(truth_file, [&](const Json& j) {
      if (string_or_empty(j, "role") != "confounder") return;
      TruthConfounder c;
      c.ref = string_or_empty(j, "ref");
      c.type = string_or_empty(j, "confounder");
      c.kind = string_or_empty(j, "kind");
      c.id = string_or_empty(j, "id");
      c.site = string_or_empty(j, "site");
      c.since = time_of(j, "since");
      c.until = time_of(j, "until");
      if (const auto it = j.find("segments"); it != j.end() && it->is_array()) c.segments = it->size();
      if (c.kind.empty() || c.id.empty()) throw std::invalid_argument("a confounder needs `kind` and `id`");
      truth.confounders.push_back(std::move(c));
    });
  }
  return truth;
}

std::optional<double> CalibrationBin::mean_confidence() const {
  if (count == 0) return std::nullopt;
  return confidence_sum / static_cast<double>(count);
}

std::optional<double> CalibrationBin::accuracy() const {
  if (count == 0) return std::nullopt;
  return static_cast<double>(correct) / static_cast<double>(count);
}

Scorer::Scorer(Truth truth) : truth_(std::move(truth)), seen_(truth_.segments.size()) {
  index_.reserve(truth_.segments.size());
  for (std::size_t i = 0; i < truth_.segments.size(); ++i) index_.emplace(truth_.segments[i].segment_id, i);
}

void Scorer::add_line(std::string_view line) {
  if (line.find_first_not_of(" \t\r\n") == std::string_view::npos) return;
  const Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    ++bad_;
    return;
  }
  const auto type = j.find("type");
  if (type == j.end() || !type->is_string()) {
    ++bad_;
    return;
  }
  if (type->get_ref<const std::string&>() != "verdict") {
    ++other_;
    return;
  }
  Seen v;
  std::string segment;
  try {
    segment = string_or_empty(j, "segment_id");
    const std::string quality = string_or_empty(j, "quality");
    v.poor = quality == "poor";
    v.unclassified = quality == "unclassified";
    v.start = time_of(j, "start");
    v.end = time_of(j, "end");
    if (const auto blame = j.find("blame"); blame != j.end() && blame->is_array() && !blame->empty()) {
      const Json& top = blame->front();
      if (!top.is_object()) throw std::invalid_argument("a blame is not an object");
      v.has_blame = true;
      v.kind = string_or_empty(top, "kind");
      v.id = string_or_empty(top, "id");
      if (const auto c = top.find("confidence"); c != top.end() && c->is_number()) v.confidence = c->get<double>();
    }
  } catch (const std::exception&) {
    ++bad_;
    return;
  }
  if (segment.empty()) {
    ++bad_;
    return;
  }
  ++verdicts_;
  const auto it = index_.find(segment);
  if (it == index_.end()) {
    ++not_in_truth_;
    unmatched_.push_back(std::move(v));
    return;
  }
  auto& slot = seen_[it->second];
  if (slot) {
    ++duplicates_;
    return;
  }
  slot = std::move(v);
}

namespace {

bool names_component(const std::string& kind) {
  return kind == "client" || kind == "ap" || kind == "switch" || kind == "wan";
}

/// Whether the top blame is the planted cause: kind and id, or for a remote
/// party's network the kind alone (remote parties have no id).
template <typename Seen>
bool matches(const std::optional<TruthCause>& cause, const Seen& v) {
  return cause && v.has_blame && v.kind == cause->kind && (cause->kind == "remote" || v.id == cause->id);
}

template <typename Seen>
void grade(AttributionTally& t, const TruthCause& cause, const Seen& v) {
  ++t.segments;
  if (!v.poor || !v.has_blame) {
    ++t.not_poor;
    ++t.answers["none"];
    return;
  }
  ++t.answers[v.kind.empty() ? "?" : v.kind];
  if (v.kind == "unknown") {
    ++t.unknown;
    return;
  }
  if (v.kind != cause.kind) return;
  ++t.kind_correct;
  if (cause.kind == "remote" || v.id == cause.id) ++t.id_correct;
}

void detect(DetectionTally& d, bool expected_poor, bool poor, bool unclassified) {
  if (unclassified) ++d.unclassified;
  if (poor) {
    ++d.predicted_poor;
    ++(expected_poor ? d.true_positive : d.false_positive);
  } else if (expected_poor) {
    ++d.false_negative;
  }
}

template <typename Seen>
void blame_check(FalseBlameTally& f, const TruthSegment& seg, const Seen& v) {
  if (!v.poor) return;
  ++f.poor_verdicts;
  if (!v.has_blame || !names_component(v.kind)) return;
  ++f.named;
  if (matches(seg.cause, v)) return;
  ++f.false_blame;
  if (!seg.poor)
    ++f.on_good;
  else if (!seg.cause)
    ++f.on_background;
  else
    ++f.wrong_component;
}

}  // namespace

ScoreReport Scorer::finish() const {
  ScoreReport r;
  r.truth_segments = truth_.segments.size();
  r.verdicts = verdicts_;
  r.not_in_truth = not_in_truth_;
  r.duplicate_verdicts = duplicates_;
  r.other_records = other_;
  r.bad_lines = bad_;
  for (std::size_t i = 0; i < r.calibration.size(); ++i) {
    r.calibration[i].lo = static_cast<double>(i) / 10;
    r.calibration[i].hi = static_cast<double>(i + 1) / 10;
  }

  for (std::size_t i = 0; i < truth_.segments.size(); ++i) {
    const TruthSegment& seg = truth_.segments[i];
    SiteTally& site = r.by_site[seg.site.empty() ? "-" : seg.site];
    ++site.segments;
    if (seg.poor) {
      ++r.detection.expected_poor;
      ++site.detection.expected_poor;
    }
    const auto& v = seen_[i];
    if (!v) {
      ++r.missing_verdicts;
      continue;
    }
    ++r.matched;
    detect(r.detection, seg.poor, v->poor, v->unclassified);
    detect(site.detection, seg.poor, v->poor, v->unclassified);

    if (seg.poor && seg.cause) {
      if (seg.telemetry_gap) {
        grade(r.in_gaps, *seg.cause, *v);
        grade(r.by_fault_in_gaps[seg.cause->fault], *seg.cause, *v);
      } else {
        grade(r.outside_gaps, *seg.cause, *v);
        grade(r.by_fault[seg.cause->fault], *seg.cause, *v);
        grade(site.attribution, *seg.cause, *v);
      }
    } else if (seg.poor) {
      ++r.background.segments;
      if (v->poor) {
        ++r.background.detected;
        if (v->has_blame && names_component(v->kind))
          ++r.background.named;
        else if (v->has_blame && v->kind == "remote")
          ++r.background.remote;
        else
          ++r.background.unknown;
      }
    }
    blame_check(r.false_blame, seg, *v);
    blame_check(site.false_blame, seg, *v);

    if (v->poor && v->has_blame && v->kind != "unknown" && std::isfinite(v->confidence)) {
      ++r.claims;
      const double c = std::clamp(v->confidence, 0.0, 1.0);
      CalibrationBin& bin = r.calibration[std::min<std::size_t>(9, static_cast<std::size_t>(c * 10))];
      ++bin.count;
      bin.confidence_sum += c;
      bin.correct += matches(seg.cause, *v) ? 1 : 0;
    }
  }
  if (r.claims > 0) {
    double ece = 0;
    for (const auto& bin : r.calibration) {
      if (bin.count == 0) continue;
      ece += static_cast<double>(bin.count) / static_cast<double>(r.claims) *
             std::abs(*bin.accuracy() - *bin.mean_confidence());
    }
    r.ece = ece;
  }

  for (const TruthConfounder& c : truth_.confounders) {
    ConfounderTally t;
    t.confounder = c;
    auto count = [&](const Seen& v) {
      if (!v.has_blame || v.kind != c.kind || v.id != c.id) return;
      ++t.blamed;
      if (v.start < c.until && c.since < v.end) ++t.blamed_in_interval;
    };
    for (const auto& v : seen_) {
      if (v) count(*v);
    }
    for (const auto& v : unmatched_) count(v);
    r.confounders.push_back(std::move(t));
  }
  return r;
}

// ---------------------------------------------------------------- output

namespace {

std::string fixed(std::optional<double> v, int decimals = 3) {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, *v);
  return buf;
}

std::string answers_text(const std::map<std::string, std::size_t>& answers) {
  std::vector<std::pair<std::size_t, std::string>> sorted;
  for (const auto& [k, n] : answers) sorted.emplace_back(n, k);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string out;
  for (const auto& [n, k] : sorted) {
    if (!out.empty()) out += ", ";
    out += k + " " + std::to_string(n);
  }
  return out;
}

void line(std::string& out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void line(std::string& out, const char* fmt, ...) {
  char buf[1024];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  out += buf;
  out += '\n';
}

void attribution_row(std::string& out, const std::string& name, const AttributionTally& t) {
  line(out, "  %-26s %8zu  %6s  %7s  %7zu  %8zu   %s", name.c_str(), t.segments,
       fixed(t.kind_accuracy().value()).c_str(), fixed(t.id_accuracy().value()).c_str(), t.unknown, t.not_poor,
       answers_text(t.answers).c_str());
}

OJson optional_json(std::optional<double> v) { return v ? OJson(*v) : OJson(nullptr); }

OJson attribution_json(const AttributionTally& t) {
  OJson j;
  j["segments"] = t.segments;
  j["kind_correct"] = t.kind_correct;
  j["id_correct"] = t.id_correct;
  j["kind_accuracy"] = optional_json(t.kind_accuracy().value());
  j["id_accuracy"] = optional_json(t.id_accuracy().value());
  j["unknown"] = t.unknown;
  j["not_poor"] = t.not_poor;
  j["answers"] = t.answers;
  return j;
}

OJson detection_json(const DetectionTally& d) {
  OJson j;
  j["expected_poor"] = d.expected_poor;
  j["predicted_poor"] = d.predicted_poor;
  j["true_positive"] = d.true_positive;
  j["false_positive"] = d.false_positive;
  j["false_negative"] = d.false_negative;
  j["unclassified"] = d.unclassified;
  j["precision"] = optional_json(d.precision().value());
  j["recall"] = optional_json(d.recall().value());
  return j;
}

OJson false_blame_json(const FalseBlameTally& f) {
  OJson j;
  j["poor_verdicts"] = f.poor_verdicts;
  j["named"] = f.named;
  j["false_blame"] = f.false_blame;
  j["rate"] = optional_json(f.rate().value());
  j["on_background"] = f.on_background;
  j["on_expected_good"] = f.on_good;
  j["wrong_component"] = f.wrong_component;
  return j;
}

}  // namespace

std::string format_table(const ScoreReport& r, bool by_site) {
  std::string out;
  line(out,
       "segments: %zu in the truth, %zu verdicts: %zu graded, %zu without a verdict, %zu not in the truth, "
       "%zu duplicate, %zu other records, %zu bad lines",
       r.truth_segments, r.verdicts, r.matched, r.missing_verdicts, r.not_in_truth, r.duplicate_verdicts,
       r.other_records, r.bad_lines);
  out += '\n';
  const DetectionTally& d = r.detection;
  line(out,
       "poor detection: precision %s, recall %s (expected poor %zu, verdicts poor %zu: %zu right, %zu wrong; "
       "%zu missed; %zu unclassified)",
       fixed(d.precision().value()).c_str(), fixed(d.recall().value()).c_str(), d.expected_poor, d.predicted_poor,
       d.true_positive, d.false_positive, d.expected_poor - d.true_positive, d.unclassified);
  out += '\n';
  line(out,
       "top-1 attribution, poor segments with a planted cause (kind+id: remote by kind alone; unknown and "
       "not poor count as wrong):");
  line(out, "  %-26s %8s  %6s  %7s  %7s  %8s   %s", "fault", "segments", "kind", "kind+id", "unknown", "not poor",
       "top blame given");
  for (const auto& [name, t] : r.by_fault) attribution_row(out, name, t);
  attribution_row(out, "all, outside gaps", r.outside_gaps);
  attribution_row(out, "in telemetry gaps", r.in_gaps);
  for (const auto& [name, t] : r.by_fault_in_gaps) attribution_row(out, "  " + name, t);
  out += '\n';
  const BackgroundTally& b = r.background;
  line(out,
       "background (poor, no planted cause): %zu segments, %zu found poor: %zu named a component, %zu remote, "
       "%zu unknown",
       b.segments, b.detected, b.named, b.remote, b.unknown);
  const FalseBlameTally& f = r.false_blame;
  line(out,
       "false blame: %s (%zu of %zu poor verdicts name a client, ap, switch or wan that is not the segment's "
       "planted cause: %zu background, %zu expected good, %zu another component)",
       fixed(f.rate().value()).c_str(), f.false_blame, f.poor_verdicts, f.on_background, f.on_good, f.wrong_component);
  out += '\n';
  if (r.confounders.empty()) {
    line(out, "confounders: none in the truth");
  } else {
    line(out, "confounders (must not be blamed):");
    line(out, "  %-5s %-18s %-8s %-24s %-8s %8s %7s %11s", "ref", "type", "kind", "id", "site", "segments", "blamed",
         "in interval");
    for (const auto& c : r.confounders) {
      line(out, "  %-5s %-18s %-8s %-24s %-8s %8zu %7zu %11zu", c.confounder.ref.c_str(), c.confounder.type.c_str(),
           c.confounder.kind.c_str(), c.confounder.id.c_str(), c.confounder.site.c_str(), c.confounder.segments,
           c.blamed, c.blamed_in_interval);
    }
  }
  out += '\n';
  line(out, "calibration of the top blame's confidence (%zu poor verdicts naming a component or remote): ECE %s",
       r.claims, fixed(r.ece).c_str());
  line(out, "  %-9s %7s %10s %9s", "bin", "count", "mean conf", "accuracy");
  for (const auto& bin : r.calibration) {
    line(out, "  %.1f-%.1f %9zu %10s %9s", bin.lo, bin.hi, bin.count, fixed(bin.mean_confidence()).c_str(),
         fixed(bin.accuracy()).c_str());
  }
  if (by_site) {
    out += '\n';
    line(out, "by site (attribution outside gaps):");
    line(out, "  %-10s %8s %6s %9s %7s %8s %6s %7s %12s", "site", "segments", "poor", "precision", "recall", "graded",
         "kind", "kind+id", "false blame");
    for (const auto& [name, s] : r.by_site) {
      line(out, "  %-10s %8zu %6zu %9s %7s %8zu %6s %7s %12s", name.c_str(), s.segments, s.detection.expected_poor,
           fixed(s.detection.precision().value()).c_str(), fixed(s.detection.recall().value()).c_str(),
           s.attribution.segments, fixed(s.attribution.kind_accuracy().value()).c_str(),
           fixed(s.attribution.id_accuracy().value()).c_str(), fixed(s.false_blame.rate().value()).c_str());
    }
  }
  return out;
}

std::string format_json(const ScoreReport& r, bool by_site) {
  OJson j;
  OJson in;
  in["truth_segments"] = r.truth_segments;
  in["verdicts"] = r.verdicts;
  in["graded"] = r.matched;
  in["missing_verdicts"] = r.missing_verdicts;
  in["not_in_truth"] = r.not_in_truth;
  in["duplicate_verdicts"] = r.duplicate_verdicts;
  in["other_records"] = r.other_records;
  in["bad_lines"] = r.bad_lines;
  j["input"] = std::move(in);
  j["detection"] = detection_json(r.detection);
  OJson att;
  att["outside_gaps"] = attribution_json(r.outside_gaps);
  att["in_gaps"] = attribution_json(r.in_gaps);
  OJson per = OJson::object();
  for (const auto& [name, t] : r.by_fault) per[name] = attribution_json(t);
  att["by_fault"] = std::move(per);
  OJson per_gap = OJson::object();
  for (const auto& [name, t] : r.by_fault_in_gaps) per_gap[name] = attribution_json(t);
  att["by_fault_in_gaps"] = std::move(per_gap);
  j["attribution"] = std::move(att);
  OJson bg;
  bg["segments"] = r.background.segments;
  bg["detected"] = r.background.detected;
  bg["named"] = r.background.named;
  bg["remote"] = r.background.remote;
  bg["unknown"] = r.background.unknown;
  j["background"] = std::move(bg);
  j["false_blame"] = false_blame_json(r.false_blame);
  OJson conf = OJson::array();
  for (const auto& c : r.confounders) {
    OJson x;
    x["ref"] = c.confounder.ref;
    x["type"] = c.confounder.type;
    x["kind"] = c.confounder.kind;
    x["id"] = c.confounder.id;
    x["site"] = c.confounder.site;
    x["segments"] = c.confounder.segments;
    x["blamed"] = c.blamed;
    x["blamed_in_interval"] = c.blamed_in_interval;
    conf.push_back(std::move(x));
  }
  j["confounders"] = std::move(conf);
  OJson cal;
  cal["claims"] = r.claims;
  cal["ece"] = optional_json(r.ece);
  OJson bins = OJson::array();
  for (const auto& bin : r.calibration) {
    OJson x;
    x["lo"] = bin.lo;
    x["hi"] = bin.hi;
    x["count"] = bin.count;
    x["correct"] = bin.correct;
    x["mean_confidence"] = optional_json(bin.mean_confidence());
    x["accuracy"] = optional_json(bin.accuracy());
    bins.push_back(std::move(x));
  }
  cal["bins"] = std::move(bins);
  j["calibration"] = std::move(cal);
  if (by_site) {
    OJson sites = OJson::object();
    for (const auto& [name, s] : r.by_site) {
      OJson x;
      x["segments"] = s.segments;
      x["detection"] = detection_json(s.detection);
      x["attribution"] = attribution_json(s.attribution);
      x["false_blame"] = false_blame_json(s.false_blame);
      sites[name] = std::move(x);
    }
    j["by_site"] = std::move(sites);
  }
  return j.dump() + "\n";
}

int run_score(const ScoreOptions& options, const std::shared_ptr<spdlog::logger>& log) {
  try {
    Scorer scorer(load_truth(options.truth));
    auto feed = [&](std::istream& in) {
      std::string l;
      while (std::getline(in, l)) scorer.add_line(l);
      if (in.bad()) throw std::runtime_error("error reading " + options.verdicts);
    };
    if (options.verdicts == "-") {
      feed(std::cin);
    } else {
      std::ifstream in(options.verdicts, std::ios::binary);
      if (!in) throw std::runtime_error("cannot read " + options.verdicts);
      feed(in);
    }
    const ScoreReport report = scorer.finish();
    if (report.bad_lines > 0)
      log->warn("{} lines of {} are not verdicts that can be read", report.bad_lines, options.verdicts);
    const std::string text =
        options.json ? format_json(report, options.by_site) : format_table(report, options.by_site);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return 0;
  } catch (const std::exception& e) {
    log->error("{}", e.what());
    return 2;
  }
}

}  // namespace callroot::tools
