#include "eval/score.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "ingest/jsonl_reader.h"
#include "models/json_writer.h"
#include "models/net.h"
#include "models/time.h"

namespace callroot::eval {
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

// ------------------------------------------------ the independent format

/// The whole file as text, plain or gzip. JsonlReader is the project's one
/// reader of (possibly compressed) text; blank lines it skips are put back so
/// that a JSON error's line number is the file's.
std::string read_document(const std::string& file) {
  ingest::JsonlReader reader(file);
  std::string text;
  std::uint64_t lines = 0;
  std::string_view line;
  while (reader.next(line)) {
    for (; lines + 1 < reader.line_number(); ++lines) text += '\n';
    text.append(line);
    text += '\n';
    ++lines;
  }
  if (!reader.error().empty()) throw std::runtime_error(reader.error());
  return text;
}

bool bool_field(const Json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_boolean()) throw std::invalid_argument(std::string("`") + key + "` is not a boolean");
  return it->get<bool>();
}

/// One segment's object: {"poor", "cause": {"kind","id"} or null, "fault", "fault_id", "call_id", ...}.
TruthSegment independent_segment(const std::string& id, const Json& j,
                                 const std::unordered_map<std::string, std::string>& fault_sites) {
  if (!j.is_object()) throw std::invalid_argument("not a JSON object");
  TruthSegment s;
  s.segment_id = id;
  s.call_id = string_or_empty(j, "call_id");
  s.poor = bool_field(j, "poor");
  if (const auto it = j.find("cause"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) throw std::invalid_argument("`cause` is not an object");
    TruthCause c;
    c.kind = string_or_empty(*it, "kind");
    c.id = string_or_empty(*it, "id");
    if (c.kind.empty()) throw std::invalid_argument("`cause` has no `kind`");
    c.ref = string_or_empty(j, "fault_id");
    c.fault = string_or_empty(j, "fault");
    if (c.fault.empty()) c.fault = c.kind;
    if (const auto site = fault_sites.find(c.ref); site != fault_sites.end()) c.site = site->second;
    s.cause = std::move(c);
  }
  return s;
}

/// fault id -> site, from `faults` (the segments name their fault by id only).
std::unordered_map<std::string, std::string> fault_sites(const Json& faults) {
  std::unordered_map<std::string, std::string> sites;
  if (faults.is_null()) return sites;
  if (!faults.is_array()) throw std::invalid_argument("`faults` is not an array");
  for (const Json& f : faults) {
    if (!f.is_object()) throw std::invalid_argument("a fault is not an object");
    sites.emplace(string_or_empty(f, "id"), string_or_empty(f, "site"));
  }
  return sites;
}

/// Names the component of a confounder object: `kind` and `id`, or one key
/// naming the kind (`client`, `ap`, `switch`, `wan`; `link` is a WAN link).
void confounder_component(const Json& j, TruthConfounder& c) {
  if (j.contains("kind")) {
    c.kind = string_or_empty(j, "kind");
    c.id = string_or_empty(j, "id");
    return;
  }
  static constexpr std::array<std::pair<const char*, const char*>, 5> kKeys{
      {{"client", "client"}, {"ap", "ap"}, {"switch", "switch"}, {"wan", "wan"}, {"link", "wan"}}};
  for (const auto& [key, kind] : kKeys) {
    if (!j.contains(key)) continue;
    c.kind = kind;
    c.id = string_or_empty(j, key);
    return;
  }
}

/// Its time range: `start`/`end` or `since`/`until`, or a moment (`at`).
void confounder_interval(const Json& j, TruthConfounder& c) {
  const auto has = [&](const char* key) { return j.contains(key) && !j.at(key).is_null(); };
  if (has("start") && has("end")) {
    c.since = time_of(j, "start");
    c.until = time_of(j, "end");
  } else if (has("since") && has("until")) {
    c.since = time_of(j, "since");
    c.until = time_of(j, "until");
  } else if (has("at")) {
    c.since = c.until = time_of(j, "at");
  } else {
    c.has_interval = false;
  }
}

