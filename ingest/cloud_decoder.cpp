#include "ingest/cloud_decoder.h"
#include "ingest/dom_reader.h"
#include "ingest/echo.h"
#include "models/capacity.h"

// Parsing: simdjson's DOM API rather than the On Demand API of decoder.cpp, and
// rather than nlohmann/json. Cloud documents are rare (one per call, or one
// per meeting page) but large and deeply nested, and their mapping needs random
// access: a segment falls back on its session's endpoints, network fields are
// taken from the audio media first, an envelope is told from a bare document by
// looking at two keys. On Demand is forward-only, which would make that code
// twice as long; nlohmann/json would add a second parser with exceptions to a
// library that has none. The DOM gives random access, error codes instead of
// exceptions, a nesting limit (1024) that keeps fuzzed input from recursing
// deep, and the parser's buffers are reused from one document to the next.

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <utility>

namespace callroot::ingest {
namespace {

namespace dom = simdjson::dom;

constexpr std::string_view kGraphType = "graph.callRecord";
constexpr std::string_view kZoomType = "zoom.qos";
constexpr std::array<std::string_view, 2> kEnvelopeTypes{kGraphType, kZoomType};
constexpr TimeMs kZoomSliceMs = 60'000;  // Zoom samples QoS once a minute

using detail::is_unknown_enum;
using detail::not_a_timestamp;
using detail::number_text;
using detail::PathScope;
using detail::quoted;

bool is_number(dom::element_type t) noexcept {
  return t == dom::element_type::INT64 || t == dom::element_type::UINT64 || t == dom::element_type::DOUBLE;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool contains(std::string_view s, std::string_view part) noexcept { return s.find(part) != std::string_view::npos; }

// ---- Graph enumerations -------------------------------------------------------

std::optional<Connection> graph_connection(std::string_view s) noexcept {
  if (ascii_iequals(s, "wifi")) return Connection::kWifi;
  if (ascii_iequals(s, "wired")) return Connection::kWired;
  if (ascii_iequals(s, "mobile")) return Connection::kMobile;
  if (ascii_iequals(s, "tunnel")) return Connection::kTunnel;
  return std::nullopt;
}

/// clientPlatform -> device type; nullopt for values we do not place.
std::optional<DeviceType> graph_platform(std::string_view s) noexcept {
  if (ascii_iequals(s, "roomSystem") || ascii_iequals(s, "surfaceHub")) return DeviceType::kRoomSystem;
  if (ascii_iequals(s, "iOS") || ascii_iequals(s, "android")) return DeviceType::kMobile;
  if (ascii_iequals(s, "windows") || ascii_iequals(s, "macOS") || ascii_iequals(s, "web")) return DeviceType::kPc;
  if (ascii_iequals(s, "ipPhone")) return DeviceType::kPhone;
  return std::nullopt;  // holoLens and future values
}

/// wifiBand -> GHz, as `client.assoc` `band`; nullopt for values we do not place.
std::optional<double> graph_wifi_band(std::string_view s) noexcept {
  if (ascii_iequals(s, "frequency24GHz")) return 2.4;
  if (ascii_iequals(s, "frequency50GHz")) return 5.0;
  if (ascii_iequals(s, "frequency60GHz")) return 6.0;
  return std::nullopt;
}

/// userFeedbackRating -> 1..5.
std::optional<double> graph_rating(std::string_view s) noexcept {
  if (ascii_iequals(s, "bad")) return 1;
  if (ascii_iequals(s, "poor")) return 2;
  if (ascii_iequals(s, "fair")) return 3;
  if (ascii_iequals(s, "good")) return 4;
  if (ascii_iequals(s, "excellent")) return 5;
  return std::nullopt;
}

/// A media label -> Media; nullopt for `data` and labels we do not classify.
std::optional<Media> graph_media(std::string_view label) {
  const std::string l = lower(label);
  if (contains(l, "audio")) return Media::kAudio;
  if (contains(l, "applicationsharing") || contains(l, "sharing") || contains(l, "screen") || contains(l, "vbss")) {
    return Media::kScreen;
  }
  if (contains(l, "video")) return Media::kVideo;
  return std::nullopt;
}

// ---- Zoom enumerations ---------------------------------------------------------

std::optional<Connection> zoom_network(std::string_view s) noexcept {
  if (ascii_iequals(s, "Wired")) return Connection::kWired;
  if (ascii_iequals(s, "Wifi") || ascii_iequals(s, "Wi-Fi")) return Connection::kWifi;
  if (ascii_iequals(s, "Cellular") || ascii_iequals(s, "3G") || ascii_iequals(s, "4G") || ascii_iequals(s, "5G")) return Connection::kMobile;
  if (ascii_iequals(s, "PPP")) return Connection::kTunnel;  // point-to-point: a VPN or dial-up tunnel
  return std::nullopt;                                // Others
}

std::optional<DeviceType> zoom_device(std::string_view s) {
  const std::string l = lower(s);
  if (l == "phone") return DeviceType::kPhone;  // joined by PSTN
  if (contains(l, "h.323") || contains(l, "sip") || contains(l, "room")) return DeviceType::kRoomSystem;
  if (l == "ios" || l == "android" || contains(l, "ipad") || contains(l, "iphone")) return DeviceType::kMobile;
  if (l == "windows" || l == "mac" || l == "linux" || l == "web" || contains(l, "windows") || contains(l, "mac")) {
    return DeviceType::kPc;
  }
  return std::nullopt;
}

/// Zoom's `resolution` ("1280*720"; "1280x720" accepted too) -> width, height.
std::optional<std::pair<double, double>> parse_resolution(std::string_view s) noexcept {
  const auto sep = s.find_first_of("*xX");
  if (sep == std::string_view::npos) return std::nullopt;
  auto num = [](std::string_view t) -> std::optional<double> {
    t = trim(t);
    unsigned v = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || end != t.data() + t.size() || v > 100'000) return std::nullopt;
    return static_cast<double>(v);
  };
  const auto w = num(s.substr(0, sep));
  const auto h = num(s.substr(sep + 1));
  if (!w || !h) return std::nullopt;
  return std::pair{*w, *h};
}

/// The callRecord id in a sessions page's `@odata.context`:
/// `.../communications/callRecords('ID')/sessions`.
std::string_view call_id_from_context(std::string_view context) noexcept {
  constexpr std::string_view kKey = "callRecords('";
  const auto at = context.find(kKey);
  if (at == std::string_view::npos) return {};
  const auto begin = at + kKey.size();
  const auto end = context.find('\'', begin);
  if (end == std::string_view::npos) return {};
  return context.substr(begin, end - begin);
}

}  // namespace

// ---- value readers (public for tests) --------------------------------------------

namespace cloud {

std::optional<double> parse_graph_double(std::string_view text, bool& ok) noexcept {
  ok = true;
  text = trim(text);
  if (text.empty() || ascii_iequals(text, "NaN") || ascii_iequals(text, "INF") || ascii_iequals(text, "-INF") ||
      ascii_iequals(text, "Infinity") || ascii_iequals(text, "-Infinity")) {
    return std::nullopt;
  }
  double v = 0;
  const char* first = text.data();
  if (*first == '+') ++first;
  const auto [end, ec] = std::from_chars(first, text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
    ok = false;
    return std::nullopt;
  }
  return v;
}

std::optional<double> parse_zoom_quantity(std::string_view text, std::string_view unit, bool& ok) noexcept {
  ok = true;
  text = trim(text);
  if (text.empty() || text == "-" || text == "--" || ascii_iequals(text, "N/A")) return std::nullopt;
  double v = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (*first == '+') ++first;
  const auto [end, ec] = std::from_chars(first, last, v);
  if (ec != std::errc() || !std::isfinite(v)) {
    ok = false;
    return std::nullopt;
  }
  const std::string_view suffix = trim(std::string_view(end, static_cast<std::size_t>(last - end)));
  if (suffix.empty() || ascii_iequals(suffix, unit)) return v;
  if (ascii_iequals(unit, "kbps")) {
    if (ascii_iequals(suffix, "bps")) return v / 1000;
    if (ascii_iequals(suffix, "Mbps")) return v * 1000;
  }
  ok = false;
  return std::nullopt;
}

double rssi_to_signal_pct(double rssi_dbm) noexcept {
  if (!measured(rssi_dbm)) return kMissing;
  return std::clamp(2 * (rssi_dbm + 100), 0.0, 100.0);
}

bool is_private(const IpAddr& ip) noexcept {
  const auto& b = ip.bytes;
  if (ip.is_v4()) {
    const std::uint8_t a = b[12], c = b[13];
    return a == 10 || (a == 172 && (c & 0xf0) == 16) || (a == 192 && c == 168) || (a == 169 && c == 254) ||
           a == 127;
  }
  return (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||
         (std::all_of(b.begin(), b.begin() + 15, [](std::uint8_t x) { return x == 0; }) && b[15] == 1);
}

}  // namespace cloud

// ---- the decoder ------------------------------------------------------------------

/// DomReader opens the document and gives the path, the rejections, the
/// warnings and the common readers (field, array_field, text); what follows is
/// this decoder's own policy: a leaf that cannot be read is "not measured".
struct CloudDecoder::Impl : detail::DomReader {
  Impl(CloudDecoderOptions o, DecodeError& e, std::vector<std::string>& w)
      : DomReader({o.max_document_bytes, o.max_warnings}, "; taken as not measured", e, w), options(o) {}

