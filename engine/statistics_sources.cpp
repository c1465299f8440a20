#include "engine/statistics_sources.h"

#include <algorithm>
#include <cmath>

#include "engine/published_targets.h"
#include "engine/statistics.h"
#include "models/json_writer.h"

namespace callroot::engine {
namespace {

/// Columns that degrade media when they stray, as opposed to load (channel
/// or link utilization, client counts): a link twice as busy as usual with
/// no loss is not a cause, and its anomaly must not outvote one that is.
bool impairment(Family family, std::size_t column) noexcept {
  switch (family) {
    case Family::kWifiClient:
      return column == col::kRssi || column == col::kSnr || column == col::kTxRetry || column == col::kRxRetry;
    case Family::kWifiAp: return column == col::kInterference || column == col::kNoise || column == col::kApTxRetry;
    case Family::kSwitchPort: return col::is_port_counter(column);
    case Family::kWanLink: return column == col::kLatency || column == col::kJitter || column == col::kLoss;
    case Family::kClientDevice: return column == col::kCpu;
  }
  return false;
}

/// "AP hq-ap08", "port Gi1/0/2 of branch-acc1", "port Te1/0/1 of hq-core
/// (the uplink of hq-acc1)": how evidence names a key.
std::string key_name(const Directory& dir, const Topology& topo, FateKey key) {
  const ComponentRef c = fate_owner(dir, topo, key);
  std::string s = to_string(c.kind);
  s += ' ';
  if (key.kind == FateKey::Kind::kPort) {
    const SwitchId host = dir.port_switch(PortId{key.id});
    s = "port ";
    s += dir.port_name(PortId{key.id});
    s += " of ";
    s += dir.switch_name(host);
    if (host.value != c.index) {
      s += " (the uplink of ";
      s += dir.component_name(c);
      s += ')';
    }
    return s;
  }
  s += dir.component_name(c);
  return s;
}

std::string fate_text(const Directory& dir, const Topology& topo, const FateAssessment& a,
                      const SharedFateConfig& cfg) {
  std::string t = "shared fate: ";
  t += std::to_string(a.k);
  t += " of ";
  t += std::to_string(a.n);
  t += " segments through it in the last ";
  t += std::to_string(cfg.window / 60'000);
  t += " min were poor, against ";
  t += format_number(100.0 * a.background, 1);
  t += a.site_background ? "% elsewhere at its site" : "% elsewhere in the network";
  switch (a.basis) {
    case FateAssessment::Basis::kOwn: break;
    case FateAssessment::Basis::kExcludingChild:
      t += " (not counting those through ";
      t += key_name(dir, topo, a.child);
      t += ')';
      break;
    case FateAssessment::Basis::kIndistinguishable:
      t += " (counted on ";
      t += key_name(dir, topo, a.child);
      t += ": too few segments avoid it for shared fate to tell the two apart)";
      break;
    case FateAssessment::Basis::kInsufficient: break;
  }
  t += "; log-likelihood ratio ";
  if (a.llr > 0) t += '+';
  t += format_number(a.llr, 1);
  return t;
}

}  // namespace

void StatisticLedger::begin(const Candidates& out) {
  contributions_.clear();
  may_accuse_ = out.find(ComponentKind::kRemote, 0) == nullptr;
}

void StatisticLedger::add(Candidates& out, const ScoringContext& ctx, const SideEvidence& side, ComponentRef c,
                          double log_odds, Evidence evidence) {
  if (log_odds > 0 && !may_accuse_) {
    const CandidateScore* accused = out.find(c.kind, c.index);
    if (accused == nullptr || std::none_of(accused->evidence.begin(), accused->evidence.end(),
                                           [](const Evidence& e) { return e.source == EvidenceSource::kRule; })) {
      return;
    }
  }
  double already = 0;
  bool seen = false;
  for (Contribution& x : contributions_) {
    if (x.component == c) {
      if (log_odds <= x.value) return;
      already = x.value;
      x.value = log_odds;
      seen = true;
      break;
    }
  }
  if (!seen) contributions_.push_back(Contribution{c, log_odds});
  CandidateScore* cand = out.find(c.kind, c.index);
  if (cand == nullptr) {
    if (log_odds <= 0) return;  // statistics clear candidates; they do not invent cleared ones
    cand = &out.at(c.kind, c.index, component_site(*ctx.topology, side, c.kind, c.index));
  }
  cand->log_odds += log_odds - already;
  cand->evidence.push_back(std::move(evidence));
}

void FarSideDirection::weigh(const ScoringContext& ctx, Candidates& out) {
  if (name_remote_ && out.find(ComponentKind::kRemote, 0) == nullptr) {
    weigh_remote(ctx, PublishedTargets::kDepartureScale, "stats.remote", out);
  }
  if (ctx.stats == nullptr || config_.remote_direction <= 0) return;
  CandidateScore* remote = out.find(ComponentKind::kRemote, 0);
  if (remote == nullptr) return;
  remote->log_odds += config_.remote_direction;
  remote->evidence.push_back(Evidence{EvidenceSource::kStats, "stats.direction",
                                      "what the organization sent arrived in good quality: its own path is "
                                      "cleared for this segment"});
}

bool SharedFateSource::same_before(const ScoringContext& ctx, const SideEvidence& side, FateKey key,
                                   DurationMs window) {
  if (ctx.store == nullptr) return false;
  for (const HopEvidence& hop : side.hops) {
    const bool match =
        (key.kind == FateKey::Kind::kAp && hop.family == Family::kWifiAp && hop.component == key.id) ||
        (key.kind == FateKey::Kind::kPort && hop.family == Family::kSwitchPort && hop.entity == key.id) ||
        (key.kind == FateKey::Kind::kLink && hop.family == Family::kWanLink && hop.component == key.id);
    if (!match || within_targets(hop)) continue;
    // The hop is out of target over this call: was it over the calls before?
    HopEvidence before = hop;
    ctx.store->window(hop.family, hop.entity, TimeWindow{ctx.segment->start - window, ctx.segment->start}, before.stats,
                      false);
    if (before.any_samples() && !within_targets(before)) return true;
  }
  return false;
}

void SharedFateSource::weigh_side(const ScoringContext& ctx, const SideEvidence& side, Candidates& out) {
  const Statistics& stats = *ctx.stats;
  const Directory& dir = *ctx.directory;
  const ClientId client = side.resolution.path.client;
  keys_.clear();
  path_keys(side, keys_);
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    const FateKey key = keys_[i];
    const ComponentRef owner = fate_owner(dir, *ctx.topology, key);
    // The hop below explains away this one's poor segments; the client
    // is left out through exclude_client instead.
    const FateKey* child = (i > 0 && keys_[i - 1].kind != FateKey::Kind::kClient) ? &keys_[i - 1] : nullptr;
    const FateAssessment a = stats.fate().assess(key, client, child);
    // Explaining up: poor calls piling on a component say little about
    // it when the calls through the hop above it that avoid it are poor
    // too (a client whose AP's other clients suffer as well).
    bool explained_by_parent = false;
    if (a.llr > 0 && i + 1 < keys_.size()) {
      const FateAssessment up = stats.fate().assess(keys_[i + 1], client, &key);
      explained_by_parent = up.basis == FateAssessment::Basis::kExcludingChild && up.llr >= config_.fate_parent_llr;
    }
    if (a.basis != FateAssessment::Basis::kInsufficient && a.llr != 0 && !explained_by_parent) {
      // Healthy calls clear a component only a little: they may have
      // come before its fault began. Not when the component looked the
      // same while they went well: then what its telemetry shows harms
      // nobody (a busy radio whose calls are fine).
      const bool contradicted = a.llr < 0 && a.n >= config_.contradiction_min_segments &&
                                same_before(ctx, side, key, stats.fate().config().window);
      const double clear_cap = contradicted ? config_.fate_contradiction_cap : config_.fate_clear_cap;
      const double w = std::clamp(config_.fate_weight * a.llr, -clear_cap, config_.fate_cap);
      fate_.add(out, ctx, side, owner, w,
                Evidence{EvidenceSource::kStats, "stats.shared_fate",
                         fate_text(dir, *ctx.topology, a, stats.fate().config())});
    }
  }
  // A client's Wi-Fi symptoms are its AP's when the AP's other clients
  // suffer as well (this client left out).
  if (client.valid() && side.resolution.path.ap.valid()) {
    const FateAssessment ap = stats.fate().assess(FateKey::ap(side.resolution.path.ap), client, nullptr);
    if (ap.basis == FateAssessment::Basis::kOwn && ap.llr >= config_.fate_parent_llr) {
      // Retries or a weak signal on one client are the client's; on many
      // clients of one AP at once they are the AP's (its radio, its
      // antenna, its channel): they move there.
      const std::string share = "shared fate: " + std::to_string(ap.k) + " of " + std::to_string(ap.n) +
                                " calls of other clients of its AP were poor too";
      const CandidateScore* c = out.find(ComponentKind::kClient, client.value);
      const double symptoms = c != nullptr ? std::min(c->wifi_symptoms, c->log_odds) : 0.0;
      if (symptoms > 0) {
        symptoms_.add(out, ctx, side, ComponentRef{ComponentKind::kClient, client.value}, -symptoms,
                      Evidence{EvidenceSource::kStats, "stats.shared_fate.ap",
                               share + ": its Wi-Fi symptoms are the AP's, not this client's"});
        radio_.add(out, ctx, side, ComponentRef{ComponentKind::kAp, side.resolution.path.ap.value}, symptoms,
                   Evidence{EvidenceSource::kStats, "stats.shared_fate.ap",
                            share + ": the retries and weak signal its clients show together are the AP's"});
        return;
      }
      symptoms_.add(out, ctx, side, ComponentRef{ComponentKind::kClient, client.value}, -config_.shared_symptoms,
                    Evidence{EvidenceSource::kStats, "stats.shared_fate.ap",
                             share + ": the AP, not this client, is what they share"});
    }
  }
}

void SharedFateSource::weigh(const ScoringContext& ctx, Candidates& out) {
  if (ctx.stats == nullptr || !config_.shared_fate) return;
  fate_.begin(out);
  symptoms_.begin(out);
  radio_.begin(out);
  for (const SideEvidence& side : ctx.sides) {
    if (side.resolution.organization) weigh_side(ctx, side, out);
  }
}

void TomographySource::weigh(const ScoringContext& ctx, Candidates& out) {
  if (ctx.stats == nullptr || !config_.tomography) return;
  ledger_.begin(out);
  const Statistics& stats = *ctx.stats;
  const Directory& dir = *ctx.directory;
  const CallSegment& seg = *ctx.segment;
  for (const SideEvidence& side : ctx.sides) {
    if (!side.resolution.organization) continue;
    keys_.clear();
    path_keys(side, keys_);
    for (const FateKey key : keys_) {
      if (key.kind == FateKey::Kind::kClient) continue;  // tomography solves the shared hops, not endpoints
      const ComponentRef owner = fate_owner(dir, *ctx.topology, key);
      const TomographyEstimate e = stats.tomography().estimate(key, seg.end);
      if (!e.identifiable || e.observations < config_.tomo_min_observations) continue;
      double excess = 0;
      std::string what;
      if (measured(e.loss_pct) && e.loss_pct > config_.tomo_loss_pct) {
        excess = e.loss_pct / config_.tomo_loss_pct;
        what = "loss " + format_number(e.loss_pct, 2) + "%";
      }
      if (measured(e.jitter_ms) && e.jitter_ms > config_.tomo_jitter_ms) {
        excess = std::max(excess, e.jitter_ms / config_.tomo_jitter_ms);
        if (!what.empty()) what += " and ";
        what += "jitter " + format_number(e.jitter_ms, 1) + " ms";
      }
      if (excess <= 0) continue;
      const double w = std::min(config_.tomo_cap, config_.tomo_weight * excess);
      ledger_.add(out, ctx, side, owner, w,
                  Evidence{EvidenceSource::kStats, "stats.tomography",
                           "tomography: " + key_name(dir, *ctx.topology, key) + " adds " + what +
                               " to the streams crossing it (solved from " + std::to_string(e.observations) +
                               " streams of the last " + std::to_string(stats.tomography().config().window / 60'000) +
                               " min)"});
    }
  }
}

void BaselineSource::weigh_side(const ScoringContext& ctx, const SideEvidence& side, Candidates& out) {
  const Statistics& stats = *ctx.stats;
  const Directory& dir = *ctx.directory;
  const CallSegment& seg = *ctx.segment;
  const ClientId client = side.resolution.path.client;
  // A busy CPU explains media spoiled on clean packets only (quality.h).
  const bool endpoint_trouble = poor_without_network_impairment(ctx);
  auto bad_z = [&](const HopEvidence& hop, std::size_t c) {
    const int dir_bad = bad_direction(hop.family, c);
    const WindowStats& st = hop.stats[c];
    if (dir_bad == 0 || st.count == 0 || !impairment(hop.family, c)) return kMissing;
    if (hop.family == Family::kClientDevice && !endpoint_trouble) return kMissing;
    // A counter's growth is read by rate and persistence first: a stray
    // error is far from a flat zero normal, and still no fault: it reads
    // as normal. Only a steady one (PortLimits::steady_samples) is
    // compared with the baseline.
    if (hop.family == Family::kSwitchPort && col::is_port_counter(c)) {
      const PortFaultShare share = port_fault_share(hop, c);
      if (share.samples < port_limits().steady_samples || share.share <= port_limits().fault_share) return 0.0;
    }
    const double z = stats.baselines().z(hop.family, hop.entity, c, seg.start, st.avg);
    return measured(z) ? dir_bad * z : kMissing;
  };
  // A client's retries and SNR suffer with its AP's radio: when the AP's
  // own radio strays (interference, noise, retries), those symptoms are the
  // AP's evidence, not the client's. RSSI (distance) stays the client's.
  // The same when the AP has no telemetry but its other clients' calls
  // are poor too (shared fate, this client left out).
  const WifiReading wifi = read_wifi(side);
  bool radio_strays = wifi.retries_are_radios();
  for (const HopEvidence& hop : side.hops) {
    if (hop.family != Family::kWifiAp) continue;
    for (std::size_t c = 0; c < hop.columns().size(); ++c) {
      const double z = bad_z(hop, c);
      radio_strays |= measured(z) && z > config_.z_threshold;
    }
  }
  if (config_.shared_fate && client.valid() && side.resolution.path.ap.valid()) {
    const FateAssessment ap = stats.fate().assess(FateKey::ap(side.resolution.path.ap), client, nullptr);
    radio_strays |= ap.basis == FateAssessment::Basis::kOwn && ap.llr >= config_.fate_parent_llr;
  }
  for (const HopEvidence& hop : side.hops) {
    const auto columns = hop.columns();
    // Healthy telemetry clears: a hop whose impairment columns all sit
    // near their normal is a poor suspect when shared fate cannot tell it
    // from a neighbour that has no telemetry (an AP and its access port).
    // A WAN link measures the very loss, delay and jitter a call suffers
    // on it: one that also meets every published target over the call
    // adds none of them, so what accuses it is calls from another part of
    // the window (a fault that has ended), and it is cleared by more.
    bool any_z = false, all_normal = true;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const double zb = bad_z(hop, c);
      if (!measured(zb)) continue;
      any_z = true;
      all_normal &= zb <= config_.z_normal;
    }
    const bool clean_path = hop.family == Family::kWanLink && all_normal && within_targets(hop);
    if (((any_z && all_normal) || clean_path) && hop.kind != ComponentKind::kClient) {
      if (const CandidateScore* cand = out.find(hop.kind, hop.component);
          cand != nullptr && cand->log_odds > 0 &&
          std::none_of(cand->evidence.begin(), cand->evidence.end(),
                       [](const Evidence& e) { return e.source == EvidenceSource::kRule; })) {
        healthy_.add(out, ctx, side, ComponentRef{hop.kind, hop.component},
                     -(clean_path ? config_.clean_clear : config_.healthy_clear),
                     Evidence{EvidenceSource::kStats, "stats.baseline.healthy",
                              clean_path ? "its loss, latency and jitter meet every target over the call"
                                         : "baseline: its own telemetry is within its normal range over the call"});
      }
    }
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (radio_strays && hop.family == Family::kWifiClient && c != col::kRssi) continue;
      // A weak signal that costs no retries is not what hurts (read_wifi).
      if (hop.family == Family::kWifiClient && (c == col::kRssi || c == col::kSnr) && wifi.retries_low()) continue;
      const double zb = bad_z(hop, c);
      if (!measured(zb) || zb <= config_.z_threshold) continue;
      const int dir_bad = bad_direction(hop.family, c);
      const double z = dir_bad * zb;
      const WindowStats& st = hop.stats[c];
      const auto est = stats.baselines().lookup(hop.family, hop.entity, c, seg.start);
      const double w = std::min(config_.z_cap, config_.z_base + config_.z_weight * (zb - config_.z_threshold));
      std::string text = "baseline: ";
      if (hop.kind == ComponentKind::kSwitch) {
        text += describe_port(dir, hop);
        text += ' ';
      }
      text += columns[c].name;
      text += " avg ";
      text += format_number(st.avg, 2);
      text += unit_suffix(columns[c].unit);
      text += " is ";
      text += format_number(std::abs(z), 1);
      text += dir_bad > 0 ? " robust SDs above" : " robust SDs below";
      if (est) {
        text += " its normal ";
        text += format_number(est->median, 2);
        text += unit_suffix(columns[c].unit);
        text += est->bucket ? " for this hour" : " (all-day)";
      } else {
        text += " its normal";
      }
      anomalies_.add(out, ctx, side, ComponentRef{hop.kind, hop.component}, w,
                     Evidence{EvidenceSource::kStats, "stats.baseline", std::move(text)});
    }
  }
}

