#include "ingest/teamwork_decoder.h"
#include "ingest/dom_reader.h"
#include "ingest/echo.h"

// simdjson's DOM API, through dom_reader.h as in cloud_decoder.cpp and for the
// same reasons: the documents are rare and small, the mapping needs random
// access (the device id may come from the envelope, the wrapper or the
// object), and one parser with error codes serves every cloud document.

#include <simdjson.h>

#include <algorithm>
#include <array>

namespace callroot::ingest {
namespace {

namespace dom = simdjson::dom;

constexpr std::string_view kDeviceType = "graph.teamworkDevice";
constexpr std::string_view kHealthType = "graph.teamworkDeviceHealth";
constexpr std::array<std::string_view, 2> kEnvelopeTypes{kDeviceType, kHealthType};
/// More displays than any room has: the rest of a (fuzzed) collection is ignored.
constexpr std::size_t kMaxDisplays = 16;
/// MACs per device: a room system has a wired and a Wi-Fi interface, perhaps a few more.
constexpr std::size_t kMaxMacs = 16;

using detail::is_unknown_enum;
using detail::PathScope;
using detail::quoted;

/// What becomes of a value that cannot be read, said in each warning.
constexpr std::string_view kLeftOut = "; left out";

std::optional<RoomHealthState> health_status(std::string_view s) noexcept {
  if (ascii_iequals(s, "healthy")) return RoomHealthState::kHealthy;
  if (ascii_iequals(s, "nonUrgent")) return RoomHealthState::kNonUrgent;
  if (ascii_iequals(s, "critical")) return RoomHealthState::kCritical;
  if (ascii_iequals(s, "offline")) return RoomHealthState::kOffline;
  return std::nullopt;
}

/// teamworkConnectionStatus: true connected, false disconnected.
std::optional<bool> connection_status(std::string_view s) noexcept {
  if (ascii_iequals(s, "connected")) return true;
  if (ascii_iequals(s, "disconnected")) return false;
  return std::nullopt;
}

/// The teamworkPeripheralHealth objects of teamworkPeripheralsHealth and
/// teamworkHardwareHealth, by the names `room.health` uses (SPEC.md).
struct PeripheralKey {
  std::string_view parent;  ///< `peripheralsHealth` or `hardwareHealth`
  std::string_view key;
  std::string_view name;
};
constexpr std::array<PeripheralKey, 7> kPeripherals{{
    {"peripheralsHealth", "roomCameraHealth", "roomCamera"},
    {"peripheralsHealth", "contentCameraHealth", "contentCamera"},
    {"peripheralsHealth", "speakerHealth", "speaker"},
    {"peripheralsHealth", "communicationSpeakerHealth", "communicationSpeaker"},
    {"peripheralsHealth", "microphoneHealth", "microphone"},
    {"hardwareHealth", "computeHealth", "compute"},
    {"hardwareHealth", "hdmiIngestHealth", "hdmiIngest"},
}};

}  // namespace

namespace teamwork {

std::optional<DeviceType> device_type(std::string_view s) noexcept {
  // Devices that are, or belong to, a meeting room. A touch console is the
  // control panel of an Android room and a panel the room's scheduling
  // screen: calls do not come from them, but their MACs are the room's.
  for (const std::string_view room : {"teamsRoom", "surfaceHub", "collaborationBar", "touchConsole", "teamsPanel"}) {
    if (ascii_iequals(s, room)) return DeviceType::kRoomSystem;
  }
  // A Teams display is "the evolution of Teams phones" (Microsoft's enum
  // description): a personal desk device, not a room.
  for (const std::string_view phone : {"ipPhone", "lowCostPhone", "teamsDisplay", "sip", "sipAnalog"}) {
    if (ascii_iequals(s, phone)) return DeviceType::kPhone;
  }
  return std::nullopt;
}

std::string_view device_id_from_odata(std::string_view url) noexcept {
  constexpr std::string_view kKey = "devices('";
  const auto at = url.find(kKey);
  if (at == std::string_view::npos) return {};
  const auto begin = at + kKey.size();
  const auto end = url.find('\'', begin);
  if (end == std::string_view::npos) return {};
  return url.substr(begin, end - begin);
}

}  // namespace teamwork

/// DomReader opens the document and gives the path, the rejections, the
/// warnings and the common readers (field, array_field, text); each warning
/// here says what became of the value (mostly kLeftOut), so there is no
/// common suffix.
struct TeamworkDecoder::Impl : detail::DomReader {
  Impl(TeamworkDecoderOptions o, DecodeError& e, std::vector<std::string>& w)
      : DomReader({o.max_document_bytes, o.max_warnings}, "", e, w) {}

