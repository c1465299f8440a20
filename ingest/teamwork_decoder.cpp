#include "ingest/teamwork_decoder.h"
#include "ingest/echo.h"

// simdjson's DOM API, as in cloud_decoder.cpp and for the same reasons: the
// documents are rare and small, the mapping needs random access (the device
// id may come from the envelope, the wrapper or the object), and one parser
// with error codes serves every cloud document.

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace callroot::ingest {
namespace {

namespace dom = simdjson::dom;

constexpr std::string_view kDeviceType = "graph.teamworkDevice";
constexpr std::string_view kHealthType = "graph.teamworkDeviceHealth";
/// More displays than any room has: the rest of a (fuzzed) collection is ignored.
constexpr std::size_t kMaxDisplays = 16;
/// MACs per device: a room system has a wired and a Wi-Fi interface, perhaps a few more.
constexpr std::size_t kMaxMacs = 16;

using detail::quoted;

std::string_view type_name(dom::element_type t) noexcept {
  switch (t) {
    case dom::element_type::ARRAY: return "an array";
    case dom::element_type::OBJECT: return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: return "a number";
    case dom::element_type::STRING: return "a string";
    case dom::element_type::BOOL: return "a boolean";
    case dom::element_type::NULL_VALUE: return "null";
  }
  return "an unknown value";
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool is_unknown_enum(std::string_view s) noexcept {
  return s.empty() || iequals(s, "unknown") || iequals(s, "unknownFutureValue");
}

std::optional<RoomHealthState> health_status(std::string_view s) noexcept {
  if (iequals(s, "healthy")) return RoomHealthState::kHealthy;
  if (iequals(s, "nonUrgent")) return RoomHealthState::kNonUrgent;
  if (iequals(s, "critical")) return RoomHealthState::kCritical;
  if (iequals(s, "offline")) return RoomHealthState::kOffline;
  return std::nullopt;
}

/// teamworkConnectionStatus: true connected, false disconnected.
std::optional<bool> connection_status(std::string_view s) noexcept {
  if (iequals(s, "connected")) return true;
  if (iequals(s, "disconnected")) return false;
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

/// `"a.b"` path building, as in cloud_decoder.cpp.
class PathScope {
 public:
  PathScope(std::string& path, std::string_view key) : path_(path), size_(path.size()) {
    if (!path_.empty()) path_ += '.';
    path_ += key;
  }
  PathScope(std::string& path, std::size_t index) : path_(path), size_(path.size()) {
    path_ += '[';
    path_ += std::to_string(index);
    path_ += ']';
  }
  ~PathScope() { path_.resize(size_); }
  PathScope(const PathScope&) = delete;
  PathScope& operator=(const PathScope&) = delete;

 private:
  std::string& path_;
  std::size_t size_;
};

}  // namespace

namespace teamwork {

std::optional<DeviceType> device_type(std::string_view s) noexcept {
  // Devices that are, or belong to, a meeting room. A touch console is the
  // control panel of an Android room and a panel the room's scheduling
  // screen: calls do not come from them, but their MACs are the room's.
  for (const std::string_view room : {"teamsRoom", "surfaceHub", "collaborationBar", "touchConsole", "teamsPanel"}) {
    if (iequals(s, room)) return DeviceType::kRoomSystem;
  }
  // A Teams display is "the evolution of Teams phones" (Microsoft's enum
  // description): a personal desk device, not a room.
  for (const std::string_view phone : {"ipPhone", "lowCostPhone", "teamsDisplay", "sip", "sipAnalog"}) {
    if (iequals(s, phone)) return DeviceType::kPhone;
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

struct TeamworkDecoder::Impl {
  Impl(TeamworkDecoderOptions o, DecodeError& e, std::vector<std::string>& w) : options(o), err(e), warnings(w) {}

  TeamworkDecoderOptions options;
  DecodeError& err;
  std::vector<std::string>& warnings;
  dom::parser parser;
  std::string path;
  TeamworkRecords* out = nullptr;

  // ---- failures and warnings ------------------------------------------------

  bool fail(RejectReason r, std::string detail) {
    err.reason = r;
    err.detail = std::move(detail);
    return false;
  }
  std::string here(std::string_view key = {}) const {
    std::string s = path;
    if (!key.empty()) {
      if (!s.empty()) s += '.';
      s += key;
    }
    return s;
  }
  bool fail_at(RejectReason r, std::string_view key, std::string_view what) {
    return fail(r, "field `" + here(key) + "`: " + std::string(what));
  }
  bool missing(std::string_view key, std::string_view why = {}) {
    std::string detail = "field `" + here(key) + "` is required";
    if (!why.empty()) detail += std::string(" (") + std::string(why) + ")";
    return fail(RejectReason::kMissingField, std::move(detail));
  }
  bool wrong_type(std::string_view key, std::string_view expected, dom::element_type got) {
    return fail_at(RejectReason::kWrongType, key,
                   "expected " + std::string(expected) + ", got " + std::string(type_name(got)));
  }
  void warn(std::string_view key, std::string_view what) {
    if (warnings.size() < options.max_warnings) warnings.push_back(here(key) + ": " + std::string(what));
  }

  // ---- structure ------------------------------------------------------------

  static std::optional<dom::element> field(dom::object obj, std::string_view key) {
    dom::element el;
    if (obj.at_key(key).get(el) != simdjson::SUCCESS) return std::nullopt;
    if (el.type() == dom::element_type::NULL_VALUE) return std::nullopt;
    return el;
  }

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
  bool array_field(dom::object obj, std::string_view key, std::optional<dom::array>& out) {
    out.reset();
    const auto el = field(obj, key);
    if (!el) return true;
    dom::array a;
    if (el->get_array().get(a) != simdjson::SUCCESS) return wrong_type(key, "an array", el->type());
    out = a;
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

  /// A leaf string (an enumeration): another type is warned and left out.
  std::string_view text(dom::object obj, std::string_view key) {
    const auto el = field(obj, key);
    if (!el) return {};
    std::string_view s;
    if (el->get_string().get(s) != simdjson::SUCCESS) {
      warn(key, "expected a string, got " + std::string(type_name(el->type())) + "; left out");
      return {};
    }
    return s;
  }

  bool time_field(dom::object obj, std::string_view key, std::optional<TimeMs>& out) {
    std::string_view s;
    if (!string_field(obj, key, s)) return false;
    s = trim(s);
    if (s.empty()) return true;
    const auto t = parse_rfc3339(s);
    if (!t) return fail_at(RejectReason::kBadTimestamp, key, quoted(s) + " is not an RFC 3339 timestamp");
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
    path.clear();
    if (json.size() > options.max_document_bytes) {
      return fail(RejectReason::kTooLarge, "the document has " + std::to_string(json.size()) +
                                               " bytes, more than the maximum " +
                                               std::to_string(options.max_document_bytes));
    }
    dom::element root;
    if (auto e = parser.parse(json.data(), json.size(), !padded).get(root); e) {
      return fail(RejectReason::kBadJson, simdjson::error_message(e));
    }
    dom::object top;
    if (root.get_object().get(top) != simdjson::SUCCESS) {
      return fail(RejectReason::kNotObject, "the document is " + std::string(type_name(root.type())) +
                                                ", not an object");
    }
    const std::string_view expected = format == TeamworkFormat::kDevice ? kDeviceType : kHealthType;
    // Neither resource has a `type` property, so a string `type` naming one of
    // our record types is the JSON Lines (or ZeroMQ) envelope.
    std::optional<dom::object> envelope;
    dom::object body = top;
    if (const auto t = field(top, "type"); t && t->type() == dom::element_type::STRING) {
      std::string_view type;
      if (t->get_string().get(type) != simdjson::SUCCESS) type = {};
      if (type == kDeviceType || type == kHealthType) {
        if (type != expected) {
          return fail_at(RejectReason::kBadValue, "type",
                         quoted(type) + " disagrees with the decoder for " + quoted(expected));
        }
        const auto b = field(top, "body");
        if (!b) return missing("body");
        if (b->get_object().get(body) != simdjson::SUCCESS) return wrong_type("body", "an object", b->type());
        envelope = top;
      }
    }
    std::optional<TimeMs> ts;
    std::string_view envelope_device;
    if (envelope) {
      if (!envelope_ts(*envelope, ts)) return false;
      if (format == TeamworkFormat::kDeviceHealth && !id_field(*envelope, "device", envelope_device)) return false;
      path = "body";
    }
    return format == TeamworkFormat::kDevice ? devices(body, ts) : health(body, ts, trim(envelope_device));
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
    if (const std::string_view s = text(d, "deviceType"); !is_unknown_enum(s)) {
      type = teamwork::device_type(s);
      if (!type) warn("deviceType", quoted(s) + " is not a known teamworkDeviceType; left out");
    }
    TeamworkHealth h;
    h.device.assign(trim(id));
    h.peripherals_reported = false;  // a device says nothing of its peripherals
    if (const std::string_view s = text(d, "healthStatus"); !s.empty()) {
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
              warn({}, "expected a MAC address string, got " + std::string(type_name(el.type())) + "; left out");
            }
            continue;
          }
          s = trim(s);
          // All zeros of any length and the privacy placeholder identify nobody (as in cloud_decoder.cpp).
          if (s.empty() || s.find_first_not_of("0:-.") == std::string_view::npos) continue;
          const auto m = Mac::parse(s);
          if (!m) {
            warn({}, quoted(s) + " is not a MAC address; left out");
            continue;
          }
          if (m->is_placeholder() || std::find(macs.begin(), macs.end(), *m) != macs.end()) continue;
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
    const std::string_view s = text(connection, "connectionStatus");
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
        warn("isOptional", "expected a boolean, got " + std::string(type_name(el->type())) + "; taken as false");
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
  warnings_.clear();
  out.clear();
  // Error codes throughout; this guard only keeps an allocation failure from escaping.
  try {
    impl_->out = &out;
    if (impl_->decode(format, json, padded)) return true;
  } catch (const std::exception& e) {
    error_.reason = RejectReason::kTooLarge;
    error_.detail = std::string("out of memory while decoding: ") + e.what();
  }
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
