#include "ingest/decoder.h"
#include "ingest/echo.h"

#include "ingest/cloud_decoder.h"
#include "ingest/teamwork_decoder.h"
#include "models/capacity.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace callroot::ingest {
namespace {

namespace od = simdjson::ondemand;

constexpr std::array<std::string_view, 19> kRecordTypeNames{
    "inventory.site", "inventory.ap",   "inventory.switch", "inventory.wan",    "client.assoc", "client.disassoc",
    "client.info",    "wifi.client",    "wifi.ap",          "switch.port",      "wan.link",     "client.device",
    "room.health",    "call.segment",   "graph.callRecord", "zoom.qos",         "inventory.org",
    "graph.teamworkDevice", "graph.teamworkDeviceHealth",
};
static_assert(kRecordTypeNames.size() == static_cast<std::size_t>(RecordType::kGraphTeamworkDeviceHealth) + 1);

// Epoch milliseconds RFC 3339 can spell (years 0000..9999); outside it an
// integer is almost surely in the wrong unit (microseconds, nanoseconds).
constexpr TimeMs kMinEpochMs = -62'167'219'200'000;
constexpr TimeMs kMaxEpochMs = 253'402'300'800'000;

using detail::number_text;
using detail::quoted;

std::string_view json_type_name(od::json_type t) noexcept {
  switch (t) {
    case od::json_type::array: return "an array";
    case od::json_type::object: return "an object";
    case od::json_type::number: return "a number";
    case od::json_type::string: return "a string";
    case od::json_type::boolean: return "a boolean";
    case od::json_type::null: return "null";
  }
  return "an unknown value";
}

/// Where a field sits in the record, for messages: `ts`, `caller.ip`,
/// `streams[2].jitter_avg_ms`, `subnets[3]`. Built into text only on failure.
struct Where {
  std::string_view parent;
  std::string_view key;
  int index = -1;  ///< element of the array `parent`

  [[nodiscard]] std::string str() const {
    std::string out(parent);
    if (index >= 0) out += "[" + std::to_string(index) + "]";
    if (!out.empty() && !key.empty()) out += '.';
    out += key;
    return out;
  }
};

std::optional<RoomHealthState> parse_room_health(std::string_view s) noexcept {
  if (s == "healthy") return RoomHealthState::kHealthy;
  if (s == "nonUrgent") return RoomHealthState::kNonUrgent;
  if (s == "critical") return RoomHealthState::kCritical;
  if (s == "offline") return RoomHealthState::kOffline;
  if (s == "unknown") return RoomHealthState::kUnknown;
  return std::nullopt;
}

std::optional<PeripheralState> parse_peripheral_state(std::string_view s) noexcept {
  if (s == "connected") return PeripheralState::kConnected;
  if (s == "disconnected") return PeripheralState::kDisconnected;
  if (s == "unhealthy") return PeripheralState::kUnhealthy;
  return std::nullopt;
}

std::optional<bool> parse_connected(std::string_view s) noexcept {
  if (s == "connected") return true;
  if (s == "disconnected") return false;
  return std::nullopt;
}

std::optional<double> parse_band_text(std::string_view s) noexcept {
  if (s == "2.4") return 2.4;
  if (s == "5") return 5.0;
  if (s == "6") return 6.0;
  return std::nullopt;
}

std::optional<double> parse_band_number(double v) noexcept {
  if (v == 2.4 || v == 5.0 || v == 6.0) return v;
  return std::nullopt;
}

/// The entity key of each telemetry family (switch.port has `port` besides).
constexpr std::string_view family_key(Family f) noexcept {
  switch (f) {
    case Family::kWifiClient:
    case Family::kClientDevice: return "client";
    case Family::kWifiAp: return "ap";
    case Family::kSwitchPort: return "switch";
    case Family::kWanLink: return "link";
  }
  return "";
}

const FieldSpec& channel_spec() noexcept {
  // The channel range is declared once, in the catalog's wifi.ap fields.
  static const FieldSpec& spec = family_fields(Family::kWifiAp)[static_cast<std::size_t>(
      std::max(0, find_field(Family::kWifiAp, "channel")))];
  return spec;
}

/// Whether a[0..n) equals b[0..n): short keys by two overlapping word loads
/// rather than a call to memcmp.
[[gnu::always_inline]] inline bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
  const auto load8 = [](const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  const auto load4 = [](const char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  if (n >= 8 && n <= 16) return load8(a) == load8(b) && load8(a + n - 8) == load8(b + n - 8);
  if (n >= 4 && n < 8) return load4(a) == load4(b) && load4(a + n - 4) == load4(b + n - 4);
  if (n < 4) {
    for (std::size_t i = 0; i < n; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }
  return std::memcmp(a, b, n) == 0;
}

/// The slots of names interned lately, by a hash of their text (its length
/// and its first and last eight bytes): most records name one of the same few
/// hundred APs, and a slot is one comparison where the Directory's table hashes
/// the whole name and walks a bucket. Only a hint: whoever reads a slot checks
/// it against the Directory (see RecordDecoder::Impl::ap_id).
class NameCache {
 public:
  static constexpr std::uint32_t kEmpty = std::numeric_limits<std::uint32_t>::max();

  std::uint32_t& slot(std::string_view name) noexcept { return slots_[hash(name)]; }

 private:
  static constexpr std::size_t kSlots = 1024;
  static std::size_t hash(std::string_view s) noexcept {
    std::uint64_t head = 0, tail = 0;
    const std::size_t n = s.size();
    if (n >= 8) {
      std::memcpy(&head, s.data(), 8);
      std::memcpy(&tail, s.data() + n - 8, 8);
    } else if (n > 0) {
      std::memcpy(&head, s.data(), n);
    }
    const std::uint64_t h = (head * 0x9E3779B97F4A7C15ull) ^ (tail * 0xC2B2AE3D27D4EB4Full) ^ n;
    return static_cast<std::size_t>((h ^ (h >> 32)) * 0x9E3779B97F4A7C15ull >> 54);  // top 10 bits: kSlots
  }
  std::array<std::uint32_t, kSlots> slots_ = [] {
    std::array<std::uint32_t, kSlots> a{};
    a.fill(kEmpty);
    return a;
  }();
};

/// The keys one record type reads, mapped to small codes by open addressing:
/// a hash of the length and three characters, then usually a single
/// comparison, where testing each name in turn cost a comparison per name.
class KeyTable {
 public:
  static constexpr int kUnknown = -1;

  /// False when `key` is there already: the first code given to a key wins.
  bool add(std::string_view key, int code) noexcept {
    for (std::size_t i = hash(key);; i = (i + 1) % kSlots) {
      if (slots_[i].code == kUnknown) {
        slots_[i] = {key, code};
        return true;
      }
      if (slots_[i].key == key) return false;
    }
  }

  [[nodiscard]] int find(std::string_view key) const noexcept {
    for (std::size_t i = hash(key);; i = (i + 1) % kSlots) {
      const Slot& slot = slots_[i];
      if (slot.code == kUnknown) return kUnknown;
      if (slot.key.size() == key.size() && same_bytes(slot.key.data(), key.data(), key.size())) return slot.code;
    }
  }

 private:
  // Over three times the most keys a table holds (the 19 record types), so probes stay short and end.
  static constexpr std::size_t kSlots = 64;
  struct Slot {
    std::string_view key;
    int code = kUnknown;
  };
  static std::size_t hash(std::string_view key) noexcept {
    if (key.empty()) return 0;
    const auto at = [&](std::size_t i) { return static_cast<std::size_t>(static_cast<unsigned char>(key[i])); };
    return (key.size() * 131 + at(0) * 31 + at(key.size() / 2) * 7 + at(key.size() - 1)) % kSlots;
  }
  std::array<Slot, kSlots> slots_{};
};

/// Codes of a telemetry record's keys besides its catalog fields (0..kMaxFields-1).
enum TelemetryKey : int {
  kKeyType = static_cast<int>(kMaxFields),
  kKeyTs,
  kKeyEntity,
  kKeyPort,
  kKeyAp,
  kKeyBssid,
};

KeyTable make_telemetry_keys(Family family) noexcept {
  KeyTable keys;
  // The record's own keys come first: a catalog field of the same name would never be read.
  keys.add("type", kKeyType);
  keys.add("ts", kKeyTs);
  keys.add(family_key(family), kKeyEntity);
  if (family == Family::kSwitchPort) keys.add("port", kKeyPort);
  if (family == Family::kWifiClient) {
    keys.add("ap", kKeyAp);
    keys.add("bssid", kKeyBssid);
  }
  const auto specs = family_fields(family);
  for (std::size_t i = 0; i < specs.size(); ++i) keys.add(specs[i].json, static_cast<int>(i));
  return keys;
}

const KeyTable& telemetry_keys(Family family) noexcept {
  static const std::array<KeyTable, kFamilyCount> tables = [] {
    std::array<KeyTable, kFamilyCount> t;
    for (std::size_t f = 0; f < kFamilyCount; ++f) t[f] = make_telemetry_keys(static_cast<Family>(f));
    return t;
  }();
  return tables[static_cast<std::size_t>(family)];
}

/// Hex digit values; 0x10 marks a byte that is not a hex digit.
constexpr std::array<std::uint8_t, 256> kHexValue = [] {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = 0x10;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c - 'A' + 10);
  return t;
}();

/// `aa:bb:cc:dd:ee:ff` (or with `-` or `.` throughout), the spelling nearly
/// every record uses, read at fixed offsets; false for anything else, which
/// Mac::parse then decides. Out-parameter rather than std::optional: GCC
/// builds the optional piecewise and copies it whole, a store-forwarding stall.
bool parse_paired_mac(std::string_view s, Mac& out) noexcept {
  if (s.size() != 17) return false;
  const char sep = s[2];
  if ((sep != ':' && sep != '-' && sep != '.') || s[5] != sep || s[8] != sep || s[11] != sep || s[14] != sep) {
    return false;
  }
  std::uint64_t bits = 0;
  unsigned bad = 0;
  for (std::size_t i = 0; i < 17; i += 3) {
    const unsigned hi = kHexValue[static_cast<unsigned char>(s[i])];
    const unsigned lo = kHexValue[static_cast<unsigned char>(s[i + 1])];
    bad |= hi | lo;
    bits = (bits << 8) | (hi << 4) | lo;
  }
  if (bad & 0x10) return false;
  out.bits = bits;
  return true;
}

/// The two-digit number at `p`, or 100 (above every field's limit) if either is no digit.
unsigned two_digits(const char* p) noexcept {
  const unsigned tens = static_cast<unsigned char>(p[0]) - unsigned{'0'};
  const unsigned ones = static_cast<unsigned char>(p[1]) - unsigned{'0'};
  return tens > 9 || ones > 9 ? 100 : tens * 10 + ones;
}

/// Names read from a record, interned only once the whole record is valid so
/// a rejected record leaves no trace in the Directory.
struct Uplink {
  std::string_view sw, port, edge;
  bool present = false;
};

}  // namespace

std::optional<RecordType> parse_record_type(std::string_view type) noexcept {
  static const KeyTable types = [] {
    KeyTable t;
    for (std::size_t i = 0; i < kRecordTypeNames.size(); ++i) t.add(kRecordTypeNames[i], static_cast<int>(i));
    return t;
  }();
  const int i = types.find(type);
  if (i == KeyTable::kUnknown) return std::nullopt;
  return static_cast<RecordType>(i);
}

std::string_view to_string(RecordType t) noexcept {
  const auto i = static_cast<std::size_t>(t);
  return i < kRecordTypeNames.size() ? kRecordTypeNames[i] : "?";
}

namespace {

/// The `type` of a record that names it first (`{"type":"wifi.client",`),
/// read from the text: for records too large for the On Demand parser, and
/// to spare the usual record a search for its type and a rewind. A name with
/// an escape is no type name, so nullopt leaves it to simdjson.
std::optional<RecordType> sniff_type(std::string_view json) noexcept {
  std::size_t i = 0;
  auto skip_ws = [&] {
    while (i < json.size() && (json[i] == ' ' || json[i] == '\t' || json[i] == '\r' || json[i] == '\n')) ++i;
  };
  auto expect = [&](std::string_view s) {
    skip_ws();
    if (json.substr(i, s.size()) != s) return false;
    i += s.size();
    return true;
  };
  if (!expect("{") || !expect("\"type\"") || !expect(":") || !expect("\"")) return std::nullopt;
  const auto end = json.find('"', i);
  if (end == std::string_view::npos || end - i > 32) return std::nullopt;
  return parse_record_type(json.substr(i, end - i));
}

}  // namespace

/// The decoding machinery. Every reader returns false after filling `err`;
/// readers of optional values report JSON null as "not present".
struct RecordDecoder::Impl {
  Impl(Directory& d, DecoderOptions o, DecodeError& e)
      : dir(d),
        options(o),
        err(e),
        parser(std::max<std::size_t>(o.max_record_bytes, 64)),
        cloud(CloudDecoderOptions{o.max_document_bytes}),
        teamwork(TeamworkDecoderOptions{o.max_document_bytes}) {}

