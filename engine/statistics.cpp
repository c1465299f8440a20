#include "engine/statistics.h"

#include <algorithm>
#include <stdexcept>

#include "engine/published_targets.h"
#include "models/bytes.h"

namespace callroot::engine {
namespace {

// Container: "CRST" u32 version, u32 sections; per section u8 kind, u64 length, bytes.
// Unknown kinds are skipped, so that a newer checkpoint with more sections still loads.
constexpr char kMagic[4] = {'C', 'R', 'S', 'T'};
constexpr std::uint32_t kVersion = 1;
constexpr std::uint8_t kBaselinesSection = 1;

}  // namespace

Statistics::Statistics(StatisticsConfig config)
    : config_(config),
      baselines_(config.baseline),
      fate_(config.fate),
      remote_(config.remote),
      tomography_(config.tomography) {
  keys_.reserve(32);
  for (auto& k : side_keys_) k.reserve(16);
}

void Statistics::observe(const ScoringContext& ctx, Quality quality) { observe(ctx, quality, kBothSides); }

void Statistics::observe(const ScoringContext& ctx, const Verdict& verdict) {
  observe_remote(ctx, verdict.quality);
  if (verdict.quality != Quality::kPoor || verdict.blame.empty()) {
    observe(ctx, verdict.quality, kBothSides);
    return;
  }
  // Feedback from attribution, as 007 removes the flows its top link
  // explains: a poor segment blamed on the far side says nothing bad about
  // the organization's path (it delivered what was sent), and one blamed with
  // confidence on a component of one side says nothing about the other
  // side's path. Without this, a bad WAN link at one site makes the hops of
  // every site that calls it look bad.
  // Remote blamed by elimination (both ways poor, every local hop clean)
  // has no such proof, and counting it either way would feed back on
  // itself: as good, a local fault mistaken once for the far side would
  // clear its own component; as poor, one far party's bad network would
  // pile up on the local hops of everyone who calls it. It joins no window.
  const Blame& top = verdict.blame.front();
  if (top.kind == ComponentKind::kRemote) {
    if (far_side_only(ctx)) observe(ctx, Quality::kGood, kBothSides);
    return;
  }
  // On the side that holds the blamed component, the hops above it are
  // explained away too: calls spoiled below an access switch say nothing
  // about the WAN link they also crossed. Not above a client: what accuses
  // a client (retries, a weak signal) may be its cell's symptom, and its
  // calls piling up on its AP are how the AP is found.
  std::uint8_t sides = kBothSides;
  std::array<std::size_t, 2> keep{kWholePath, kWholePath};
  if (top.kind != ComponentKind::kUnknown && top.confidence >= 0.5 && ctx.directory != nullptr &&
      ctx.topology != nullptr) {
    std::uint8_t holding = 0;
    std::string name;
    for (std::size_t i = 0; i < ctx.sides.size(); ++i) {
      const SideEvidence& side = ctx.sides[i];
      if (!side.resolution.organization) continue;
      side_keys_[i].clear();
      path_keys(side, side_keys_[i]);
      for (std::size_t k = 0; k < side_keys_[i].size(); ++k) {
        const ComponentRef owner = fate_owner(*ctx.directory, *ctx.topology, side_keys_[i][k]);
        if (owner.kind != top.kind) continue;
        ctx.directory->component_name(owner, name);
        if (name != top.id) continue;
        holding |= static_cast<std::uint8_t>(1u << i);
        if (top.kind != ComponentKind::kClient) keep[i] = k + 1;  // a switch owns both ends of its uplink
      }
    }
    if (holding != 0) sides = holding;
  }
  observe(ctx, Quality::kPoor, sides, keep);
}

void Statistics::observe(const ScoringContext& ctx, Quality quality, std::uint8_t sides,
                         std::array<std::size_t, 2> keep) {
  if (!config_.enabled || quality == Quality::kUnclassified || ctx.segment == nullptr) return;
  keys_.clear();
  std::array<ClientId, 2> clients{};
  bool all_organization = true;
  for (std::size_t i = 0; i < ctx.sides.size(); ++i) {
    const SideEvidence& side = ctx.sides[i];
    side_keys_[i].clear();
    if (!side.resolution.organization) {
      all_organization = false;
      continue;
    }
    if ((sides & (1u << i)) == 0) continue;
    path_keys(side, side_keys_[i]);
    keys_.insert(keys_.end(), side_keys_[i].begin(), side_keys_[i].end());
    const Path& path = side.resolution.path;
    clients[i] = path.client;
    for (const FateKey key : side_keys_[i]) {
      SiteId site = path.site;
      if (key.kind == FateKey::Kind::kLink && ctx.topology != nullptr) {
        if (const SiteId s = ctx.topology->site_of(LinkId{key.id}); s.valid()) site = s;
      }
      fate_.note_site(key, site);
      tomography_.note_site(key, site);
    }
    // Where each key is stays known for the whole path; only shared fate's
    // count stops at the component the verdict blamed.
    if (keep[i] < side_keys_[i].size()) side_keys_[i].resize(keep[i]);
  }
  if (keys_.empty()) return;
  const TimeMs end = ctx.segment->end;
  // Each side's path apart: shared fate counts (child, parent) pairs along them.
  fate_.add_paths(end, quality == Quality::kPoor, clients[0], clients[1], side_keys_[0], side_keys_[1]);
  const TomographyGroup group = all_organization ? TomographyGroup::kInternal : TomographyGroup::kRemote;
  for (const Stream& s : ctx.segment->streams) {
    tomography_.add(end, s.get(StreamMetric::kLossAvg), s.get(StreamMetric::kJitterAvg), keys_, group);
  }
  newest_end_ = newest_end_ == kNoTime ? end : std::max(newest_end_, end);
  fate_.expire(newest_end_);
  tomography_.expire(newest_end_);
}

void Statistics::observe_remote(const ScoringContext& ctx, Quality quality) {
  if (!config_.enabled || quality == Quality::kUnclassified || ctx.segment == nullptr) return;
  for (const SideEvidence& outside : ctx.sides) {
    if (outside.resolution.organization || !ctx.segment->endpoint(outside.side).present) continue;
    const SideEvidence& local = ctx.side(other(outside.side));
    if (!local.resolution.organization) continue;
    const auto party = RemoteFate::party(ctx.segment->endpoint(outside.side));
    if (!party) continue;
    keys_.clear();
    path_keys(local, keys_);
    // The nearest hop below the client: its AP, or its access port.
    const auto access = std::find_if(keys_.begin(), keys_.end(),
                                     [](FateKey k) { return k.kind != FateKey::Kind::kClient; });
    if (access == keys_.end()) continue;
    remote_.add(ctx.segment->end, *party, quality == Quality::kPoor, local.resolution.path.client, *access);
  }
  if (newest_end_ != kNoTime) remote_.expire(newest_end_);
}

void Statistics::housekeeping(const MetricStore& store, TimeMs watermark) {
  if (!config_.enabled || watermark == kNoTime) return;
  baselines_.update(store, watermark, &within_published_target);
  if (newest_end_ != kNoTime) {
    fate_.expire(newest_end_);
    tomography_.expire(newest_end_);
  }
}

std::string Statistics::serialize(const Directory& directory) const {
  const std::string baselines = baselines_.serialize(directory);
  ByteWriter w;
  w.bytes().append(kMagic, sizeof kMagic);
  w.u32(kVersion);
  w.u32(1);
  w.u8(kBaselinesSection);
  w.u64(baselines.size());
  w.bytes() += baselines;
  return std::move(w.bytes());
}

void Statistics::deserialize(std::string_view blob, Directory& directory) {
  if (blob.substr(0, sizeof kMagic) != std::string_view(kMagic, sizeof kMagic)) {
    throw std::runtime_error("statistics checkpoint: not a checkpoint (bad magic)");
  }
  ByteReader r(blob.substr(sizeof kMagic), "statistics checkpoint");
  if (const auto version = r.u32(); version != kVersion) {
    throw std::runtime_error("statistics checkpoint: unsupported version " + std::to_string(version));
  }
  const auto sections = r.u32();
  std::string_view baselines;
  for (std::uint64_t i = 0; i < sections; ++i) {
    const auto kind = r.u8();
    const auto length = r.u64();
    if (length > r.remaining()) r.fail("truncated");
    const std::string_view payload = r.view(static_cast<std::size_t>(length));
    if (kind == kBaselinesSection) baselines = payload;
  }
  if (!r.done()) r.fail("trailing bytes");
  if (baselines.empty()) throw std::runtime_error("statistics checkpoint: no baselines");
  baselines_.deserialize(baselines, directory);
}

std::size_t Statistics::memory_bytes() const noexcept {
  return baselines_.memory_bytes() + fate_.memory_bytes() + tomography_.memory_bytes() +
         (keys_.capacity() + side_keys_[0].capacity() + side_keys_[1].capacity()) * sizeof(FateKey);
}

}  // namespace callroot::engine
