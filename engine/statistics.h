#pragma once
/// The statistics of issue 4, owned by the engine and read by attributors
/// through ScoringContext::stats: robust baselines per (entity, metric) with
/// z-scores (baseline.h), shared fate of poor and good segments across calls
/// (shared_fate.h) and additive tomography of loss and jitter (tomography.h).
/// Methods, parameters and costs: docs/statistics.md.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/baseline.h"
#include "engine/evidence.h"
#include "engine/fate_key.h"
#include "engine/remote_fate.h"
#include "engine/shared_fate.h"
#include "engine/tomography.h"
#include "models/verdict.h"

namespace callroot::engine {

struct StatisticsConfig {
  BaselineConfig baseline;
  SharedFateConfig fate;
  RemoteFateConfig remote;
  TomographyConfig tomography;
  bool enabled = true;  ///< false: observe() and housekeeping() do nothing
};

class Statistics {
 public:
  explicit Statistics(StatisticsConfig config = {});

  /// After a segment is scored (good or poor; unclassified ones are skipped):
  /// its keys (both organization paths, path_keys) go to shared fate, and each
  /// stream's loss_avg_pct and jitter_avg_ms with them to tomography. The
  /// windows end at the newest segment end observed, not at the watermark, so
  /// that call records arriving an hour after the call (Graph) still meet
  /// their contemporaries.
  void observe(const ScoringContext& ctx, Quality quality);
  /// The same with the verdict's blame fed back: a poor segment blamed on the
  /// far side counts as good for the organization's hops, and one blamed with
  /// confidence >= 0.5 on one side's component counts only on that side, and
  /// there only up to that component (the hops above it did not spoil it).
  void observe(const ScoringContext& ctx, const Verdict& verdict);
  /// Housekeeping: a baseline learning pass when one is due, and expiry.
  void housekeeping(const MetricStore& store, TimeMs watermark);

  /// A checkpoint of what takes long to learn: the baselines (days). The
  /// 15-minute windows of shared fate and tomography are not saved; they
  /// refill within a window after a restart.
  [[nodiscard]] std::string serialize(const Directory& directory) const;
  /// Restores a checkpoint (throws std::runtime_error on malformed input,
  /// leaving the statistics as they were).
  void deserialize(std::string_view blob, Directory& directory);

  [[nodiscard]] std::size_t memory_bytes() const noexcept;
  [[nodiscard]] bool enabled() const noexcept { return config_.enabled; }
  [[nodiscard]] const StatisticsConfig& config() const noexcept { return config_; }
  [[nodiscard]] TimeMs newest_end() const noexcept { return newest_end_; }

  [[nodiscard]] const Baselines& baselines() const noexcept { return baselines_; }
  [[nodiscard]] Baselines& baselines() noexcept { return baselines_; }
  [[nodiscard]] const SharedFate& fate() const noexcept { return fate_; }
  [[nodiscard]] SharedFate& fate() noexcept { return fate_; }
  [[nodiscard]] const RemoteFate& remote() const noexcept { return remote_; }
  [[nodiscard]] const Tomography& tomography() const noexcept { return tomography_; }
  [[nodiscard]] Tomography& tomography() noexcept { return tomography_; }

 private:
  static constexpr std::uint8_t kBothSides = 0b11;
  static constexpr std::size_t kWholePath = static_cast<std::size_t>(-1);
  /// `keep[i]`: how many of side i's path keys shared fate counts (from the client up).
  void observe(const ScoringContext& ctx, Quality quality, std::uint8_t sides,
               std::array<std::size_t, 2> keep = {kWholePath, kWholePath});
  /// Every segment with an outside party, whatever its blame (so that the
  /// far side's record does not depend on what attribution concluded).
  void observe_remote(const ScoringContext& ctx, Quality quality);

  StatisticsConfig config_;
  Baselines baselines_;
  SharedFate fate_;
  RemoteFate remote_;
  Tomography tomography_;
  TimeMs newest_end_ = kNoTime;
  std::vector<FateKey> keys_;  // both sides' keys; reused: observe() allocates nothing in the steady state
  std::array<std::vector<FateKey>, 2> side_keys_;  // each side's path, for shared fate's pairs
};

}  // namespace callroot::engine