TruthConfounder independent_confounder(std::string type, const Json& j) {
  TruthConfounder c;
  if (!j.is_object()) {  // a bare name (or a value that names no component): listed, not counted
    c.has_interval = false;
    if (!type.empty()) {
      c.type = std::move(type);
    } else if (j.is_string()) {
      c.type = j.get<std::string>();
    } else {
      throw std::invalid_argument("an entry is neither a name nor an object");
    }
    return c;
  }
  c.type = j.contains("type") ? string_or_empty(j, "type") : string_or_empty(j, "confounder");
  if (c.type.empty()) c.type = std::move(type);
  c.ref = string_or_empty(j, "ref");
  c.site = string_or_empty(j, "site");
  confounder_component(j, c);
  if (c.names_component() && c.id.empty()) throw std::invalid_argument("confounder `" + c.type + "` has no id");
  confounder_interval(j, c);
  return c;
}

/// `confounders` is a list (of names or objects) or an object keyed by type
/// whose values are an object, a list of objects, or anything else (a name).
std::vector<TruthConfounder> independent_confounders(const Json& list) {
  std::vector<TruthConfounder> out;
  if (list.is_null()) return out;
  const auto add = [&](const std::string& type, const Json& entry) {
    try {
      out.push_back(independent_confounder(type, entry));
    } catch (const std::exception& e) {
      throw std::invalid_argument("`confounders`" + (type.empty() ? "" : " `" + type + "`") + ": " + e.what());
    }
  };
  if (list.is_array()) {
    for (const Json& entry : list) add("", entry);
  } else if (list.is_object()) {
    for (const auto& [type, value] : list.items()) {
      if (value.is_array() && !value.empty()) {
        for (const Json& entry : value) add(type, entry);
      } else {
        add(type, value);
      }
    }
  } else {
    throw std::invalid_argument("`confounders` is not a list or an object");
  }
  return out;
}

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

Truth load_independent_truth(const std::string& file) {
  const std::string text = read_document(file);
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const std::exception& e) {
    throw std::runtime_error(file + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object()) throw std::runtime_error(file + ": not a JSON object");
  Truth truth;
  truth.format = TruthFormat::kIndependent;
  std::unordered_map<std::string, std::string> sites;
  try {
    sites = fault_sites(doc.value("faults", Json()));
    truth.confounders = independent_confounders(doc.value("confounders", Json()));
  } catch (const std::exception& e) {
    throw std::runtime_error(file + ": " + e.what());
  }
  for (const auto& [key, value] : doc.items()) {
    if (key == "faults" || key == "confounders" || key == "meta") continue;
    try {
      truth.segments.push_back(independent_segment(key, value, sites));
    } catch (const std::exception& e) {
      throw std::runtime_error(file + ": segment `" + key + "`: " + e.what());
    }
  }
  if (truth.segments.empty()) throw std::runtime_error(file + ": no segment (a key per segment id) in the truth");
  return truth;
}

