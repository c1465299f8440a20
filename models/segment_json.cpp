#include "models/segment_json.h"

#include "models/json_writer.h"

namespace callroot {
namespace {

void write_time(JsonWriter& w, std::string_view key, TimeMs t) {
  if (t != kNoTime) w.key(key).value(static_cast<std::int64_t>(t));
}

void write_endpoint(JsonWriter& w, const Endpoint& e) {
  w.begin_object();
  for (const EndpointText& t : kEndpointTexts) {
    if (!(e.*t.member).empty()) w.key(t.json).value(e.*t.member);
  }
  if (e.client) w.key("client").value(e.client->str());
  if (e.ip) w.key("ip").value(e.ip->str());
  if (e.reflexive_ip) w.key("reflexive_ip").value(e.reflexive_ip->str());
  if (e.subnet) w.key("subnet").value(e.subnet->str());
  if (e.bssid) w.key("bssid").value(e.bssid->str());
  // Always written, so that an endpoint with nothing else known stays present.
  w.key("connection").value(to_string(e.connection));
  if (e.device_type != DeviceType::kUnknown) w.key("device_type").value(to_string(e.device_type));
  if (e.relay_ip) w.key("relay_ip").value(e.relay_ip->str());
  if (e.service) w.key("service").value(true);
  for (const EndpointNumber& n : kEndpointNumbers) {
    if (measured(e.*n.member)) w.key(n.json).value(e.*n.member, 6);
  }
  if (!e.feedback_tokens.empty()) {
    w.key("feedback_tokens").begin_array();
    for (const std::string& t : e.feedback_tokens) w.value(t);
    w.end_array();
  }
  if (!e.trace_route_hops.empty()) {
    w.key("trace_route_hops").begin_array();
    for (const TraceRouteHop& h : e.trace_route_hops) {
      w.begin_object();
      if (measured(h.hop_count)) w.key("hop_count").value(h.hop_count, 6);
      if (h.ip) w.key("ip").value(h.ip->str());
      if (measured(h.rtt_ms)) w.key("rtt_ms").value(h.rtt_ms, 6);
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
}

}  // namespace

void write_segment_json(const CallSegment& s, std::string& out) {
  JsonWriter w(out);
  w.begin_object();
  w.key("type").value("call.segment");
  w.key("call_id").value(s.call_id);
  w.key("segment_id").value(s.segment_id);
  w.key("start").value(static_cast<std::int64_t>(s.start));
  w.key("end").value(static_cast<std::int64_t>(s.end));
  if (s.version != 0) w.key("version").value(s.version);
  if (!s.call_type.empty()) w.key("call_type").value(s.call_type);
  if (s.modalities != 0) {
    w.key("modalities").begin_array();
    for (std::size_t i = 0; i < kModalityNames.size(); ++i) {
      if ((s.modalities & (1u << i)) != 0) w.value(kModalityNames[i]);
    }
    w.end_array();
  }
  if (s.is_test) w.key("is_test").value(true);
  if (!s.failure_stage.empty()) w.key("failure_stage").value(s.failure_stage);
  if (!s.failure_reason.empty()) w.key("failure_reason").value(s.failure_reason);
  if (s.caller.present) write_endpoint(w.key("caller"), s.caller);
  if (s.callee.present) write_endpoint(w.key("callee"), s.callee);
  w.key("streams").begin_array();
  for (const Stream& st : s.streams) {
    w.begin_object();
    w.key("from").value(to_string(st.from));
    w.key("media").value(to_string(st.media));
    for (std::size_t i = 0; i < kStreamMetricCount; ++i) {
      if (!measured(st.values[i])) continue;
      w.key(stream_metric_name(static_cast<StreamMetric>(i))).value(st.values[i], 6);
    }
    if (!st.codec.empty()) w.key("codec").value(st.codec);
    if (measured(st.width)) w.key("width").value(st.width, 6);
    if (measured(st.height)) w.key("height").value(st.height, 6);
    write_time(w, "start", st.start);
    write_time(w, "end", st.end);
    if (st.media_bypassed) w.key("media_bypassed").value(*st.media_bypassed);
    if (st.audio_fec_used) w.key("audio_fec_used").value(*st.audio_fec_used);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

}  // namespace callroot
