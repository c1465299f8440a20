#pragma once
/// An incident: the same component blamed for poor calls again and again.
/// One verdict says "this call was bad because of hq-ap08"; an incident says
/// "hq-ap08 has been hurting calls since 09:14, these segments, these users".
/// The engine's IncidentTracker (engine/incidents.h) decides when one opens,
/// is updated and closes; this is only the record it emits.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "models/ids.h"
#include "models/time.h"
#include "models/verdict.h"

namespace callroot {

/// What a record says about the incident's life: `open` once (or again when a
/// closed incident re-fires soon after, with the same id), `update` while it
/// lasts, `closed` once at the end.
enum class IncidentState : std::uint8_t { kOpen, kUpdate, kClosed };
std::string_view to_string(IncidentState s) noexcept;

/// Why an incident closed. Quiet is the normal end: no blame for the quiet
/// period. Capacity means the tracker had too many open incidents and closed
/// the one with the oldest blame, so a consumer is never left with an
/// incident that will never close.
enum class IncidentCloseReason : std::uint8_t { kNone, kQuiet, kCapacity };
std::string_view to_string(IncidentCloseReason r) noexcept;

/// One evidence entry of an incident: a rule or statistic that backed the
/// blame, with the text of its latest occurrence and how many of the
/// incident's segments it backed.
struct IncidentEvidence {
  Evidence evidence;
  std::uint64_t segments = 0;
};

struct Incident {
  std::string id;  ///< deterministic: inc-<site>-<kind>-<component>-<since ms>
  IncidentState state = IncidentState::kOpen;
  ComponentKind kind = ComponentKind::kUnknown;
  std::string component;              ///< the blame's id: inventory name, the MAC for a client, the link for wan
  std::string site;                   ///< the blame's site; empty when not known
  TimeMs since = 0;                   ///< start of the earliest segment that opened it
  TimeMs until = kNoTime;             ///< closed only: end of the last blamed segment
  TimeMs updated = 0;                 ///< event time when this record was emitted (orders the records of one incident)
  std::vector<std::string> segments;  ///< the most recent blamed segment ids, oldest first (capped)
  std::uint64_t count = 0;            ///< all distinct blamed segments, listed or not
  std::vector<std::string> users;     ///< organization users of the blamed segments, first seen first (capped)
  std::uint64_t user_count = 0;       ///< distinct users, listed or not
  double confidence = 0;              ///< mean confidence of the top blames
  std::vector<IncidentEvidence> evidence;                   ///< distinct evidence ids, first seen first (capped)
  IncidentCloseReason reason = IncidentCloseReason::kNone;  ///< closed only
  std::uint32_t reopened = 0;                               ///< how many times it re-fired after a close
};

/// Serializes as the SPEC.md `incident` record: one line of JSON, no newline.
/// SPEC.md's fields come first in its order; the extensions (`count`,
/// `user_count`, `confidence`, `updated`, `reason`, `reopened`) follow.
std::string to_json(const Incident& incident);
void append_json(std::string& out, const Incident& incident);

}  // namespace callroot