  Directory& dir;
  DecoderOptions options;
  DecodeError& err;
  od::parser parser;
  std::vector<char> scratch;  // unpadded input, copied with padding
  bool check_type_field = false;
  std::string_view expected_type;
  std::vector<std::pair<std::string_view, PeripheralState>> peripherals;  // reused across records
  std::optional<RecordType> last_type;  // the type decode() found, set before decoding the fields
  CloudDecoder cloud;
  bool last_was_cloud = false;
  TeamworkDecoder teamwork;
  TeamworkRecords teamwork_records;  // reused across documents
  bool last_was_teamwork = false;
  std::vector<CallSegment> cloud_segments;        // reused across documents
  std::vector<CloudClientSample> cloud_samples;
  std::vector<Event> staged_events;
  const std::vector<std::string> no_warnings;
  std::unordered_map<std::uint64_t, Mac> mac_cache;  // privacy mode: MAC -> its pseudonym
  NameCache ap_cache;
  static constexpr std::size_t kDayChars = 10;  // `YYYY-MM-DD`
  std::array<char, kDayChars> day_text{};       // the date parse_canonical_time read last
  TimeMs day_ms = 0;                            // its first millisecond
  bool have_day = false;

  // ---- failures ------------------------------------------------------------

  bool fail(RejectReason r, std::string detail) {
    err.reason = r;
    err.detail = std::move(detail);
    return false;
  }
  bool fail(RejectReason r, const Where& w, std::string_view what) {
    return fail(r, "field `" + w.str() + "`: " + std::string(what));
  }
  bool json_error(simdjson::error_code e, const Where& w) {
    return fail(RejectReason::kBadJson, w, simdjson::error_message(e));
  }
  bool wrong_type(const Where& w, std::string_view expected, od::json_type got) {
    return fail(RejectReason::kWrongType, w,
                "expected " + std::string(expected) + ", got " + std::string(json_type_name(got)));
  }
  bool missing(std::string_view field) {
    return fail(RejectReason::kMissingField, "field `" + std::string(field) + "` is required");
  }
  template <class IdT>
  bool intern(std::optional<IdT> id, std::string_view table, std::string_view name, IdT& out) {
    if (!id && name.size() > SymbolTable::kMaxNameBytes) {
      return fail(RejectReason::kTooLarge, "the " + std::string(table) + " name has " + std::to_string(name.size()) +
                                               " bytes, more than the maximum " +
                                               std::to_string(SymbolTable::kMaxNameBytes));
    }
    if (!id) {
      return fail(RejectReason::kTooManyEntities,
                  "cannot add " + std::string(table) + " " + quoted(name) + ": the " + std::string(table) +
                      " table is full");
    }
    out = *id;
    return true;
  }
  /// dir.ap(name), through ap_cache: a slot counts only if the Directory has
  /// that id under this very name (names are unique, so it is the answer).
  std::optional<ApId> ap_id(std::string_view name) {
    std::uint32_t& slot = ap_cache.slot(name);
    if (slot < dir.ap_count()) {
      const std::string_view known = dir.ap_name(ApId{slot});
      if (known.size() == name.size() && same_bytes(known.data(), name.data(), name.size())) return ApId{slot};
    }
    const auto id = dir.ap(name);
    if (id) slot = id->value;
    return id;
  }
  bool intern_client(Mac mac, ClientId& out) {
    const auto id = dir.client(mac);
    if (!id) return intern(id, "client", mac.str(), out);  // format the MAC only for the message
    out = *id;
    return true;
  }

  // ---- value readers -------------------------------------------------------

  /// The JSON type of `v`; a `null` is checked to really be the literal.
  bool peek(od::value& v, const Where& w, od::json_type& t) {
    if (auto e = v.type().get(t); e) return json_error(e, w);
    if (t == od::json_type::null) {
      bool is_null = false;
      if (auto e = v.is_null().get(is_null); e) return json_error(e, w);
      if (!is_null) return fail(RejectReason::kBadJson, w, "invalid literal");
    }
    return true;
  }

  /// The common start of a reader: `present` is false for null (not
  /// measured, as absent); otherwise the value must be of JSON type `want`.
  bool expect(od::value& v, const Where& w, od::json_type want, std::string_view what, bool& present) {
    od::json_type t{};
    if (!peek(v, w, t)) return false;
    present = t != od::json_type::null;
    if (present && t != want) return wrong_type(w, what, t);
    return true;
  }

