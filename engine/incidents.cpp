#include "engine/incidents.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "engine/checkpoint.h"

namespace callroot::engine {
namespace {

constexpr TimeMs kNever = std::numeric_limits<TimeMs>::max();
/// The layout of the `incidents` checkpoint section; bump on any change.
constexpr std::uint32_t kSectionVersion = 1;
/// Times in a checkpoint beyond +-10^15 ms (31,000 years) are corrupt; the
/// bound keeps the differences the tracker takes from overflowing.
constexpr TimeMs kMaxAbsTime = 1'000'000'000'000'000;

bool blameable(ComponentKind k) noexcept {
  return k == ComponentKind::kClient || k == ComponentKind::kAp || k == ComponentKind::kSwitch ||
         k == ComponentKind::kWan;
}

/// FNV-1a: a stable hash (std::hash may differ between builds, and these
/// values are saved in checkpoints). The tag keeps a user name and a MAC
/// that happen to be the same text apart.
std::uint64_t identity_hash(char tag, std::string_view s) noexcept {
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  };
  mix(static_cast<unsigned char>(tag));
  for (const char c : s) mix(static_cast<unsigned char>(c));
  return h;
}

std::string make_key(std::string_view site, ComponentKind kind, std::string_view component) {
  // \x1f (unit separator) cannot be confused with the text of a name.
  std::string key;
  key.reserve(site.size() + component.size() + 4);
  key.append(site);
  key += '\x1f';
  key += static_cast<char>('0' + static_cast<int>(kind));
  key += '\x1f';
  key.append(component);
  return key;
}

TimeMs later(TimeMs a, TimeMs b) noexcept { return a == kNoTime ? b : b == kNoTime ? a : std::max(a, b); }

/// a + b without overflow for the "never" and "no time" sentinels.
TimeMs plus(TimeMs a, DurationMs b) noexcept {
  if (a == kNoTime || a == kNever) return a;
  if (b > 0 && a > kNever - b) return kNever;
  return a + b;
}

void write_evidence(ByteWriter& w, const Evidence& e) {
  w.u8(static_cast<std::uint8_t>(e.source));
  w.str(e.id);
  w.str(e.text);
}

Evidence read_evidence(ByteReader& r) {
  Evidence e;
  const std::uint8_t source = r.u8();
  if (source > static_cast<std::uint8_t>(EvidenceSource::kStats)) r.fail("bad evidence source");
  e.source = static_cast<EvidenceSource>(source);
  e.id = r.str();
  e.text = r.str();
  return e;
}

void write_strings(ByteWriter& w, const std::vector<std::string>& v) {
  w.u32(static_cast<std::uint32_t>(v.size()));
  for (const auto& s : v) w.str(s);
}

std::vector<std::string> read_strings(ByteReader& r) {
  std::vector<std::string> v(r.count(4));
  for (auto& s : v) s = r.str();
  return v;
}

}  // namespace

IncidentTracker::IncidentTracker(IncidentConfig config, Emit emit)
    : config_(config), emit_(std::move(emit)), next_due_(kNever) {}

IncidentTracker::Hit IncidentTracker::make_hit(const Verdict& v, std::string_view caller_user,
                                               std::string_view callee_user) const {
  const Blame& b = v.blame.front();
  Hit hit;
  hit.segment = v.segment_id;
  hit.start = v.start;
  hit.end = v.end;
  hit.confidence = b.confidence;
  std::vector<std::uint64_t> everyone;
  // Only organization endpoints have a path in the verdict: a remote party
  // is never listed, and its name is never kept.
  for (const PathReport& p : v.paths) {
    const std::string_view user = p.side == Side::kCaller ? caller_user : callee_user;
    bool behind = false;
    std::string_view client;
    for (const HopReport& h : p.hops) {
      behind |= h.kind == b.kind && h.id == b.id;
      if (h.kind == ComponentKind::kClient) client = h.id;
    }
    if (!user.empty() && std::find(hit.users.begin(), hit.users.end(), user) == hit.users.end()) {
      hit.users.emplace_back(user);
    }
    // A person is the user when the call record names one, else the device:
    // call records without users still count distinct people.
    std::uint64_t who = 0;
    if (!user.empty()) {
      who = identity_hash('u', user);
    } else if (!client.empty()) {
      who = identity_hash('c', client);
    }
    if (who == 0) continue;
    everyone.push_back(who);
    if (behind) hit.identities.push_back(who);
  }
  // A blamed component on no reported path (a WAN link picked among
  // candidates, say): every organization endpoint counts as behind it.
  if (hit.identities.empty()) hit.identities = std::move(everyone);
  std::sort(hit.identities.begin(), hit.identities.end());
  hit.identities.erase(std::unique(hit.identities.begin(), hit.identities.end()), hit.identities.end());
  const std::size_t n = std::min(b.evidence.size(), config_.max_evidence);
  hit.evidence.assign(b.evidence.begin(), b.evidence.begin() + static_cast<std::ptrdiff_t>(n));
  return hit;
}

