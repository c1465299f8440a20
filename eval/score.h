#pragma once
/// `callroot score`: grades verdicts against a scenario's ground truth
/// (`callroot simulate` writes it; docs/simulate.md defines every figure), or
/// against the truth of the independent scenarios (one JSON object per file,
/// graded by the rules their README states; docs/simulate.md too).
/// It grades, it does not judge: the report says how good the verdicts are
/// and leaves the pass mark to whoever reads it.
///
/// The grading is a library (`Truth`, `Scorer`, `ScoreReport`) so tests can
/// feed hand-made truth and verdicts and check exact figures; `run_score` is
/// the command around it.

#include <spdlog/logger.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace callroot::eval {

/// Which truth was read; it decides the few grading rules that differ.
enum class TruthFormat {
  kSimulate,     ///< `callroot simulate`: truth/segments.jsonl and truth/truth.jsonl
  kIndependent,  ///< the independent scenarios: truth.json(.gz), one JSON object
};

/// The planted cause of a poor segment: the component it should be blamed on.
struct TruthCause {
  std::string ref;    ///< the fault's line in truth.jsonl, e.g. "F03" (independent: `fault_id`)
  std::string fault;  ///< fault type, e.g. "congested_ap"
  std::string kind;   ///< client, ap, switch, wan or remote
  std::string id;     ///< empty for remote
  std::string site;
};

/// One line of truth/segments.jsonl.
struct TruthSegment {
  std::string segment_id, call_id;
  bool poor = false;
  std::optional<TruthCause> cause;  ///< none: good, or poor with no planted cause (background)
  bool telemetry_gap = false;
  std::string site;  ///< the site it is graded under (--by-site)
};

/// A component that must not be blamed: a confounder line of truth/truth.jsonl,
/// or an entry of the independent truth's `confounders`. The independent
/// truth may name only the type (no kind: listed, not counted) or a component
/// without a time range (present throughout: no interval).
struct TruthConfounder {
  std::string ref, type, kind, id, site;
  std::int64_t since = 0, until = 0;    ///< ms since the Unix epoch
  bool has_interval = true;             ///< since/until are known
  std::optional<std::size_t> segments;  ///< segments across it during the interval, when the truth lists them
  [[nodiscard]] bool names_component() const { return !kind.empty(); }
};

struct Truth {
  TruthFormat format = TruthFormat::kSimulate;
  std::vector<TruthSegment> segments;
  std::vector<TruthConfounder> confounders;
};

/// Reads the truth, recognising its format by the path:
/// - the independent format: a file ending .json or .json.gz, or a folder
///   holding truth.json.gz or truth.json (and no segments.jsonl);
/// - `callroot simulate`'s: a folder holding segments.jsonl (and truth.jsonl
///   for the confounders), a scenario folder with truth/ inside, or the
///   segments.jsonl file itself (truth.jsonl beside it is read when there).
/// Throws std::runtime_error naming the file (and line, or segment) when a
/// file cannot be read or is not valid.
Truth load_truth(const std::string& path);
/// The independent format from one file, plain or gzip (by content).
Truth load_independent_truth(const std::string& file);

/// numerator / denominator; no value when the denominator is 0.
struct Ratio {
  std::size_t num = 0, den = 0;
  [[nodiscard]] std::optional<double> value() const {
    if (den == 0) return std::nullopt;
    return static_cast<double>(num) / static_cast<double>(den);
  }
};

/// Top-1 attribution over a set of poor segments with a known cause.
struct AttributionTally {
  std::size_t segments = 0;                    ///< graded: known cause, with a verdict (independent: also without)
  std::size_t kind_correct = 0;                ///< top blame of the right kind
  std::size_t id_correct = 0;                  ///< right kind and id (remote: kind)
  std::size_t unknown = 0;                     ///< top blame `unknown` (counted wrong)
  std::size_t not_poor = 0;                    ///< verdict not poor or without blame (counted wrong)
  std::size_t missing = 0;                     ///< no verdict (independent only; counted wrong)
  std::map<std::string, std::size_t> answers;  ///< top blame kind ("none" when not poor, "missing")

  [[nodiscard]] Ratio kind_accuracy() const { return {kind_correct, segments}; }
  [[nodiscard]] Ratio id_accuracy() const { return {id_correct, segments}; }
};

struct DetectionTally {
  std::size_t expected_poor = 0;   ///< in the truth (all, with a verdict or not)
  std::size_t predicted_poor = 0;  ///< poor verdicts of truth segments
  std::size_t true_positive = 0, false_positive = 0, false_negative = 0;
  std::size_t unclassified = 0;  ///< verdicts "unclassified" (not poor)
  [[nodiscard]] Ratio precision() const { return {true_positive, true_positive + false_positive}; }
  [[nodiscard]] Ratio recall() const { return {true_positive, expected_poor}; }
};

struct FalseBlameTally {
  std::size_t poor_verdicts = 0;    ///< poor verdicts of truth segments
  std::size_t named = 0;            ///< ... whose top blame names a client, ap, switch or wan
  std::size_t false_blame = 0;      ///< ... that is not the segment's cause
  std::size_t on_background = 0;    ///< of which: poor with no planted cause
  std::size_t on_good = 0;          ///< of which: expected good
  std::size_t wrong_component = 0;  ///< of which: a known cause, another component
  [[nodiscard]] Ratio rate() const { return {false_blame, poor_verdicts}; }
};