Truth load_truth(const std::string& path) {
  namespace fs = std::filesystem;
  fs::path segments;
  fs::path truth_file;
  std::error_code ec;
  if (!fs::is_directory(path, ec) && (ends_with(path, ".json") || ends_with(path, ".json.gz")))
    return load_independent_truth(path);
  if (fs::is_directory(path, ec) && !fs::exists(fs::path(path) / "segments.jsonl", ec)) {
    for (const char* name : {"truth.json.gz", "truth.json"}) {
      if (fs::exists(fs::path(path) / name, ec)) return load_independent_truth((fs::path(path) / name).string());
    }
  }
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
      c.segments = 0;
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
      v.blames_other_than_unknown = std::any_of(blame->begin(), blame->end(), [](const Json& b) {
        const auto kind = b.find("kind");  // end() when b is not an object
        return kind != b.end() && kind->is_string() && kind->get_ref<const std::string&>() != "unknown";
      });
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

/// The grading rules in which the two truth formats differ; all else is shared.
struct Rules {
  /// Client ids compare as MACs (case and separators ignored): the
  /// independent truth and inputs write some as AA-BB-CC-DD-EE-FF.
  bool ids_as_macs = false;
  /// A poor segment with a cause and no verdict is graded (wrong) in top-1,
  /// and top-1 reads the first blame whatever the verdict's quality.
  bool grade_every_cause = false;
};

Rules rules_of(TruthFormat format) {
  if (format == TruthFormat::kIndependent) return {.ids_as_macs = true, .grade_every_cause = true};
  return {};
}

/// The independent README's bar for blaming a poor segment with no known cause.
constexpr double kBackgroundBlameConfidence = 0.5;

bool names_component(const std::string& kind) {
  return kind == "client" || kind == "ap" || kind == "switch" || kind == "wan";
}

/// Whether two ids of one kind name the same component.
bool same_id(const Rules& rules, const std::string& kind, const std::string& a, const std::string& b) {
  if (a == b) return true;
  if (!rules.ids_as_macs || kind != "client") return false;
  const auto ma = Mac::parse(a), mb = Mac::parse(b);
  return ma && mb && *ma == *mb;
}

/// Whether the top blame names this component (remote: the kind alone, as
/// remote parties have no id).
template <typename Seen>
bool blames(const Rules& rules, const Seen& v, const std::string& kind, const std::string& id) {
  return v.has_blame && v.kind == kind && (kind == "remote" || same_id(rules, kind, v.id, id));
}

/// Whether the top blame is the planted cause.
template <typename Seen>
bool matches(const Rules& rules, const std::optional<TruthCause>& cause, const Seen& v) {
  return cause && blames(rules, v, cause->kind, cause->id);
}

void grade_missing(AttributionTally& t) {
  ++t.segments;
  ++t.missing;
  ++t.answers["missing"];
}

template <typename Seen>
void grade(const Rules& rules, AttributionTally& t, const TruthCause& cause, const Seen& v) {
  ++t.segments;
  if (!v.has_blame || (!rules.grade_every_cause && !v.poor)) {
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
  if (blames(rules, v, cause.kind, cause.id)) ++t.id_correct;
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
void blame_check(const Rules& rules, FalseBlameTally& f, const TruthSegment& seg, const Seen& v) {
  if (!v.poor) return;
  ++f.poor_verdicts;
  if (!v.has_blame || !names_component(v.kind)) return;
  ++f.named;
  if (matches(rules, seg.cause, v)) return;
  ++f.false_blame;
  if (!seg.poor)
    ++f.on_good;
  else if (!seg.cause)
    ++f.on_background;
  else
    ++f.wrong_component;
}

/// The independent definition; `v` is null when the segment has no verdict.
template <typename Seen>
void independent_blame_check(IndependentFalseBlameTally& f, const TruthSegment& seg, const Seen* v) {
  if (seg.poor && seg.cause) return;  // graded by top-1 instead
  ++(seg.poor ? f.background : f.good);
  if (v == nullptr) {
    ++f.without_verdict;
  } else if (!seg.poor) {
    if (v->blames_other_than_unknown) ++f.good_blamed;
  } else if (v->has_blame && names_component(v->kind) && v->confidence >= kBackgroundBlameConfidence) {
    ++f.background_blamed;
  }
}

template <typename Seen>
void count_background(BackgroundTally& b, const Seen& v) {
  ++b.segments;
  if (!v.poor) return;
  ++b.detected;
  if (v.has_blame && names_component(v.kind))
    ++b.named;
  else if (v.has_blame && v.kind == "remote")
    ++b.remote;
  else
    ++b.unknown;
}

template <typename Seen>
void calibrate(const Rules& rules, ScoreReport& r, const TruthSegment& seg, const Seen& v) {
  if (!v.poor || !v.has_blame || v.kind == "unknown" || !std::isfinite(v.confidence)) return;
  ++r.claims;
  const double c = std::clamp(v.confidence, 0.0, 1.0);
  CalibrationBin& bin = r.calibration[std::min<std::size_t>(9, static_cast<std::size_t>(c * 10))];
  ++bin.count;
  bin.confidence_sum += c;
  bin.correct += matches(rules, seg.cause, v) ? 1 : 0;
}

std::optional<double> expected_calibration_error(const ScoreReport& r) {
  if (r.claims == 0) return std::nullopt;
  double ece = 0;
  for (const auto& bin : r.calibration) {
    if (bin.count == 0) continue;
    ece += static_cast<double>(bin.count) / static_cast<double>(r.claims) *
           std::abs(*bin.accuracy() - *bin.mean_confidence());
  }
  return ece;
}

}  // namespace

ScoreReport Scorer::finish() const {
  const Rules rules = rules_of(truth_.format);
  ScoreReport r;
  r.format = truth_.format;
  r.truth_segments = truth_.segments.size();
  r.verdicts = verdicts_;
  r.not_in_truth = not_in_truth_;
  r.duplicate_verdicts = duplicates_;
  r.other_records = other_;
  r.bad_lines = bad_;
  if (truth_.format == TruthFormat::kIndependent) r.independent_false_blame.emplace();
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
    if (r.independent_false_blame) independent_blame_check(*r.independent_false_blame, seg, v ? &*v : nullptr);
    if (!v) {
      ++r.missing_verdicts;
      if (rules.grade_every_cause && seg.poor && seg.cause) {
        grade_missing(r.outside_gaps);
        grade_missing(r.by_fault[seg.cause->fault]);
        grade_missing(site.attribution);
      }
      continue;
    }
    ++r.matched;
    detect(r.detection, seg.poor, v->poor, v->unclassified);
    detect(site.detection, seg.poor, v->poor, v->unclassified);

    if (seg.poor && seg.cause) {
      if (seg.telemetry_gap) {
        grade(rules, r.in_gaps, *seg.cause, *v);
        grade(rules, r.by_fault_in_gaps[seg.cause->fault], *seg.cause, *v);
      } else {
        grade(rules, r.outside_gaps, *seg.cause, *v);
        grade(rules, r.by_fault[seg.cause->fault], *seg.cause, *v);
        grade(rules, site.attribution, *seg.cause, *v);
      }
    } else if (seg.poor) {
      count_background(r.background, *v);
    }
    blame_check(rules, r.false_blame, seg, *v);
    blame_check(rules, site.false_blame, seg, *v);
    calibrate(rules, r, seg, *v);
  }
  r.ece = expected_calibration_error(r);

  for (const TruthConfounder& c : truth_.confounders) {
    ConfounderTally t;
    t.confounder = c;
    auto count = [&](const Seen& v, const TruthSegment* seg) {
      if (!c.names_component() || !blames(rules, v, c.kind, c.id)) return;
      ++t.blamed;
      if (c.has_interval && v.start < c.until && c.since < v.end) ++t.blamed_in_interval;
      if (seg != nullptr && seg->poor && matches(rules, seg->cause, v)) ++t.right;
    };
    for (std::size_t i = 0; i < seen_.size(); ++i) {
      if (seen_[i]) count(*seen_[i], &truth_.segments[i]);
    }
    for (const auto& v : unmatched_) count(v, nullptr);
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
  line(out, "  %-28s %8zu  %6s  %7s  %7zu  %8zu   %s", name.c_str(), t.segments,
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
  j["missing"] = t.missing;
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

OJson independent_false_blame_json(const IndependentFalseBlameTally& f) {
  OJson j;
  j["good"] = f.good;
  j["good_blamed"] = f.good_blamed;
  j["background"] = f.background;
  j["background_blamed"] = f.background_blamed;
  j["without_verdict"] = f.without_verdict;
  j["false_blame"] = f.rate().num;
  j["rate"] = optional_json(f.rate().value());
  return j;
}

OJson confounder_json(const ConfounderTally& c) {
  const TruthConfounder& t = c.confounder;
  OJson x;
  x["ref"] = t.ref;
  x["type"] = t.type;
  x["kind"] = t.kind;
  x["id"] = t.id;
  x["site"] = t.site;
  x["segments"] = t.segments ? OJson(*t.segments) : OJson(nullptr);
  // null: not counted (a bare name), or no interval to count in.
  x["blamed"] = t.names_component() ? OJson(c.blamed) : OJson(nullptr);
  x["blamed_in_interval"] = t.names_component() && t.has_interval ? OJson(c.blamed_in_interval) : OJson(nullptr);
  x["right"] = t.names_component() ? OJson(c.right) : OJson(nullptr);
  return x;
}

const char* format_name(TruthFormat f) { return f == TruthFormat::kIndependent ? "independent" : "simulate"; }

std::string count_or_dash(bool known, std::size_t n) { return known ? std::to_string(n) : "-"; }

void attribution_section(std::string& out, const ScoreReport& r) {
  if (r.format == TruthFormat::kIndependent) {
    line(out,
         "top-1 attribution, poor segments with a known cause (kind+id: remote by kind alone, client MACs by value; "
         "a missing verdict, no blame and unknown count as wrong):");
  } else {
    line(out,
         "top-1 attribution, poor segments with a planted cause (kind+id: remote by kind alone; unknown and "
         "not poor count as wrong):");
  }
  line(out, "  %-28s %8s  %6s  %7s  %7s  %8s   %s", "fault", "segments", "kind", "kind+id", "unknown", "not poor",
       "top blame given");
  for (const auto& [name, t] : r.by_fault) attribution_row(out, name, t);
  if (r.format == TruthFormat::kIndependent) {  // its truth marks no telemetry gaps
    attribution_row(out, "all", r.outside_gaps);
    return;
  }
  attribution_row(out, "all, outside gaps", r.outside_gaps);
  attribution_row(out, "in telemetry gaps", r.in_gaps);
  for (const auto& [name, t] : r.by_fault_in_gaps) attribution_row(out, "  " + name, t);
}

void false_blame_section(std::string& out, const ScoreReport& r) {
  const FalseBlameTally& f = r.false_blame;
  if (!r.independent_false_blame) {
    line(out,
         "false blame: %s (%zu of %zu poor verdicts name a client, ap, switch or wan that is not the segment's "
         "planted cause: %zu background, %zu expected good, %zu another component)",
         fixed(f.rate().value()).c_str(), f.false_blame, f.poor_verdicts, f.on_background, f.on_good,
         f.wrong_component);
    return;
  }
  const IndependentFalseBlameTally& i = *r.independent_false_blame;
  line(out,
       "false blame, independent definition: %s (%zu of %zu segments: %zu of %zu not poor with any blame other than "
       "unknown; %zu of %zu poor without a known cause with a top blame on a client, ap, switch or wan at "
       "confidence >= 0.5; %zu without a verdict)",
       fixed(i.rate().value()).c_str(), i.rate().num, i.rate().den, i.good_blamed, i.good, i.background_blamed,
       i.background, i.without_verdict);
  line(out,
       "false blame among poor verdicts (callroot simulate's definition): %s (%zu of %zu: %zu background, "
       "%zu expected good, %zu another component)",
       fixed(f.rate().value()).c_str(), f.false_blame, f.poor_verdicts, f.on_background, f.on_good, f.wrong_component);
}

void confounder_section(std::string& out, const ScoreReport& r) {
  if (r.confounders.empty()) {
    line(out, "confounders: none in the truth");
    return;
  }
  line(out,
       "confounders (must not be blamed; right: blames of the segment's known cause, on the same component; "
       "- : not listed, or nothing to count):");
  line(out, "  %-5s %-22s %-8s %-24s %-8s %8s %7s %11s %6s", "ref", "type", "kind", "id", "site", "segments", "blamed",
       "in interval", "right");
  for (const auto& c : r.confounders) {
    const TruthConfounder& t = c.confounder;
    line(out, "  %-5s %-22s %-8s %-24s %-8s %8s %7s %11s %6s", t.ref.c_str(), t.type.c_str(), t.kind.c_str(),
         t.id.c_str(), t.site.c_str(), count_or_dash(t.segments.has_value(), t.segments.value_or(0)).c_str(),
         count_or_dash(t.names_component(), c.blamed).c_str(),
         count_or_dash(t.names_component() && t.has_interval, c.blamed_in_interval).c_str(),
         count_or_dash(t.names_component(), c.right).c_str());
  }
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
  attribution_section(out, r);
  out += '\n';
  const BackgroundTally& b = r.background;
  line(out,
       "background (poor, no planted cause): %zu segments, %zu found poor: %zu named a component, %zu remote, "
       "%zu unknown",
       b.segments, b.detected, b.named, b.remote, b.unknown);
  false_blame_section(out, r);
  out += '\n';
  confounder_section(out, r);
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
  j["schema_version"] = kJsonSchemaVersion;
  OJson in;
  in["truth_format"] = format_name(r.format);
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
  if (r.independent_false_blame)
    j["false_blame_independent"] = independent_false_blame_json(*r.independent_false_blame);
  OJson conf = OJson::array();
  for (const auto& c : r.confounders) conf.push_back(confounder_json(c));
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

}  // namespace callroot::eval