void IncidentTracker::observe(const Verdict& v, std::string_view caller_user, std::string_view callee_user) {
  if (!config_.enabled || v.quality != Quality::kPoor || v.blame.empty()) return;
  const Blame& b = v.blame.front();
  if (!blameable(b.kind) || !(b.confidence >= config_.min_confidence)) return;
  now_ = later(now_, v.end);

  std::string key = make_key(b.site, b.kind, b.id);
  auto it = tracks_.find(key);
  if (it == tracks_.end()) {
    make_room_for_watched();
    Track fresh;
    fresh.kind = b.kind;
    fresh.site = b.site;
    fresh.component = b.id;
    it = tracks_.emplace(key, std::move(fresh)).first;
  }
  Track& t = it->second;
  Hit hit = make_hit(v, caller_user, callee_user);

  if (t.open) {
    if (!add(t, hit)) return;  // a segment scored twice (sent again) counts once
    if (now_ - t.last_emit >= config_.update_interval) emit(t, IncidentState::kUpdate);
    schedule(t);
    return;
  }
  const auto& listed = t.incident.segments;
  if (t.has_incident && std::find(listed.begin(), listed.end(), hit.segment) != listed.end()) return;
  if (std::any_of(t.hits.begin(), t.hits.end(), [&](const Hit& h) { return h.segment == hit.segment; })) return;
  // Sorted by end; equal ends keep their arrival order.
  const auto at =
      std::upper_bound(t.hits.begin(), t.hits.end(), hit.end, [](TimeMs end, const Hit& h) { return end < h.end; });
  t.hits.insert(at, std::move(hit));
  // Only blames within one window of the newest count toward opening.
  const TimeMs oldest = t.hits.back().end - config_.open_window;
  const auto keep = std::find_if(t.hits.begin(), t.hits.end(), [&](const Hit& h) { return h.end >= oldest; });
  t.hits.erase(t.hits.begin(), keep);
  // Many blames on a component that still is not ready (one person, over
  // and over): keep the most recent ones only.
  if (t.hits.size() > config_.max_segments) {
    t.hits.erase(t.hits.begin(), t.hits.end() - static_cast<std::ptrdiff_t>(config_.max_segments));
  }
  if (ready(t)) open_incident(key, t);
}

bool IncidentTracker::ready(const Track& t) const {
  if (t.hits.size() < std::max<std::size_t>(config_.open_segments, 1)) return false;
  if (t.kind == ComponentKind::kClient) return true;
  std::vector<std::uint64_t> people;
  for (const Hit& h : t.hits) people.insert(people.end(), h.identities.begin(), h.identities.end());
  std::sort(people.begin(), people.end());
  return static_cast<std::size_t>(std::unique(people.begin(), people.end()) - people.begin()) >= config_.open_users;
}

void IncidentTracker::open_incident(const std::string& key, Track& t) {
  if (open_.size() >= std::max<std::size_t>(config_.max_open, 1)) make_room_for_open();
  const bool reopen = t.has_incident && now_ - t.closed_at <= config_.reopen_within;
  if (reopen) {
    // The same fault coming back soon after a close is the same incident: a
    // consumer keeps one ticket instead of opening a new one each time.
    ++t.incident.reopened;
    ++stats_.reopened;
    t.incident.until = kNoTime;
    t.incident.reason = IncidentCloseReason::kNone;
  } else {
    TimeMs since = t.hits.front().start;
    for (const Hit& h : t.hits) since = std::min(since, h.start);
    t.incident = Incident{};
    t.incident.kind = t.kind;
    t.incident.site = t.site;
    t.incident.component = t.component;
    t.incident.since = since;
    t.incident.id = "inc-" + t.site + "-" + to_string(t.kind) + "-" + t.component + "-" + std::to_string(since);
    t.user_hashes.clear();
    t.confidence_sum = 0;
    t.last_blame = kNoTime;
  }
  t.has_incident = true;
  t.open = true;
  open_.emplace(key, &t);
  for (const Hit& h : t.hits) add(t, h);
  t.hits.clear();
  emit(t, IncidentState::kOpen);
  schedule(t);
}