  TeamworkRecords* out = nullptr;

  // ---- structure ------------------------------------------------------------

  /// A container we read from: absent/null -> nullopt; another type rejects.
  bool object_field(dom::object obj, std::string_view key, std::optional<dom::object>& out) {
    out.reset();
    const auto el = field(obj, key);
    if (!el) return true;
    dom::object o;
    if (el->get_object().get(o) != simdjson::SUCCESS) return wrong_type(key, "an object", el->type());
    out = o;
    return true;
  }

  /// An identifier or time: a string, or the document is rejected.
  bool string_field(dom::object obj, std::string_view key, std::string_view& out) {
    out = {};
    const auto el = field(obj, key);
    if (!el) return true;
    if (el->get_string().get(out) != simdjson::SUCCESS) return wrong_type(key, "a string", el->type());
    return true;
  }

  bool time_field(dom::object obj, std::string_view key, std::optional<TimeMs>& out) {
    std::string_view s;
    if (!string_field(obj, key, s)) return false;
    s = trim(s);
    if (s.empty()) return true;
    const auto t = parse_rfc3339(s);
    if (!t) return fail_at(RejectReason::kBadTimestamp, key, detail::not_a_timestamp(s));
    out = *t;
    return true;
  }

  /// The envelope's `ts`: RFC 3339 or epoch milliseconds, as native records.
  bool envelope_ts(dom::object envelope, std::optional<TimeMs>& out) {
    const auto el = field(envelope, "ts");
    if (!el) return true;
    std::int64_t ms = 0;
    if (el->get_int64().get(ms) == simdjson::SUCCESS) {
      out = ms;
      return true;
    }
    return time_field(envelope, "ts", out);
  }

  /// A non-empty string id; `what` says where it may come from, for the message.
  bool id_field(dom::object obj, std::string_view key, std::string_view& out) {
    if (!string_field(obj, key, out)) return false;
    if (field(obj, key) && trim(out).empty()) return fail_at(RejectReason::kBadValue, key, "an empty id");
    return true;
  }

  // ---- entry ------------------------------------------------------------------

  bool decode(TeamworkFormat format, std::string_view json, bool padded) {
    // Neither resource has a `type` property, so a string `type` naming one
    // of our record types is the JSON Lines (or ZeroMQ) envelope.
    const std::string_view expected = format == TeamworkFormat::kDevice ? kDeviceType : kHealthType;
    const auto doc = open_document(json, padded, kEnvelopeTypes, expected);
    if (!doc) return false;
    const std::optional<dom::object>& envelope = doc->envelope;
    std::optional<TimeMs> ts;
    std::string_view envelope_device;
    if (envelope) {
      if (!envelope_ts(*envelope, ts)) return false;
      if (format == TeamworkFormat::kDeviceHealth && !id_field(*envelope, "device", envelope_device)) return false;
      path = "body";
    }
    return format == TeamworkFormat::kDevice ? devices(doc->body, ts) : health(doc->body, ts, trim(envelope_device));
  }

  // ---- graph.teamworkDevice ---------------------------------------------------

