#include "eval/reference_attribution.h"

#include <algorithm>

#include "models/json_writer.h"

namespace callroot::eval {

using engine::Calibration;
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
bool remote_blamed(const ScoringContext& ctx, Candidates& candidates, Verdict& verdict, std::string_view prefix) {
  candidates.clear();
  weigh_remote(ctx, 1.0, std::string(prefix) + ".remote", candidates);
  if (candidates.list.empty()) return false;
  report_blame(ctx, candidates, Calibration{}, prefix, verdict);
  return true;
}

}  // namespace

double& VotingAttributor::votes(FateKey key) {
  auto& table = votes_[static_cast<std::size_t>(key.kind)];
  if (key.id >= table.size()) table.resize(key.id + 1, 0.0);
  return table[key.id];
}

void VotingAttributor::expire(TimeMs now) {
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

void VotingAttributor::attribute(const ScoringContext& ctx, Verdict& verdict) {
  if (remote_blamed(ctx, candidates_, verdict, "007")) return;
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
  candidates_.clear();
  double total = 0;
  for (const FateKey k : path_) {
    const ComponentRef c = fate_owner(*ctx.directory, *ctx.topology, k);
    const double v = votes(k);
    const SideEvidence* side = side_of(ctx, c);
    const SiteId site = side ? component_site(*ctx.topology, *side, c.kind, c.index) : SiteId{};
    CandidateScore& cand = candidates_.at(c.kind, c.index, site);
    if (v > cand.log_odds) {
      total += v - cand.log_odds;
      cand.log_odds = v;  // here: votes, not log-odds
      cand.evidence.clear();
      cand.evidence.push_back(Evidence{EvidenceSource::kStats, "007.votes",
                                       format_number(v, 2) + " votes from the poor segments of the last " +
                                           std::to_string(window_ / 60'000) + " min"});
    }
  }
  auto& list = candidates_.list;
  std::stable_sort(list.begin(), list.end(),
                   [](const CandidateScore& a, const CandidateScore& b) { return a.log_odds > b.log_odds; });
  for (std::size_t i = 0; i < list.size() && i < 3; ++i) {
    Blame& b = verdict.blame.emplace_back();
    b.kind = list[i].kind;
    b.id = ctx.directory->component_name({list[i].kind, list[i].component});
    if (list[i].site.valid()) b.site = std::string(ctx.directory->site_name(list[i].site));
    b.confidence = total > 0 ? list[i].log_odds / total : 0.0;
    b.evidence = std::move(list[i].evidence);
  }
  if (verdict.blame.empty()) {
    Blame& b = verdict.blame.emplace_back();
    b.kind = ComponentKind::kUnknown;
    b.evidence.push_back(Evidence{EvidenceSource::kStats, "007.insufficient", "no organization path to vote on"});
  }
}

void ThresholdAttributor::attribute(const ScoringContext& ctx, Verdict& verdict) {
  if (remote_blamed(ctx, candidates_, verdict, "threshold")) return;
  candidates_.clear();
  targets_.weigh(ctx, candidates_);
  // Path order: client, AP, switches (weigh() finds them upward), WAN links.
  // The remote test is done above.
  auto& list = candidates_.list;
  std::erase_if(list, [](const CandidateScore& c) { return c.kind == ComponentKind::kRemote; });
  std::stable_sort(list.begin(), list.end(),
                   [](const CandidateScore& a, const CandidateScore& b) { return a.kind < b.kind; });
  if (list.empty()) {
    report_blame(ctx, candidates_, Calibration{}, "threshold", verdict);
    return;
  }
  CandidateScore& first = list.front();
  Blame& b = verdict.blame.emplace_back();
  b.kind = first.kind;
  b.id = ctx.directory->component_name({first.kind, first.component});
  if (first.site.valid()) b.site = std::string(ctx.directory->site_name(first.site));
  b.confidence = 1.0 / static_cast<double>(list.size());
  b.evidence = std::move(first.evidence);
}

}  // namespace callroot::eval