  CloudDecoderOptions options;
  std::vector<CallSegment> staged;
  std::vector<CloudClientSample> staged_samples;

  // ---- structure ------------------------------------------------------------

  /// An optional nested object: absent/null -> nullopt; another type -> warning.
  std::optional<dom::object> object_field(dom::object obj, std::string_view key) {
    const auto el = field(obj, key);
    if (!el) return std::nullopt;
    dom::object out;
    if (el->get_object().get(out) != simdjson::SUCCESS) {
      warn_type(key, "an object", el->type());
      return std::nullopt;
    }
    return out;
  }

  // ---- leaves: never reject, warn when unusable --------------------------------

  /// An enumeration string; "unknown" and "unknownFutureValue" -> empty.
  std::string_view enum_text(dom::object obj, std::string_view key) {
    const std::string_view s = text(obj, key);
    return is_unknown_enum(s) ? std::string_view{} : s;
  }

  /// A Graph Double: number, numeric string, "NaN"/"INF"/"-INF" -> kMissing.
  double number(dom::object obj, std::string_view key) {
    const auto el = field(obj, key);
    if (!el) return kMissing;
    const auto t = el->type();
    if (is_number(t)) {
      double v = 0;
      if (el->get_double().get(v) != simdjson::SUCCESS) return kMissing;
      return v;
    }
    if (t == dom::element_type::STRING) {
      std::string_view s;
      if (el->get_string().get(s) != simdjson::SUCCESS) return kMissing;
      bool ok = true;
      const auto v = cloud::parse_graph_double(s, ok);
      if (!ok) warn(key, quoted(s) + " is not a number");
      return v.value_or(kMissing);
    }
    warn_type(key, "a number", t);
    return kMissing;
  }

  /// A number in [min, max]; outside -> warning and kMissing.
  double bounded(dom::object obj, std::string_view key, double min, double max) {
    const double v = number(obj, key);
    if (!measured(v)) return v;
    if (v < min || v > max) {
      warn(key, number_text(v) + " is outside [" + number_text(min) + ", " + number_text(max) + "]");
      return kMissing;
    }
    return v;
  }

  /// An ISO 8601 duration in milliseconds.
  double duration_ms(dom::object obj, std::string_view key) {
    const auto el = field(obj, key);
    if (!el) return kMissing;
    std::string_view s;
    if (el->get_string().get(s) != simdjson::SUCCESS) {
      warn_type(key, "an ISO 8601 duration string", el->type());
      return kMissing;
    }
    if (s.empty()) return kMissing;
    const auto ms = parse_iso8601_duration_ms(s);
    if (!ms || !std::isfinite(*ms) || *ms < 0) {
      warn(key, quoted(s) + " is not a non-negative ISO 8601 duration");
      return kMissing;
    }
    return *ms;
  }

  std::optional<Mac> mac(dom::object obj, std::string_view key) {
    const std::string_view s = trim(text(obj, key));
    bool ok = true;
    const auto m = detail::identifying_mac(s, ok);  // placeholders and all zeros identify nobody
    if (!ok) warn(key, quoted(s) + " is not a MAC address");
    return m;
  }

  std::optional<IpAddr> ip(std::string_view s, std::string_view key) {
    s = trim(s);
    if (s.empty()) return std::nullopt;
    const auto a = IpAddr::parse(s);
    if (!a) warn(key, quoted(s) + " is not an IP address");
    return a;
  }
  std::optional<IpAddr> ip(dom::object obj, std::string_view key) { return ip(text(obj, key), key); }

  /// Graph's `subnet` is the prefix's base address without a length: kept as
  /// that single address (/32, /128); the site lookup reads the base address.
  std::optional<Cidr> subnet(dom::object obj, std::string_view key) {
    const std::string_view s = trim(text(obj, key));
    if (s.empty()) return std::nullopt;
    if (s.find('/') != std::string_view::npos) {
      const auto c = Cidr::parse(s);
      if (!c) warn(key, quoted(s) + " is not a subnet");
      return c;
    }
    const auto base = IpAddr::parse(s);
    if (!base) {
      warn(key, quoted(s) + " is not a subnet address");
      return std::nullopt;
    }
    Cidr c;
    c.base = *base;
    c.bits = 128;
    return c;
  }

  static void first(double& slot, double v) {
    if (!measured(slot)) slot = v;
  }

  // ---- entry ------------------------------------------------------------------