  bool devices(dom::object doc, std::optional<TimeMs> envelope_ts) {
    // `GET /teamwork/devices` is a page `{"value":[...]}`; Microsoft's `GET
    // /teamwork/devices/{id}` example wraps the one device in `{"value":{...}}`.
    const auto value = field(doc, "value");
    if (!value) return device(doc, envelope_ts);
    PathScope pv(path, "value");
    dom::object one;
    if (value->get_object().get(one) == simdjson::SUCCESS) return device(one, envelope_ts);
    dom::array list;
    if (value->get_array().get(list) != simdjson::SUCCESS) {
      return wrong_type({}, "a device object or a list of them", value->type());
    }
    std::size_t i = 0;
    for (dom::element el : list) {
      PathScope pi(path, i++);
      dom::object d;
      if (el.get_object().get(d) != simdjson::SUCCESS) return wrong_type({}, "a device object", el.type());
      if (!device(d, envelope_ts)) return false;
    }
    return true;
  }

  bool device(dom::object d, std::optional<TimeMs> ts) {
    std::string_view id;
    if (!id_field(d, "id", id)) return false;
    if (id.empty()) return missing("id");
    std::optional<TimeMs> modified;
    if (!time_field(d, "lastModifiedDateTime", modified)) return false;
    if (modified) ts = modified;

    std::optional<DeviceType> type;
    if (const std::string_view s = text(d, "deviceType", kLeftOut); !is_unknown_enum(s)) {
      type = teamwork::device_type(s);
      if (!type) warn("deviceType", quoted(s) + " is not a known teamworkDeviceType; left out");
    }
    TeamworkHealth h;
    h.device.assign(trim(id));
    h.peripherals_reported = false;  // a device says nothing of its peripherals
    if (const std::string_view s = text(d, "healthStatus", kLeftOut); !s.empty()) {
      // `unknown` is a reading (Microsoft could not tell), not a missing field.
      h.health_reported = true;
      if (const auto st = health_status(s)) {
        h.health = *st;
      } else if (!is_unknown_enum(s)) {
        h.health_reported = false;
        warn("healthStatus", quoted(s) + " is not a known teamworkDeviceHealthStatus; left out");
      }
    }

    std::optional<dom::object> hw;
    if (!object_field(d, "hardwareDetail", hw)) return false;
    std::vector<Mac> macs;
    if (hw) {
      PathScope ph(path, "hardwareDetail");
      std::optional<dom::array> list;
      if (!array_field(*hw, "macAddresses", list)) return false;
      if (list) {
        PathScope pm(path, "macAddresses");
        std::size_t i = 0;
        for (dom::element el : *list) {
          PathScope pi(path, i++);
          std::string_view s;
          if (el.get_string().get(s) != simdjson::SUCCESS) {
            if (el.type() != dom::element_type::NULL_VALUE) {
              warn_type({}, "a MAC address string", el.type(), kLeftOut);
            }
            continue;
          }
          s = trim(s);
          bool ok = true;
          const auto m = detail::identifying_mac(s, ok);  // placeholders and all zeros identify nobody
          if (!ok) warn({}, quoted(s) + " is not a MAC address; left out");
          if (!m || std::find(macs.begin(), macs.end(), *m) != macs.end()) continue;
          if (macs.size() == kMaxMacs) {
            warn({}, "more than " + std::to_string(kMaxMacs) + " MAC addresses; the rest are left out");
            break;
          }
          macs.push_back(*m);
        }
      }
    }
    for (const Mac& m : macs) out->clients.push_back(TeamworkClient{m, type});
    if (!ts) {
      // Health without a time cannot be placed against calls; the MACs above are still inventory.
      warn("lastModifiedDateTime", "absent, and the envelope has no `ts`: the device's health is left out");
      return true;
    }
    h.ts = *ts;
    // One reading per MAC, so that the engine ties the device to each
    // interface it may call from (a room is often both wired and on Wi-Fi);
    // without MACs, the reading still updates the device's health.
    if (macs.empty()) {
      out->health.push_back(std::move(h));
      return true;
    }
    for (const Mac& m : macs) {
      TeamworkHealth copy = h;
      copy.client = m;
      out->health.push_back(std::move(copy));
    }
    return true;
  }

  // ---- graph.teamworkDeviceHealth ---------------------------------------------