  bool read_string(od::value& v, const Where& w, std::string_view& out, bool& present) {
    // A string is what is usually there. get_string() leaves a value that is
    // not a string unread for the checks below; any other failure has
    // consumed it and is what those checks would report.
    switch (const auto e = v.get_string().get(out)) {
      case simdjson::SUCCESS: present = true; return true;
      case simdjson::INCORRECT_TYPE: break;
      default: return json_error(e, w);
    }
    if (!expect(v, w, od::json_type::string, "a string", present)) return false;
    if (!present) return true;
    if (auto e = v.get_string().get(out); e) return json_error(e, w);
    return true;
  }

  /// An inventory name (`ap`, `site`, ...): a non-empty string.
  bool read_name(od::value& v, const Where& w, std::string_view& out, bool& present) {
    if (!read_string(v, w, out, present)) return false;
    if (present && out.empty()) return fail(RejectReason::kBadValue, w, "empty name");
    return true;
  }

  /// A switch port: a name, or a port number written as a JSON integer.
  bool read_port(od::value& v, const Where& w, std::string_view& out, bool& present) {
    od::json_type t{};
    if (!peek(v, w, t)) return false;
    if (t != od::json_type::number) return read_name(v, w, out, present);
    out = v.raw_json_token();  // before get_int64(), which moves past the token
    std::int64_t n = 0;
    if (auto e = v.get_int64().get(n); e || n < 0) {
      return fail(RejectReason::kWrongType, w, "expected a port name or a non-negative integer");
    }
    while (!out.empty() && (out.back() == ' ' || out.back() == '\t' || out.back() == '\r' || out.back() == '\n')) {
      out.remove_suffix(1);
    }
    present = true;
    return true;
  }

  /// A string parsed by `parse` (IpAddr, Cidr); null or absent resets `out`.
  template <class T, class Parse>
  bool read_parsed(od::value& v, const Where& w, std::optional<T>& out, Parse parse, RejectReason reason,
                   std::string_view what) {
    std::string_view text;
    bool present = false;
    if (!read_string(v, w, text, present)) return false;
    if (!present) {
      out.reset();
      return true;
    }
    out = parse(text);
    if (!out) return fail(reason, w, quoted(text) + " is not " + std::string(what));
    return true;
  }
  bool read_mac(od::value& v, const Where& w, std::optional<Mac>& out) {
    const auto parse = [](std::string_view text) -> std::optional<Mac> {
      Mac mac;
      if (parse_paired_mac(text, mac)) return mac;
      return Mac::parse(text);
    };
    if (!read_parsed(v, w, out, parse, RejectReason::kBadMac, "a MAC address")) return false;
    // Every MAC of a native record comes through here: pseudonymized once, at the source.
    if (out && options.pseudonymizer != nullptr) out = pseudonym(*out);
    return true;
  }

  /// A keyed BLAKE2b costs two compressions (~0.5 us), more than decoding a
  /// telemetry record; the same few thousand clients report every few
  /// seconds, so the decoder remembers their pseudonyms. Bounded: past
  /// kMacCacheMax it starts over (a cache miss only costs the hash again).
  static constexpr std::size_t kMacCacheMax = 1 << 18;
  Mac pseudonym(Mac m) {
    if (const auto it = mac_cache.find(m.bits); it != mac_cache.end()) return it->second;
    if (mac_cache.size() >= kMacCacheMax) mac_cache.clear();
    const Mac p = options.pseudonymizer->mac(m);
    mac_cache.emplace(m.bits, p);
    return p;
  }
  bool read_ip(od::value& v, const Where& w, std::optional<IpAddr>& out) {
    return read_parsed(v, w, out, IpAddr::parse, RejectReason::kBadIp, "an IP address");
  }
  bool read_cidr(od::value& v, const Where& w, std::optional<Cidr>& out) {
    return read_parsed(v, w, out, Cidr::parse, RejectReason::kBadCidr, "a CIDR subnet");
  }

  /// RFC 3339 text or integer epoch milliseconds.
  bool read_time(od::value& v, const Where& w, TimeMs& out, bool& present) {
    std::string_view text;
    switch (const auto e = v.get_string().get(text)) {  // as in read_string
      case simdjson::SUCCESS: present = true; return read_rfc3339(text, w, out);
      case simdjson::INCORRECT_TYPE: break;
      default: return json_error(e, w);
    }
    od::json_type t{};
    if (!peek(v, w, t)) return false;
    present = t != od::json_type::null;
    if (!present) return true;
    if (t != od::json_type::number) return wrong_type(w, "an RFC 3339 string or integer epoch milliseconds", t);
    od::number n;
    if (auto e = v.get_number().get(n); e) return json_error(e, w);
    if (n.get_number_type() != od::number_type::signed_integer) {
      return fail(RejectReason::kBadTimestamp, w,
                  number_text(n.as_double()) + " is not an integer number of epoch milliseconds");
    }
    const std::int64_t ms = n.get_int64();
    if (ms < kMinEpochMs || ms >= kMaxEpochMs) {
      return fail(RejectReason::kBadTimestamp, w,
                  std::to_string(ms) + " is outside years 0000-9999 as epoch milliseconds");
    }
    out = ms;
    return true;
  }

  bool read_rfc3339(std::string_view text, const Where& w, TimeMs& out) {
    if (parse_canonical_time(text, out)) return true;
    const auto ms = parse_rfc3339(text);
    if (!ms) return fail(RejectReason::kBadTimestamp, w, quoted(text) + " is not an RFC 3339 timestamp");
    out = *ms;
    return true;
  }

  /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, the layout callroot and most sources write,
  /// read at fixed offsets; false for any other spelling or a value out of
  /// range, which parse_rfc3339 then decides (out-parameter: see parse_paired_mac).
  bool parse_canonical_time(std::string_view s, TimeMs& out) {
    if (s.size() != 24 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[23] != 'Z') return false;
    const unsigned hour = two_digits(&s[11]);
    const unsigned minute = two_digits(&s[14]);
    const unsigned second = two_digits(&s[17]);
    const unsigned tenths = static_cast<unsigned char>(s[20]) - unsigned{'0'};
    const unsigned hundredths = two_digits(&s[21]);
    if (hour > 23 || minute > 59 || second > 60 || tenths > 9 || hundredths > 99) return false;
    if (!read_day(s.substr(0, kDayChars))) return false;
    const unsigned seconds = (hour * 60 + minute) * 60 + std::min(second, 59u);  // a leap second counts as :59
    out = day_ms + static_cast<TimeMs>(seconds) * 1000 + tenths * 100 + hundredths;
    return true;
  }

  /// Sets day_ms to the start of `date` (`YYYY-MM-DD`); false if it is no
  /// date. The records of a day share it, so it is parsed once: by
  /// parse_rfc3339 itself, where the calendar rules live.
  bool read_day(std::string_view date) {
    if (have_day && std::memcmp(day_text.data(), date.data(), kDayChars) == 0) return true;
    std::array<char, kDayChars + 10> midnight{};
    std::memcpy(midnight.data(), date.data(), kDayChars);
    std::memcpy(midnight.data() + kDayChars, "T00:00:00Z", 10);
    const auto ms = parse_rfc3339(std::string_view(midnight.data(), midnight.size()));
    if (!ms) return false;
    std::memcpy(day_text.data(), date.data(), kDayChars);
    day_ms = *ms;
    have_day = true;
    return true;
  }

  bool check_range(const Where& w, double d, double min, double max) {
    if (d >= min && d <= max) [[likely]] return true;
    return range_error(w, d, min, max);
  }
  [[gnu::noinline]] bool range_error(const Where& w, double d, double min, double max) {
    if (d < min) return fail(RejectReason::kOutOfRange, w, number_text(d) + " is below the minimum " + number_text(min));
    if (d > max) return fail(RejectReason::kOutOfRange, w, number_text(d) + " is above the maximum " + number_text(max));
    return true;
  }

  /// A number in [min, max]; null leaves `out` as it is and reports not present.
  bool read_number(od::value& v, const Where& w, double min, double max, double& out, bool& present) {
    double d = 0;
    // A number is what is usually there; get_double() leaves anything else
    // (null, another type, a malformed number) unread for the checks below.
    if (v.get_double().get(d) == simdjson::SUCCESS) [[likely]] {
      present = true;
      if (!check_range(w, d, min, max)) return false;
      out = d;
      return true;
    }
    if (!expect(v, w, od::json_type::number, "a number", present)) return false;
    if (!present) return true;
    if (auto e = v.get_double().get(d); e) return json_error(e, w);
    if (!check_range(w, d, min, max)) return false;
    out = d;
    return true;
  }

  /// A number that becomes kMissing when null.
  bool read_measure(od::value& v, const Where& w, double min, double max, double& out) {
    bool present = false;
    if (!read_number(v, w, min, max, out, present)) return false;
    if (!present) out = kMissing;
    return true;
  }