  bool decode(CloudFormat format, std::string_view json, bool padded) {
    staged.clear();
    staged_samples.clear();
    // A Graph callRecord's own `type` is `peerToPeer`/`groupCall` and a Zoom
    // page has none, so neither can be taken for the envelope.
    const std::string_view expected = format == CloudFormat::kGraphCallRecord ? kGraphType : kZoomType;
    if (format == CloudFormat::kZoomQos && json.size() > options.split_documents_over) {
      return zoom_in_pieces(json, padded);
    }
    const auto doc = open_document(json, padded, kEnvelopeTypes, expected);
    if (!doc) return false;
    if (doc->envelope) path = "body";
    return format == CloudFormat::kGraphCallRecord ? graph(doc->body, doc->envelope) : zoom(doc->body, doc->envelope);
  }

  /// The call id a document does not carry itself, from the envelope.
  std::string_view envelope_call_id(const std::optional<dom::object>& envelope) {
    if (!envelope) return {};
    const std::string saved = std::exchange(path, std::string());
    const std::string_view id = text(*envelope, "call_id");
    path = saved;
    return id;
  }

  // ---- Microsoft Graph ----------------------------------------------------------

  /// What a callRecord says about all its segments.
  struct GraphCall {
    std::string_view id;
    std::uint64_t version = 0;
    std::string_view type;  ///< `groupCall`, `peerToPeer`
    std::uint8_t modalities = 0;
  };

  struct GraphSession {
    std::optional<dom::object> caller, callee;
    TimeMs start = kNoTime, end = kNoTime;
    std::uint8_t modalities = 0;
    bool is_test = false;
    std::optional<dom::object> failure;
  };

  /// Graph's Int64 `version`: a JSON integer or a numeric string (Int64 values
  /// may come as strings under IEEE754Compatible); 0 when absent or unusable.
  std::uint64_t version_field(dom::object obj, std::string_view key) {
    const auto el = field(obj, key);
    if (!el) return 0;
    std::uint64_t v = 0;
    if (el->get_uint64().get(v) == simdjson::SUCCESS) return v;
    std::string_view s;
    if (el->get_string().get(s) == simdjson::SUCCESS) {
      s = trim(s);
      if (s.empty()) return 0;
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec == std::errc() && end == s.data() + s.size()) return v;
      warn(key, quoted(s) + " is not a non-negative integer");
      return 0;
    }
    warn_type(key, "a non-negative integer", el->type());
    return 0;
  }

  /// `modalities`: a list of Graph modality names as ModalityBit; unknown
  /// names (`unknown`, a future value) are skipped.
  std::uint8_t modalities_field(dom::object obj) {
    const auto el = field(obj, "modalities");
    if (!el) return 0;
    dom::array arr;
    if (el->get_array().get(arr) != simdjson::SUCCESS) {
      warn_type("modalities", "an array of strings", el->type());
      return 0;
    }
    std::uint8_t bits = 0;
    for (dom::element m : arr) {
      std::string_view name;
      if (m.get_string().get(name) != simdjson::SUCCESS) continue;
      for (std::size_t i = 0; i < kModalityNames.size(); ++i) {
        if (ascii_iequals(name, kModalityNames[i])) bits |= static_cast<std::uint8_t>(1u << i);
      }
    }
    return bits;
  }

  /// A boolean leaf; null/absent -> nullopt; another type -> warning.
  std::optional<bool> flag(dom::object obj, std::string_view key) {
    const auto el = field(obj, key);
    if (!el) return std::nullopt;
    bool b = false;
    if (el->get_bool().get(b) == simdjson::SUCCESS) return b;
    warn_type(key, "true or false", el->type());
    return std::nullopt;
  }

  bool graph(dom::object doc, const std::optional<dom::object>& envelope) {
    GraphCall call;
    std::string_view& call_id = call.id;
    call_id = text(doc, "id");
    std::string_view list_key = "sessions";
    if (call_id.empty()) {
      // A page of `GET /communications/callRecords/{id}/sessions?$expand=segments`
      // (or a later page of a callRecord's sessions): the id is in the context.
      dom::element value;
      if (doc.at_key("value").get(value) == simdjson::SUCCESS) {
        list_key = "value";
        call_id = call_id_from_context(text(doc, "@odata.context"));
      }
      if (call_id.empty()) call_id = envelope_call_id(envelope);
      if (call_id.empty()) {
        return list_key == "value"
                   ? fail(RejectReason::kMissingField,
                          "field `" + here("@odata.context") + "` does not name the callRecord of this sessions page "
                          "(give `call_id` in the envelope)")
                   : missing("id");
      }
    }
    call.version = version_field(doc, "version");
    if (call.version == 0 && envelope) {
      // A sessions page does not carry its callRecord's version: the collector may add it.
      const std::string saved = std::exchange(path, std::string());
      call.version = version_field(*envelope, "version");
      path = saved;
    }
    call.type = enum_text(doc, "type");
    call.modalities = modalities_field(doc);
    std::optional<dom::array> sessions;
    if (!array_field(doc, list_key, sessions)) return false;
    if (!sessions) {
      warn(list_key, "no sessions: fetch the record with $expand=sessions($expand=segments)");
      return true;
    }
    std::size_t i = 0;
    for (dom::element s : *sessions) {
      PathScope ps(path, list_key);
      PathScope pi(path, i++);
      dom::object session;
      if (s.get_object().get(session) != simdjson::SUCCESS) return wrong_type({}, "a session object", s.type());
      if (!graph_session(session, call)) return false;
    }
    return true;
  }

  bool time_field(dom::object obj, std::string_view key, TimeMs& out) {
    const auto el = field(obj, key);
    if (!el) return true;
    std::string_view s;
    if (el->get_string().get(s) != simdjson::SUCCESS) return wrong_type(key, "an RFC 3339 string", el->type());
    if (trim(s).empty()) return true;  // "" is not given
    const auto t = parse_rfc3339(s);
    if (!t) return fail_at(RejectReason::kBadTimestamp, key, not_a_timestamp(s));
    out = *t;
    return true;
  }

  bool graph_session(dom::object session, const GraphCall& call) {
    GraphSession ctx;
    ctx.caller = object_field(session, "caller");
    ctx.callee = object_field(session, "callee");
    ctx.modalities = modalities_field(session);
    ctx.is_test = flag(session, "isTest").value_or(false);
    ctx.failure = object_field(session, "failureInfo");
    if (!time_field(session, "startDateTime", ctx.start) || !time_field(session, "endDateTime", ctx.end)) return false;
    std::optional<dom::array> segments;
    if (!array_field(session, "segments", segments)) return false;
    if (!segments) {
      warn("segments", "no segments: fetch the record with $expand=sessions($expand=segments)");
      return true;
    }
    std::size_t j = 0;
    for (dom::element s : *segments) {
      PathScope ps(path, "segments");
      PathScope pj(path, j++);
      dom::object segment;
      if (s.get_object().get(segment) != simdjson::SUCCESS) return wrong_type({}, "a segment object", s.type());
      if (!graph_segment(segment, call, ctx)) return false;
    }
    return true;
  }

