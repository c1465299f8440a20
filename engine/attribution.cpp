#include "engine/attribution.h"

#include <algorithm>
#include <cmath>

#include "models/json_writer.h"

namespace callroot::engine {

CandidateScore& Candidates::at(ComponentKind kind, std::uint32_t component, SiteId site) {
  if (CandidateScore* c = find(kind, component)) return *c;
  CandidateScore& c = list.emplace_back();
  c.kind = kind;
  c.component = component;
  c.site = site;
  return c;
}

CandidateScore* Candidates::find(ComponentKind kind, std::uint32_t component) noexcept {
  for (auto& c : list) {
    if (c.kind == kind && c.component == component) return &c;
  }
  return nullptr;
}

const CandidateScore* Candidates::find(ComponentKind kind, std::uint32_t component) const noexcept {
  return const_cast<Candidates*>(this)->find(kind, component);
}

BlamedLink blamed_link(const Directory& dir, const HopEvidence& hop) {
  const PortId port{hop.entity};
  const LinkEnd near{"switch", std::string(dir.switch_name(dir.port_switch(port))), std::string(dir.port_name(port))};
  LinkEnd far;
  const LinkPeer& peer = hop.peer;
  switch (peer.kind) {
    case LinkPeer::Kind::kClient: far = {"client", dir.client_mac(ClientId{peer.id}).str(), {}}; break;
    case LinkPeer::Kind::kAp: far = {"ap", std::string(dir.ap_name(ApId{peer.id})), {}}; break;
    case LinkPeer::Kind::kSwitch: far = {"switch", std::string(dir.switch_name(SwitchId{peer.id})), {}}; break;
    case LinkPeer::Kind::kEdge: far = {"edge", std::string(dir.edge_name(EdgeId{peer.id})), {}}; break;
    case LinkPeer::Kind::kNone: break;
  }
  if (peer.port.valid()) far.port = std::string(dir.port_name(peer.port));
  // A switch's own uplink port toward its parent switch: the parent is `a`.
  if (hop.faces_up && peer.kind == LinkPeer::Kind::kSwitch) return BlamedLink{far, near};
  return BlamedLink{near, far};
}

bool poor_without_network_impairment(const ScoringContext& ctx) noexcept {
  const auto& streams = ctx.segment->streams;
  for (std::size_t i = 0; i < streams.size(); ++i) {
    if (ctx.streams[i].quality == Quality::kPoor && !shows_network_impairment(streams[i])) return true;
  }
  return false;
}

std::optional<Side> far_side_only(const ScoringContext& ctx) noexcept {
  const CallSegment& seg = *ctx.segment;
  for (const Side remote : {Side::kCaller, Side::kCallee}) {
    const SideEvidence& r = ctx.side(remote);
    const SideEvidence& local = ctx.side(other(remote));
    if (r.resolution.organization || !seg.endpoint(remote).present || !local.resolution.organization) continue;
    bool remote_poor = false, local_good = false, local_poor = false;
    for (std::size_t i = 0; i < seg.streams.size(); ++i) {
      const Quality q = ctx.streams[i].quality;
      if (seg.streams[i].from == remote) {
        // Poor on clean packets is the receiving endpoint's doing (quality.h).
        remote_poor |= q == Quality::kPoor && shows_network_impairment(seg.streams[i]);
      } else {
        local_good |= q == Quality::kGood;
        local_poor |= q == Quality::kPoor;
      }
    }
    if (remote_poor && local_good && !local_poor) return remote;
  }
  return std::nullopt;
}

void weigh_remote(const ScoringContext& ctx, double weight, std::string_view id, Candidates& out) {
  const std::optional<Side> remote = far_side_only(ctx);
  if (!remote) return;
  CandidateScore& c = out.at(ComponentKind::kRemote, 0, SiteId{});
  c.log_odds += weight;
  c.evidence.push_back(Evidence{EvidenceSource::kRule, std::string(id),
                                "only streams sent by the " + std::string(to_string(*remote)) +
                                    " (outside the organization) are poor; what the " +
                                    std::string(to_string(other(*remote))) + " sent arrived in good quality"});
}

void report_blame(const ScoringContext& ctx, Candidates& candidates, const Calibration& calibration,
                  std::string_view prefix, Verdict& verdict) {
  auto& list = candidates.list;
  std::stable_sort(list.begin(), list.end(),
                   [](const CandidateScore& a, const CandidateScore& b) { return a.log_odds > b.log_odds; });
  double total = std::exp(calibration.none_weight);
  for (const auto& c : list) total += std::exp(c.log_odds / calibration.temperature);
  for (std::size_t i = 0; i < list.size() && i < calibration.max_blames; ++i) {
    CandidateScore& c = list[i];
    if (c.log_odds <= calibration.min_log_odds) break;
    Blame& b = verdict.blame.emplace_back();
    b.kind = c.kind;
    if (c.kind != ComponentKind::kRemote) b.id = ctx.directory->component_name({c.kind, c.component});
    if (c.site.valid()) b.site = std::string(ctx.directory->site_name(c.site));
    b.confidence = std::exp(c.log_odds / calibration.temperature) / total;
    b.evidence = std::move(c.evidence);
    if (c.kind == ComponentKind::kSwitch && c.link_hop != nullptr) b.link = blamed_link(*ctx.directory, *c.link_hop);
  }
  if (!verdict.blame.empty()) return;
  Blame& b = verdict.blame.emplace_back();
  b.kind = ComponentKind::kUnknown;
  const bool ambiguous = candidates.any_telemetry || !list.empty();
  std::string id(prefix);
  id += ambiguous ? ".ambiguous" : ".insufficient";
  std::string text;
  if (!ambiguous) {
    text = "insufficient data: no telemetry for any hop of the organization's path";
  } else if (list.empty()) {
    text = "ambiguous: no component on the organization's path stands out";
  } else {
    text = "ambiguous: no component stands out (the strongest, ";
    text += to_string(list.front().kind);
    if (list.front().kind != ComponentKind::kRemote) {
      text += ' ';
      text += ctx.directory->component_name({list.front().kind, list.front().component});
    }
    text += ", has log-odds ";
    text += format_number(list.front().log_odds, 2);
    text += ')';
  }
  b.evidence.push_back(Evidence{EvidenceSource::kRule, std::move(id), std::move(text)});
  // The evidence of the strongest candidate is kept: it is what an operator
  // would look at next.
  if (!list.empty()) {
    for (auto& e : list.front().evidence) b.evidence.push_back(std::move(e));
  }
}

Attributor::Attributor(std::string name, std::vector<EvidenceProviderPtr> sources, Calibration calibration)
    : name_(std::move(name)), sources_(std::move(sources)), calibration_(calibration) {
  for (const auto& s : sources_) needs_quantiles_ |= s->needs_quantiles();
}

void Attributor::weigh(const ScoringContext& ctx, Candidates& out) {
  for (const SideEvidence& side : ctx.sides) {
    if (!side.resolution.organization) continue;
    for (const auto& hop : side.hops) out.any_telemetry |= hop.any_samples();
  }
  for (const auto& source : sources_) source->weigh(ctx, out);
}

void Attributor::attribute(const ScoringContext& ctx, Verdict& verdict) {
  candidates_.clear();
  weigh(ctx, candidates_);
  report_blame(ctx, candidates_, calibration_, name_, verdict);
}

}  // namespace callroot::engine