  bool read_band(od::value& v, const Where& w, double& out, bool& present) {
    od::json_type t{};
    if (!peek(v, w, t)) return false;
    present = t != od::json_type::null;
    if (!present) return true;
    std::optional<double> band;
    std::string text;
    if (t == od::json_type::string) {
      std::string_view s;
      if (auto e = v.get_string().get(s); e) return json_error(e, w);
      band = parse_band_text(s);
      if (!band) text = quoted(s);
    } else if (t == od::json_type::number) {
      double d = 0;
      if (auto e = v.get_double().get(d); e) return json_error(e, w);
      band = parse_band_number(d);
      if (!band) text = number_text(d);
    } else {
      return wrong_type(w, "a band (\"2.4\", \"5\" or \"6\")", t);
    }
    if (!band) return fail(RejectReason::kBadEnum, w, text + " is not one of 2.4, 5, 6");
    out = *band;
    return true;
  }

  template <class T, class Parse>
  bool read_enum(od::value& v, const Where& w, Parse parse, std::string_view allowed, std::optional<T>& out) {
    std::string_view text;
    bool present = false;
    if (!read_string(v, w, text, present)) return false;
    if (!present) {
      out.reset();
      return true;
    }
    out = parse(text);
    if (!out) return fail(RejectReason::kBadEnum, w, quoted(text) + " is not one of " + std::string(allowed));
    return true;
  }

  // ---- structure -----------------------------------------------------------

  /// A key without escapes (nearly all) as a view of the input, found by its
  /// closing quote; false for a key with a backslash, to be unescaped. The
  /// structural pass has checked the string already.
  static bool plain_key(const char* begin, std::string_view& out) noexcept {
    const char* end = begin;
    while (*end != '"' && *end != '\\') ++end;
    out = std::string_view(begin, static_cast<std::size_t>(end - begin));
    return *end == '"';
  }

  /// Calls on_field(key, value) for every field of `obj`, in document order
  /// (On Demand reads each field once; values left unread are skipped).
  template <class OnField>
  bool for_each_field(od::object& obj, const Where& w, OnField&& on_field) {
    for (auto result : obj) {
      if (auto e = result.error(); e) return json_error(e, w);
      // Used in place: copying it out of `result` would store it piecewise
      // and load it whole, which stalls store forwarding on every field.
      od::field&& field = std::move(result).value_unsafe();
      std::string_view key;
      if (!plain_key(field.key().raw(), key)) {
        if (auto e = field.unescaped_key().get(key); e) return json_error(e, w);
      }
      if (!on_field(key, field.value())) return false;
    }
    return true;
  }

  /// The fields of the record itself: `type` is checked against the hint or skipped.
  template <class OnField>
  bool record_fields(od::object& obj, OnField&& on_field) {
    return for_each_field(obj, Where{}, [&](std::string_view key, od::value& v) {
      if (key == "type") return check_type(v);
      return on_field(key, v);
    });
  }

  bool check_type(od::value& v) {
    if (!check_type_field) return true;  // already read to pick the decoder
    const Where w{{}, "type"};
    std::string_view type;
    bool present = false;
    if (!read_string(v, w, type, present)) return false;
    if (present && type != expected_type) {
      return fail(RejectReason::kBadValue, w,
                  quoted(type) + " disagrees with the message type " + quoted(expected_type));
    }
    return true;
  }

  /// A nested object; null means absent.
  template <class OnField>
  bool read_object(od::value& v, const Where& w, bool& present, OnField&& on_field) {
    if (!expect(v, w, od::json_type::object, "an object", present)) return false;
    if (!present) return true;
    od::object obj;
    if (auto e = v.get_object().get(obj); e) return json_error(e, w);
    const std::string path = w.str();  // nested objects are rare outside call segments
    return for_each_field(obj, w, [&](std::string_view key, od::value& fv) {
      return on_field(Where{path, key}, key, fv);
    });
  }

  /// An array; null means absent. on_element(where, value) for each element.
  template <class OnElement>
  bool read_array(od::value& v, const Where& w, bool& present, OnElement&& on_element) {
    if (!expect(v, w, od::json_type::array, "an array", present)) return false;
    if (!present) return true;
    od::array arr;
    if (auto e = v.get_array().get(arr); e) return json_error(e, w);
    const std::string path = w.str();
    int index = 0;
    for (auto result : arr) {
      od::value element;
      const Where ew{path, {}, index++};
      if (auto e = std::move(result).get(element); e) return json_error(e, ew);
      if (!on_element(ew, element)) return false;
    }
    return true;
  }

  /// A list whose elements must all be given (a null element is an error).
  template <class T, class ReadOne>
  bool read_list(od::value& v, const Where& w, bool& present, std::vector<T>& out, ReadOne read_one) {
    out.clear();
    return read_array(v, w, present, [&](const Where& ew, od::value& element) {
      std::optional<T> item;
      if (!(this->*read_one)(element, ew, item)) return false;
      if (!item) return fail(RejectReason::kWrongType, ew, "null is not allowed in this list");
      out.push_back(*item);
      return true;
    });
  }

  bool read_uplink(od::value& v, const Where& w, Uplink& up, bool allow_edge) {
    return read_object(v, w, up.present, [&](const Where& fw, std::string_view key, od::value& fv) {
      bool p = false;
      if (key == "switch") return read_name(fv, fw, up.sw, p);
      if (key == "port") return read_port(fv, fw, up.port, p);
      if (allow_edge && key == "edge") return read_name(fv, fw, up.edge, p);
      return true;
    });
  }

  // ---- record types --------------------------------------------------------

  bool telemetry(od::object& obj, Family family, Event& out) {
    auto& s = out.emplace<TelemetrySample>();
    s.family = family;
    const auto specs = family_fields(family);
    const std::string_view key_name = family_key(family);
    bool have_ts = false;
    std::string_view entity, port, ap;
    std::optional<Mac> client;
    bool have_entity = false, have_port = false, have_ap = false;

    const KeyTable& keys = telemetry_keys(family);
    const bool ok = for_each_field(obj, Where{}, [&](std::string_view key, od::value& v) {
      const Where w{{}, key};
      const int code = keys.find(key);
      switch (code) {
        case KeyTable::kUnknown: return true;  // unknown fields are ignored
        case kKeyType: return check_type(v);
        case kKeyTs: return read_time(v, w, s.ts, have_ts);
        case kKeyEntity:
          if (family == Family::kWifiClient || family == Family::kClientDevice) {
            if (!read_mac(v, w, client)) return false;
            have_entity = client.has_value();
            return true;
          }
          return read_name(v, w, entity, have_entity);
        case kKeyPort: return read_port(v, w, port, have_port);
        case kKeyAp: return read_name(v, w, ap, have_ap);
        case kKeyBssid: return read_mac(v, w, s.bssid);
        default:
          return read_measurement(v, w, specs[static_cast<std::size_t>(code)], s, static_cast<std::size_t>(code));
      }
    });
    if (!ok) return false;
    if (!have_ts) return missing("ts");
    if (!have_entity) return missing(key_name);
    if (family == Family::kSwitchPort && !have_port) return missing("port");

    switch (family) {
      case Family::kWifiClient:
      case Family::kClientDevice: {
        ClientId id;
        if (!intern_client(*client, id)) return false;
        s.entity = id.value;
        break;
      }
      case Family::kWifiAp: {
        ApId id;
        if (!intern(ap_id(entity), "ap", entity, id)) return false;
        s.entity = id.value;
        break;
      }
      case Family::kSwitchPort: {
        SwitchId sw;
        PortId p;
        if (!intern(dir.switch_(entity), "switch", entity, sw) || !intern(dir.port(sw, port), "port", port, p)) {
          return false;
        }
        s.entity = p.value;
        break;
      }
      case Family::kWanLink: {
        LinkId id;
        if (!intern(dir.link(entity), "link", entity, id)) return false;
        s.entity = id.value;
        break;
      }
    }
    if (have_ap && !intern(ap_id(ap), "ap", ap, s.ap)) return false;
    return true;
  }

