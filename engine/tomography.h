#pragma once
/// Additive network tomography: per-hop contributions to loss and jitter,
/// solved from many streams' end-to-end figures and the hops they crossed.
///
/// Model. Each measured stream direction i crossed the keys of the sender's
/// and the receiver's organization paths, and
///   b_i = sum over its keys h of x_h + g_i + noise,
/// where x_h >= 0 is hop h's contribution and g_i the remainder of the path
/// outside our network (the Internet, the far side). Loss is made additive by
/// b = -100 ln(1 - loss/100) (independent losses multiply survivals; for small
/// loss b ~ loss) and turned back on output. Jitter is treated as additive,
/// which it is only roughly (queues add variance, not standard deviations).
///
/// The remainder. g_i is one unknown per observation group (0: both ends in
/// the organization, 1: one end remote), estimated robustly (at most once per
/// `solve_every`) as the median, over the window's most recent
/// `background_sample` observations of the group, of what their hops do not
/// explain (each hop at its own site's latest estimate): what a path looks
/// like once our network's share is taken out. So a background every stream shares is not pinned on
/// the hop every stream of a site crosses, and a faulty site does not raise
/// the background of the others (once it has been solved: a site's first solve
/// is done twice, the second with the background its own first solve allows).
/// When the site's own observations are most of a group's in the window, the
/// background is mostly its own; a hop crossed by every row of the solve is
/// then reported as not identifiable.
///
/// Solve. Per site, lazily: estimate() re-solves the site of the key asked
/// about when the site gained `resolve_after` observations, or gained any and
/// `solve_every` of event time has passed since its last solve. Rows: the
/// site's most recent `max_solve_observations` observations; columns: the keys
/// of the site in them (keys of other sites enter as fixed offsets, their own
/// site's latest estimate). Identical columns (an AP and its only access port,
/// a site's single WAN link when every row crosses it) cannot be told apart:
/// they are merged into one column, solved once, and each is reported with
/// that combined contribution, identifiable = false and the other as `twin`.
///
/// Sparsity. In a tree every parent's column is the sum of its children's (a
/// switch port's rows are those of the APs under it, an AP's those of its
/// clients), so least squares alone cannot tell "the port adds 1 %" from "each
/// AP under it adds 1 %", and a ridge would split the blame among them. An L1
/// term prefers the explanation with the fewest, largest contributions: the
/// smallest failure set of BlameIt and Boolean tomography. That is a prior
/// (single shared failures are likelier than simultaneous ones), not data.
///
/// The problem, min ||A x - b||^2 + l1 sum x + ridge ||x||^2 subject to x >= 0,
/// is solved by sequential coordinate-wise descent (Franc, Hlavac and Navara,
/// 2005; with the L1 term, Friedman et al. 2010): each step minimizes exactly
/// over one x_j and projects on x_j >= 0, columns shared by most rows first.
/// The ridge keeps it strictly convex (one answer). A is a sparse
/// 0/1 routing matrix stored by column, so a sweep costs O(nnz(A)) = O(m k)
/// for m rows of k keys, against O(m n^2) per active-set change for
/// Lawson-Hanson on n columns (n is ~1,000 per site once clients are counted).
/// Warm-started from the last solution, a re-solve takes a few sweeps;
/// `max_sweeps` bounds it. /// answer). Together they shrink a hop seen on n rows from its least-squares
/// value v to (n v - l1/2) / (n + ridge).
///
/// Limits: a hop is seen only through the streams that crossed it, so a hop
/// on few paths gets a noisy estimate (see `observations`); jitter is not truly
/// additive; the background is one median per group for the whole network;
/// hops whose columns differ by a row or two are identifiable in principle but
/// only weakly (the split between them converges slowly and is noisy).

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "engine/fate_key.h"
#include "engine/seq_ring.h"
#include "models/ids.h"
#include "models/time.h"

namespace callroot::engine {

struct TomographyConfig {
  DurationMs window = 15 * 60'000;
  DurationMs solve_every = 60'000;              ///< event time between re-solves of one site
  std::uint32_t resolve_after = 8'000;          ///< new observations at a site that force a re-solve (a burst: Graph records arriving together)
  std::uint32_t max_solve_observations = 2'000; ///< rows per solve: the site's most recent
  double l1 = 1.0;      ///< sparsity: a hop must explain more than l1/2 (% or ms, summed over its rows) to get any
  double ridge = 0.1;   ///< in rows: keeps the problem strictly convex
  std::uint32_t max_sweeps = 200;
  double tolerance = 0.01;                      ///< stop when no hop moved more than this in a sweep (% or ms)
  std::uint32_t background_sample = 10'000;     ///< recent observations the remainder is the median of
  std::size_t max_observations = 400'000;    ///< hard cap on the window (2 streams x 2x the 100k scale)
};

struct TomographyEstimate {
  double loss_pct = std::numeric_limits<double>::quiet_NaN();
  double jitter_ms = std::numeric_limits<double>::quiet_NaN();
  std::uint32_t observations = 0;  ///< rows of the last solve that crossed the key
  bool identifiable = false;
  std::optional<FateKey> twin;     ///< a key it cannot be told apart from, when there is one
};

/// Observation groups: what the remainder of the path beyond our network is.
enum class TomographyGroup : std::uint8_t { kInternal = 0, kRemote = 1 };
inline constexpr std::size_t kTomographyGroups = 2;

class Tomography {
 public:
  explicit Tomography(TomographyConfig config = {});