  bool graph_segment(dom::object seg, const GraphCall& call, const GraphSession& session) {
    CallSegment out;
    out.call_id.assign(call.id);
    out.version = call.version;
    out.call_type.assign(call.type);
    out.modalities = session.modalities != 0 ? session.modalities : call.modalities;
    out.is_test = session.is_test;
    const std::string_view id = text(seg, "id");
    if (id.empty()) return missing("id");
    out.segment_id.assign(id);
    TimeMs start = kNoTime, end = kNoTime;
    if (!time_field(seg, "startDateTime", start) || !time_field(seg, "endDateTime", end)) return false;
    if (start == kNoTime) start = session.start;  // a segment without times spans its session
    if (end == kNoTime) end = session.end;
    if (start == kNoTime) return missing("startDateTime");
    if (end == kNoTime) return missing("endDateTime");
    if (end < start) {
      return fail_at(RejectReason::kBadValue, "endDateTime",
                     format_rfc3339(end) + " is before `startDateTime` " + format_rfc3339(start));
    }
    out.start = start;
    out.end = end;
    {
      // The segment's own failure, else its session's.
      const auto own = object_field(seg, "failureInfo");
      PathScope p(path, own ? "failureInfo" : "(session).failureInfo");
      if (own || session.failure) {
        const dom::object f = own ? *own : *session.failure;
        out.failure_stage.assign(enum_text(f, "stage"));
        out.failure_reason.assign(trim(text(f, "reason")));
      }
    }

    // Endpoints: the segment's own, else its session's.
    {
      const auto caller = object_field(seg, "caller");
      PathScope p(path, caller ? "caller" : "(session).caller");
      if (caller || session.caller) graph_endpoint(caller ? *caller : *session.caller, out.caller);
    }
    {
      const auto callee = object_field(seg, "callee");
      PathScope p(path, callee ? "callee" : "(session).callee");
      if (callee || session.callee) graph_endpoint(callee ? *callee : *session.callee, out.callee);
    }

    std::optional<dom::array> media;
    if (!array_field(seg, "media", media)) return false;
    if (media) {
      // Endpoint network and device fields: the first measured value wins,
      // audio media first (the stream the CQD network classification is about).
      for (const bool audio_pass : {true, false}) {
        std::size_t k = 0;
        for (dom::element m : *media) {
          PathScope pm(path, "media");
          PathScope pk(path, k++);
          dom::object mo;
          if (m.get_object().get(mo) != simdjson::SUCCESS) {
            if (audio_pass) return wrong_type({}, "a media object", m.type());
            continue;
          }
          std::string_view label;  // read quietly here: graph_media_streams warns about it
          if (const auto el = field(mo, "label"); el && el->get_string().get(label) != simdjson::SUCCESS) label = {};
          const auto kind = graph_media(label);
          const bool is_audio = kind && *kind == Media::kAudio;
          if (is_audio != audio_pass) continue;
          graph_media_endpoints(mo, out);
        }
      }
      std::size_t k = 0;
      for (dom::element m : *media) {
        PathScope pm(path, "media");
        PathScope pk(path, k++);
        dom::object mo;
        if (m.get_object().get(mo) != simdjson::SUCCESS) continue;  // rejected above
        if (!graph_media_streams(mo, out)) return false;
      }
    }
    staged.push_back(std::move(out));
    return true;
  }

  void graph_endpoint(dom::object ep, Endpoint& out) {
    out.present = true;
    bool service = contains(text(ep, "@odata.type"), "serviceEndpoint");
    if (const auto ua = object_field(ep, "userAgent")) {
      PathScope p(path, "userAgent");
      if (contains(text(*ua, "@odata.type"), "serviceUserAgent") || field(*ua, "role")) service = true;
      out.platform.assign(enum_text(*ua, "platform"));
      out.product_family.assign(enum_text(*ua, "productFamily"));
      out.product_version.assign(trim(text(*ua, "applicationVersion")));
      out.service_role.assign(enum_text(*ua, "role"));
      if (!out.platform.empty() && !service) {
        if (const auto d = graph_platform(out.platform)) out.device_type = *d;
      }
    }
    if (service) {
      out.service = true;
      out.device_type = DeviceType::kUnknown;  // a Microsoft server: no device type of ours fits
      return;                                  // and it has no user
    }
    out.hostname.assign(trim(text(ep, "name")));
    out.cpu_name.assign(trim(text(ep, "cpuName")));
    out.cpu_cores = bounded(ep, "cpuCoresCount", 0, 1e6);
    out.cpu_speed_mhz = bounded(ep, "cpuProcessorSpeedInMhz", 0, 1e6);
    // The user: a UPN if any is given, else a display name; the tenant with it.
    std::string_view upn, display, tenant;
    auto read_identity = [&](dom::object id) {
      if (upn.empty()) upn = text(id, "userPrincipalName");
      if (display.empty()) display = text(id, "displayName");
      if (tenant.empty()) tenant = trim(text(id, "tenantId"));
    };
    if (const auto identity = object_field(ep, "identity")) {
      PathScope p(path, "identity");
      if (const auto user = object_field(*identity, "user")) {
        PathScope pu(path, "user");
        read_identity(*user);
      }
    }
    if (const auto assoc = object_field(ep, "associatedIdentity")) {
      PathScope p(path, "associatedIdentity");
      read_identity(*assoc);
    }
    out.user.assign(!upn.empty() ? upn : display);
    out.tenant.assign(tenant);
    if (const auto fb = object_field(ep, "feedback")) {
      PathScope p(path, "feedback");
      if (const auto el = field(*fb, "rating")) {
        std::string_view r;
        if (el->get_string().get(r) == simdjson::SUCCESS) {
          if (const auto v = graph_rating(r)) {
            out.feedback_rating = *v;
          } else if (!ascii_iequals(r, "notRated") && !is_unknown_enum(r)) {
            warn("rating", quoted(r) + " is not a userFeedbackRating");
          }
        } else {
          out.feedback_rating = bounded(*fb, "rating", 1, 5);
        }
      }
      // An open type of booleans: the names of the tokens the user ticked.
      // `text` is free text that may hold personal data and is not kept.
      if (const auto tokens = object_field(*fb, "tokens")) {
        PathScope pt(path, "tokens");
        for (const auto [name, value] : *tokens) {
          bool on = false;
          if (value.get_bool().get(on) != simdjson::SUCCESS) {
            warn_type(name, "true or false", value.type());
          } else if (on && !trim(name).empty()) {
            out.feedback_tokens.emplace_back(name);
          }
        }
      }
    }
  }

