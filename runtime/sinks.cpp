#include "runtime/sinks.h"

#include <spdlog/fmt/fmt.h>

#include "ingest/zmq_source.h"
#include "models/json_writer.h"

namespace callroot::runtime {

void JsonlSink::on_verdict(const Verdict& v) {
  append_json(buffer_, v);
  buffer_ += '\n';
  if (buffer_.size() > (1u << 16)) flush();
}

void JsonlSink::on_incident(const Incident& x) {
  append_json(buffer_, x);
  buffer_ += '\n';
  if (buffer_.size() > (1u << 16)) flush();
}

void JsonlSink::flush() {
  if (buffer_.empty()) return;
  std::fwrite(buffer_.data(), 1, buffer_.size(), file_);
  std::fflush(file_);
  buffer_.clear();
}

void TableSink::header() {
  if (header_done_) return;
  header_done_ = true;
  write(fmt::format("{:<24}  {:<36} {:<12} {:>5}  {:<7} {:<24} {:>5}  {}", "end", "segment", "quality", "mos", "blame",
                    "component", "conf", "why"));
}

void TableSink::write(std::string line) {
  if (width_ > 0 && line.size() > width_) {
    // Cut on a character boundary (a UTF-8 continuation byte is 10xxxxxx).
    std::size_t cut = width_;
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    line.resize(cut);
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), file_);
}

void PoorOnlySink::on_verdict(const Verdict& v) {
  if (v.quality == Quality::kPoor) next_.on_verdict(v);
}

void TableSink::on_verdict(const Verdict& v) {
  header();
  const std::string end = format_rfc3339(v.end);
  const std::string mos = measured(v.mos) ? format_number(v.mos, 2) : "-";
  std::string why;
  for (const auto& p : v.poor_streams) {
    if (!why.empty()) why += "; ";
    why += std::string(to_string(p.from)) + " " + std::string(to_string(p.media)) + ": ";
    for (std::size_t i = 0; i < p.why.size(); ++i) why += (i ? ", " : "") + p.why[i];
  }
  const char* kind = "";
  std::string id, conf;
  if (!v.blame.empty()) {
    kind = to_string(v.blame.front().kind);
    id = v.blame.front().id;
    conf = format_number(v.blame.front().confidence, 2);
    // A blamed room system reads differently from a laptop: the room's
    // equipment, not a person's device (the MAC plus this still fits the column).
    if (v.blame.front().kind == ComponentKind::kClient) {
      for (const auto& p : v.paths) {
        if (p.device_type == DeviceType::kRoomSystem && !p.hops.empty() &&
            p.hops.front().kind == ComponentKind::kClient && p.hops.front().id == id) {
          id += " (room)";
          break;
        }
      }
    }
  }
  if (v.reissued) why.insert(0, "(reissued) ");
  write(fmt::format("{:<24}  {:<36} {:<12} {:>5}  {:<7} {:<24} {:>5}  {}", end, v.segment_id, to_string(v.quality), mos,
                    kind, id, conf, why));
}

void TableSink::on_incident(const Incident& x) {
  // Its own line, aligned with the verdicts' columns where they mean the same:
  // time, what it is, the component and the confidence; then the story.
  header();
  const std::string when = format_rfc3339(x.updated);
  std::string what = "incident " + std::string(to_string(x.state));
  std::string story = x.id + ": since " + format_rfc3339(x.since);
  if (x.state == IncidentState::kClosed && x.until != kNoTime) story += " until " + format_rfc3339(x.until);
  story += ", " + std::to_string(x.count) + (x.count == 1 ? " segment, " : " segments, ") +
           std::to_string(x.user_count) + (x.user_count == 1 ? " user" : " users");
  if (!x.site.empty()) story += ", site " + x.site;
  if (x.reason != IncidentCloseReason::kNone && x.state == IncidentState::kClosed) {
    story += ", " + std::string(to_string(x.reason));
  }
  if (x.reopened > 0) story += ", reopened " + std::to_string(x.reopened);
  write(fmt::format("{:<24}  {:<36} {:<12} {:>5}  {:<7} {:<24} {:>5}  {}", when, what, "", "", to_string(x.kind),
                    x.component, format_number(x.confidence, 2), story));
}

ZmqPubSink::ZmqPubSink(zmq::context_t& context, const std::vector<std::string>& endpoints,
                       const std::string& curve_secret_key)
    : socket_(context, zmq::socket_type::pub) {
  socket_.set(zmq::sockopt::linger, 1000);
  if (!curve_secret_key.empty()) ingest::make_curve_server(socket_, curve_secret_key);
  for (const auto& ep : endpoints) socket_.bind(ep);
}

void ZmqPubSink::publish(std::string_view type, std::string_view body) {
  socket_.send(zmq::buffer(type), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(body), zmq::send_flags::none);
  ++published_;
}

void ZmqPubSink::on_verdict(const Verdict& v) {
  buffer_.clear();
  append_json(buffer_, v);
  publish("verdict", buffer_);
}

void ZmqPubSink::on_incident(const Incident& x) {
  buffer_.clear();
  append_json(buffer_, x);
  publish("incident", buffer_);
}

}  // namespace callroot::runtime