  /// One measured stream direction: its loss and jitter (NaN when not
  /// measured; an observation with neither is ignored) and the keys of both
  /// organization paths. Consecutive observations with the same keys (the
  /// streams of one segment) share their stored keys.
  void add(TimeMs end, double loss_pct, double jitter_ms, std::span<const FateKey> keys);
  void add(TimeMs end, double loss_pct, double jitter_ms, std::span<const FateKey> keys, TomographyGroup group);
  /// Drops the observations that ended before `now - window`.
  void expire(TimeMs now);
  /// Where a key sits (the last site noted wins); keys without a site are solved together.
  void note_site(FateKey key, SiteId site);

  /// The key's contribution as of the site's latest solve, re-solving the site
  /// first when it is due (logically const: the solve is a cache).
  [[nodiscard]] TomographyEstimate estimate(FateKey key, TimeMs now) const;
  /// The remainder per group (loss %, jitter ms) used by the latest solve.
  [[nodiscard]] std::array<double, 2> background(TomographyGroup group) const noexcept;

  [[nodiscard]] std::size_t size() const noexcept { return observations_.size(); }
  [[nodiscard]] std::size_t memory_bytes() const noexcept;
  [[nodiscard]] std::uint64_t solves() const noexcept { return solves_; }
  [[nodiscard]] std::uint64_t sweeps() const noexcept { return sweeps_; }
  [[nodiscard]] const TomographyConfig& config() const noexcept { return config_; }

 private:
  static constexpr std::size_t kMaxSites = 3;  // both ends' sites, and "unknown"
  struct Observation {
    TimeMs end = 0;
    float loss = 0;    // transformed, NaN when not measured
    float jitter = 0;  // NaN when not measured
    std::uint32_t key_begin = 0;  // low 32 bits of the sequence number of its first key
    std::uint16_t key_count = 0;
    std::uint8_t group = 0;
    std::uint8_t site_count = 0;
    std::array<std::uint32_t, kMaxSites> sites{};  // site slots (SiteId + 1; 0 = unknown)
    // Per site, the low 32 bits of the site's previous observation (its own
    // when none): the rows of a solve are found newest first without a scan.
    std::array<std::uint32_t, kMaxSites> previous{};
  };
  struct SiteState {
    TimeMs solved_at = kNoTime;
    std::uint32_t dirty = 0;  // observations added or expired since the last solve
    std::uint64_t solve_id = 0;
    std::uint64_t newest = 0;  // its newest observation, when `observed`
    bool observed = false;
    std::array<std::uint32_t, kTomographyGroups> in_window{};  // its observations in the window, per group
  };
  struct KeySolution {
    float loss = 0;    // transformed
    float jitter = 0;
    std::uint32_t observations = 0;
    std::uint32_t twin = 0;  // packed key, when has_twin
    std::uint64_t solve_id = 0;
    bool has_twin = false;
    bool identifiable = false;
  };

  [[nodiscard]] std::uint32_t site_slot(std::uint32_t packed) const noexcept;
  [[nodiscard]] const KeySolution* solution(std::uint32_t packed) const noexcept;
  void solve(std::uint32_t slot, TimeMs now) const;
  void solve_once(std::uint32_t slot, TimeMs now, std::uint64_t previous, bool fresh_background) const;
  void estimate_background(TimeMs now) const;
  /// Loss and jitter of an observation not explained by the keys' cached estimates.
  [[nodiscard]] std::array<double, 2> unexplained(const Observation& o) const noexcept;
  void pop_oldest();

  TomographyConfig config_;
  detail::SeqRing<Observation> observations_;
  detail::SeqRing<std::uint32_t> keys_;  // packed keys of the observations
  std::array<std::vector<std::uint32_t>, kFateKinds> key_site_;
  TimeMs newest_ = kNoTime;
  std::vector<std::uint32_t> scratch_keys_;

  // The solve's cache and scratch: mutable because estimate() is a query that
  // may refresh the cache first. The scratch keeps its buffers between solves.
  mutable std::vector<SiteState> sites_;
  mutable std::array<std::vector<KeySolution>, kFateKinds> solutions_;
  mutable std::array<std::vector<std::int32_t>, kFateKinds> column_of_;  // -1 outside a solve
  mutable std::array<std::array<double, 2>, kTomographyGroups> last_background_{};
  mutable TimeMs background_at_ = kNoTime;  // the remainder is re-estimated once per solve_every
  std::array<std::uint32_t, kTomographyGroups> in_window_{};  // observations in the window, per group
  mutable std::uint64_t solve_counter_ = 0;
  mutable std::uint64_t solves_ = 0;
  mutable std::uint64_t sweeps_ = 0;
  mutable std::vector<std::uint64_t> rows_;
  mutable std::array<std::array<std::vector<float>, 2>, kTomographyGroups> residuals_;  // [group][metric]
  mutable std::vector<std::uint32_t> column_keys_;
  mutable std::vector<std::pair<std::uint32_t, std::uint32_t>> entries_;  // (row, column)
  mutable std::array<std::vector<double>, 2> rhs_;  // [metric][row], NaN when not measured
  struct SolveScratch {
    std::vector<std::uint32_t> outer, inner, fill;                // the routing matrix, compressed by column
    std::vector<std::uint32_t> measured_outer, measured_inner;    // the same, measured rows of one metric
    std::vector<std::uint64_t> hash;
    std::vector<std::uint32_t> order, rep, sweep_order;
    std::vector<std::int64_t> twin;
    std::vector<double> residual;
    std::array<std::vector<double>, 2> x, weight;                 // [metric][column]
  };
  mutable SolveScratch scratch_;
};

}  // namespace callroot::engine