  bool health(dom::object doc, std::optional<TimeMs> ts, std::string_view device) {
    // The device the health belongs to: the envelope's `device`, else
    // `devices('ID')` in an `@odata.id` or `@odata.context` (of the object,
    // then of the `{"value":{...}}` wrapper Microsoft's example has).
    std::optional<dom::object> wrapper;
    dom::object h = doc;
    if (const auto value = field(doc, "value")) {
      if (value->get_object().get(h) != simdjson::SUCCESS) {
        return wrong_type("value", "a teamworkDeviceHealth object", value->type());
      }
      wrapper = doc;
    }
    std::string odata_device;
    for (const auto& obj : {std::optional<dom::object>(h), wrapper}) {
      if (!obj || !odata_device.empty()) continue;
      for (const std::string_view key : {"@odata.id", "@odata.context"}) {
        const auto el = field(*obj, key);
        std::string_view s;
        if (!el || el->get_string().get(s) != simdjson::SUCCESS) continue;
        const std::string_view id = trim(teamwork::device_id_from_odata(s));
        if (!id.empty()) {
          odata_device.assign(id);
          break;
        }
      }
    }
    if (device.empty()) device = odata_device;
    if (device.empty()) {
      return fail(RejectReason::kMissingField,
                  "field `device` is required: the teamworkDevice id, as the envelope's `device` or in an "
                  "`@odata.id`/`@odata.context` naming devices('ID')");
    }
    std::optional<PathScope> pv;
    if (wrapper) pv.emplace(path, std::string_view("value"));

    std::optional<TimeMs> modified;
    if (!time_field(h, "lastModifiedDateTime", modified)) return false;
    if (modified) ts = modified;
    if (!ts) return missing("lastModifiedDateTime", "or `ts` in the envelope");

    TeamworkHealth r;
    r.device.assign(device);
    r.ts = *ts;
    std::optional<dom::object> connection;
    if (!object_field(h, "connection", connection)) return false;
    if (connection) {
      PathScope pc(path, "connection");
      r.connected = status(*connection);
    }
    // The document has no healthStatus (that is teamworkDevice's). Only what
    // it says for certain is turned into one: a device whose connection is
    // down is `offline` ("cannot be used"). A required peripheral that is
    // down is reported as the peripheral itself, where the rules can tie it
    // to the media it feeds; raising `critical` for it would let a display
    // blame the room for any poor call. Otherwise the health is not reported
    // and the device's last healthStatus holds.
    if (r.connected == false) {
      r.health = RoomHealthState::kOffline;
      r.health_reported = true;
    }

    std::optional<dom::object> parents[2];
    if (!object_field(h, "peripheralsHealth", parents[0]) || !object_field(h, "hardwareHealth", parents[1])) {
      return false;
    }
    r.peripherals_reported = parents[0] || parents[1];
    for (const PeripheralKey& p : kPeripherals) {
      const auto& parent = parents[p.parent == "peripheralsHealth" ? 0 : 1];
      if (!parent) continue;
      PathScope pp(path, p.parent);
      std::optional<dom::object> ph;
      if (!object_field(*parent, p.key, ph)) return false;
      if (!ph) continue;
      PathScope pk(path, p.key);
      if (!peripheral(*ph, std::string(p.name), r)) return false;
    }
    if (parents[0]) {
      PathScope pp(path, "peripheralsHealth");
      std::optional<dom::array> displays;
      if (!array_field(*parents[0], "displayHealthCollection", displays)) return false;
      if (displays) {
        PathScope pd(path, "displayHealthCollection");
        std::size_t i = 0;
        for (dom::element el : *displays) {
          if (i == kMaxDisplays) {
            warn({}, "more than " + std::to_string(kMaxDisplays) + " displays; the rest are left out");
            break;
          }
          PathScope pi(path, i++);
          if (el.type() == dom::element_type::NULL_VALUE) continue;
          dom::object d;
          if (el.get_object().get(d) != simdjson::SUCCESS) return wrong_type({}, "an object", el.type());
          // Named by position (display1 is the first entry), so a display
          // keeps its name whether or not the ones before it are reported.
          if (!peripheral(d, "display" + std::to_string(i), r)) return false;
        }
      }
    }
    // loginStatus and softwareUpdateHealth are not mapped: signing in to
    // Exchange or Teams and an available update say nothing about the
    // quality of a call the room is in (docs/contract.md §5.5).
    out->health.push_back(std::move(r));
    return true;
  }