  void graph_media_endpoints(dom::object media, CallSegment& out) {
    for (const Side side : {Side::kCaller, Side::kCallee}) {
      Endpoint& ep = side == Side::kCaller ? out.caller : out.callee;
      const bool caller = side == Side::kCaller;
      if (const auto net = object_field(media, caller ? "callerNetwork" : "calleeNetwork")) {
        PathScope p(path, caller ? "callerNetwork" : "calleeNetwork");
        ep.present = true;
        graph_network(*net, ep);
      }
      if (const auto dev = object_field(media, caller ? "callerDevice" : "calleeDevice")) {
        PathScope p(path, caller ? "callerDevice" : "calleeDevice");
        ep.present = true;
        double cpu = bounded(*dev, "cpuInsufficentEventRatio", 0, 1);  // sic: Microsoft's spelling
        if (!measured(cpu)) cpu = bounded(*dev, "cpuInsufficientEventRatio", 0, 1);
        // The worst over the media: a CPU shortage hurts every stream of the endpoint.
        if (measured(cpu) && (!measured(ep.cpu_insufficient_ratio) || cpu > ep.cpu_insufficient_ratio)) {
          ep.cpu_insufficient_ratio = cpu;
        }
        graph_device_signals(*dev, ep);
        graph_device_info(*dev, ep);
      }
    }
  }

  /// deviceInfo's device-problem signals; each the worst (highest) over the
  /// media, as cpuInsufficentEventRatio: a failing device hurts the endpoint.
  void graph_device_signals(dom::object dev, Endpoint& ep) {
    struct Signal {
      std::string_view key;
      double max;
      double Endpoint::*member;
    };
    static constexpr Signal kSignals[] = {
        {"micGlitchRate", 1e6, &Endpoint::mic_glitch_rate},
        {"speakerGlitchRate", 1e6, &Endpoint::speaker_glitch_rate},
        {"captureNotFunctioningEventRatio", 1, &Endpoint::capture_not_functioning_ratio},
        {"renderNotFunctioningEventRatio", 1, &Endpoint::render_not_functioning_ratio},
        {"deviceGlitchEventRatio", 1, &Endpoint::device_glitch_ratio},
        {"deviceClippingEventRatio", 1, &Endpoint::device_clipping_ratio},
        {"lowSpeechLevelEventRatio", 1, &Endpoint::low_speech_level_ratio},
        {"lowSpeechToNoiseEventRatio", 1, &Endpoint::low_speech_to_noise_ratio},
        {"howlingEventCount", 2147483647, &Endpoint::howling_event_count},
        // A user's settings rather than faults, but what explains "no sound".
        {"renderMuteEventRatio", 1, &Endpoint::render_mute_ratio},
        {"renderZeroVolumeEventRatio", 1, &Endpoint::render_zero_volume_ratio},
    };
    for (const Signal& s : kSignals) {
      const double v = bounded(dev, s.key, 0, s.max);
      double& out = ep.*s.member;
      if (measured(v) && (!measured(out) || v > out)) out = v;
    }
  }

  /// deviceInfo's descriptions and levels: the first given, audio media first.
  void graph_device_info(dom::object dev, Endpoint& ep) {
    first_text(ep.capture_device, dev, "captureDeviceName");
    first_text(ep.capture_driver, dev, "captureDeviceDriver");
    first_text(ep.render_device, dev, "renderDeviceName");
    first_text(ep.render_driver, dev, "renderDeviceDriver");
    first(ep.initial_signal_level_rms, bounded(dev, "initialSignalLevelRootMeanSquare", 0, 1e9));
    first(ep.sent_signal_level, bounded(dev, "sentSignalLevel", -2147483648.0, 2147483647));
    first(ep.sent_noise_level, bounded(dev, "sentNoiseLevel", -2147483648.0, 2147483647));
    first(ep.received_signal_level, bounded(dev, "receivedSignalLevel", -2147483648.0, 2147483647));
    first(ep.received_noise_level, bounded(dev, "receivedNoiseLevel", -2147483648.0, 2147483647));
  }

  /// A string leaf into `slot` unless it already holds one.
  void first_text(std::string& slot, dom::object obj, std::string_view key) {
    if (!slot.empty()) return;
    slot.assign(trim(text(obj, key)));
  }

  void graph_network(dom::object net, Endpoint& ep) {
    if (!ep.ip) ep.ip = ip(net, "ipAddress");
    if (!ep.subnet) ep.subnet = subnet(net, "subnet");
    if (!ep.bssid) ep.bssid = mac(net, "basicServiceSetIdentifier");
    if (!ep.client) ep.client = mac(net, "macAddress");
    if (!ep.reflexive_ip) ep.reflexive_ip = ip(net, "reflexiveIPAddress");
    if (ep.connection == Connection::kUnknown) {
      if (const std::string_view c = enum_text(net, "connectionType"); !c.empty()) {
        if (const auto conn = graph_connection(c)) {
          ep.connection = *conn;
        } else {
          warn("connectionType", quoted(c) + " is not one of wifi, wired, mobile, tunnel");
        }
      }
    }
    first(ep.wifi_signal_pct, bounded(net, "wifiSignalStrength", 0, 100));
    if (!ep.relay_ip) ep.relay_ip = ip(net, "relayIPAddress");
    first(ep.wifi_channel, bounded(net, "wifiChannel", 1, 233));
    if (!measured(ep.wifi_band)) {
      if (const std::string_view b = enum_text(net, "wifiBand"); !b.empty()) {
        if (const auto ghz = graph_wifi_band(b)) {
          ep.wifi_band = *ghz;
        } else {
          warn("wifiBand", quoted(b) + " is not one of frequency24GHz, frequency50GHz, frequency60GHz");
        }
      }
    }
    if (ep.wifi_radio_type.empty()) ep.wifi_radio_type.assign(enum_text(net, "wifiRadioType"));
    // bits/s. 2^32 - 1 is a 32-bit "unknown" (Microsoft's own example has it
    // for a virtual machine), not a speed of 4.29 Gbit/s.
    const double link = bounded(net, "linkSpeed", 0, 1e13);
    if (link != 4294967295.0) first(ep.link_speed_mbps, measured(link) ? link / 1e6 : link);
    first(ep.delay_event_ratio, bounded(net, "delayEventRatio", 0, 1));
    first(ep.bandwidth_low_event_ratio, bounded(net, "bandwidthLowEventRatio", 0, 1));
    first(ep.sent_quality_event_ratio, bounded(net, "sentQualityEventRatio", 0, 1));
    first(ep.received_quality_event_ratio, bounded(net, "receivedQualityEventRatio", 0, 1));
    first(ep.wifi_battery_pct, bounded(net, "wifiBatteryCharge", 0, 100));
    first_text(ep.domain, net, "dnsSuffix");
    if (ep.transport.empty()) ep.transport.assign(enum_text(net, "networkTransportProtocol"));
    // The vendor's driver, else Microsoft's: the version goes with the name.
    if (ep.wifi_driver.empty()) {
      for (const auto& [name, version] : {std::pair{"wifiVendorDriver", "wifiVendorDriverVersion"},
                                          std::pair{"wifiMicrosoftDriver", "wifiMicrosoftDriverVersion"}}) {
        const std::string_view n = trim(text(net, name));
        if (n.empty()) continue;
        ep.wifi_driver.assign(n);
        ep.wifi_driver_version.assign(trim(text(net, version)));
        break;
      }
    }
    if (ep.trace_route_hops.empty()) graph_trace_route(net, ep.trace_route_hops);
  }

