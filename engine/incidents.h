#pragma once
/// Incidents: a component blamed again and again becomes one incident that
/// opens, is updated and closes, instead of a stream of separate verdicts.
///
/// The tracker sees every verdict in scoring order (observe) and the
/// watermark (advance); it never reads a clock, so the same input gives the
/// same incident records. The policy, with the reasons for each number, is
/// in docs/incidents.md:
/// - Only the top blame of a poor segment counts, and only when it names a
///   client, AP, switch or WAN link (never remote or unknown) with confidence
///   >= min_confidence.
/// - Opening: >= open_segments distinct segments blamed on the component
///   (same site, kind and id) whose ends lie within open_window; for an AP, a
///   switch or a WAN link, also >= open_users distinct people behind it, so
///   one person's bad afternoon is a client incident, not an AP incident.
/// - Each further blamed segment updates the incident; an `update` record
///   goes out at most once per update_interval of event time, carrying
///   everything gathered since the last record.
/// - Closing: once the watermark is quiet_close past the last blamed segment's
///   end. quiet_close is longer than open_window: that gap is the hysteresis
///   that keeps an intermittent fault from flapping.
/// - Re-firing within reopen_within of the close reopens the same incident
///   (same id, state `open`, `reopened` counted) rather than starting another.
/// - Bounded: segment, user and evidence lists are capped (with full counts),
///   and so are the open incidents and the components being watched.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "models/incident.h"
#include "models/verdict.h"

namespace callroot::engine {

struct IncidentConfig {
  bool enabled = true;
  double min_confidence = 0.5;              ///< a weaker top blame is a guess, not evidence
  std::size_t open_segments = 3;            ///< distinct blamed segments needed to open
  DurationMs open_window = 15 * 60'000;     ///< ...whose ends lie within this span
  std::size_t open_users = 2;               ///< distinct people behind an AP, switch or WAN link
  DurationMs update_interval = 5 * 60'000;  ///< at most one `update` per incident per this much event time
  DurationMs quiet_close = 20 * 60'000;     ///< close after this long without blame (> open_window: hysteresis)
  DurationMs reopen_within = 30 * 60'000;   ///< re-firing this soon after a close reopens the same id
  std::size_t max_segments = 50;            ///< segment ids listed per incident (the most recent)
  std::size_t max_users = 20;               ///< users listed per incident (the first seen)
  std::size_t max_evidence = 10;            ///< distinct evidence entries per incident
  std::size_t max_user_count = 10'000;      ///< distinct users counted exactly up to this many
  std::size_t max_open = 1'000;             ///< open incidents; beyond, the one blamed longest ago closes
  std::size_t max_watched = 10'000;         ///< components with blames but no open incident
};

struct IncidentStats {
  std::uint64_t opened = 0;  ///< `open` records, reopenings included
  std::uint64_t reopened = 0;
  std::uint64_t updates = 0;  ///< `update` records
  std::uint64_t closed = 0;   ///< `closed` records, capacity closes included
  std::uint64_t closed_for_capacity = 0;
  std::uint64_t watched_dropped = 0;  ///< watched components forgotten to stay within max_watched
};

class IncidentTracker {
 public:
  using Emit = std::function<void(const Incident&)>;

  explicit IncidentTracker(IncidentConfig config = {}, Emit emit = {});
  // Movable (a std::map's move keeps its nodes, so open_ stays valid), not
  // copyable: a copy's open_ would point into the original.
  IncidentTracker(const IncidentTracker&) = delete;
  IncidentTracker& operator=(const IncidentTracker&) = delete;
  IncidentTracker(IncidentTracker&&) = default;
  IncidentTracker& operator=(IncidentTracker&&) = default;

  /// Where records go; called synchronously from observe, advance and flush.
  void set_emit(Emit emit) { emit_ = std::move(emit); }