  /// One catalog field of a telemetry record into slot i of the sample.
  bool read_measurement(od::value& v, const Where& w, const FieldSpec& spec, TelemetrySample& s, std::size_t i) {
    const std::uint32_t bit = 1u << i;
    if (spec.kind == FieldKind::kGauge) {  // the common case first; read_number has the rest
      double d = 0;
      if (v.get_double().get(d) == simdjson::SUCCESS) [[likely]] {
        if (!check_range(w, d, spec.min, spec.max)) return false;
        s.values[i] = d;
        s.present |= bit;
        return true;
      }
    }
    od::json_type t{};
    if (!peek(v, w, t)) return false;
    if (t == od::json_type::null) {  // not measured, even if an earlier duplicate key said otherwise
      s.present &= ~bit;
      return true;
    }
    switch (spec.kind) {
      case FieldKind::kGauge: {
        bool present = false;
        if (!read_number(v, w, spec.min, spec.max, s.values[i], present)) return false;
        break;
      }
      case FieldKind::kCounter: {
        if (t != od::json_type::number) return wrong_type(w, "a non-negative integer counter", t);
        od::number n;
        if (auto e = v.get_number().get(n); e) return json_error(e, w);
        std::uint64_t c = 0;
        switch (n.get_number_type()) {
          case od::number_type::signed_integer:
            if (n.get_int64() < 0) {
              return fail(RejectReason::kOutOfRange, w,
                          std::to_string(n.get_int64()) + " is negative; counters count up from 0");
            }
            c = static_cast<std::uint64_t>(n.get_int64());
            break;
          case od::number_type::unsigned_integer: c = n.get_uint64(); break;
          case od::number_type::floating_point_number:
            return fail(RejectReason::kWrongType, w, number_text(n.get_double()) + " is not an integer counter");
        }
        s.counters[i] = c;
        s.values[i] = static_cast<double>(c);  // mirrored, so generic readers of values[] see counters too
        break;
      }
      case FieldKind::kBool: {
        if (t != od::json_type::boolean) return wrong_type(w, "true or false", t);
        bool b = false;
        if (auto e = v.get_bool().get(b); e) return json_error(e, w);
        s.values[i] = b ? 1.0 : 0.0;
        break;
      }
      case FieldKind::kBand: {
        bool present = false;
        if (!read_band(v, w, s.values[i], present)) return false;
        break;
      }
    }
    s.present |= bit;
    return true;
  }

  bool org_inventory(od::object& obj, Event& out) {
    auto& e = out.emplace<OrgInventory>();
    std::string_view name;
    bool have_name = false, have_tenants = false;
    e.tenants.clear();
    const bool ok = record_fields(obj, [&](std::string_view key, od::value& v) {
      const Where w{{}, key};
      if (key == "name") return read_string(v, w, name, have_name);
      if (key == "tenants") return read_strings(v, w, have_tenants, e.tenants, &Impl::read_name);
      return true;
    });
    if (!ok) return false;
    if (!have_tenants) return missing("tenants");
    e.name.assign(name);
    return true;
  }

  bool site_inventory(od::object& obj, Event& out) {
    auto& e = out.emplace<SiteInventory>();
    std::string_view site, name;
    bool have_site = false, have_name = false, have_subnets = false;
    const bool ok = record_fields(obj, [&](std::string_view key, od::value& v) {
      const Where w{{}, key};
      if (key == "site") return read_name(v, w, site, have_site);
      if (key == "name") return read_string(v, w, name, have_name);
      if (key == "subnets") return read_list(v, w, have_subnets, e.subnets, &Impl::read_cidr);
      return true;
    });
    if (!ok) return false;
    if (!have_site) return missing("site");
    if (!have_subnets) return missing("subnets");
    e.name.assign(name);
    return intern(dir.site(site), "site", site, e.site);
  }

  bool ap_inventory(od::object& obj, Event& out) {
    auto& e = out.emplace<ApInventory>();
    std::string_view ap, site, name;
    Uplink up;
    bool have_ap = false, have_site = false, have_name = false, have_bssids = false;
    const bool ok = record_fields(obj, [&](std::string_view key, od::value& v) {
      const Where w{{}, key};
      if (key == "ap") return read_name(v, w, ap, have_ap);
      if (key == "site") return read_name(v, w, site, have_site);
      if (key == "name") return read_string(v, w, name, have_name);
      if (key == "bssids") return read_list(v, w, have_bssids, e.bssids, &Impl::read_mac);
      if (key == "uplink") return read_uplink(v, w, up, false);
      return true;
    });
    if (!ok) return false;
    if (!have_ap) return missing("ap");
    if (!have_site) return missing("site");
    if (!have_bssids) return missing("bssids");
    if (!up.present) return missing("uplink");
    if (up.sw.empty()) return missing("uplink.switch");
    if (up.port.empty()) return missing("uplink.port");
    e.name.assign(name);
    return intern(ap_id(ap), "ap", ap, e.ap) && intern(dir.site(site), "site", site, e.site) &&
           intern(dir.switch_(up.sw), "switch", up.sw, e.uplink_switch) &&
           intern(dir.port(e.uplink_switch, up.port), "port", up.port, e.uplink_port);
  }

  bool switch_inventory(od::object& obj, Event& out) {
    auto& e = out.emplace<SwitchInventory>();
    std::string_view sw, site, name;
    Uplink up;
    bool have_sw = false, have_site = false, have_name = false;
    const bool ok = record_fields(obj, [&](std::string_view key, od::value& v) {
      const Where w{{}, key};
      if (key == "switch") return read_name(v, w, sw, have_sw);
      if (key == "site") return read_name(v, w, site, have_site);
      if (key == "name") return read_string(v, w, name, have_name);
      if (key == "uplink") return read_uplink(v, w, up, true);
      return true;
    });
    if (!ok) return false;
    if (!have_sw) return missing("switch");
    if (!have_site) return missing("site");
    if (up.present) {
      const bool to_switch = !up.sw.empty() || !up.port.empty();
      if (to_switch && !up.edge.empty()) {
        return fail(RejectReason::kBadValue, "field `uplink`: give either `switch` and `port`, or `edge`, not both");
      }
      if (!to_switch && up.edge.empty()) {
        return fail(RejectReason::kMissingField, "field `uplink`: needs `switch` and `port`, or `edge`");
      }
      if (to_switch && up.sw.empty()) return missing("uplink.switch");
      if (to_switch && up.port.empty()) return missing("uplink.port");
      if (up.sw == sw) return fail(RejectReason::kBadValue, "field `uplink.switch`: a switch cannot uplink to itself");
    }
    e.name.assign(name);
    if (!intern(dir.switch_(sw), "switch", sw, e.sw) || !intern(dir.site(site), "site", site, e.site)) return false;
    if (!up.sw.empty()) {
      if (!intern(dir.switch_(up.sw), "switch", up.sw, e.uplink_switch) ||
          !intern(dir.port(e.uplink_switch, up.port), "port", up.port, e.uplink_port)) {
        return false;
      }
    }
    if (!up.edge.empty() && !intern(dir.edge(up.edge), "edge", up.edge, e.uplink_edge)) return false;
    return true;
  }

  bool wan_inventory(od::object& obj, Event& out) {
    auto& e = out.emplace<WanInventory>();
    std::string_view link, site, edge, provider;
    bool have_link = false, have_site = false, have_edge = false, have_provider = false, have_ips = false;
    const bool ok = record_fields(obj, [&](std::string_view key, od::value& v) {
      const Where w{{}, key};
      if (key == "link") return read_name(v, w, link, have_link);
      if (key == "site") return read_name(v, w, site, have_site);
      if (key == "edge") return read_name(v, w, edge, have_edge);
      if (key == "provider") return read_string(v, w, provider, have_provider);
      if (key == "capacity_mbps") return read_measure(v, w, 0, 10'000'000, e.capacity_mbps);
      if (key == "public_ips") return read_list(v, w, have_ips, e.public_ips, &Impl::read_ip);
      return true;
    });
    if (!ok) return false;
    if (!have_link) return missing("link");
    if (!have_site) return missing("site");
    if (!have_edge) return missing("edge");
    if (!have_ips) return missing("public_ips");
    e.provider.assign(provider);
    return intern(dir.link(link), "link", link, e.link) && intern(dir.site(site), "site", site, e.site) &&
           intern(dir.edge(edge), "edge", edge, e.edge);
  }

  bool client_assoc(od::object& obj, Event& out) {
    auto& e = out.emplace<ClientAssoc>();
    std::optional<Mac> client;
    std::string_view ap, sw, port;
    bool have_ts = false, have_ap = false, have_sw = false, have_port = false, have_band = false;
    const FieldSpec& channel = channel_spec();
    const bool ok = record_fields(obj, [&](std::string_view key, od::value& v) {
      const Where w{{}, key};
      if (key == "ts") return read_time(v, w, e.ts, have_ts);
      if (key == "client") return read_mac(v, w, client);
      if (key == "ap") return read_name(v, w, ap, have_ap);
      if (key == "bssid") return read_mac(v, w, e.bssid);
      if (key == "band") {
        if (!read_band(v, w, e.band, have_band)) return false;
        if (!have_band) e.band = kMissing;
        return true;
      }
      if (key == "channel") return read_measure(v, w, channel.min, channel.max, e.channel);
      if (key == "switch") return read_name(v, w, sw, have_sw);
      if (key == "port") return read_port(v, w, port, have_port);
      return true;
    });
    if (!ok) return false;
    if (!have_ts) return missing("ts");
    if (!client) return missing("client");
    const bool wifi = have_ap || e.bssid.has_value();
    const bool wired = have_sw || have_port;
    if (wifi && wired) {
      return fail(RejectReason::kBadValue,
                  "an association is either Wi-Fi (`ap`/`bssid`) or wired (`switch`/`port`), not both");
    }
    if (!wifi && !wired) {
      return fail(RejectReason::kMissingField,
                  "field `ap` or `bssid` (Wi-Fi), or `switch` and `port` (wired), is required");
    }
    if (wired && !have_sw) return missing("switch");
    if (wired && !have_port) return missing("port");
    if (!intern_client(*client, e.client)) return false;
    if (have_ap && !intern(ap_id(ap), "ap", ap, e.ap)) return false;
    if (wired && (!intern(dir.switch_(sw), "switch", sw, e.sw) || !intern(dir.port(e.sw, port), "port", port, e.port))) {
      return false;
    }
    return true;
  }

