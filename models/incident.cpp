#include "models/incident.h"

#include "models/json_writer.h"

namespace callroot {

std::string_view to_string(IncidentState s) noexcept {
  switch (s) {
    case IncidentState::kOpen: return "open";
    case IncidentState::kUpdate: return "update";
    case IncidentState::kClosed: break;
  }
  return "closed";
}

std::string_view to_string(IncidentCloseReason r) noexcept {
  switch (r) {
    case IncidentCloseReason::kQuiet: return "quiet";
    case IncidentCloseReason::kCapacity: return "capacity";
    case IncidentCloseReason::kNone: break;
  }
  return "";
}

void append_json(std::string& out, const Incident& x) {
  JsonWriter w(out);
  w.begin_object();
  w.key("type").value("incident");
  w.key("schema_version").value(kJsonSchemaVersion);
  w.key("id").value(x.id);
  w.key("state").value(to_string(x.state));
  w.key("kind").value(to_string(x.kind));
  w.key("component").value(x.component);
  w.key("site").value(x.site);
  w.key("since").time(x.since);
  if (x.state == IncidentState::kClosed && x.until != kNoTime) w.key("until").time(x.until);
  w.key("segments").begin_array();
  for (const auto& s : x.segments) w.value(s);
  w.end_array();
  w.key("users").begin_array();
  for (const auto& u : x.users) w.value(u);
  w.end_array();
  w.key("evidence").begin_array();
  for (const auto& e : x.evidence) {
    w.begin_object();
    w.key("source").value(e.evidence.source == EvidenceSource::kRule ? "rule" : "stats");
    w.key("id").value(e.evidence.id);
    w.key("text").value(e.evidence.text);
    w.key("segments").value(e.segments);
    w.end_object();
  }
  w.end_array();
  w.key("count").value(x.count);
  w.key("user_count").value(x.user_count);
  w.key("confidence").value(x.confidence, 3);
  w.key("updated").time(x.updated);
  if (x.state == IncidentState::kClosed && x.reason != IncidentCloseReason::kNone) {
    w.key("reason").value(to_string(x.reason));
  }
  if (x.reopened > 0) w.key("reopened").value(static_cast<std::uint64_t>(x.reopened));
  w.end_object();
}

std::string to_json(const Incident& incident) {
  std::string out;
  append_json(out, incident);
  return out;
}

}  // namespace callroot
