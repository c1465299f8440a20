#include "engine/segment_ledger.h"

#include "engine/checkpoint.h"

#include <bit>
#include <cstring>
#include <utility>

namespace callroot::engine {

namespace {

/// A word-at-a-time multiplicative hash (eight bytes per step: the
/// fingerprint covers ~100 fields per segment, on the scoring path), finished
/// with a 64-bit mix. Not cryptographic: the inputs are not adversarial
/// beyond what a collision could do (drop one segment as a duplicate).
class Hasher {
 public:
  explicit Hasher(std::uint64_t seed) : h_(0xcbf29ce484222325ULL ^ (seed * 0x9E3779B97F4A7C15ULL)) {}
  void u64(std::uint64_t v) noexcept {
    h_ = (h_ ^ v) * 0x9E3779B97F4A7C15ULL;
    h_ ^= h_ >> 29;
  }
  void bytes(const void* p, std::size_t n) noexcept {
    const auto* b = static_cast<const unsigned char*>(p);
    for (; n >= 8; n -= 8, b += 8) {
      std::uint64_t w;
      std::memcpy(&w, b, 8);
      u64(w);
    }
    if (n > 0) {
      std::uint64_t w = 0;
      std::memcpy(&w, b, n);
      u64(w ^ (static_cast<std::uint64_t>(n) << 59));
    }
  }
  void str(std::string_view s) noexcept {
    u64(s.size());  // length first: ("ab","c") and ("a","bc") differ
    bytes(s.data(), s.size());
  }
  void f64(double v) noexcept {
    // Every NaN is "not measured": one bit pattern for all of them.
    u64(measured(v) ? std::bit_cast<std::uint64_t>(v) : 0x7ff8000000000000ULL);
  }
  template <class T>
  void opt(const std::optional<T>& v) noexcept {
    u64(v.has_value());
    if (v) bytes(&*v, sizeof *v);
  }
  [[nodiscard]] std::uint64_t done() const noexcept {
    std::uint64_t x = h_;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
  }