  /// One scored verdict. `caller_user` and `callee_user` are the segment's
  /// endpoint users; only those of organization endpoints (the sides that
  /// have a path in the verdict) are used, so a remote party is never listed.
  void observe(const Verdict& verdict, std::string_view caller_user, std::string_view callee_user);
  /// The watermark moved: closes quiet incidents, sends updates that were held
  /// back by the rate limit, forgets what has aged out.
  void advance(TimeMs watermark);
  /// End of input: sends a last `update` for every open incident with
  /// blamed segments not yet sent. Open incidents stay open: the input
  /// ending is not evidence that the fault is gone.
  void flush();

  /// The whole state (open incidents, incidents closed recently enough to
  /// reopen, watched components and their recent blames, the clock) as a
  /// checkpoint section payload. Names only: no directory ids.
  [[nodiscard]] std::string serialize() const;
  /// Replaces the state with a serialized one; all or nothing. Throws
  /// std::runtime_error on a malformed payload, leaving the state unchanged.
  void deserialize(std::string_view payload);

  /// The open incidents as they stand (state `update` unless just opened), by id.
  [[nodiscard]] std::vector<Incident> open_incidents() const;
  [[nodiscard]] std::size_t open_count() const noexcept { return open_.size(); }
  /// Components tracked without an open incident (blamed recently, or closed recently).
  [[nodiscard]] std::size_t watched_count() const noexcept { return tracks_.size() - open_.size(); }
  [[nodiscard]] const IncidentStats& stats() const noexcept { return stats_; }
  /// The tracker's event time: the highest watermark or blamed segment end seen.
  [[nodiscard]] TimeMs now() const noexcept { return now_; }
  [[nodiscard]] const IncidentConfig& config() const noexcept { return config_; }

 private:
  /// One blamed segment as remembered before (or while) it counts toward an incident.
  struct Hit {
    std::string segment;
    TimeMs start = 0;
    TimeMs end = 0;
    double confidence = 0;
    std::vector<std::string> users;         ///< organization users, listed in the incident
    std::vector<std::uint64_t> identities;  ///< who is behind the component (hashed user or client MAC)
    std::vector<Evidence> evidence;
  };
  /// Everything known about one component (site, kind, id).
  struct Track {
    ComponentKind kind = ComponentKind::kUnknown;
    std::string site;
    std::string component;
    std::vector<Hit> hits;      ///< blames not yet part of an incident, sorted by end
    bool has_incident = false;  ///< open, or closed recently enough to reopen
    bool open = false;
    bool unsent = false;  ///< blamed segments added since the last record
    Incident incident;
    TimeMs last_blame = kNoTime;  ///< end of the latest blamed segment in the incident
    TimeMs last_emit = kNoTime;   ///< now_ when the last record went out
    TimeMs closed_at = kNoTime;   ///< now_ when it closed
    double confidence_sum = 0;
    std::vector<std::uint64_t> user_hashes;  ///< sorted: distinct users, for user_count
  };

  Hit make_hit(const Verdict& v, std::string_view caller_user, std::string_view callee_user) const;
  [[nodiscard]] bool ready(const Track& t) const;
  void open_incident(const std::string& key, Track& t);
  bool add(Track& t, const Hit& hit);
  void emit(Track& t, IncidentState state);
  void close(const std::string& key, Track& t, IncidentCloseReason reason);
  void make_room_for_open();
  void make_room_for_watched();
  void due_scan();
  void housekeeping();
  void schedule(const Track& t);

  IncidentConfig config_;
  Emit emit_;
  // Ordered by key (site, kind, id): records that fall due at the same
  // watermark come out in the same order after a restore as without one.
  std::map<std::string, Track> tracks_;
  // The open incidents, into tracks_ (a map's nodes never move): deadlines are
  // checked on these only, and without a lookup each.
  std::map<std::string, Track*> open_;
  TimeMs now_ = kNoTime;
  TimeMs next_due_;  // earliest close or held-back update; kNoTime: check at the next advance
  TimeMs next_housekeeping_ = kNoTime;
  IncidentStats stats_;
};

}  // namespace callroot::engine
