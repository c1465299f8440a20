#pragma once
/// The correlator: applies events in event time, keeps the network's state,
/// and scores each call segment once the telemetry covering it can be complete.
///
/// Event time: the watermark is the highest event time seen minus the allowed
/// lateness. Telemetry older than the watermark is late: counted and dropped,
/// never merged silently. A segment is scored as soon as the watermark has
/// passed its end plus the grace period (at arrival, for call records that
/// come minutes after the call), otherwise when the watermark gets there, or
/// at flush(). The engine never reads a clock: the same input in the same
/// order always gives the same verdicts. A record far ahead of the event time
/// cannot move it alone (engine/clock_guard.h).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/attribution.h"
#include "engine/clock_guard.h"
#include "engine/incidents.h"
#include "engine/segment_ledger.h"
#include "engine/sink.h"
#include "engine/statistics.h"
#include "engine/uplink_ports.h"
#include "models/bytes.h"
#include "models/directory.h"
#include "models/events.h"
#include "models/metric_store.h"
#include "models/pseudonym.h"
#include "models/topology.h"

namespace callroot::engine {

struct EngineConfig {
  DurationMs allowed_lateness = 120'000;  ///< telemetry this far behind the newest event is still merged
  DurationMs grace = 60'000;              ///< wait this long past a segment's end for its telemetry
  DurationMs evidence_padding = 30'000;   ///< telemetry window = segment window widened by this on each side
  DurationMs retention = 2 * 3600 * 1000;
  DurationMs expire_every = 5 * 60 * 1000;  ///< event time between housekeeping passes
  std::size_t max_pending_segments = 200'000;  ///< beyond this the oldest pending segment is scored early
  IncidentConfig incidents;     ///< when repeated blame on one component becomes an incident (docs/incidents.md)
  StatisticsConfig statistics;  ///< baselines, shared fate, tomography (docs/statistics.md)
  SegmentLedgerConfig ledger;   ///< how long a delivered segment is remembered (duplicates, reissues)
  ClockGuardConfig clock;       ///< how far one record may move the event time (engine/clock_guard.h)
};

struct EngineStats {
  std::uint64_t events = 0;
  std::uint64_t late_dropped = 0;  ///< telemetry older than the watermark
  std::uint64_t future_held = 0;     ///< records held for being far ahead of the event time (once it has started)
  std::uint64_t future_dropped = 0;  ///< of those, dropped: nothing corroborated their time
  std::uint64_t future_outvoted = 0;  ///< of those held, far ahead of another source still speaking
  std::uint64_t segments_received = 0;
  std::uint64_t segments_scored = 0;
  std::uint64_t segments_scored_early = 0;  ///< pushed out by max_pending_segments
  std::uint64_t segments_duplicate = 0;     ///< delivered again unchanged: dropped
  std::uint64_t segments_stale = 0;         ///< a lower version than one already seen: dropped
  std::uint64_t segments_replaced = 0;      ///< a newer copy arrived before the first was scored
  std::uint64_t segments_reissued = 0;      ///< verdicts given again for a newer copy (counted in segments_scored)
  std::uint64_t segments_poor = 0;
  std::uint64_t segments_good = 0;
  std::uint64_t segments_unclassified = 0;
  std::uint64_t blamed[6] = {};  ///< by ComponentKind of the top blame
  std::uint64_t incidents_opened = 0;  ///< `open` records, reopenings included
  std::uint64_t incidents_closed = 0;  ///< `closed` records
};

/// kDuplicate: a call segment delivered again unchanged, or with a lower
/// version than one already seen; dropped (EngineStats says which).
/// kHeld: far ahead of the event time, held until corroborated (clock_guard.h).
enum class ApplyResult : std::uint8_t { kApplied, kLate, kScored, kPending, kDuplicate, kHeld };

class Engine {
 public:
  /// `directory` and `sink` must outlive the engine. The attributor defaults
  /// to the published targets combined with the statistics (make_combined).
  Engine(EngineConfig config, Directory& directory, VerdictSink& sink,
         std::unique_ptr<Attributor> attributor = nullptr);
  ~Engine();

  /// Applies `event`, from `source` (a file, a connection: see
  /// clock_guard.h; records from one source with a skewed clock cannot move
  /// the event time while another source disagrees).
  ApplyResult apply(Event&& event, SourceId source = kAnySource);
  /// Scores every pending segment (end of input, shutdown), then sends a last
  /// `update` for open incidents with unsent segments; they stay open.
  /// Records still held for being far ahead are dropped and counted, except
  /// when the event time never started (too few origins to corroborate any
  /// time): then they are applied in arrival order, as the only time there is.
  void flush();