 private:
  std::uint64_t h_;
};

constexpr std::uint64_t kSegmentSeed = 1;
constexpr std::uint64_t kCallSeed = 2;

std::uint64_t segment_key(const CallSegment& s) noexcept { return SegmentLedger::key(s.call_id, s.segment_id); }

std::uint64_t call_key(const CallSegment& s) noexcept {
  Hasher h(kCallSeed);
  h.str(s.call_id);
  return h.done();
}

void hash_endpoint(Hasher& h, const Endpoint& e) noexcept {
  h.u64(e.present);
  // The field lists of models/segment.h: a field added there is covered here.
  for (const EndpointText& f : kEndpointTexts) h.str(e.*f.member);
  for (const EndpointNumber& f : kEndpointNumbers) h.f64(e.*f.member);
  h.u64(e.client ? e.client->bits : ~0ULL);
  h.opt(e.ip);
  h.u64(e.subnet.has_value());
  if (e.subnet) {
    h.bytes(e.subnet->base.bytes.data(), e.subnet->base.bytes.size());
    h.u64(e.subnet->bits);
  }
  h.u64(e.bssid ? e.bssid->bits : ~0ULL);
  h.u64(static_cast<std::uint64_t>(e.connection) << 8 | static_cast<std::uint64_t>(e.device_type));
  h.opt(e.reflexive_ip);
  h.opt(e.relay_ip);
}

}  // namespace

std::uint64_t SegmentLedger::key(std::string_view call_id, std::string_view segment_id) noexcept {
  Hasher h(kSegmentSeed);
  h.str(call_id);
  h.str(segment_id);
  return h.done();
}

std::uint32_t SegmentLedger::fingerprint(const CallSegment& s) noexcept {
  Hasher h(3);
  h.u64(static_cast<std::uint64_t>(s.start));
  h.u64(static_cast<std::uint64_t>(s.end));
  hash_endpoint(h, s.caller);
  hash_endpoint(h, s.callee);
  h.u64(s.streams.size());
  for (const Stream& st : s.streams) {
    h.u64(static_cast<std::uint64_t>(st.from) << 8 | static_cast<std::uint64_t>(st.media));
    for (double v : st.values) h.f64(v);
    h.str(st.codec);
  }
  const std::uint64_t x = h.done();
  return static_cast<std::uint32_t>(x ^ (x >> 32));
}

SegmentLedger::SegmentLedger(SegmentLedgerConfig config) : config_(config) {
  if (config_.max_entries < 16) config_.max_entries = 16;
}

SegmentLedger::Slot* SegmentLedger::Table::find(std::uint64_t key) noexcept {
  return const_cast<Slot*>(std::as_const(*this).find(key));
}

const SegmentLedger::Slot* SegmentLedger::Table::find(std::uint64_t key) const noexcept {
  if (slots.empty()) return nullptr;
  const std::size_t mask = slots.size() - 1;
  for (std::size_t i = static_cast<std::size_t>(key) & mask;; i = (i + 1) & mask) {
    const Slot& s = slots[i];
    if (!(s.flags & kUsed)) return nullptr;
    if (s.key == key) return &s;
  }
}

SegmentLedger::Slot& SegmentLedger::Table::insert(std::uint64_t key) {
  if ((size + 1) * 4 > slots.size() * 3) {
    std::vector<Slot> old(slots.empty() ? 64 : slots.size() * 2);
    old.swap(slots);
    size = 0;
    for (const Slot& s : old) {
      if (s.flags & kUsed) insert(s.key) = s;
    }
  }
  const std::size_t mask = slots.size() - 1;
  for (std::size_t i = static_cast<std::size_t>(key) & mask;; i = (i + 1) & mask) {
    Slot& s = slots[i];
    if (!(s.flags & kUsed)) {
      s = Slot{key, 0, 0, 0, kUsed};
      ++size;
      return s;
    }
  }
}

void SegmentLedger::Table::clear() noexcept {
  // Keeps the capacity: the next generation is about as large as this one.
  for (Slot& s : slots) s.flags = 0;
  size = 0;
}

SegmentLedger::Slot* SegmentLedger::lookup(std::uint64_t key) {
  if (Slot* s = tables_[0].find(key)) return s;
  const Slot* old = tables_[1].find(key);
  if (old == nullptr) return nullptr;
  // Seen in the previous generation: carry it over so it outlives the next rotation.
  const Slot copy = *old;
  Slot& s = add(key);
  s = copy;
  return &s;
}

const SegmentLedger::Slot* SegmentLedger::find(std::uint64_t key) const noexcept {
  for (const Table& table : tables_) {
    if (const Slot* s = table.find(key)) return s;
  }
  return nullptr;
}

void SegmentLedger::rotate() noexcept {
  std::swap(tables_[0], tables_[1]);
  tables_[0].clear();
}

SegmentLedger::Slot& SegmentLedger::add(std::uint64_t key) {
  if (tables_[0].size >= config_.max_entries) rotate();
  return tables_[0].insert(key);
}

void SegmentLedger::rotate_if_due(TimeMs now) {
  if (now == kNoTime) return;
  if (generation_start_ == kNoTime) generation_start_ = now;
  const DurationMs elapsed = now - generation_start_;
  if (elapsed < config_.generation) return;
  rotate();
  if (elapsed >= 2 * config_.generation) tables_[1].clear();  // a quiet spell longer than both generations
  generation_start_ = now;
}

SegmentLedger::Ticket SegmentLedger::admit(CallSegment& segment, TimeMs now) {
  rotate_if_due(now);
  Ticket t;

  // The call's revision: a page without a version belongs to the newest seen.
  // Sources without versions (native segments, Zoom, RTP) skip the call
  // table: one probe fewer on the scoring path.
  const bool versions_seen = versions_seen_ || segment.version != 0;
  const std::uint64_t ck = versions_seen ? call_key(segment) : 0;
  Slot* call = versions_seen ? lookup(ck) : nullptr;
  versions_seen_ = versions_seen;
  if (segment.version == 0 && call != nullptr) segment.version = call->version;
  if (segment.version != 0) {
    if (call == nullptr) {
      call = &add(ck);
      call->flags |= kCall;
    }
    if (segment.version > call->version) call->version = segment.version;
  }

  t.key = segment_key(segment);
  t.fingerprint = fingerprint(segment);
  Slot* s = lookup(t.key);
  if (s == nullptr) {
    t.serial = ++serial_;
    Slot& fresh = add(t.key);
    fresh.version = segment.version;
    fresh.fingerprint = t.fingerprint;
    fresh.serial = t.serial;
    t.admission = Admission::kNew;
    return t;
  }
  if (segment.version < s->version) {
    t.admission = Admission::kStale;
    return t;
  }
  if (t.fingerprint == s->fingerprint && !(s->flags & kMaybeGiven)) {
    t.admission = Admission::kDuplicate;
    return t;
  }
  t.serial = ++serial_;
  s->flags &= static_cast<std::uint8_t>(~kMaybeGiven);  // its content is known from now on
  s->version = segment.version;
  s->fingerprint = t.fingerprint;
  s->serial = t.serial;
  t.admission = (s->flags & kScored) ? Admission::kReissue : Admission::kReplacePending;
  return t;
}

bool SegmentLedger::current(const Ticket& ticket) const noexcept {
  const Slot* s = find(ticket.key);
  return s == nullptr || s->serial == ticket.serial;  // forgotten (rotated out): nothing newer is known
}

bool SegmentLedger::counted(const Ticket& ticket) const noexcept {
  const Slot* s = find(ticket.key);
  return s != nullptr && (s->flags & kCounted) != 0;
}

void SegmentLedger::scored(const Ticket& ticket, bool counted) {
  Slot* s = lookup(ticket.key);
  if (s == nullptr) return;
  s->flags |= kScored;
  if (counted) s->flags |= kCounted;
}

bool SegmentLedger::given(const Ticket& ticket) const noexcept {
  const Slot* s = find(ticket.key);
  return s != nullptr && (s->flags & kScored) != 0;
}

bool SegmentLedger::mark_given(std::uint64_t key) {
  Slot* s = lookup(key);
  if (s != nullptr && (s->flags & kScored)) return false;
  if (s == nullptr) {
    s = &add(key);
    s->serial = ++serial_;  // no pending copy holds it
    s->flags |= kMaybeGiven;
  }
  // A copy still waiting keeps its content: scored later, it is a reissue.
  s->flags |= kScored;
  return true;
}

namespace {
// 2 keeps the entries of segments waiting for their verdict (the engine saves
// those segments too); 1, which left them out, reads the same way.
constexpr std::uint32_t kLedgerFormat = 2;
}  // namespace

std::string SegmentLedger::serialize() const {
  ByteWriter w;
  w.u32(kLedgerFormat);
  w.i64(generation_start_);
  w.u32(serial_);
  const auto kept = [](const Slot& s) { return (s.flags & kUsed) != 0; };
  for (const Table& table : tables_) {
    std::uint32_t n = 0;
    for (const Slot& s : table.slots) n += kept(s) ? 1 : 0;
    w.u32(n);
    for (const Slot& s : table.slots) {
      if (!kept(s)) continue;
      w.u64(s.key);
      w.u64(s.version);
      w.u32(s.fingerprint);
      w.u32(s.serial);
      w.u8(s.flags);
    }
  }
  return std::move(w.bytes());
}

void SegmentLedger::deserialize(std::string_view bytes) {
  ByteReader r(bytes, "ledger");
  if (const std::uint32_t format = r.u32(); format != kLedgerFormat && format != 1) r.fail("unknown format");
  SegmentLedger fresh(config_);
  fresh.generation_start_ = r.i64();
  fresh.serial_ = r.u32();
  fresh.versions_seen_ = true;  // cheap to assume: it only costs a probe
  for (Table& table : fresh.tables_) {
    const std::size_t n = r.count(25);
    for (std::size_t i = 0; i < n; ++i) {
      Slot s;
      s.key = r.u64();
      s.version = r.u64();
      s.fingerprint = r.u32();
      s.serial = r.u32();
      s.flags = r.u8();
      if (!(s.flags & kUsed)) r.fail("an entry not marked used");
      if (table.find(s.key) != nullptr) r.fail("a key twice in one generation");
      table.insert(s.key) = s;
    }
  }
  r.expect_done();
  *this = std::move(fresh);
}

std::size_t SegmentLedger::bytes() const noexcept {
  return (tables_[0].slots.capacity() + tables_[1].slots.capacity()) * sizeof(Slot);
}

}  // namespace callroot::engine
