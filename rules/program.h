#pragma once
/// A compiled rule set and its evaluator.
///
/// A Program is immutable once compiled: share it as
/// `std::shared_ptr<const Program>` and swap the pointer atomically on reload;
/// evaluate() is const and may run on several threads at once.
///
/// ## What the caller fills
///
/// Fields resolve at compile time to **slots**: `slots()` lists the distinct
/// inputs the program reads. For each candidate the caller fills a flat array
/// `values` with one double per slot (`values[i]` for `slots()[i]`), NaN when
/// unknown (no sample, not measured). Booleans are 0/1; enums the index of the
/// value in the field's enum list (the `*_value()` helpers below map the
/// models' enums). Values are given **in the catalog's unit**; the program
/// applies the language's normalization (Mbps columns -> kbps) itself.
///
/// | SlotKind | what to put in `values[i]` |
/// |---|---|
/// | kHopColumn | `WindowStats` of column `column` of family `family`, for the hop of kind `hop` of this candidate (the client, its AP radio; for `hop == kSwitch`/`kWan` the candidate port/link itself), over the segment's telemetry window: `avg`/`min`/`max`/`p50`/`p95`/`last` as in WindowStats (see `store_aggregate()`); `count` the sample count (0 when none: count is never NaN when the hop is known); `rate` = (last - first) / ((last_ts - first_ts) / 1000 s), NaN with fewer than 2 samples; `share` and `samples` (switch-port error and discard columns only) the engine's PortFaultShare: the mean rate as a percentage of the frames moved that way, and the samples' worth of growth |
/// | kSeries | nothing (leave NaN): read through `SampleSource` |
/// | kEndpoint | the evaluated endpoint's field: `connection` / `device_type` as connection_value() / device_type_value(); `wifi_signal_pct`, `cpu_insufficient_ratio`, `feedback_rating` and the deviceInfo signals (`mic_glitch_rate` … `howling_event_count`) as in `Endpoint` |
/// | kStream | over the segment's streams with `from == side` (kSent) or `from == other(side)` (kReceived), whose media bit is in `media_mask`: the highest measured value of `metric` (the lowest for `frame_rate_avg`); NaN when none is measured |
/// | kStreamPoor | 1 when any such stream (same selection) is poor, 0 when none is, NaN when there are no such streams |
/// | kPeerOrganization | 1 when the other party is inside the organization, else 0 |
/// | kPeripheral | peripheral_value() of the room system's peripheral named `peripheral` (`absent`, index 3, when the room reports no such peripheral); NaN when the endpoint has no room state |
/// | kRoomHealth | room_health_value() of the room system's health; NaN when the endpoint has no room state |
///
/// Fields of a hop that does not exist for this candidate (no AP for a wired
/// client, ...) are NaN. `slots_for(target)` lists the slots that rules of one
/// target read, so an adapter may fill only those.
///
/// The rest of a candidate: `site` (site_index() of the endpoint's site name,
/// kDefaultSite when it has none), the media of the side's poor streams
/// (`media_mask`, bit `1 << Media`) and their directions (`direction_mask`:
/// bit 0 = some stream this endpoint sent is poor, bit 1 = some stream it
/// received is poor), and a SampleSource for `fraction` and `for`.

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/events.h"
#include "models/ids.h"
#include "models/metric_store.h"
#include "models/segment.h"
#include "models/time.h"
#include "rules/checker.h"
#include "rules/fields.h"
#include "rules/types.h"

namespace callroot::rules {

enum class SlotKind : std::uint8_t { kHopColumn, kSeries, kEndpoint, kStream, kStreamPoor, kPeerOrganization, kPeripheral, kRoomHealth };

/// One distinct input of the program.
struct Slot {
  SlotKind kind = SlotKind::kHopColumn;
  const FieldDef* field = nullptr;  ///< the registry entry (null for kPeripheral, kRoomHealth)
  ComponentKind hop = ComponentKind::kUnknown;  ///< kHopColumn, kSeries
  Family family = Family::kWifiClient;          ///< kHopColumn, kSeries
  std::uint8_t column = 0;                      ///< kHopColumn, kSeries: index in family_columns(family)
  Agg agg = Agg::kAvg;                          ///< kHopColumn
  EndpointField endpoint = EndpointField::kConnection;  ///< kEndpoint
  StreamMetric metric = StreamMetric::kJitterAvg;       ///< kStream
  StreamDirection direction = StreamDirection::kSent;   ///< kStream, kStreamPoor
  std::uint8_t media_mask = 0b111;  ///< kStream, kStreamPoor: media of the rule's scope (bit 1 << Media)
  std::string peripheral;           ///< kPeripheral
  /// "client.wifi.rssi_dbm.avg", "sent.jitter_avg_ms[audio]", "peripheral(\"microphone\")".
  std::string name;
};

/// The WindowStats member a kHopColumn slot reads (nullopt for kRate: compute it).
std::optional<Aggregate> store_aggregate(Agg a) noexcept;

double connection_value(Connection c) noexcept;
double device_type_value(DeviceType d) noexcept;
double room_health_value(RoomHealthState s) noexcept;
double peripheral_value(PeripheralState s) noexcept;
inline constexpr double kPeripheralAbsent = 3;
inline constexpr std::uint8_t media_bit(Media m) noexcept { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(m)); }
inline constexpr std::uint8_t kDirectionSent = 1;
inline constexpr std::uint8_t kDirectionReceived = 2;

/// One sample of a hop column: event time and value (NaN: not measured in that row).
struct Sample {
  TimeMs ts = 0;
  double value = 0;
};

