#include "engine/engine.h"

#include <algorithm>
#include <stdexcept>

#include "engine/checkpoint.h"
#include "engine/attributors.h"
#include "models/segment_codec.h"

namespace callroot::engine {

Engine::Engine(EngineConfig config, Directory& directory, VerdictSink& sink, std::unique_ptr<Attributor> attributor)
    : config_(config),
      directory_(directory),
      sink_(sink),
      attributor_(attributor ? std::move(attributor) : make_combined()),
      store_(MetricStoreConfig{config.retention, 4096}),
      incidents_(config.incidents, [this](const Incident& x) { emit_incident(x); }),
      statistics_(config.statistics),
      ledger_(config.ledger),
      clock_guard_(config.clock) {}

Engine::~Engine() = default;

void Engine::set_attributor(std::unique_ptr<Attributor> attributor) {
  if (attributor) attributor_ = std::move(attributor);
}

ApplyResult Engine::apply(Event&& event, SourceId source) {
  ++stats_.events;
  const TimeMs t = event_time(event);
  if (clock_guard_.must_hold(max_time_, t)) {
    if (max_time_ != kNoTime) ++stats_.future_held;  // before the start it is only waiting for a quorum
    const TimeMs jump =
        clock_guard_.hold(std::move(event), t, source, max_time_, stats_.future_dropped, stats_.future_outvoted);
    if (jump == kNoTime) return ApplyResult::kHeld;
    advance(jump);  // corroborated by enough origins: the event time moves on
    release_held();
    return ApplyResult::kApplied;
  }
  clock_guard_.note_applied(source, t, event);
  const TimeMs before = max_time_;
  const ApplyResult result = apply_now(std::move(event));
  if (max_time_ != before && !clock_guard_.empty()) release_held();
  return result;
}

void Engine::release_held() {
  std::vector<Event> ready;
  for (;;) {
    ready.clear();
    clock_guard_.release(max_time_, ready);
    if (ready.empty()) return;
    for (Event& e : ready) apply_now(std::move(e));
  }
}

ApplyResult Engine::apply_now(Event&& event) {
  struct Visitor {
    Engine& e;
    ApplyResult operator()(OrgInventory& x) { e.topology_.apply(x); return ApplyResult::kApplied; }
    ApplyResult operator()(SiteInventory& x) { e.topology_.apply(x); return ApplyResult::kApplied; }
    ApplyResult operator()(ApInventory& x) { e.topology_.apply(x); return ApplyResult::kApplied; }
    ApplyResult operator()(SwitchInventory& x) { e.topology_.apply(x); return ApplyResult::kApplied; }
    ApplyResult operator()(WanInventory& x) { e.topology_.apply(x); return ApplyResult::kApplied; }
    // Attachments and client info are intervals: an old one still places a
    // client correctly in time, so they are never late.
    ApplyResult operator()(ClientAssoc& x) {
      e.topology_.apply(x);
      e.advance(x.ts);
      return ApplyResult::kApplied;
    }
    ApplyResult operator()(ClientDisassoc& x) {
      e.topology_.apply(x);
      e.advance(x.ts);
      return ApplyResult::kApplied;
    }
    ApplyResult operator()(ClientInfo& x) {
      e.topology_.apply(x);
      if (x.ts != kNoTime) e.advance(x.ts);
      return ApplyResult::kApplied;
    }
    ApplyResult operator()(TelemetrySample& x) {
      if (e.watermark_ != kNoTime && x.ts < e.watermark_) {
        ++e.stats_.late_dropped;
        return ApplyResult::kLate;
      }
      if (x.family == Family::kWifiAp) {
        // Stored per radio: the 2.4 and 5 GHz radios of one AP report at the
        // same time and must not overwrite each other.
        const double band = x.has(0) ? x.values[0] : kMissing;
        const auto radio = e.directory_.radio(ApId{x.entity}, Directory::band_code(band));
        if (!radio) return ApplyResult::kApplied;  // the radio table is full; the directory caps it
        x.entity = *radio;
      }
      e.store_.record(x);
      e.advance(x.ts);
      return ApplyResult::kApplied;
    }
    ApplyResult operator()(RoomHealth& x) {
      e.rooms_.apply(x);
      e.advance(x.ts);
      return ApplyResult::kApplied;
    }
    ApplyResult operator()(CallSegment& x) {
      ++e.stats_.segments_received;
      const SegmentLedger::Ticket ticket = e.ledger_.admit(x, e.max_time_ == kNoTime ? x.end : e.max_time_);
      switch (ticket.admission) {
        case SegmentLedger::Admission::kDuplicate: ++e.stats_.segments_duplicate; return ApplyResult::kDuplicate;
        case SegmentLedger::Admission::kStale: ++e.stats_.segments_stale; return ApplyResult::kDuplicate;
        case SegmentLedger::Admission::kReplacePending: ++e.stats_.segments_replaced; break;
        case SegmentLedger::Admission::kNew:
        case SegmentLedger::Admission::kReissue: break;
      }
      const bool reissue = ticket.admission == SegmentLedger::Admission::kReissue;
      const TimeMs due = x.end + e.config_.grace;
      if (e.watermark_ != kNoTime && due <= e.watermark_) {
        e.score(x, ticket, reissue);  // the telemetry covering it is already here (a call record arriving after the call)
        return ApplyResult::kScored;
      }
      if (e.pending_.size() >= e.config_.max_pending_segments) {
        // Bounded memory: score the oldest now rather than grow without limit.
        std::pop_heap(e.pending_.begin(), e.pending_.end(), Later{});
        Pending oldest = std::move(e.pending_.back());
        e.pending_.pop_back();
        ++e.stats_.segments_scored_early;
        e.score_pending(oldest);
      }
      const TimeMs end = x.end;
      e.pending_.push_back(Pending{due, e.order_++, ticket, reissue, x.start, e.encode_pending(x)});
      std::push_heap(e.pending_.begin(), e.pending_.end(), Later{});
      // A call record is evidence of event time too: the call has ended.
      e.advance(end);
      return ApplyResult::kPending;
    }
  };
  return std::visit(Visitor{*this}, event);
}

void Engine::advance(TimeMs t) {
  if (t <= max_time_) return;
  max_time_ = t;
  watermark_ = max_time_ - config_.allowed_lateness;
  score_due();
  // After the due segments: their blame must land before a quiet incident closes.
  incidents_.advance(watermark_);
  if (next_expire_ == kNoTime) next_expire_ = watermark_ + config_.expire_every;
  if (watermark_ >= next_expire_) {
    // Baselines learn before the store forgets: they read the last interval.
    statistics_.housekeeping(store_, watermark_);
    uplinks_.refresh(directory_, topology_, store_, max_time_);
    store_.expire(watermark_);
    topology_.expire(watermark_ - config_.retention);
    next_expire_ = watermark_ + config_.expire_every;
  }
}

void Engine::score_due() {
  while (!pending_.empty() && pending_.front().due <= watermark_) {
    std::pop_heap(pending_.begin(), pending_.end(), Later{});
    Pending p = std::move(pending_.back());
    pending_.pop_back();
    score_pending(p);
  }
}

std::string Engine::encode_pending(const CallSegment& segment) {
  pending_writer_.bytes().clear();
  encode_segment(segment, pending_writer_);
  return std::string(pending_writer_.bytes());  // a copy of its own size, not the writer's capacity
}

void Engine::score_pending(const Pending& p) {
  if (!ledger_.current(p.ticket)) return;  // a newer copy replaced it
  // Our own bytes: they decode unless memory was corrupted, which is no input's fault.
  ByteReader r(p.segment, "pending segment");
  const CallSegment segment = decode_segment(r);
  // A verdict given since it was admitted (a journal restored after a crash
  // says one may have gone out) makes this one a reissue.
  score(segment, p.ticket, p.reissue || ledger_.given(p.ticket));
}

void Engine::flush() {
  if (max_time_ == kNoTime && !clock_guard_.empty()) {
    std::vector<Event> held;
    clock_guard_.take_all(held);
    for (Event& e : held) apply_now(std::move(e));
  }
  stats_.future_dropped += clock_guard_.drop_all();
  while (!pending_.empty()) {
    std::pop_heap(pending_.begin(), pending_.end(), Later{});
    Pending p = std::move(pending_.back());
    pending_.pop_back();
    score_pending(p);
  }
  incidents_.flush();
}

namespace {
constexpr std::string_view kWatermarkSection = "watermark";
constexpr std::string_view kIncidentsSection = "incidents";
constexpr std::string_view kStatisticsSection = "statistics";
constexpr std::string_view kLedgerSection = "ledger";
constexpr std::string_view kPendingSection = "pending";
constexpr std::uint32_t kPendingFormat = 2;  // 2: segments with sparse numbers and strings
}  // namespace

std::string Engine::serialize_pending() const {
  ByteWriter w;
  w.u32(kPendingFormat);
  w.u64(order_);
  w.u32(static_cast<std::uint32_t>(pending_.size()));
  for (const Pending& p : pending_) {
    w.i64(p.due);
    w.u64(p.order);
    w.u8(p.reissue);
    w.u8(static_cast<std::uint8_t>(p.ticket.admission));
    w.u64(p.ticket.key);
    w.u32(p.ticket.fingerprint);
    w.u32(p.ticket.serial);
    w.raw(p.segment);
  }
  return std::move(w.bytes());
}

std::vector<Engine::Pending> Engine::deserialize_pending(std::string_view bytes, std::uint64_t& order) {
  ByteReader r(bytes, "pending");
  if (r.u32() != kPendingFormat) r.fail("unknown format");
  order = r.u64();
  std::vector<Pending> pending(r.count(34));
  for (Pending& p : pending) {
    p.due = r.i64();
    p.order = r.u64();
    p.reissue = r.u8() != 0;
    const std::uint8_t admission = r.u8();
    if (admission > static_cast<std::uint8_t>(SegmentLedger::Admission::kStale)) r.fail("an unknown admission");
    p.ticket.admission = static_cast<SegmentLedger::Admission>(admission);
    p.ticket.key = r.u64();
    p.ticket.fingerprint = r.u32();
    p.ticket.serial = r.u32();
    const std::size_t begin = r.position();
    p.start = decode_segment(r).start;
    p.segment = std::string(bytes.substr(begin, r.position() - begin));
    if (p.order >= order) r.fail("a segment after the arrival counter");
  }
  r.expect_done();
  std::make_heap(pending.begin(), pending.end(), Later{});
  return pending;
}

std::size_t Engine::restore_given(const std::vector<std::uint64_t>& keys) {
  std::size_t learned = 0;
  for (const std::uint64_t key : keys) learned += ledger_.mark_given(key) ? 1 : 0;
  return learned;
}

TimeMs Engine::replay_from() const noexcept {
  const TimeMs reached = max_time_ == kNoTime ? checkpoint_time_ : std::max(max_time_, checkpoint_time_);
  if (reached == kNoTime) return kNoTime;
  TimeMs from = reached - config_.allowed_lateness;
  for (const Pending& p : pending_) from = std::min(from, p.start - config_.evidence_padding);
  return from;
}

void Engine::save_checkpoint(const std::string& path, const StateCipher* cipher) const {
  std::vector<CheckpointSection> sections;
  ByteWriter time;
  time.i64(max_time_ == kNoTime ? checkpoint_time_ : std::max(max_time_, checkpoint_time_));
  sections.push_back({std::string(kWatermarkSection), std::move(time.bytes())});
  sections.push_back({std::string(kIncidentsSection), incidents_.serialize()});
  sections.push_back({std::string(kStatisticsSection), statistics_.serialize(directory_)});
  sections.push_back({std::string(kLedgerSection), ledger_.serialize()});
  sections.push_back({std::string(kPendingSection), serialize_pending()});
  write_checkpoint(path, sections, cipher);
}

void Engine::restore_checkpoint(const std::string& path, const StateCipher* cipher) {
  const std::vector<CheckpointSection> sections = read_checkpoint(path, cipher);
  // Decode every section before changing anything: a bad file leaves the
  // engine as it was.
  IncidentTracker incidents(config_.incidents);
  TimeMs saved_time = kNoTime;
  const auto section = [&](std::string_view name, const auto& decode) {
    const auto payload = find_section(sections, name);
    if (!payload) return;
    try {
      decode(*payload);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error("checkpoint " + path + ": section `" + std::string(name) + "`: " + e.what());
    }
  };
  section(kWatermarkSection, [&](std::string_view bytes) {
    ByteReader r(bytes, "watermark");
    saved_time = r.i64();
    r.expect_done();
  });
  section(kIncidentsSection, [&](std::string_view bytes) { incidents.deserialize(bytes); });
  SegmentLedger ledger(config_.ledger);
  section(kLedgerSection, [&](std::string_view bytes) { ledger.deserialize(bytes); });
  std::vector<Pending> pending;
  std::uint64_t order = 0;
  section(kPendingSection, [&](std::string_view bytes) { pending = deserialize_pending(bytes, order); });
  // Last, because it cannot be decoded aside: Statistics::deserialize is all
  // or nothing itself, and nothing else has been changed yet if it throws.
  section(kStatisticsSection, [&](std::string_view bytes) { statistics_.deserialize(bytes, directory_); });
  incidents.set_emit([this](const Incident& x) { emit_incident(x); });
  incidents_ = std::move(incidents);
  ledger_ = std::move(ledger);
  // Restored before any event: these are the only pending segments.
  pending_ = std::move(pending);
  order_ = std::max(order_, order);
  // The event time reached is kept for what is saved next, and the incidents
  // run on the clock saved with them. The engine's own watermark starts
  // afresh: its telemetry is gone with the restart, and telemetry a
  // collector sends again from before the restart is the only evidence for
  // the segments about to be scored; dropping it as late would lose that
  // evidence and save nothing.
  checkpoint_time_ = saved_time;
}

void Engine::emit_incident(const Incident& x) {
  if (x.state == IncidentState::kOpen) ++stats_.incidents_opened;
  if (x.state == IncidentState::kClosed) ++stats_.incidents_closed;
  sink_.on_incident(x);
}

void Engine::fill_paths(const ScoringContext& ctx, Verdict& v) const {
  // The verdict is reused from segment to segment: its paths, hops and
  // strings keep their buffers, so a steady stream of segments allocates
  // almost nothing here.
  std::size_t used_paths = 0;
  for (const SideEvidence& side : ctx.sides) {
    if (!side.resolution.organization) continue;
    if (used_paths == v.paths.size()) v.paths.emplace_back();
    PathReport& report = v.paths[used_paths++];
    report.side = side.side;
    report.site.clear();
    if (side.resolution.path.site.valid()) report.site.assign(directory_.site_name(side.resolution.path.site));
    // The call client's own word first (Graph userAgent.platform, Zoom
    // device); else what the inventory says of the client (a teamworkDevice).
    report.device_type = ctx.segment->endpoint(side.side).device_type;
    if (report.device_type == DeviceType::kUnknown && side.resolution.path.client.valid()) {
      if (const ClientProfile* p = topology_.profile(side.resolution.path.client)) report.device_type = p->device_type;
    }
    std::size_t used_hops = 0;
    for (const HopEvidence& hop : side.hops) {
      // The client appears once per family; merge them into one hop entry.
      HopReport* h = nullptr;
      if (used_hops > 0 && report.hops[used_hops - 1].kind == hop.kind && hop.kind == ComponentKind::kClient) {
        h = &report.hops[used_hops - 1];
      } else {
        if (used_hops == report.hops.size()) report.hops.emplace_back();
        h = &report.hops[used_hops++];
        h->kind = hop.kind;
        h->metrics.clear();
        h->detail.clear();
        // A path names where the port is; blame names who owns its link.
        const ComponentRef at = hop.kind == ComponentKind::kSwitch
                                    ? ComponentRef{hop.kind, directory_.port_switch(PortId{hop.entity}).value}
                                    : ComponentRef{hop.kind, hop.component};
        directory_.component_name(at, h->id);
        if (hop.kind == ComponentKind::kSwitch) h->detail.assign(directory_.port_name(PortId{hop.entity}));
        if (hop.kind == ComponentKind::kAp) {
          if (side.resolution.path.bssid) h->detail = side.resolution.path.bssid->str();
          const std::uint8_t band = directory_.radio_band(hop.entity);
          if (band != 0) {
            if (!h->detail.empty()) h->detail += ' ';
            h->detail += directory_.band_name(band);
          }
        }
      }
      const auto columns = hop.columns();
      for (std::size_t c = 0; c < columns.size(); ++c) {
        const WindowStats& st = hop.stats[c];
        if (st.count == 0) continue;
        h->metrics.push_back({columns[c].name, "avg", st.avg});
        h->metrics.push_back({columns[c].name, "max", st.max});
      }
    }
    report.hops.resize(used_hops);
  }
  v.paths.resize(used_paths);
}

void Engine::score(const CallSegment& segment, const SegmentLedger::Ticket& ticket, bool reissue) {
  Verdict& v = verdict_;
  v.call_id = segment.call_id;
  v.segment_id = segment.segment_id;
  v.version = segment.version;
  v.reissued = reissue;
  v.start = segment.start;
  v.end = segment.end;
  v.poor_streams.clear();
  v.blame.clear();
  v.mos = kMissing;

  ScoringContext& ctx = context_;
  ctx.segment = &segment;
  ctx.directory = &directory_;
  ctx.topology = &topology_;
  ctx.store = &store_;
  ctx.stats = statistics_.enabled() ? &statistics_ : nullptr;
  ctx.streams.resize(segment.streams.size());
  bool any_classified = false, any_poor = false;
  for (std::size_t i = 0; i < segment.streams.size(); ++i) {
    const Stream& s = segment.streams[i];
    StreamAssessment& a = ctx.streams[i];
    classify(s, a);
    any_classified |= a.quality != Quality::kUnclassified;
    if (a.quality == Quality::kPoor) {
      any_poor = true;
      v.poor_streams.push_back(PoorStream{s.from, s.media, a.why});
    }
    if (s.media == Media::kAudio) {
      const double mos = emodel_mos(s);
      if (measured(mos) && (!measured(v.mos) || mos < v.mos)) v.mos = mos;  // the worse direction
    }
  }
  if (!any_poor) {
    // A user who rated the call poorly heard what was sent to them: a
    // borderline stream toward them counts as poor.
    for (const Side rater : {Side::kCaller, Side::kCallee}) {
      const double rating = segment.endpoint(rater).feedback_rating;
      if (!measured(rating) || rating > kPoorRating) continue;
      for (std::size_t i = 0; i < segment.streams.size(); ++i) {
        const Stream& s = segment.streams[i];
        if (s.from == rater || !confirm_borderline(s, rating, ctx.streams[i])) continue;
        any_poor = true;
        v.poor_streams.push_back(PoorStream{s.from, s.media, ctx.streams[i].why});
      }
    }
  }
  v.quality = any_poor ? Quality::kPoor : any_classified ? Quality::kGood : Quality::kUnclassified;

  ctx.telemetry_window = TimeWindow{segment.start - config_.evidence_padding, segment.end + config_.evidence_padding};
  if (uplinks_.stale(directory_)) uplinks_.refresh(directory_, topology_, store_, max_time_);
  gather_evidence(segment, ctx.telemetry_window, directory_, topology_, store_, rooms_, ctx,
                  attributor_->needs_quantiles(), &uplinks_);
  fill_paths(ctx, v);
  if (v.quality == Quality::kPoor) attributor_->attribute(ctx, v);

  ++stats_.segments_scored;
  if (reissue) ++stats_.segments_reissued;
  switch (v.quality) {
    case Quality::kPoor:
      ++stats_.segments_poor;
      if (!v.blame.empty()) ++stats_.blamed[static_cast<std::size_t>(v.blame.front().kind)];
      break;
    case Quality::kGood: ++stats_.segments_good; break;
    case Quality::kUnclassified: ++stats_.segments_unclassified; break;
  }
  sink_.on_verdict(v);
  // A segment counts once in incidents and statistics, with its first
  // classified verdict: a reissue of one already counted would count twice.
  if (reissue && ledger_.counted(ticket)) return;
  incidents_.observe(v, segment.caller.user, segment.callee.user);
  // After attribution: a segment never counts as evidence about itself.
  statistics_.observe(ctx, v);
  ledger_.scored(ticket, v.quality != Quality::kUnclassified);
}

}  // namespace callroot::engine