bool IncidentTracker::add(Track& t, const Hit& hit) {
  Incident& x = t.incident;
  if (std::find(x.segments.begin(), x.segments.end(), hit.segment) != x.segments.end()) return false;
  x.segments.push_back(hit.segment);
  if (x.segments.size() > config_.max_segments) {
    x.segments.erase(x.segments.begin(), x.segments.end() - static_cast<std::ptrdiff_t>(config_.max_segments));
  }
  ++x.count;
  for (const std::string& user : hit.users) {
    const std::uint64_t h = identity_hash('u', user);
    const auto pos = std::lower_bound(t.user_hashes.begin(), t.user_hashes.end(), h);
    if (pos != t.user_hashes.end() && *pos == h) continue;
    // Past max_user_count a new name cannot be told from a seen one without
    // keeping them all: user_count then stays a lower bound.
    if (t.user_hashes.size() >= config_.max_user_count) continue;
    t.user_hashes.insert(pos, h);
    ++x.user_count;
    if (x.users.size() < config_.max_users) x.users.push_back(user);
  }
  for (const Evidence& e : hit.evidence) {
    const auto same = std::find_if(x.evidence.begin(), x.evidence.end(), [&](const IncidentEvidence& ie) {
      return ie.evidence.source == e.source && ie.evidence.id == e.id;
    });
    if (same != x.evidence.end()) {
      same->evidence.text = e.text;  // the latest observed values
      ++same->segments;
    } else if (x.evidence.size() < config_.max_evidence) {
      x.evidence.push_back({e, 1});
    }
  }
  t.confidence_sum += hit.confidence;
  x.confidence = t.confidence_sum / static_cast<double>(x.count);
  t.last_blame = later(t.last_blame, hit.end);
  t.unsent = true;
  return true;
}

void IncidentTracker::emit(Track& t, IncidentState state) {
  t.incident.state = state;
  t.incident.updated = now_;
  t.last_emit = now_;
  t.unsent = false;
  switch (state) {
    case IncidentState::kOpen: ++stats_.opened; break;
    case IncidentState::kUpdate: ++stats_.updates; break;
    case IncidentState::kClosed: ++stats_.closed; break;
  }
  if (emit_) emit_(t.incident);
}

void IncidentTracker::close(const std::string& key, Track& t, IncidentCloseReason reason) {
  t.incident.until = t.last_blame;
  t.incident.reason = reason;
  emit(t, IncidentState::kClosed);
  t.open = false;
  t.closed_at = now_;
  open_.erase(key);
}

void IncidentTracker::make_room_for_open() {
  // The incident whose last blame is oldest is the one most likely over.
  auto victim = open_.end();
  for (auto it = open_.begin(); it != open_.end(); ++it) {
    if (victim == open_.end() || it->second->last_blame < victim->second->last_blame) victim = it;
  }
  if (victim == open_.end()) return;
  const std::string key = victim->first;  // close() erases the map's copy
  ++stats_.closed_for_capacity;
  close(key, *victim->second, IncidentCloseReason::kCapacity);
}

void IncidentTracker::make_room_for_watched() {
  if (watched_count() < std::max<std::size_t>(config_.max_watched, 1)) return;
  housekeeping();
  if (watched_count() < std::max<std::size_t>(config_.max_watched, 1)) return;
  // Forget the watched component with the oldest activity.
  auto victim = tracks_.end();
  TimeMs oldest = kNever;
  for (auto it = tracks_.begin(); it != tracks_.end(); ++it) {
    const Track& t = it->second;
    if (t.open) continue;
    TimeMs last = t.has_incident ? t.closed_at : kNoTime;
    if (!t.hits.empty()) last = later(last, t.hits.back().end);
    if (victim == tracks_.end() || last < oldest) {
      victim = it;
      oldest = last;
    }
  }
  if (victim == tracks_.end()) return;
  tracks_.erase(victim);
  ++stats_.watched_dropped;
}

void IncidentTracker::schedule(const Track& t) {
  next_due_ = std::min(next_due_, plus(t.last_blame, config_.quiet_close));
  if (t.unsent) next_due_ = std::min(next_due_, plus(t.last_emit, config_.update_interval));
}

void IncidentTracker::advance(TimeMs watermark) {
  if (!config_.enabled || watermark == kNoTime) return;
  now_ = later(now_, watermark);
  if (now_ >= next_due_) due_scan();
  if (next_housekeeping_ == kNoTime || now_ >= next_housekeeping_) housekeeping();
}