  void graph_trace_route(dom::object net, std::vector<TraceRouteHop>& out) {
    const auto el = field(net, "traceRouteHops");
    if (!el) return;
    dom::array hops;
    if (el->get_array().get(hops) != simdjson::SUCCESS) {
      warn_type("traceRouteHops", "an array", el->type());
      return;
    }
    std::size_t n = 0;
    for (dom::element h : hops) {
      PathScope ph(path, "traceRouteHops");
      PathScope pn(path, n++);
      dom::object ho;
      if (h.get_object().get(ho) != simdjson::SUCCESS) {
        warn_type({}, "a traceRouteHop object", h.type());
        continue;
      }
      TraceRouteHop hop;
      hop.hop_count = bounded(ho, "hopCount", 0, 255);
      hop.ip = ip(ho, "ipAddress");
      hop.rtt_ms = duration_ms(ho, "roundTripTime");
      if (measured(hop.hop_count) || hop.ip || measured(hop.rtt_ms)) out.push_back(hop);
    }
  }

  bool graph_media_streams(dom::object media, CallSegment& out) {
    const std::string_view label = text(media, "label");
    const auto kind = graph_media(label);
    std::optional<dom::array> streams;
    if (!array_field(media, "streams", streams)) return false;
    if (!streams) return true;
    if (!kind) {
      // `data` (and other non-media channels) have no quality rules.
      if (!ascii_iequals(label, "data") && !label.empty()) {
        warn("label", quoted(label) + " is not audio, video or screen sharing; its streams are left out");
      }
      return true;
    }
    std::size_t n = 0;
    for (dom::element s : *streams) {
      PathScope ps(path, "streams");
      PathScope pn(path, n++);
      dom::object so;
      if (s.get_object().get(so) != simdjson::SUCCESS) return wrong_type({}, "a stream object", s.type());
      const std::string_view dir = text(so, "streamDirection");
      Stream st;
      st.media = *kind;
      if (ascii_iequals(dir, "callerToCallee")) {
        st.from = Side::kCaller;
      } else if (ascii_iequals(dir, "calleeToCaller")) {
        st.from = Side::kCallee;
      } else {
        warn("streamDirection", quoted(dir) + " is not callerToCallee or calleeToCaller; the stream is left out");
        continue;
      }
      graph_stream(so, st);
      out.streams.push_back(st);
    }
    return true;
  }

  /// A loss fraction in [0, 1] as percent.
  double fraction_pct(dom::object obj, std::string_view key) {
    const double v = bounded(obj, key, 0, 1);
    return measured(v) ? v * 100 : v;
  }

  /// Values a source cannot have measured (1e308 ms, a loss over 100 %)
  /// become not measured, with a warning, before anything scores them.
  void keep_plausible(Stream& st) {
    for (std::size_t i = 0; i < kStreamMetricCount; ++i) {
      const auto m = static_cast<StreamMetric>(i);
      const double v = st.values[i];
      if (!measured(v) || plausible(m, v)) continue;
      warn(stream_metric_name(m), number_text(v) + " is outside [0, " + number_text(stream_metric_max(m)) +
                                      "]; taken as not measured");
      st.values[i] = kMissing;
    }
  }

  void graph_stream(dom::object s, Stream& st) {
    using M = StreamMetric;
    st.set(M::kJitterAvg, duration_ms(s, "averageJitter"));
    st.set(M::kJitterMax, duration_ms(s, "maxJitter"));
    st.set(M::kLossAvg, fraction_pct(s, "averagePacketLossRate"));
    st.set(M::kLossMax, fraction_pct(s, "maxPacketLossRate"));
    st.set(M::kRttAvg, duration_ms(s, "averageRoundTripTime"));
    st.set(M::kRttMax, duration_ms(s, "maxRoundTripTime"));
    st.set(M::kDegradationAvg, bounded(s, "averageAudioDegradation", 0, 5));
    st.set(M::kConcealedRatioAvg, bounded(s, "averageRatioOfConcealedSamples", 0, 1));
    st.set(M::kConcealedRatioMax, bounded(s, "maxRatioOfConcealedSamples", 0, 1));
    // Video: the video frame rate; screen sharing: the received frame rate
    // (CQD's "Received Frame Rate" for VBSS); each falls back on the other.
    const double video_fps = bounded(s, "averageVideoFrameRate", 0, 1000);
    const double received_fps = bounded(s, "averageReceivedFrameRate", 0, 1000);
    const bool screen = st.media == Media::kScreen;
    const double fps = screen ? received_fps : video_fps;
    st.set(M::kFrameRateAvg, measured(fps) ? fps : (screen ? video_fps : received_fps));
    st.set(M::kFrameLoss, bounded(s, "averageVideoFrameLossPercentage", 0, 100));
    st.set(M::kPostFecLoss, fraction_pct(s, "postForwardErrorCorrectionPacketLossRate"));
    const double bw = bounded(s, "averageBandwidthEstimate", 0, 1e12);
    st.set(M::kBitrate, measured(bw) ? bw / 1000 : bw);  // bits/s -> kbps
    st.set(M::kNetJitterAvg, duration_ms(s, "averageAudioNetworkJitter"));
    st.set(M::kNetJitterMax, duration_ms(s, "maxAudioNetworkJitter"));
    st.set(M::kVideoLossAvg, fraction_pct(s, "averageVideoPacketLossRate"));
    st.set(M::kLowFrameRateRatio, bounded(s, "lowFrameRateRatio", 0, 1));
    st.set(M::kLowVideoProcessingRatio, bounded(s, "lowVideoProcessingCapabilityRatio", 0, 1));
    st.set(M::kFreezeAvg, duration_ms(s, "averageFreezeDuration"));
    st.set(M::kFreezeRms, duration_ms(s, "rmsFreezeDuration"));
    st.set(M::kPacketCount, bounded(s, "packetUtilization", 0, 9.2e18));
    keep_plausible(st);
    // The codec of the stream's own media; `invalid` is Graph's "could not tell".
    const bool audio = st.media == Media::kAudio;
    std::string_view codec = enum_text(s, audio ? "audioCodec" : "videoCodec");
    if (ascii_iequals(codec, "invalid")) codec = {};
    st.codec.assign(codec);
    st.media_bypassed = flag(s, "wasMediaBypassed");
    st.audio_fec_used = flag(s, "isAudioForwardErrorCorrectionUsed");
    leaf_time(s, "startDateTime", st.start);
    leaf_time(s, "endDateTime", st.end);
  }

  /// A timestamp leaf: unlike a segment's times, a bad one is only warned.
  void leaf_time(dom::object obj, std::string_view key, TimeMs& out) {
    const std::string_view s = trim(text(obj, key));
    if (s.empty()) return;
    if (const auto t = parse_rfc3339(s)) {
      out = *t;
    } else {
      warn(key, not_a_timestamp(s));
    }
  }