  bool client_disassoc(od::object& obj, Event& out) {
    auto& e = out.emplace<ClientDisassoc>();
    std::optional<Mac> client;
    bool have_ts = false;
    const bool ok = record_fields(obj, [&](std::string_view key, od::value& v) {
      const Where w{{}, key};
      if (key == "ts") return read_time(v, w, e.ts, have_ts);
      if (key == "client") return read_mac(v, w, client);
      return true;
    });
    if (!ok) return false;
    if (!have_ts) return missing("ts");
    if (!client) return missing("client");
    return intern_client(*client, e.client);
  }

  bool client_info(od::object& obj, Event& out) {
    auto& e = out.emplace<ClientInfo>();
    std::optional<Mac> client;
    std::string_view user, hostname;
    bool have_ts = false, have_user = false, have_hostname = false;
    const bool ok = record_fields(obj, [&](std::string_view key, od::value& v) {
      const Where w{{}, key};
      if (key == "ts") {
        if (!read_time(v, w, e.ts, have_ts)) return false;
        if (!have_ts) e.ts = kNoTime;
        return true;
      }
      if (key == "client") return read_mac(v, w, client);
      if (key == "ip") return read_ip(v, w, e.ip);
      if (key == "user") return read_string(v, w, user, have_user);
      if (key == "hostname") return read_string(v, w, hostname, have_hostname);
      if (key == "device_type") {
        return read_enum(v, w, parse_device_type, "pc, mobile, room_system, phone, unknown", e.device_type);
      }
      return true;
    });
    if (!ok) return false;
    if (!client) return missing("client");
    e.user.assign(user);
    e.hostname.assign(hostname);
    return intern_client(*client, e.client);
  }

  bool room_health(od::object& obj, Event& out) {
    auto& e = out.emplace<RoomHealth>();
    std::string_view device;
    std::optional<Mac> client;
    bool have_ts = false, have_device = false, have_peripherals = false;
    e.health_reported = false;
    peripherals.clear();
    const bool ok = record_fields(obj, [&](std::string_view key, od::value& v) {
      const Where w{{}, key};
      if (key == "ts") return read_time(v, w, e.ts, have_ts);
      if (key == "device") return read_name(v, w, device, have_device);
      if (key == "client") return read_mac(v, w, client);
      if (key == "health") {
        std::optional<RoomHealthState> health;
        if (!read_enum(v, w, parse_room_health, "healthy, nonUrgent, critical, offline, unknown", health)) return false;
        e.health = health.value_or(RoomHealthState::kUnknown);
        e.health_reported = health.has_value();
        return true;
      }
      if (key == "connection") return read_enum(v, w, parse_connected, "connected, disconnected", e.connected);
      if (key == "peripherals") {
        return read_object(v, w, have_peripherals, [&](const Where& pw, std::string_view name, od::value& pv) {
          std::optional<PeripheralState> state;
          if (!read_enum(pv, pw, parse_peripheral_state, "connected, disconnected, unhealthy", state)) return false;
          if (state) peripherals.emplace_back(name, *state);  // null: state not reported
          return true;
        });
      }
      return true;
    });
    if (!ok) return false;
    if (!have_ts) return missing("ts");
    if (!have_device) return missing("device");
    if (!intern(dir.device(device), "device", device, e.device)) return false;
    if (client && !intern_client(*client, e.client)) return false;
    e.peripherals_reported = have_peripherals;
    e.peripherals.reserve(peripherals.size());
    for (const auto& [name, state] : peripherals) {
      RoomHealth::Peripheral p;
      p.state = state;
      if (!intern(dir.name(name), "name", name, p.name)) return false;
      e.peripherals.push_back(p);
    }
    return true;
  }

  /// An optional boolean; null leaves it unset.
  bool read_bool(od::value& v, const Where& w, std::optional<bool>& out) {
    bool present = false;
    if (!expect(v, w, od::json_type::boolean, "true or false", present)) return false;
    if (!present) {
      out.reset();
      return true;
    }
    bool b = false;
    if (auto e = v.get_bool().get(b); e) return json_error(e, w);
    out = b;
    return true;
  }

  /// A list of strings, each read by `read_one` (read_string, or read_name
  /// where each must be non-empty); a null element is refused.
  using ReadText = bool (Impl::*)(od::value&, const Where&, std::string_view&, bool&);
  bool read_strings(od::value& v, const Where& w, bool& present, std::vector<std::string>& out,
                    ReadText read_one = &Impl::read_string) {
    out.clear();
    return read_array(v, w, present, [&](const Where& ew, od::value& element) {
      std::string_view s;
      bool p = false;
      if (!(this->*read_one)(element, ew, s, p)) return false;
      if (!p) return fail(RejectReason::kWrongType, ew, "null is not allowed in this list");
      out.emplace_back(s);
      return true;
    });
  }

  bool read_hops(od::value& v, const Where& w, std::vector<TraceRouteHop>& out) {
    out.clear();
    bool present = false;
    return read_array(v, w, present, [&](const Where& ew, od::value& element) {
      TraceRouteHop hop;
      bool p = false;
      const bool ok = read_object(element, ew, p, [&](const Where& fw, std::string_view key, od::value& fv) {
        if (key == "hop_count") return read_measure(fv, fw, 0, 255, hop.hop_count);
        if (key == "ip") return read_ip(fv, fw, hop.ip);
        if (key == "rtt_ms") return read_measure(fv, fw, 0, std::numeric_limits<double>::infinity(), hop.rtt_ms);
        return true;
      });
      if (!ok) return false;
      if (!p) return fail(RejectReason::kWrongType, ew, "null is not allowed in this list");
      out.push_back(hop);
      return true;
    });
  }

  bool endpoint(od::value& v, const Where& w, Endpoint& ep) {
    return read_object(v, w, ep.present, [&](const Where& fw, std::string_view key, od::value& fv) {
      if (key == "client") return read_mac(fv, fw, ep.client);
      if (key == "ip") return read_ip(fv, fw, ep.ip);
      if (key == "subnet") return read_cidr(fv, fw, ep.subnet);
      if (key == "bssid") return read_mac(fv, fw, ep.bssid);
      if (key == "connection") {
        std::optional<Connection> c;
        if (!read_enum(fv, fw, parse_connection, "wifi, wired, mobile, tunnel, unknown", c)) return false;
        ep.connection = c.value_or(Connection::kUnknown);
        return true;
      }
      if (key == "device_type") {
        std::optional<DeviceType> d;
        if (!read_enum(fv, fw, parse_device_type, "pc, mobile, room_system, phone, unknown", d)) return false;
        ep.device_type = d.value_or(DeviceType::kUnknown);
        return true;
      }
      if (key == "reflexive_ip") return read_ip(fv, fw, ep.reflexive_ip);
      if (key == "relay_ip") return read_ip(fv, fw, ep.relay_ip);
      if (key == "wifi_band") {  // "2.4", "5", "6" as `client.assoc` `band`
        bool present = false;
        if (!read_band(fv, fw, ep.wifi_band, present)) return false;
        if (!present) ep.wifi_band = kMissing;
        return true;
      }
      if (key == "service") {
        std::optional<bool> b;
        if (!read_bool(fv, fw, b)) return false;
        ep.service = b.value_or(false);
        return true;
      }
      if (key == "feedback_tokens") {
        bool present = false;
        return read_strings(fv, fw, present, ep.feedback_tokens);
      }
      if (key == "trace_route_hops") return read_hops(fv, fw, ep.trace_route_hops);
      for (const EndpointNumber& n : kEndpointNumbers) {
        if (key == n.json) return read_measure(fv, fw, n.min, n.max, ep.*n.member);
      }
      for (const EndpointText& t : kEndpointTexts) {
        if (key != t.json) continue;
        std::string_view text;
        bool present = false;
        if (!read_string(fv, fw, text, present)) return false;
        (ep.*t.member).assign(text);
        return true;
      }
      return true;
    });
  }