void BaselineSource::weigh(const ScoringContext& ctx, Candidates& out) {
  if (ctx.stats == nullptr || !config_.baselines) return;
  anomalies_.begin(out);
  healthy_.begin(out);
  for (const SideEvidence& side : ctx.sides) {
    if (side.resolution.organization) weigh_side(ctx, side, out);
  }
}

bool other_end_measured(const SideEvidence& side, const HopEvidence& hop) noexcept {
  if (hop.family != Family::kSwitchPort || hop.peer.kind != LinkPeer::Kind::kSwitch) return false;
  return std::any_of(side.hops.begin(), side.hops.end(), [&](const HopEvidence& other) {
    return &other != &hop && other.family == Family::kSwitchPort && other.any_samples() &&
           ((hop.peer.port.valid() && hop.peer.port.value == other.entity) ||
            (other.peer.port.valid() && other.peer.port.value == hop.entity));
  });
}

bool RemoteElimination::radios_vouched(const ScoringContext& ctx) {
  // A radio's own counters (utilization, interference, its retries over
  // all clients) can look fine while it harms one client's calls, so an AP
  // on the path is vouched for by what measures this call's air link: the
  // client's own retries, within target, with the radio in target too; or
  // else by other calls in the window. Switch ports and WAN links are
  // vouched for by their own counters (errors, discards, loss, delay),
  // which measure what a call crossing them suffers; and the shared fate of
  // every hop is already in its candidate's weight.
  const SharedFate& fate = ctx.stats->fate();
  for (const SideEvidence& side : ctx.sides) {
    if (!side.resolution.organization) continue;
    const Path& path = side.resolution.path;
    if (!path.ap.valid() || read_wifi(side).air_link_clean()) continue;
    if (fate.assess(FateKey::ap(path.ap), path.client, nullptr).basis == FateAssessment::Basis::kInsufficient) {
      return false;
    }
  }
  return true;
}