  // ---- Zoom ---------------------------------------------------------------------

  /// A Zoom identifier that may be a string or an integer (meeting ids are numbers).
  std::string id_text(dom::object obj, std::string_view key) {
    const auto el = field(obj, key);
    if (!el) return {};
    std::string_view s;
    if (el->get_string().get(s) == simdjson::SUCCESS) return std::string(trim(s));
    std::uint64_t u = 0;
    if (el->get_uint64().get(u) == simdjson::SUCCESS) return std::to_string(u);
    warn_type(key, "a string or an integer", el->type());
    return {};
  }

  std::string zoom_call_id(dom::object doc, const std::optional<dom::object>& envelope) {
    // Webinars (GET /metrics/webinars/{webinarId}/participants/qos) return the
    // same page as meetings: only the name of the id differs.
    for (const std::string_view key : {"meeting_uuid", "meeting_id", "webinar_uuid", "webinar_id", "call_id"}) {
      std::string id = id_text(doc, key);
      if (!id.empty()) return id;
      if (envelope) {
        const std::string saved = std::exchange(path, std::string());
        id = id_text(*envelope, key);
        path = saved;
        if (!id.empty()) return id;
      }
    }
    return {};
  }

  bool no_meeting_id() {
    return fail(RejectReason::kMissingField,
                "the Zoom QoS page does not name its meeting: give `meeting_uuid` or `meeting_id` (the "
                "{meetingId} of the request; `webinar_uuid` or `webinar_id` for a webinar) in the document or "
                "its envelope");
  }

  bool zoom(dom::object doc, const std::optional<dom::object>& envelope) {
    const std::string call_id = zoom_call_id(doc, envelope);
    if (call_id.empty()) return no_meeting_id();
    std::optional<dom::array> participants;
    if (!array_field(doc, "participants", participants)) return false;
    if (!participants) return missing("participants");
    std::size_t k = 0;
    for (dom::element p : *participants) {
      PathScope pp(path, "participants");
      PathScope pk(path, k);
      dom::object po;
      if (p.get_object().get(po) != simdjson::SUCCESS) return wrong_type({}, "a participant object", p.type());
      if (!zoom_participant(po, call_id, k)) return false;
      ++k;
    }
    return true;
  }

  /// A large page, one participant at a time (detail::ArraySplit): the page
  /// with its participants left out is read first, then each participant on
  /// its own. The same segments and messages as zoom().
  bool zoom_in_pieces(std::string_view json, bool padded) {
    if (!start_document(json.size())) return false;
    detail::ArraySplit split;
    std::string why;
    const detail::SplitResult found = detail::split_array_field(json, "participants", kZoomType, split, why);
    if (found == detail::SplitResult::kMalformed) return fail(RejectReason::kBadJson, why);
    if (found == detail::SplitResult::kNotObject) return not_object(split.other);
    path = split.in_body ? "body" : "";
    if (found == detail::SplitResult::kNoArray) return missing("participants");
    if (found == detail::SplitResult::kNotArray) return wrong_type("participants", "an array", split.other);
    std::string outline(json.substr(0, split.open + 1));
    outline.append(json.substr(split.close));
    const auto doc = open_document(outline, false, kEnvelopeTypes, kZoomType);
    if (!doc) return false;
    const std::string call_id = zoom_call_id(doc->body, doc->envelope);
    if (call_id.empty()) return no_meeting_id();
    path = doc->envelope ? "body" : "";
    std::size_t k = 0;
    for (const auto& [begin, end] : split.elements) {
      PathScope pp(path, "participants");
      PathScope pk(path, k);
      // Padded input stays padded after any of its elements.
      dom::element p;
      if (!parse_value(json.substr(begin, end - begin), padded, p)) return false;
      dom::object po;
      if (p.get_object().get(po) != simdjson::SUCCESS) return wrong_type({}, "a participant object", p.type());
      if (!zoom_participant(po, call_id, k)) return false;
      ++k;
    }
    return true;
  }

  void zoom_endpoint(dom::object p, Endpoint& ep) {
    ep.present = true;
    ep.client = mac(p, "mac_addr");
    std::string_view user = text(p, "email");
    if (user.empty()) user = text(p, "user_email");
    if (user.empty()) user = text(p, "user_name");
    ep.user.assign(user);
    ep.hostname.assign(trim(text(p, "pc_name")));
    ep.domain.assign(trim(text(p, "domain")));
    ep.location.assign(trim(text(p, "location")));
    ep.product_version.assign(trim(text(p, "version")));
    if (const std::string_view d = trim(text(p, "device")); !d.empty()) {
      ep.platform.assign(d);
      if (const auto t = zoom_device(d)) ep.device_type = *t;
    }
    if (const std::string_view n = enum_text(p, "network_type"); !n.empty()) {
      if (const auto c = zoom_network(n)) ep.connection = *c;
    }
    // The LAN address: `internal_ip_addresses` (newer API), else `ip_address`
    // when private. A public `ip_address` is what Zoom saw the client from,
    // which is what Graph calls the reflexive address (and names the WAN link).
    std::optional<dom::array> internal;
    if (const auto el = field(p, "internal_ip_addresses")) {
      dom::array arr;
      if (el->get_array().get(arr) == simdjson::SUCCESS) {
        internal = arr;
      } else {
        warn_type("internal_ip_addresses", "an array of strings", el->type());
      }
    }
    if (internal) {
      std::size_t i = 0;
      for (dom::element a : *internal) {
        PathScope pi(path, "internal_ip_addresses");
        PathScope pn(path, i++);
        std::string_view s;
        if (a.get_string().get(s) != simdjson::SUCCESS) continue;
        if ((ep.ip = ip(s, {}))) break;
      }
    }
    if (const auto a = ip(p, "ip_address")) {
      if (!cloud::is_private(*a)) {
        ep.reflexive_ip = a;
      } else if (!ep.ip) {
        ep.ip = a;
      }
    }
  }