  bool stream(const Where& w, od::value& v, std::vector<Stream>& streams) {
    Stream s;
    std::optional<Side> from;
    std::optional<Media> media;
    bool present = false;
    const bool ok = read_object(v, w, present, [&](const Where& fw, std::string_view key, od::value& fv) {
      if (key == "from") return read_enum(fv, fw, parse_side, "caller, callee", from);
      if (key == "media") return read_enum(fv, fw, parse_media, "audio, video, screen", media);
      const int m = find_stream_metric(key);
      if (m >= 0) {
        const auto i = static_cast<std::size_t>(m);
        return read_measure(fv, fw, 0, stream_metric_max(static_cast<StreamMetric>(i)), s.values[i]);
      }
      if (key == "codec") {
        std::string_view codec;
        bool p = false;
        if (!read_string(fv, fw, codec, p)) return false;
        s.codec.assign(codec);
        return true;
      }
      if (key == "width") return read_measure(fv, fw, 0, 100'000, s.width);
      if (key == "height") return read_measure(fv, fw, 0, 100'000, s.height);
      if (key == "start" || key == "end") {
        TimeMs& t = key == "start" ? s.start : s.end;
        bool p = false;
        if (!read_time(fv, fw, t, p)) return false;
        if (!p) t = kNoTime;
        return true;
      }
      if (key == "media_bypassed") return read_bool(fv, fw, s.media_bypassed);
      if (key == "audio_fec_used") return read_bool(fv, fw, s.audio_fec_used);
      return true;
    });
    if (!ok) return false;
    if (!present) return fail(RejectReason::kWrongType, w, "expected a stream object, got null");
    if (!from) return missing(w.str() + ".from");
    if (!media) return missing(w.str() + ".media");
    s.from = *from;
    s.media = *media;
    streams.push_back(std::move(s));
    return true;
  }

  /// A string kept as given; null is empty.
  bool read_text(od::value& v, const Where& w, std::string& out) {
    std::string_view s;
    bool present = false;
    if (!read_string(v, w, s, present)) return false;
    out.assign(s);
    return true;
  }

  /// A record revision: a non-negative JSON integer; null is 0 (not given).
  bool read_version(od::value& v, const Where& w, std::uint64_t& out) {
    bool present = false;
    if (!expect(v, w, od::json_type::number, "a non-negative integer", present)) return false;
    out = 0;
    if (!present) return true;
    od::number n;
    if (auto e = v.get_number().get(n); e) return json_error(e, w);
    switch (n.get_number_type()) {
      case od::number_type::signed_integer:
        if (n.get_int64() < 0) return fail(RejectReason::kOutOfRange, w, std::to_string(n.get_int64()) + " is negative");
        out = static_cast<std::uint64_t>(n.get_int64());
        return true;
      case od::number_type::unsigned_integer: out = n.get_uint64(); return true;
      case od::number_type::floating_point_number:
        return fail(RejectReason::kWrongType, w, number_text(n.get_double()) + " is not an integer");
    }
    return true;
  }

  bool call_segment(od::object& obj, Event& out) {
    auto& e = out.emplace<CallSegment>();
    std::string_view call_id, segment_id;
    bool have_call = false, have_segment = false, have_start = false, have_end = false, have_streams = false;
    const bool ok = record_fields(obj, [&](std::string_view key, od::value& v) {
      const Where w{{}, key};
      if (key == "call_id") return read_name(v, w, call_id, have_call);
      if (key == "segment_id") return read_name(v, w, segment_id, have_segment);
      if (key == "start") return read_time(v, w, e.start, have_start);
      if (key == "end") return read_time(v, w, e.end, have_end);
      if (key == "caller") return endpoint(v, w, e.caller);
      if (key == "callee") return endpoint(v, w, e.callee);
      if (key == "version") return read_version(v, w, e.version);
      if (key == "call_type") return read_text(v, w, e.call_type);
      if (key == "failure_stage") return read_text(v, w, e.failure_stage);
      if (key == "failure_reason") return read_text(v, w, e.failure_reason);
      if (key == "is_test") {
        std::optional<bool> b;
        if (!read_bool(v, w, b)) return false;
        e.is_test = b.value_or(false);
        return true;
      }
      if (key == "modalities") {
        bool present = false;
        e.modalities = 0;
        return read_array(v, w, present, [&](const Where& ew, od::value& element) {
          std::string_view m;
          bool p = false;
          if (!read_string(element, ew, m, p)) return false;
          const std::uint8_t bit = parse_modality(m);
          if (bit == 0) {
            return fail(RejectReason::kBadEnum, ew,
                        quoted(m) + " is not one of audio, video, videoBasedScreenSharing, data, screenSharing");
          }
          e.modalities |= bit;
          return true;
        });
      }
      if (key == "streams") {
        return read_array(v, w, have_streams,
                          [&](const Where& ew, od::value& element) { return stream(ew, element, e.streams); });
      }
      return true;
    });
    if (!ok) return false;
    if (!have_call) return missing("call_id");
    if (!have_segment) return missing("segment_id");
    if (!have_start) return missing("start");
    if (!have_end) return missing("end");
    if (e.end < e.start) {
      return fail(RejectReason::kBadValue, "field `end`: " + format_rfc3339(e.end) + " is before `start` " +
                                               format_rfc3339(e.start));
    }
    e.call_id.assign(call_id);
    e.segment_id.assign(segment_id);
    return true;
  }

  // ---- privacy mode --------------------------------------------------------
  // A pass after a record decoded, rather than edits in each reader: the
  // record readers stay as they are, and a field added to an endpoint later
  // needs one line here.

  /// Users and hostnames of a decoded native record (its MACs are done by read_mac).
  void pseudonymize_people(Event& out) {
    const Pseudonymizer& p = *options.pseudonymizer;
    if (auto* info = std::get_if<ClientInfo>(&out)) {
      info->user = p.user(info->user);
      info->hostname = p.hostname(info->hostname);
    } else if (auto* seg = std::get_if<CallSegment>(&out)) {
      for (Endpoint* ep : {&seg->caller, &seg->callee}) {
        ep->user = p.user(ep->user);
        ep->hostname = p.hostname(ep->hostname);
      }
    }
  }

  /// Everything personal of a cloud segment: the CloudDecoder reads its own MACs.
  void pseudonymize_cloud(CallSegment& seg) {
    const Pseudonymizer& p = *options.pseudonymizer;
    for (Endpoint* ep : {&seg.caller, &seg.callee}) {
      ep->user = p.user(ep->user);
      ep->hostname = p.hostname(ep->hostname);
      if (ep->client) ep->client = pseudonym(*ep->client);
      if (ep->bssid) ep->bssid = pseudonym(*ep->bssid);
    }
  }

  // ---- entry ---------------------------------------------------------------

  bool decode_many(std::string_view json, std::vector<Event>& out, bool padded, std::string_view type_hint);

  bool decode(std::string_view json, Event& out, bool padded, std::string_view type_hint) {
    last_type.reset();
    if (json.size() > options.max_record_bytes) {
      return fail(RejectReason::kTooLarge, "the record has " + std::to_string(json.size()) +
                                               " bytes, more than the maximum " +
                                               std::to_string(options.max_record_bytes));
    }
    const char* data = json.data();
    if (!padded) {
      if (scratch.size() < json.size() + simdjson::SIMDJSON_PADDING) {
        scratch.resize(json.size() + simdjson::SIMDJSON_PADDING);
      }
      std::memcpy(scratch.data(), json.data(), json.size());
      data = scratch.data();
    }
    // Grow geometrically: iterate() alone would reallocate for every slightly longer record.
    if (parser.capacity() < json.size()) {
      const std::size_t want = std::min(std::max(json.size(), 2 * parser.capacity()), options.max_record_bytes);
      if (auto e = parser.allocate(std::max(want, json.size())); e) {
        return fail(RejectReason::kTooLarge, std::string("cannot allocate the parser: ") + simdjson::error_message(e));
      }
    }

    od::document doc;
    if (auto e = parser.iterate(data, json.size(), json.size() + simdjson::SIMDJSON_PADDING).get(doc); e) {
      return fail(RejectReason::kBadJson, simdjson::error_message(e));
    }
    od::json_type top;
    if (auto e = doc.type().get(top); e) return fail(RejectReason::kBadJson, simdjson::error_message(e));
    if (top != od::json_type::object) {
      // On Demand types a value by its first byte, so "nonsense" looks like null
      // and "[1," like an array: only call it "not an object" once it is valid JSON.
      simdjson::dom::parser validator;
      if (auto e = validator.parse(data, json.size(), false).error(); e) {
        return fail(RejectReason::kBadJson, simdjson::error_message(e));
      }
      return fail(RejectReason::kNotObject, "the record is " + std::string(json_type_name(top)) + ", not an object");
    }
    od::object obj;
    if (auto e = doc.get_object().get(obj); e) return fail(RejectReason::kBadJson, simdjson::error_message(e));

    RecordType type{};
    check_type_field = !type_hint.empty();
    if (check_type_field) {
      const auto hinted = parse_record_type(type_hint);
      if (!hinted) return fail(RejectReason::kUnknownType, "the message type " + quoted(type_hint) + " is not known");
      type = *hinted;
      expected_type = to_string(type);
    } else if (const auto sniffed = sniff_type(std::string_view(data, json.size()))) {
      type = *sniffed;  // the loop over the fields skips it
    } else {
      // `type` elsewhere, or spelt with escapes: found by simdjson, then start over.
      od::value tv;
      const auto e = obj.find_field_unordered("type").get(tv);
      if (e == simdjson::NO_SUCH_FIELD) return fail(RejectReason::kMissingType, "the record has no field `type`");
      if (e) return fail(RejectReason::kBadJson, simdjson::error_message(e));
      std::string_view name;
      bool present = false;
      if (!read_string(tv, Where{{}, "type"}, name, present)) return false;
      if (!present) return fail(RejectReason::kMissingType, "field `type` is null");
      const auto parsed = parse_record_type(name);
      if (!parsed) return fail(RejectReason::kUnknownType, "the record type " + quoted(name) + " is not known");
      type = *parsed;
      bool reset = false;
      if (auto re = obj.reset().get(reset); re) return fail(RejectReason::kBadJson, simdjson::error_message(re));
    }

    last_type = type;
    bool ok = false;
    switch (type) {
      case RecordType::kInventoryOrg: ok = org_inventory(obj, out); break;
      case RecordType::kInventorySite: ok = site_inventory(obj, out); break;
      case RecordType::kInventoryAp: ok = ap_inventory(obj, out); break;
      case RecordType::kInventorySwitch: ok = switch_inventory(obj, out); break;
      case RecordType::kInventoryWan: ok = wan_inventory(obj, out); break;
      case RecordType::kClientAssoc: ok = client_assoc(obj, out); break;
      case RecordType::kClientDisassoc: ok = client_disassoc(obj, out); break;
      case RecordType::kClientInfo: ok = client_info(obj, out); break;
      case RecordType::kWifiClient: ok = telemetry(obj, Family::kWifiClient, out); break;
      case RecordType::kWifiAp: ok = telemetry(obj, Family::kWifiAp, out); break;
      case RecordType::kSwitchPort: ok = telemetry(obj, Family::kSwitchPort, out); break;
      case RecordType::kWanLink: ok = telemetry(obj, Family::kWanLink, out); break;
      case RecordType::kClientDevice: ok = telemetry(obj, Family::kClientDevice, out); break;
      case RecordType::kRoomHealth: ok = room_health(obj, out); break;
      case RecordType::kCallSegment: ok = call_segment(obj, out); break;
      case RecordType::kGraphCallRecord:
      case RecordType::kZoomQos:
      case RecordType::kGraphTeamworkDevice:
      case RecordType::kGraphTeamworkDeviceHealth:
        return fail(RejectReason::kUnsupportedType,
                    "records of type `" + std::string(to_string(type)) + "` are not decoded yet");
    }
    if (!ok) return false;
    if (options.pseudonymizer != nullptr) pseudonymize_people(out);
    // On Demand stops at the end of the object; anything after it is garbage.
    const char* rest = nullptr;
    if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) {
      return fail(RejectReason::kBadJson, "unexpected content after the object");
    }
    return true;
  }
};

namespace {

bool is_teamwork(RecordType t) noexcept {
  return t == RecordType::kGraphTeamworkDevice || t == RecordType::kGraphTeamworkDeviceHealth;
}
bool is_cloud(RecordType t) noexcept {
  return t == RecordType::kGraphCallRecord || t == RecordType::kZoomQos || is_teamwork(t);
}

}  // namespace

bool RecordDecoder::Impl::decode_many(std::string_view json, std::vector<Event>& out, bool padded,
                                      std::string_view type_hint) {
  last_was_cloud = false;
  last_was_teamwork = false;
  std::optional<RecordType> type;
  if (!type_hint.empty()) {
    type = parse_record_type(type_hint);
  } else if (json.size() > options.max_record_bytes) {
    type = sniff_type(json);
  }
  if (!type || !is_cloud(*type)) {
    Event ev;
    if (decode(json, ev, padded, type_hint)) {
      out.push_back(std::move(ev));
      return true;
    }
    if (!last_type || !is_cloud(*last_type)) return false;
    type = last_type;  // a cloud envelope found by its `type` field
  }
  if (is_teamwork(*type)) {
    last_was_teamwork = true;
    const auto format =
        *type == RecordType::kGraphTeamworkDevice ? TeamworkFormat::kDevice : TeamworkFormat::kDeviceHealth;
    if (!teamwork.decode(format, json, teamwork_records, padded)) {
      err = teamwork.error();
      return false;
    }
    if (options.pseudonymizer != nullptr) {
      // A room's MACs identify the room, and whoever booked it: as any client's.
      for (TeamworkClient& c : teamwork_records.clients) c.mac = pseudonym(c.mac);
      for (TeamworkHealth& h : teamwork_records.health) {
        if (h.client) h.client = pseudonym(*h.client);
      }
    }
    return append_teamwork_events(teamwork_records, dir, out, err);
  }
  last_was_cloud = true;
  cloud_segments.clear();
  cloud_samples.clear();
  const CloudFormat format = *type == RecordType::kGraphCallRecord ? CloudFormat::kGraphCallRecord : CloudFormat::kZoomQos;
  if (!cloud.decode(format, json, cloud_segments, padded, &cloud_samples)) {
    err = cloud.error();
    return false;
  }
  // Device readings first: they are known at their sample time, before the
  // segment that ends then is scored.
  staged_events.clear();
  const int cpu_field = find_field(Family::kClientDevice, "cpu_pct");
  const int rssi_field = find_field(Family::kWifiClient, "rssi_dbm");
  if (options.pseudonymizer != nullptr) {
    for (CloudClientSample& cs : cloud_samples) cs.client = pseudonym(cs.client);
    for (CallSegment& s : cloud_segments) pseudonymize_cloud(s);
  }
  for (const CloudClientSample& cs : cloud_samples) {
    ClientId id;
    if (!intern_client(cs.client, id)) return false;
    auto sample = [&](Family family, int field, double value) {
      TelemetrySample t;
      t.family = family;
      t.ts = cs.ts;
      t.entity = id.value;
      const auto i = static_cast<std::size_t>(field);
      t.values[i] = value;
      t.present = 1u << i;
      staged_events.emplace_back(t);
    };
    if (measured(cs.cpu_pct) && cpu_field >= 0) sample(Family::kClientDevice, cpu_field, cs.cpu_pct);
    if (measured(cs.rssi_dbm) && rssi_field >= 0) sample(Family::kWifiClient, rssi_field, cs.rssi_dbm);
  }
  out.reserve(out.size() + staged_events.size() + cloud_segments.size());
  for (Event& e : staged_events) out.push_back(std::move(e));
  for (CallSegment& s : cloud_segments) out.emplace_back(std::move(s));
  // A large document's storage is given back rather than kept for the next.
  release_if_large(cloud_segments);
  release_if_large(staged_events);
  return true;
}

RecordDecoder::RecordDecoder(Directory& directory, DecoderOptions options)
    : impl_(std::make_unique<Impl>(directory, options, error_)) {}

RecordDecoder::~RecordDecoder() = default;

bool RecordDecoder::decode(std::string_view json, Event& out, bool padded, std::string_view type_hint) {
  // Error codes throughout; this guard only keeps an allocation failure from escaping.
  try {
    return impl_->decode(json, out, padded, type_hint);
  } catch (const std::exception& e) {
    error_.reason = RejectReason::kTooLarge;
    error_.detail = std::string("out of memory while decoding: ") + e.what();
    return false;
  }
}

bool RecordDecoder::decode_many(std::string_view json, std::vector<Event>& out, bool padded,
                                std::string_view type_hint) {
  try {
    return impl_->decode_many(json, out, padded, type_hint);
  } catch (const std::exception& e) {
    error_.reason = RejectReason::kTooLarge;
    error_.detail = std::string("out of memory while decoding: ") + e.what();
    return false;
  }
}

const std::vector<std::string>& RecordDecoder::warnings() const noexcept {
  if (impl_->last_was_teamwork) return impl_->teamwork.warnings();
  return impl_->last_was_cloud ? impl_->cloud.warnings() : impl_->no_warnings;
}

}  // namespace callroot::ingest
