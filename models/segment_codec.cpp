#include "models/segment_codec.h"

#include <bit>
#include <cstring>
#include <iterator>

namespace callroot {
namespace {

constexpr std::uint8_t kNumberCount = static_cast<std::uint8_t>(std::size(kEndpointNumbers));
constexpr std::uint8_t kTextCount = static_cast<std::uint8_t>(std::size(kEndpointTexts));
constexpr std::uint8_t kMetricCount = static_cast<std::uint8_t>(kStreamMetricCount);
static_assert(kNumberCount <= 64 && kMetricCount <= 64 && kTextCount <= 32, "a presence mask per list");

// Sparse lists: most fields of a segment are not measured. A count, a mask
// of the values that differ from the field's default (bit for bit, so a NaN
// with a payload is kept), then those values: a waiting segment costs what
// it carries, and a segment comes back exactly.
template <class Get>
void put_numbers(ByteWriter& w, std::uint8_t count, Get value_and_default) {
  w.u8(count);
  std::uint64_t mask = 0;
  for (std::uint8_t i = 0; i < count; ++i) {
    const auto [value, fallback] = value_and_default(i);
    if (std::bit_cast<std::uint64_t>(value) != std::bit_cast<std::uint64_t>(fallback)) mask |= std::uint64_t{1} << i;
  }
  w.u64(mask);
  for (std::uint8_t i = 0; i < count; ++i) {
    if ((mask >> i & 1) != 0) w.f64(value_and_default(i).first);
  }
}

void expect_count(ByteReader& r, std::uint8_t expected, std::string_view what);

template <class Set>
void get_numbers(ByteReader& r, std::uint8_t count, std::string_view what, Set set) {
  expect_count(r, count, what);
  const std::uint64_t mask = r.u64();
  if (count < 64 && (mask >> count) != 0) r.fail("a presence mask beyond the " + std::string(what));
  for (std::uint8_t i = 0; i < count; ++i) {
    if ((mask >> i & 1) != 0) set(i, r.f64());
  }
}

// A byte per optional: 0 absent, 1 present, then the value.
void put(ByteWriter& w, const std::optional<Mac>& v) {
  w.u8(v.has_value());
  if (v) w.u64(v->bits);
}
void put(ByteWriter& w, const IpAddr& ip) {
  w.str(std::string_view(reinterpret_cast<const char*>(ip.bytes.data()), ip.bytes.size()));
}
void put(ByteWriter& w, const std::optional<IpAddr>& v) {
  w.u8(v.has_value());
  if (v) put(w, *v);
}
void put(ByteWriter& w, const std::optional<bool>& v) { w.u8(v ? (*v ? 2 : 1) : 0); }

bool present(ByteReader& r) {
  const std::uint8_t b = r.u8();
  if (b > 1) r.fail("a presence byte that is neither 0 nor 1");
  return b == 1;
}
std::optional<Mac> get_mac(ByteReader& r) {
  if (!present(r)) return std::nullopt;
  return Mac{r.u64()};
}
IpAddr get_ip_value(ByteReader& r) {
  const std::string bytes = r.str();
  IpAddr ip;
  if (bytes.size() != ip.bytes.size()) r.fail("an IP address that is not 16 bytes");
  std::memcpy(ip.bytes.data(), bytes.data(), ip.bytes.size());
  return ip;
}
std::optional<IpAddr> get_ip(ByteReader& r) {
  if (!present(r)) return std::nullopt;
  return get_ip_value(r);
}
std::optional<bool> get_flag(ByteReader& r) {
  const std::uint8_t b = r.u8();
  if (b > 2) r.fail("an optional flag byte beyond 2");
  if (b == 0) return std::nullopt;
  return b == 2;
}
template <class Enum>
Enum get_enum(ByteReader& r, Enum last, std::string_view what) {
  const std::uint8_t b = r.u8();
  if (b > static_cast<std::uint8_t>(last)) r.fail("an unknown " + std::string(what));
  return static_cast<Enum>(b);
}
void expect_count(ByteReader& r, std::uint8_t expected, std::string_view what) {
  if (r.u8() != expected) r.fail("another number of " + std::string(what) + " (saved by another version)");
}

void encode_endpoint(const Endpoint& e, ByteWriter& w) {
  w.u8(e.present);
  w.u8(e.service);
  w.u8(static_cast<std::uint8_t>(e.connection));
  w.u8(static_cast<std::uint8_t>(e.device_type));
  put(w, e.client);
  put(w, e.bssid);
  put(w, e.ip);
  put(w, e.reflexive_ip);
  put(w, e.relay_ip);
  w.u8(e.subnet.has_value());
  if (e.subnet) {
    put(w, e.subnet->base);
    w.u8(e.subnet->bits);
  }
  static const Endpoint defaults;
  put_numbers(w, kNumberCount, [&](std::uint8_t i) {
    return std::pair{e.*kEndpointNumbers[i].member, defaults.*kEndpointNumbers[i].member};
  });
  w.u8(kTextCount);
  std::uint32_t texts = 0;
  for (std::uint8_t i = 0; i < kTextCount; ++i) texts |= std::uint32_t{!(e.*kEndpointTexts[i].member).empty()} << i;
  w.u32(texts);
  for (std::uint8_t i = 0; i < kTextCount; ++i) {
    if ((texts >> i & 1) != 0) w.str(e.*kEndpointTexts[i].member);
  }
  w.u32(static_cast<std::uint32_t>(e.feedback_tokens.size()));
  for (const std::string& token : e.feedback_tokens) w.str(token);
  w.u32(static_cast<std::uint32_t>(e.trace_route_hops.size()));
  for (const TraceRouteHop& hop : e.trace_route_hops) {
    w.f64(hop.hop_count);
    put(w, hop.ip);
    w.f64(hop.rtt_ms);
  }
}

Endpoint decode_endpoint(ByteReader& r) {
  Endpoint e;
  e.present = present(r);
  e.service = present(r);
  e.connection = get_enum(r, Connection::kTunnel, "connection");
  e.device_type = get_enum(r, DeviceType::kPhone, "device type");
  e.client = get_mac(r);
  e.bssid = get_mac(r);
  e.ip = get_ip(r);
  e.reflexive_ip = get_ip(r);
  e.relay_ip = get_ip(r);
  if (present(r)) {
    Cidr c;
    c.base = get_ip_value(r);
    c.bits = r.u8();
    if (c.bits > 128) r.fail("a prefix longer than 128 bits");
    e.subnet = c;
  }
  get_numbers(r, kNumberCount, "endpoint numbers",
              [&](std::uint8_t i, double v) { e.*kEndpointNumbers[i].member = v; });
  expect_count(r, kTextCount, "endpoint strings");
  const std::uint32_t texts = r.u32();
  if ((texts >> kTextCount) != 0) r.fail("a presence mask beyond the endpoint strings");
  for (std::uint8_t i = 0; i < kTextCount; ++i) {
    if ((texts >> i & 1) != 0) e.*kEndpointTexts[i].member = r.str();
  }
  // Each element takes at least 4 bytes: a corrupt count cannot allocate more than the bytes left.
  e.feedback_tokens.resize(r.count(4));
  for (std::string& token : e.feedback_tokens) token = r.str();
  e.trace_route_hops.resize(r.count(17));
  for (TraceRouteHop& hop : e.trace_route_hops) {
    hop.hop_count = r.f64();
    hop.ip = get_ip(r);
    hop.rtt_ms = r.f64();
  }
  return e;
}

}  // namespace

void encode_segment(const CallSegment& s, ByteWriter& w) {
  w.str(s.call_id);
  w.str(s.segment_id);
  w.u64(s.version);
  w.str(s.call_type);
  w.u8(s.modalities);
  w.u8(s.is_test);
  w.str(s.failure_stage);
  w.str(s.failure_reason);
  w.i64(s.start);
  w.i64(s.end);
  encode_endpoint(s.caller, w);
  encode_endpoint(s.callee, w);
  w.u32(static_cast<std::uint32_t>(s.streams.size()));
  for (const Stream& st : s.streams) {
    w.u8(static_cast<std::uint8_t>(st.from));
    w.u8(static_cast<std::uint8_t>(st.media));
    static const Stream defaults;
    put_numbers(w, kMetricCount, [&](std::uint8_t i) { return std::pair{st.values[i], defaults.values[i]}; });
    w.str(st.codec);
    w.f64(st.width);
    w.f64(st.height);
    w.i64(st.start);
    w.i64(st.end);
    put(w, st.media_bypassed);
    put(w, st.audio_fec_used);
  }
}

CallSegment decode_segment(ByteReader& r) {
  CallSegment s;
  s.call_id = r.str();
  s.segment_id = r.str();
  s.version = r.u64();
  s.call_type = r.str();
  s.modalities = r.u8();
  s.is_test = present(r);
  s.failure_stage = r.str();
  s.failure_reason = r.str();
  s.start = r.i64();
  s.end = r.i64();
  s.caller = decode_endpoint(r);
  s.callee = decode_endpoint(r);
  // The fewest bytes a stream takes: side, media, count, mask, empty codec, four numbers, two flags.
  s.streams.resize(r.count(3 + 8 + 4 + 4 * 8 + 2));
  for (Stream& st : s.streams) {
    st.from = get_enum(r, Side::kCallee, "side");
    st.media = get_enum(r, Media::kScreen, "media");
    get_numbers(r, kMetricCount, "stream metrics", [&](std::uint8_t i, double v) { st.values[i] = v; });
    st.codec = r.str();
    st.width = r.f64();
    st.height = r.f64();
    st.start = r.i64();
    st.end = r.i64();
    st.media_bypassed = get_flag(r);
    st.audio_fec_used = get_flag(r);
  }
  return s;
}

}  // namespace callroot