void RemoteElimination::weigh(const ScoringContext& ctx, Candidates& out) {
  if (config_.remote_elimination <= 0) return;
  // The far side named already (by the direction of the harm, or a rule).
  if (const CandidateScore* r = out.find(ComponentKind::kRemote, 0);
      r != nullptr && r->log_odds > config_.calibration.min_log_odds) {
    return;
  }
  const CallSegment& seg = *ctx.segment;
  bool outside = false, local = false, clean_by_telemetry = true, any_hop_telemetry = false;
  double wan_latency = kMissing;
  for (const SideEvidence& side : ctx.sides) {
    if (!side.resolution.organization) {
      outside |= seg.endpoint(side.side).present;
      continue;
    }
    local = true;
    for (const HopEvidence& hop : side.hops) {
      // A hop in a telemetry gap cannot be called clean; one end of a link
      // that is not polled is measured by the other end's counters.
      if (hop.kind != ComponentKind::kClient) {
        const bool samples = hop.any_samples();
        clean_by_telemetry &= samples || other_end_measured(side, hop);
        any_hop_telemetry |= samples;
      }
      if (hop.family == Family::kWanLink && hop.column(col::kLatency).count > 0) {
        wan_latency = measured(wan_latency) ? std::max(wan_latency, hop.column(col::kLatency).avg)
                                            : hop.column(col::kLatency).avg;
      }
    }
  }
  if (!outside || !local || !clean_by_telemetry || !any_hop_telemetry) return;
  // Harm on the wire, not an endpoint's own trouble.
  double worst_rtt = kMissing;
  bool network_harm = false;
  for (std::size_t i = 0; i < seg.streams.size(); ++i) {
    if (ctx.streams[i].quality == Quality::kPoor) network_harm |= shows_network_impairment(seg.streams[i]);
    const double rtt = seg.streams[i].get(StreamMetric::kRttAvg);
    if (measured(rtt) && (!measured(worst_rtt) || rtt > worst_rtt)) worst_rtt = rtt;
  }
  if (!network_harm || ctx.stats == nullptr) return;
  // Recurrence: the party's other poor calls came through several local
  // access points, so it, not any one local hop, is what they share. Then
  // the local hops' shared fate is the party's doing and is not held
  // against it. Otherwise the other calls through the organization's hops
  // must vouch for them, the nearest one included.
  RemoteAssessment recurrence;
  for (const SideEvidence& side : ctx.sides) {
    if (side.resolution.organization || !seg.endpoint(side.side).present) continue;
    const auto party = RemoteFate::party(seg.endpoint(side.side));
    if (!party) continue;
    const RemoteAssessment a = ctx.stats->remote().assess(*party, ClientId{});
    if (a.recurrent && a.k > recurrence.k) recurrence = a;
  }
  if (!recurrence.recurrent && !radios_vouched(ctx)) return;
  // Every local hop clean: nothing on the organization's side would be
  // named (their shared fate is in their weights).
  for (const CandidateScore& c : out.list) {
    if (c.kind != ComponentKind::kRemote && c.log_odds > config_.calibration.min_log_odds) return;
  }
  CandidateScore& remote = out.at(ComponentKind::kRemote, 0, SiteId{});
  remote.log_odds += config_.remote_elimination;
  remote.evidence.push_back(Evidence{EvidenceSource::kStats, "stats.remote.elimination",
                                     recurrence.recurrent
                                         ? "the media shows network harm and every hop of the organization's path "
                                           "is clean by its telemetry"
                                         : "the media shows network harm and every hop of the organization's path "
                                           "is clean by its telemetry and by the other calls through it"});
  if (recurrence.recurrent) {
    remote.log_odds += config_.remote_recurrence;
    remote.evidence.push_back(
        Evidence{EvidenceSource::kStats, "stats.remote.recurrence",
                 "shared fate: " + std::to_string(recurrence.k) + " of " + std::to_string(recurrence.n) +
                     " other calls with the same outside party in the last " +
                     std::to_string(ctx.stats->remote().config().window / 60'000) + " min were poor, through " +
                     std::to_string(recurrence.access) + " different local access points"});
  }
  if (measured(worst_rtt) && measured(wan_latency) && worst_rtt > wan_latency + config_.far_rtt_ms) {
    remote.log_odds += config_.remote_far_rtt;
    remote.evidence.push_back(Evidence{EvidenceSource::kStats, "stats.remote.far_rtt",
                                       "round trip " + format_number(worst_rtt, 0) + " ms against " +
                                           format_number(wan_latency, 0) +
                                           " ms on the WAN link: the delay is added beyond the organization's edge"});
  }
}

void append_statistics(const StatisticsWeights& config, bool name_remote, std::vector<EvidenceProviderPtr>& out) {
  out.push_back(std::make_unique<FarSideDirection>(config, name_remote));
  out.push_back(std::make_unique<SharedFateSource>(config));
  out.push_back(std::make_unique<TomographySource>(config));
  out.push_back(std::make_unique<BaselineSource>(config));
  out.push_back(std::make_unique<RemoteElimination>(config));
}

}  // namespace callroot::engine
