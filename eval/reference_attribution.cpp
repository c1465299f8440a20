#include "eval/reference_attribution.h"

#include <algorithm>
#include <cmath>

#include "models/json_writer.h"

namespace callroot::eval {

using engine::CandidateScore;
using engine::HopEvidence;
using engine::SideEvidence;

namespace {

/// The side whose path holds `c` (for its site).
const SideEvidence* side_of(const ScoringContext& ctx, ComponentRef c) {
  for (const SideEvidence& side : ctx.sides) {
    if (!side.resolution.organization) continue;
    if (c.kind == ComponentKind::kClient && side.resolution.path.client.value == c.index) return &side;
    for (const HopEvidence& hop : side.hops) {
      if (hop.kind == c.kind && hop.component == c.index) return &side;
    }
  }
  for (const SideEvidence& side : ctx.sides) {
    if (side.resolution.organization) return &side;
  }
  return nullptr;
}

/// The remote test alone: when it holds, the reference methods defer to it.
bool remote_named(const ScoringContext& ctx, Candidates& out, std::string_view prefix) {
  engine::weigh_remote(ctx, 0.0, std::string(prefix) + ".remote", out);
  return out.find(ComponentKind::kRemote, 0) != nullptr;
}

}  // namespace

double& VotingSource::votes(FateKey key) {
  auto& table = votes_[static_cast<std::size_t>(key.kind)];
  if (key.id >= table.size()) table.resize(key.id + 1, 0.0);
  return table[key.id];
}

void VotingSource::expire(TimeMs now) {
  while (!flows_.empty() && flows_.front().end < now - window_) {
    const Flow& f = flows_.front();
    const double vote = 1.0 / f.count;
    for (std::uint32_t i = 0; i < f.count; ++i) {
      double& v = votes(keys_.front());
      v = std::max(0.0, v - vote);  // never below zero through rounding
      keys_.pop_front();
      ++popped_keys_;
    }
    flows_.pop_front();
  }
}

void VotingSource::weigh(const ScoringContext& ctx, Candidates& out) {
  if (remote_named(ctx, out, "007")) return;
  path_.clear();
  for (const SideEvidence& side : ctx.sides) {
    if (side.resolution.organization) path_keys(side, path_);
  }
  const TimeMs now = ctx.segment->end;
  expire(now);
  if (!path_.empty()) {
    const double vote = 1.0 / static_cast<double>(path_.size());
    flows_.push_back(Flow{now, 0, static_cast<std::uint32_t>(path_.size())});
    for (const FateKey k : path_) {
      keys_.push_back(k);
      votes(k) += vote;
    }
  }
  // Votes per blameable component: a switch gets the votes of its most-voted port on the path.
  for (const FateKey k : path_) {
    const ComponentRef c = fate_owner(*ctx.directory, *ctx.topology, k);
    const double v = votes(k);
    const SideEvidence* side = side_of(ctx, c);
    const SiteId site = side ? component_site(*ctx.topology, *side, c.kind, c.index) : SiteId{};
    const bool fresh = out.find(c.kind, c.index) == nullptr;
    CandidateScore& cand = out.at(c.kind, c.index, site);
    if (fresh || std::log(v) > cand.log_odds) {
      cand.log_odds = std::log(v);
      cand.evidence.clear();
      cand.evidence.push_back(Evidence{EvidenceSource::kStats, "007.votes",
                                       format_number(v, 2) + " votes from the poor segments of the last " +
                                           std::to_string(window_ / 60'000) + " min"});
    }
  }
}

void ThresholdSource::weigh(const ScoringContext& ctx, Candidates& out) {
  if (remote_named(ctx, out, "threshold")) return;
  crossed_.clear();
  targets_.weigh(ctx, crossed_);
  auto& list = crossed_.list;
  std::erase_if(list, [](const CandidateScore& c) { return c.kind == ComponentKind::kRemote; });
  // Path order: client, AP, switches (the targets find them upward), WAN links.
  std::stable_sort(list.begin(), list.end(),
                   [](const CandidateScore& a, const CandidateScore& b) { return a.kind < b.kind; });
  for (CandidateScore& c : list) {
    CandidateScore& to = out.at(c.kind, c.component, c.site);
    to.log_odds = 0;  // every component over a target weighs the same
    to.evidence = std::move(c.evidence);
    to.link_hop = c.link_hop;
  }
}

void add_reference_methods(engine::AttributorRegistry& registry) {
  registry.add("007", "reference: 007's voting (Arzani et al., NSDI 2018)",
               [](const engine::AttributorOptions&, std::string&) {
                 std::vector<engine::EvidenceProviderPtr> sources;
                 sources.push_back(std::make_unique<VotingSource>());
                 return std::make_unique<engine::Attributor>("007", std::move(sources), kVotingCalibration);
               });
  registry.add("threshold", "reference: the first hop over a published target",
               [](const engine::AttributorOptions&, std::string&) {
                 std::vector<engine::EvidenceProviderPtr> sources;
                 sources.push_back(std::make_unique<ThresholdSource>());
                 return std::make_unique<engine::Attributor>("threshold", std::move(sources), kThresholdCalibration);
               });
}

}  // namespace callroot::eval