/// False blame as the independent scenarios define it, per segment rather
/// than per poor verdict: a good segment is falsely blamed when any blame
/// entry names something other than `unknown` (remote too); a poor one with
/// no known cause when its top blame names a client, ap, switch or wan with
/// confidence >= 0.5. A segment without a verdict blames nothing.
struct IndependentFalseBlameTally {
  std::size_t good = 0;               ///< truth segments not poor
  std::size_t good_blamed = 0;        ///< ... with a blame entry other than unknown
  std::size_t background = 0;         ///< truth segments poor with no known cause
  std::size_t background_blamed = 0;  ///< ... whose top blame names a component with confidence >= 0.5
  std::size_t without_verdict = 0;    ///< of good and background, those without a verdict
  [[nodiscard]] Ratio rate() const { return {good_blamed + background_blamed, good + background}; }
};

struct BackgroundTally {
  std::size_t segments = 0;                        ///< expected poor, no planted cause, with a verdict
  std::size_t detected = 0;                        ///< verdict poor
  std::size_t named = 0, remote = 0, unknown = 0;  ///< top blame of the detected ones
};

struct ConfounderTally {
  TruthConfounder confounder;
  std::size_t blamed = 0;              ///< verdicts whose top blame names it (0 when it names no component)
  std::size_t blamed_in_interval = 0;  ///< ... of segments overlapping its interval (0 without one)
  /// Of `blamed`, those whose segment has it as its known cause: right, not a
  /// confounder's false blame (a switch can hold a faulty uplink and a port
  /// with stray errors).
  std::size_t right = 0;
};

struct CalibrationBin {
  double lo = 0, hi = 0;
  std::size_t count = 0, correct = 0;
  double confidence_sum = 0;
  [[nodiscard]] std::optional<double> mean_confidence() const;
  [[nodiscard]] std::optional<double> accuracy() const;
};

struct SiteTally {
  std::size_t segments = 0;
  DetectionTally detection;
  AttributionTally attribution;  ///< outside gaps
  FalseBlameTally false_blame;
};

struct ScoreReport {
  // What was read.
  TruthFormat format = TruthFormat::kSimulate;
  std::size_t truth_segments = 0;
  std::size_t verdicts = 0;            ///< verdict records read
  std::size_t matched = 0;             ///< truth segments with a verdict
  std::size_t missing_verdicts = 0;    ///< truth segments without one
  std::size_t not_in_truth = 0;        ///< verdicts of segments the truth does not list
  std::size_t duplicate_verdicts = 0;  ///< a second verdict for a segment (the first is graded)
  std::size_t other_records = 0;       ///< records of other types (incident, ...), ignored
  std::size_t bad_lines = 0;           ///< lines that are not a JSON object with what a verdict needs

  DetectionTally detection;
  AttributionTally outside_gaps, in_gaps;
  std::map<std::string, AttributionTally> by_fault;  ///< outside gaps
  std::map<std::string, AttributionTally> by_fault_in_gaps;
  BackgroundTally background;
  FalseBlameTally false_blame;                                        ///< among poor verdicts (simulate's definition)
  std::optional<IndependentFalseBlameTally> independent_false_blame;  ///< the independent format only
  std::vector<ConfounderTally> confounders;
  std::array<CalibrationBin, 10> calibration{};
  std::size_t claims = 0;  ///< graded poor verdicts whose top blame names a component or remote
  std::optional<double> ece;
  std::map<std::string, SiteTally> by_site;
};

/// Grades verdict lines as they come; finish() makes the report.
class Scorer {
 public:
  explicit Scorer(Truth truth);
  /// One line of the verdict file. Blank lines are skipped; records other
  /// than `verdict` are counted and ignored; a line that cannot be read is
  /// counted in bad_lines.
  void add_line(std::string_view line);
  [[nodiscard]] ScoreReport finish() const;

 private:
  struct Seen {
    bool poor = false, unclassified = false, has_blame = false;
    bool blames_other_than_unknown = false;  // any entry, not only the top
    std::string kind, id;
    double confidence = 0;
    std::int64_t start = 0, end = 0;
  };
  Truth truth_;
  std::unordered_map<std::string, std::size_t> index_;  // segment id -> truth position
  std::vector<std::optional<Seen>> seen_;               // by truth position
  std::vector<Seen> unmatched_;                         // verdicts not in the truth (for confounders)
  std::size_t verdicts_ = 0, not_in_truth_ = 0, duplicates_ = 0, other_ = 0, bad_ = 0;
};

/// The report as a readable table; with by_site, the figures per site after it.
std::string format_table(const ScoreReport& report, bool by_site);
/// The report as one JSON object (one line).
std::string format_json(const ScoreReport& report, bool by_site);

struct ScoreOptions {
  std::string truth;     ///< folder, segments.jsonl, or an independent truth.json(.gz)
  std::string verdicts;  ///< JSON Lines; "-" for stdin
  bool json = false;
  bool by_site = false;
};

/// The command: reads, grades, prints to stdout. Returns 0 when it ran, 2 when
/// a file cannot be read (or the truth is not valid).
int run_score(const ScoreOptions& options, const std::shared_ptr<spdlog::logger>& log);

}  // namespace callroot::eval