/// The samples of hop columns over the segment's telemetry window, in time
/// order, for `fraction` and `for`. Implemented by the engine. Columns of one
/// family come from the same rows, so the spans of two kSeries slots of one
/// family have the same length and timestamps; the evaluator relies on it.
/// The span must stay valid during the evaluate() call.
class SampleSource {
 public:
  virtual ~SampleSource() = default;
  /// Samples of `slot` (a kSeries slot; `slot_index` is its index in slots())
  /// for this candidate's hop of kind `slot.hop`; empty when there are none.
  [[nodiscard]] virtual std::span<const Sample> samples(const Slot& slot, std::uint32_t slot_index) const = 0;
};

struct Candidate {
  std::span<const double> values;  ///< parallel to Program::slots()
  std::uint32_t site = 0;          ///< Program::site_index() of the endpoint's site
  const SampleSource* samples = nullptr;  ///< null: fraction/for are unknown
  std::uint8_t media_mask = 0;      ///< media of the side's poor streams (media_bit)
  std::uint8_t direction_mask = 0;  ///< kDirectionSent | kDirectionReceived
};

/// A rule whose `when` held for the candidate.
struct Firing {
  std::uint32_t rule = 0;  ///< index into Program::rules()
  double weight = 0;
  std::string text;  ///< the rendered explanation (empty when the rule has none)
};

/// One comparison as evaluated: the observed value against the threshold.
struct CompareTrace {
  std::string text;       ///< the source text: `client.wifi.rssi_dbm.avg < rssi_floor`
  std::string observed;   ///< the left side, formatted with its unit ("not measured")
  std::string threshold;  ///< the right side, formatted ("[audio, video]" for `in`)
  double lhs = 0;
  double rhs = 0;  ///< NaN for `in`
  double result = 0;  ///< 1, 0 or NaN (unknown)
};

struct RuleTrace {
  std::uint32_t rule = 0;
  bool enabled = true;      ///< false: disabled at this site, not evaluated
  double scope = 1;         ///< 1, 0, NaN
  double when = 0;          ///< 1, 0, NaN (not evaluated when scope is not true: NaN)
  bool fired = false;
  std::vector<CompareTrace> comparisons;  ///< of scope then when, in evaluation order
  std::string explanation;  ///< rendered whether it fired or not ("not measured" values show why)
};

/// Filled by evaluate() when given: every rule evaluated for one candidate.
struct Trace {
  std::vector<RuleTrace> rules;
};

/// Per-rule counters, owned by the caller (one per thread, merged when read),
/// so that evaluation shares no mutable state. `timing` adds two clock reads
/// per rule evaluated.
struct RuleCounters {
  std::uint64_t evaluations = 0;  ///< candidates for which the rule was evaluated (enabled, target matched)
  std::uint64_t matches = 0;      ///< of which it fired
  std::uint64_t nanoseconds = 0;  ///< time spent, when timing
};
struct RuleStats {
  std::vector<RuleCounters> per_rule;  ///< parallel to Program::rules(); sized by evaluate() if empty
  bool timing = false;
  void merge(const RuleStats& o);
};

/// What a rule is, for listings and the engine's evidence.
struct RuleInfo {
  std::string id;
  std::string file;
  std::uint32_t line = 0;
  ComponentKind target = ComponentKind::kUnknown;
  double weight = 1;
  Severity severity = Severity::kMinor;
  int revision = 1;
  bool enabled = true;  ///< by default (sites may switch it)
  std::string description;
  std::string source;
};

class Program {
 public:
  static constexpr std::uint32_t kDefaultSite = 0;

  ~Program();
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  [[nodiscard]] std::span<const Slot> slots() const noexcept;
  /// Indexes of the slots that rules blaming `target` read (scope, when, explain).
  [[nodiscard]] std::span<const std::uint32_t> slots_for(ComponentKind target) const noexcept;
  [[nodiscard]] std::span<const RuleInfo> rules() const noexcept;
  /// Indexes of the rules blaming `target`, in load order.
  [[nodiscard]] std::span<const std::uint32_t> rules_for(ComponentKind target) const noexcept;

  /// The index of site `name` (a site block, or a name a condition compares
  /// `endpoint.site` with); kDefaultSite for any other name. Not for the hot
  /// path: call it once per endpoint.
  [[nodiscard]] std::uint32_t site_index(std::string_view name) const noexcept;
  /// Site names by index; index 0 (the default) is "".
  [[nodiscard]] std::span<const std::string> site_names() const noexcept;
  [[nodiscard]] bool enabled(std::uint32_t rule, std::uint32_t site) const noexcept;
  /// A param's value at a site (numbers in the base unit), NaN if unknown. A
  /// param no rule reads has the value it was defined with at every site.
  [[nodiscard]] double param(std::string_view name, std::uint32_t site = kDefaultSite) const noexcept;

  /// Evaluates every rule blaming `target` that is enabled at `in.site` for
  /// one candidate, and appends a Firing for each whose scope and when are
  /// true. With `trace`, appends a RuleTrace per rule; with `stats`, counts.
  /// Allocates only for firings (the explanation) and for the trace.
  void evaluate(ComponentKind target, const Candidate& in, std::vector<Firing>& out, Trace* trace = nullptr,
                RuleStats* stats = nullptr) const;

  struct Impl;

 private:
  friend std::shared_ptr<const Program> compile(const CheckedRules& rules);
  explicit Program(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Compiles a rule set that checked without errors (macros inlined, params
/// tabled per site, fields turned into slots).
std::shared_ptr<const Program> compile(const CheckedRules& rules);

}  // namespace callroot::rules
