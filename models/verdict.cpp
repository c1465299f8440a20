#include "models/verdict.h"

#include "models/json_writer.h"

namespace callroot {

std::string_view to_string(Quality q) noexcept {
  switch (q) {
    case Quality::kGood: return "good";
    case Quality::kPoor: return "poor";
    case Quality::kUnclassified: break;
  }
  return "unclassified";
}

void append_json(std::string& out, const Verdict& v) {
  JsonWriter w(out);
  w.begin_object();
  w.key("type").value("verdict");
  w.key("schema_version").value(kJsonSchemaVersion);
  w.key("call_id").value(v.call_id);
  w.key("segment_id").value(v.segment_id);
  if (v.version != 0) w.key("version").value(v.version);
  if (v.reissued) w.key("reissued").value(true);
  w.key("start").time(v.start);
  w.key("end").time(v.end);
  w.key("quality").value(to_string(v.quality));
  w.key("poor_streams").begin_array();
  for (const auto& p : v.poor_streams) {
    w.begin_object();
    w.key("from").value(to_string(p.from));
    w.key("media").value(to_string(p.media));
    w.key("why").begin_array();
    for (const auto& why : p.why) w.value(why);
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.key("mos");
  if (measured(v.mos)) {
    w.value(v.mos, 2);
  } else {
    w.null();
  }
  w.key("blame").begin_array();
  for (const auto& b : v.blame) {
    w.begin_object();
    w.key("kind").value(to_string(b.kind));
    w.key("id").value(b.id);
    w.key("site").value(b.site);
    w.key("confidence").value(b.confidence, 3);
    if (b.link) {
      w.key("link").begin_object();
      for (const auto& [name, end] : {std::pair{"a", &b.link->a}, std::pair{"b", &b.link->b}}) {
        w.key(name).begin_object();
        w.key(end->kind).value(end->id);
        if (!end->port.empty()) w.key("port").value(end->port);
        w.end_object();
      }
      w.end_object();
    }
    w.key("evidence").begin_array();
    for (const auto& e : b.evidence) {
      w.begin_object();
      w.key("source").value(e.source == EvidenceSource::kRule ? "rule" : "stats");
      w.key("id").value(e.id);
      w.key("text").value(e.text);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.key("paths").begin_array();
  for (const auto& p : v.paths) {
    w.begin_object();
    w.key("side").value(to_string(p.side));
    w.key("site").value(p.site);
    if (p.device_type != DeviceType::kUnknown) w.key("device_type").value(to_string(p.device_type));
    w.key("hops").begin_array();
    for (const auto& h : p.hops) {
      w.begin_object();
      w.key("kind").value(to_string(h.kind));
      w.key("id").value(h.id);
      if (!h.detail.empty()) w.key("detail").value(h.detail);
      w.key("metrics").begin_object();
      for (const auto& m : h.metrics) w.dotted_key(m.column, m.aggregate).value(m.value, 3);
      w.end_object();
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

std::string to_json(const Verdict& v) {
  std::string out;
  append_json(out, v);
  return out;
}

}  // namespace callroot