  /// A teamworkConnection's status: nullopt when unknown or unreadable.
  std::optional<bool> status(dom::object connection) {
    const std::string_view s = text(connection, "connectionStatus", kLeftOut);
    if (is_unknown_enum(s)) return std::nullopt;
    const auto c = connection_status(s);
    if (!c) warn("connectionStatus", quoted(s) + " is not a known teamworkConnectionStatus; left out");
    return c;
  }

  /// One teamworkPeripheralHealth. Not listed: a status that is unknown (as a
  /// native `null`: not reported), and an optional peripheral that is
  /// disconnected: Microsoft leaves optional peripherals out of the device's
  /// health (`isOptional`: "used for health computation"), and an optional
  /// content camera or second display is absent by design, not broken.
  bool peripheral(dom::object ph, std::string name, TeamworkHealth& r) {
    bool optional = false;
    if (const auto el = field(ph, "isOptional")) {
      if (el->get_bool().get(optional) != simdjson::SUCCESS) {
        warn_type("isOptional", "a boolean", el->type(), "; taken as false");
        optional = false;
      }
    }
    std::optional<dom::object> connection;
    if (!object_field(ph, "connection", connection)) return false;
    if (!connection) return true;
    PathScope pc(path, "connection");
    const auto connected = status(*connection);
    if (!connected) return true;
    if (!*connected && optional) return true;
    r.peripherals.emplace_back(std::move(name),
                               *connected ? PeripheralState::kConnected : PeripheralState::kDisconnected);
    return true;
  }
};

TeamworkDecoder::TeamworkDecoder(TeamworkDecoderOptions options)
    : impl_(std::make_unique<Impl>(options, error_, warnings_)) {}

TeamworkDecoder::~TeamworkDecoder() = default;

bool TeamworkDecoder::decode(TeamworkFormat format, std::string_view json, TeamworkRecords& out, bool padded) {
  out.clear();
  impl_->out = &out;
  if (detail::without_exceptions(error_, [&] { return impl_->decode(format, json, padded); })) return true;
  out.clear();
  return false;
}

bool append_teamwork_events(const TeamworkRecords& records, Directory& directory, std::vector<Event>& out,
                            DecodeError& error) {
  auto full = [&](std::string_view table, std::string_view name) {
    error.reason = RejectReason::kTooManyEntities;
    error.detail = "cannot add " + std::string(table) + " " + quoted(name) + ": the " + std::string(table) +
                   " table is full";
    return false;
  };
  const std::size_t size = out.size();
  auto undo = [&](std::string_view table, std::string_view name) {
    out.resize(size);
    return full(table, name);
  };
  for (const TeamworkClient& c : records.clients) {
    const auto id = directory.client(c.mac);
    if (!id) return undo("client", c.mac.str());
    ClientInfo info;  // ts kNoTime: a device's hardware MAC is a fixed fact, valid from the beginning
    info.client = *id;
    info.device_type = c.device_type;
    out.emplace_back(std::move(info));
  }
  for (const TeamworkHealth& h : records.health) {
    RoomHealth r;
    r.ts = h.ts;
    const auto device = directory.device(h.device);
    if (!device) return undo("device", h.device);
    r.device = *device;
    if (h.client) {
      const auto id = directory.client(*h.client);
      if (!id) return undo("client", h.client->str());
      r.client = *id;
    }
    r.health = h.health;
    r.health_reported = h.health_reported;
    r.connected = h.connected;
    r.peripherals_reported = h.peripherals_reported;
    r.peripherals.reserve(h.peripherals.size());
    for (const auto& [name, state] : h.peripherals) {
      const auto n = directory.name(name);
      if (!n) return undo("name", name);
      r.peripherals.push_back({*n, state});
    }
    out.emplace_back(std::move(r));
  }
  return true;
}

}  // namespace callroot::ingest