void IncidentTracker::due_scan() {
  next_due_ = kNever;
  for (auto k = open_.begin(); k != open_.end();) {
    Track& t = *k->second;
    if (now_ >= plus(t.last_blame, config_.quiet_close)) {
      const std::string key = k++->first;  // a copy, and past it: close() erases the element
      close(key, t, IncidentCloseReason::kQuiet);
      continue;
    }
    ++k;
    if (t.unsent && now_ - t.last_emit >= config_.update_interval) emit(t, IncidentState::kUpdate);
    schedule(t);
  }
}

void IncidentTracker::housekeeping() {
  // Blames two windows behind the clock can no longer share a window with a
  // segment still to be scored (those end after watermark - grace, and grace
  // is far shorter than a window), so dropping them changes no outcome.
  const TimeMs stale = now_ == kNoTime ? kNoTime : now_ - 2 * config_.open_window;
  for (auto it = tracks_.begin(); it != tracks_.end();) {
    Track& t = it->second;
    if (!t.open && t.has_incident && now_ - t.closed_at > config_.reopen_within) {
      t.has_incident = false;
      t.incident = Incident{};
      t.user_hashes.clear();
      t.user_hashes.shrink_to_fit();
    }
    const auto keep = std::find_if(t.hits.begin(), t.hits.end(), [&](const Hit& h) { return h.end >= stale; });
    t.hits.erase(t.hits.begin(), keep);
    if (!t.open && !t.has_incident && t.hits.empty()) {
      it = tracks_.erase(it);
    } else {
      ++it;
    }
  }
  next_housekeeping_ = plus(now_, config_.open_window);
}

void IncidentTracker::flush() {
  if (!config_.enabled) return;
  for (auto& [key, t] : open_) {
    if (t->unsent) emit(*t, IncidentState::kUpdate);
  }
  next_due_ = kNoTime;  // the held-back updates are sent: recompute at the next advance
}

std::vector<Incident> IncidentTracker::open_incidents() const {
  std::vector<Incident> out;
  for (const auto& [key, t] : open_) out.push_back(t->incident);
  std::sort(out.begin(), out.end(), [](const Incident& a, const Incident& b) { return a.id < b.id; });
  return out;
}

std::string IncidentTracker::serialize() const {
  ByteWriter w;
  w.u32(kSectionVersion);
  w.i64(now_);
  w.u32(static_cast<std::uint32_t>(tracks_.size()));
  for (const auto& [key, t] : tracks_) {
    w.u8(static_cast<std::uint8_t>(t.kind));
    w.str(t.site);
    w.str(t.component);
    w.u8(static_cast<std::uint8_t>((t.has_incident ? 1 : 0) | (t.open ? 2 : 0) | (t.unsent ? 4 : 0)));
    w.i64(t.last_blame);
    w.i64(t.last_emit);
    w.i64(t.closed_at);
    w.f64(t.confidence_sum);
    w.u32(static_cast<std::uint32_t>(t.user_hashes.size()));
    for (const std::uint64_t h : t.user_hashes) w.u64(h);
    w.u32(static_cast<std::uint32_t>(t.hits.size()));
    for (const Hit& h : t.hits) {
      w.str(h.segment);
      w.i64(h.start);
      w.i64(h.end);
      w.f64(h.confidence);
      write_strings(w, h.users);
      w.u32(static_cast<std::uint32_t>(h.identities.size()));
      for (const std::uint64_t id : h.identities) w.u64(id);
      w.u32(static_cast<std::uint32_t>(h.evidence.size()));
      for (const Evidence& e : h.evidence) write_evidence(w, e);
    }
    if (!t.has_incident) continue;
    const Incident& x = t.incident;
    w.str(x.id);
    w.u8(static_cast<std::uint8_t>(x.state));
    w.i64(x.since);
    w.i64(x.until);
    w.i64(x.updated);
    write_strings(w, x.segments);
    w.u64(x.count);
    write_strings(w, x.users);
    w.u64(x.user_count);
    w.f64(x.confidence);
    w.u32(static_cast<std::uint32_t>(x.evidence.size()));
    for (const IncidentEvidence& e : x.evidence) {
      write_evidence(w, e.evidence);
      w.u64(e.segments);
    }
    w.u8(static_cast<std::uint8_t>(x.reason));
    w.u32(x.reopened);
  }
  return std::move(w.bytes());
}