  /// Saves what a restart should not forget (open incidents, baselines, the
  /// event time reached, which segments have their verdict and the segments
  /// still waiting for one) to a checkpoint file, atomically (engine/checkpoint.h). Throws
  /// std::runtime_error naming the file. With `cipher` (privacy mode) the file
  /// is encrypted with it.
  void save_checkpoint(const std::string& path, const StateCipher* cipher = nullptr) const;
  /// Restores a checkpoint saved by save_checkpoint, before any event is
  /// applied. All or nothing: on a bad file it throws std::runtime_error
  /// naming the file and the section, and the engine is unchanged. The
  /// engine's watermark is not restored: see docs/incidents.md. An encrypted
  /// checkpoint needs the `cipher` that sealed it; a plain one reads either way.
  void restore_checkpoint(const std::string& path, const StateCipher* cipher = nullptr);
  /// After restore_checkpoint: the segments keyed `keys` (SegmentLedger::key)
  /// may have had their verdict since the checkpoint was saved, because a
  /// journal written ahead of each verdict says so (tools/verdict_journal.h).
  /// Their next verdict is marked reissued, never suppressed: one given just
  /// before a crash may not have reached anyone. Returns how many segments
  /// the checkpoint did not already know as scored.
  std::size_t restore_given(const std::vector<std::uint64_t>& keys);
  /// The earliest event time a sender must deliver again, after a restart
  /// from a checkpoint saved now, for the engine to score as if it had never
  /// stopped: the telemetry of every segment still waiting (its window and
  /// padding) and everything within the allowed lateness of the event time
  /// reached. kNoTime when the engine has seen no time: everything.
  [[nodiscard]] TimeMs replay_from() const noexcept;

  /// Swaps the attribution strategy (rules reload); takes effect for the next segment.
  void set_attributor(std::unique_ptr<Attributor> attributor);

  [[nodiscard]] TimeMs watermark() const noexcept { return watermark_; }
  /// The newest event time applied (kNoTime before any).
  [[nodiscard]] TimeMs newest_event() const noexcept { return max_time_; }
  [[nodiscard]] std::size_t pending() const noexcept { return pending_.size(); }
  /// Records held for being far ahead of the event time (clock_guard.h).
  [[nodiscard]] std::size_t held() const noexcept { return clock_guard_.size(); }
  [[nodiscard]] const ClockGuard& clock_guard() const noexcept { return clock_guard_; }
  [[nodiscard]] const EngineStats& stats() const noexcept { return stats_; }
  [[nodiscard]] const Topology& topology() const noexcept { return topology_; }
  [[nodiscard]] const MetricStore& store() const noexcept { return store_; }
  [[nodiscard]] const Directory& directory() const noexcept { return directory_; }
  [[nodiscard]] const IncidentTracker& incidents() const noexcept { return incidents_; }
  [[nodiscard]] const Statistics& statistics() const noexcept { return statistics_; }
  [[nodiscard]] Statistics& statistics() noexcept { return statistics_; }
  /// The highest event time of the restored checkpoint, or kNoTime.
  [[nodiscard]] TimeMs checkpoint_time() const noexcept { return checkpoint_time_; }

 private:
  /// A segment waiting for its telemetry. It is kept encoded
  /// (models/segment_codec.h: the fields it carries, not the ~2 kB of every
  /// field), so a flood of call records costs what they say.
  struct Pending {
    TimeMs due;
    std::uint64_t order;  // arrival order breaks ties, keeping output deterministic
    SegmentLedger::Ticket ticket;
    bool reissue;
    TimeMs start;         // the segment's, for replay_from()
    std::string segment;  // encode_segment's bytes
  };
  struct Later {
    bool operator()(const Pending& a, const Pending& b) const noexcept {
      return a.due != b.due ? a.due > b.due : a.order > b.order;
    }
  };

  ApplyResult apply_now(Event&& event);
  [[nodiscard]] std::string serialize_pending() const;
  /// The pending segments of a checkpoint, as a heap; `order`: the arrival counter saved with them.
  static std::vector<Pending> deserialize_pending(std::string_view bytes, std::uint64_t& order);
  /// Applies the held records the event time has now reached.
  void release_held();
  void advance(TimeMs t);
  /// Scores `p` unless a newer copy of its segment has replaced it.
  void score_pending(const Pending& p);
  [[nodiscard]] std::string encode_pending(const CallSegment& segment);
  void score(const CallSegment& segment, const SegmentLedger::Ticket& ticket, bool reissue);
  void fill_paths(const ScoringContext& ctx, Verdict& v) const;
  void score_due();
  void apply_telemetry(const TelemetrySample& s);
  void apply_room_health(const RoomHealth& r);
  void emit_incident(const Incident& x);

  EngineConfig config_;
  Directory& directory_;
  VerdictSink& sink_;
  std::unique_ptr<Attributor> attributor_;
  Topology topology_;
  MetricStore store_;
  RoomHealthBook rooms_;
  std::vector<Pending> pending_;  // a min-heap on (due, order) via Later
  std::uint64_t order_ = 0;
  TimeMs max_time_ = kNoTime;
  TimeMs watermark_ = kNoTime;
  TimeMs next_expire_ = kNoTime;
  EngineStats stats_;
  Verdict verdict_;  // reused across segments to keep its buffers
  ByteWriter pending_writer_;  // reused to encode waiting segments
  ScoringContext context_;
  IncidentTracker incidents_;
  TimeMs checkpoint_time_ = kNoTime;
  Statistics statistics_;
  UplinkPorts uplinks_;
  SegmentLedger ledger_;
  ClockGuard clock_guard_;
};

}  // namespace callroot::engine