  /// One Zoom metric object (`audio_input`, ...) into a stream; false when it
  /// holds no measured value.
  bool zoom_metrics(dom::object m, Stream& st) {
    auto q = [&](std::string_view key, std::string_view unit) {
      const auto el = field(m, key);
      if (!el) return kMissing;
      if (is_number(el->type())) {
        double v = 0;
        return el->get_double().get(v) == simdjson::SUCCESS && std::isfinite(v) && v >= 0 ? v : kMissing;
      }
      std::string_view s;
      if (el->get_string().get(s) != simdjson::SUCCESS) {
        warn_type(key, "a string with a unit", el->type());
        return kMissing;
      }
      bool ok = true;
      const auto v = cloud::parse_zoom_quantity(s, unit, ok);
      if (!ok) warn(key, quoted(s) + " is not a number of " + std::string(unit));
      if (v && *v < 0) {
        warn(key, quoted(s) + " is negative");
        return kMissing;
      }
      return v.value_or(kMissing);
    };
    auto pct = [&](std::string_view key) {
      const double v = q(key, "%");
      if (measured(v) && v > 100) {
        warn(key, number_text(v) + " % is above 100");
        return kMissing;
      }
      return v;
    };
    using M = StreamMetric;
    st.set(M::kLossAvg, pct("avg_loss"));
    st.set(M::kLossMax, pct("max_loss"));
    st.set(M::kJitterAvg, q("jitter", "ms"));
    // Zoom's latency is one-way ("the time it took a packet to travel from one
    // point to another"); the round trip is taken as twice that.
    const double latency = q("latency", "ms");
    st.set(M::kRttAvg, measured(latency) ? 2 * latency : latency);
    st.set(M::kBitrate, q("bitrate", "kbps"));
    st.set(M::kFrameRateAvg, q("frame_rate", "fps"));
    if (const std::string_view r = trim(text(m, "resolution")); !r.empty() && r != "-" && !ascii_iequals(r, "N/A")) {
      if (const auto wh = parse_resolution(r)) {
        st.width = wh->first;
        st.height = wh->second;
      } else {
        warn("resolution", quoted(r) + " is not a resolution such as \"1280*720\"");
      }
    }
    keep_plausible(st);
    return std::any_of(st.values.begin(), st.values.end(), [](double v) { return measured(v); });
  }

  bool zoom_participant(dom::object p, const std::string& call_id, std::size_t index) {
    Endpoint caller;
    zoom_endpoint(p, caller);
    std::string pid = id_text(p, "user_id");  // per join: two devices of one user differ
    if (pid.empty()) pid = id_text(p, "id");
    if (pid.empty()) pid = "#" + std::to_string(index);
    TimeMs join = kNoTime, leave = kNoTime;
    if (!time_field(p, "join_time", join) || !time_field(p, "leave_time", leave)) return false;

    std::optional<dom::array> qos;
    if (!array_field(p, "user_qos", qos)) return false;
    if (!qos) return true;
    std::size_t n = 0;
    for (dom::element sample : *qos) {
      PathScope pq(path, "user_qos");
      PathScope pn(path, n++);
      dom::object so;
      if (sample.get_object().get(so) != simdjson::SUCCESS) return wrong_type({}, "a QoS sample object", sample.type());
      const auto dt_el = field(so, "date_time");
      if (!dt_el) return missing("date_time");
      std::string_view dt;
      if (dt_el->get_string().get(dt) != simdjson::SUCCESS) return wrong_type("date_time", "a string", dt_el->type());
      const auto end = parse_rfc3339(dt);
      if (!end) return fail_at(RejectReason::kBadTimestamp, "date_time", not_a_timestamp(dt));

      CallSegment seg;
      seg.call_id = call_id;
      seg.segment_id = call_id + "/" + pid + "/" + std::string(dt);
      seg.end = *end;
      seg.start = *end - kZoomSliceMs;
      if (join != kNoTime && join > seg.start && join <= seg.end) seg.start = join;  // first minute
      if (leave != kNoTime && leave >= seg.start && leave < seg.end) seg.end = leave;  // last minute
      seg.caller = caller;
      seg.callee.present = true;  // the Zoom cloud: a service, outside the organization

      CloudClientSample dev;
      dev.ts = *end;
      if (const auto cpu = object_field(so, "cpu_usage")) {
        PathScope pc(path, "cpu_usage");
        const auto el = field(*cpu, "system_max_cpu_usage");
        std::string_view s;
        if (el && el->get_string().get(s) == simdjson::SUCCESS) {
          bool ok = true;
          const auto v = cloud::parse_zoom_quantity(s, "%", ok);
          if (!ok || (v && (*v < 0 || *v > 100))) {
            warn("system_max_cpu_usage", quoted(s) + " is not a percentage");
          } else if (v) {
            dev.cpu_pct = *v;
          }
        } else if (el) {
          dev.cpu_pct = bounded(*cpu, "system_max_cpu_usage", 0, 100);
        }
      }
      if (const auto rssi = object_field(so, "wifi_rssi")) {
        PathScope pr(path, "wifi_rssi");
        const std::string_view unit = text(*rssi, "rssi_unit");
        if (unit.empty() || ascii_iequals(unit, "dBm")) {
          dev.rssi_dbm = bounded(*rssi, "avg_rssi", -130, 0);
          seg.caller.wifi_signal_pct = cloud::rssi_to_signal_pct(dev.rssi_dbm);
        } else {
          warn("rssi_unit", quoted(unit) + " is not dBm");
        }
      }
      if (caller.client && (measured(dev.cpu_pct) || measured(dev.rssi_dbm))) {
        dev.client = *caller.client;
        staged_samples.push_back(dev);
      }

      struct Source {
        std::array<std::string_view, 3> keys;  // the metric object, then fallbacks for CRC/RWG joins
        Side from;
        Media media;
      };
      static constexpr std::array<Source, 6> kSources{{
          {{"audio_input", "audio_device_from_crc", "audio_device_from_rwg"}, Side::kCaller, Media::kAudio},
          {{"audio_output", "audio_device_to_crc", "audio_device_to_rwg"}, Side::kCallee, Media::kAudio},
          {{"video_input", "video_device_from_crc", "video_device_from_rwg"}, Side::kCaller, Media::kVideo},
          {{"video_output", "video_device_to_crc", "video_device_to_rwg"}, Side::kCallee, Media::kVideo},
          {{"as_input", "as_device_from_crc", "as_device_from_rwg"}, Side::kCaller, Media::kScreen},
          {{"as_output", "as_device_to_crc", "as_device_to_rwg"}, Side::kCallee, Media::kScreen},
      }};
      for (const Source& src : kSources) {
        for (const std::string_view key : src.keys) {
          const auto m = object_field(so, key);
          if (!m) continue;
          PathScope pm(path, key);
          Stream st;
          st.from = src.from;
          st.media = src.media;
          if (zoom_metrics(*m, st)) {
            seg.streams.push_back(st);
            break;  // a fallback only when the plain object has nothing
          }
        }
      }
      staged.push_back(std::move(seg));
    }
    return true;
  }
};

CloudDecoder::CloudDecoder(CloudDecoderOptions options) : impl_(std::make_unique<Impl>(options, error_, warnings_)) {}

CloudDecoder::~CloudDecoder() = default;

bool CloudDecoder::decode(CloudFormat format, std::string_view json, std::vector<CallSegment>& out, bool padded,
                          std::vector<CloudClientSample>* samples) {
  const bool ok = detail::without_exceptions(error_, [&] {
    if (!impl_->decode(format, json, padded)) return false;
    out.insert(out.end(), std::make_move_iterator(impl_->staged.begin()), std::make_move_iterator(impl_->staged.end()));
    if (samples) samples->insert(samples->end(), impl_->staged_samples.begin(), impl_->staged_samples.end());
    return true;
  });
  // What a large document grew is given back, not kept for the next one.
  impl_->release_large_buffers();
  release_if_large(impl_->staged);
  warnings_dropped_ = impl_->warnings_dropped();
  return ok;
}

}  // namespace callroot::ingest