void IncidentTracker::deserialize(std::string_view payload) {
  ByteReader r(payload, "incidents");
  const std::uint32_t version = r.u32();
  if (version != kSectionVersion) r.fail("unknown section version " + std::to_string(version));
  const TimeMs now = r.i64();
  if (now != kNoTime && (now <= -kMaxAbsTime || now >= kMaxAbsTime)) r.fail("bad clock");
  std::map<std::string, Track> tracks;
  // The smallest possible track is well over 32 bytes: a bound for the count.
  const std::size_t n = r.count(32);
  for (std::size_t i = 0; i < n; ++i) {
    Track t;
    const std::uint8_t kind = r.u8();
    if (!blameable(static_cast<ComponentKind>(kind))) r.fail("bad component kind " + std::to_string(kind));
    t.kind = static_cast<ComponentKind>(kind);
    t.site = r.str();
    t.component = r.str();
    const std::uint8_t flags = r.u8();
    if (flags > 7 || ((flags & 2) != 0 && (flags & 1) == 0)) r.fail("bad track flags");
    t.has_incident = (flags & 1) != 0;
    t.open = (flags & 2) != 0;
    t.unsent = (flags & 4) != 0;
    t.last_blame = r.i64();
    t.last_emit = r.i64();
    t.closed_at = r.i64();
    t.confidence_sum = r.f64();
    t.user_hashes.resize(r.count(8));
    for (auto& h : t.user_hashes) h = r.u64();
    if (!std::is_sorted(t.user_hashes.begin(), t.user_hashes.end())) r.fail("user hashes out of order");
    t.hits.resize(r.count(40));
    for (Hit& h : t.hits) {
      h.segment = r.str();
      h.start = r.i64();
      h.end = r.i64();
      h.confidence = r.f64();
      h.users = read_strings(r);
      h.identities.resize(r.count(8));
      for (auto& id : h.identities) id = r.u64();
      h.evidence.resize(r.count(9));
      for (Evidence& e : h.evidence) e = read_evidence(r);
    }
    if (t.has_incident) {
      Incident& x = t.incident;
      x.kind = t.kind;
      x.site = t.site;
      x.component = t.component;
      x.id = r.str();
      const std::uint8_t state = r.u8();
      if (state > static_cast<std::uint8_t>(IncidentState::kClosed)) r.fail("bad incident state");
      x.state = static_cast<IncidentState>(state);
      x.since = r.i64();
      x.until = r.i64();
      x.updated = r.i64();
      x.segments = read_strings(r);
      x.count = r.u64();
      x.users = read_strings(r);
      x.user_count = r.u64();
      x.confidence = r.f64();
      x.evidence.resize(r.count(17));
      for (IncidentEvidence& e : x.evidence) {
        e.evidence = read_evidence(r);
        e.segments = r.u64();
      }
      const std::uint8_t reason = r.u8();
      if (reason > static_cast<std::uint8_t>(IncidentCloseReason::kCapacity)) r.fail("bad close reason");
      x.reason = static_cast<IncidentCloseReason>(reason);
      x.reopened = r.u32();
      // The caps of this run apply to what was saved under another configuration.
      if (x.segments.size() > config_.max_segments) {
        x.segments.erase(x.segments.begin(), x.segments.end() - static_cast<std::ptrdiff_t>(config_.max_segments));
      }
      if (x.users.size() > config_.max_users) x.users.resize(config_.max_users);
      if (x.evidence.size() > config_.max_evidence) x.evidence.resize(config_.max_evidence);
    }
    // Times the arithmetic relies on: an open incident has been blamed and
    // sent, a remembered one has closed.
    const auto sane = [](TimeMs v) { return v > -kMaxAbsTime && v < kMaxAbsTime; };
    if (t.open && (!sane(t.last_blame) || !sane(t.last_emit))) r.fail("an open incident without its times");
    if (t.has_incident && !t.open && !sane(t.closed_at)) r.fail("a closed incident without its close time");
    for (const Hit& h : t.hits) {
      if (!sane(h.start) || !sane(h.end)) r.fail("a blame with a bad time");
    }
    std::string key = make_key(t.site, t.kind, t.component);
    if (!tracks.emplace(std::move(key), std::move(t)).second) r.fail("a component appears twice");
  }
  r.expect_done();
  tracks_ = std::move(tracks);
  open_.clear();
  for (auto& [key, t] : tracks_) {
    if (t.open) open_.emplace(key, &t);
  }
  now_ = now;
  next_due_ = kNoTime;  // recompute the deadlines at the next advance
  next_housekeeping_ = kNoTime;
}

}  // namespace callroot::engine
