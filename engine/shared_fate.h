#pragma once
/// Shared fate across calls: over a sliding window of scored segments, does a
/// component carry more poor segments than the rest of the network predicts?
/// The idea behind 007 (NSDI'18) and NetBouncer (NSDI'19): a fault shows as
/// poor calls piling up on the component they share, while calls that avoid it
/// are fine. Unlike 007's votes this is a likelihood ratio, so that a busy
/// component with good calls is cleared (negative), and following BlameIt
/// (SIGCOMM'19) it answers "insufficient" or "indistinguishable" rather than guess.
///
/// The model, per key K (docs/statistics.md has the derivation):
/// - n, k: the window's segments that cross K, and the poor ones among them;
/// - background: the Beta-smoothed poor rate of segments that do not cross K,
///   network-wide bg_net = (k_rest + prior_poor s) / (n_rest + s) with
///   s = prior_strength; when K's site has site_min_segments segments that do
///   not cross K, the site's rate shrunk toward the network's instead,
///   bg = (k_site_rest + bg_net s) / (n_site_rest + s): a bad link then stands
///   out from its site's other link, and a bad site does not make each of its
///   components look bad (assess_site() tells that the site is);
/// - H_ok: K's segments are poor at rate bg. H_bad: K fails a segment with
///   probability bad_rate on top of the background (noisy-OR), so its rate is
///   p = bg + (1 - bg) bad_rate. With bg = 0.05 and bad_rate = 0.5, p = 0.525;
/// - LLR = k log(p / bg) + (n - k) log((1 - p) / (1 - bg)), clamped to
///   [-cap, cap]. Every good segment adds log(1 - bad_rate) (-0.69).
///
/// Exact counts: a FIFO of entries and, per key, a list of its occurrences
/// (newest first) threaded through one FIFO of occurrences (12 bytes each),
/// plus, per key, the segments with a given parent directly above it (pair
/// counts, so that "excluding the child" costs nothing), and per client the
/// same counts over its own segments (so that leaving it out costs nothing
/// either). Adding and expiring are O(keys of the segment) and allocate
/// nothing once the window has reached its steady size; all of a key's
/// counts share one cache line. Out-of-order segments: an entry
/// expires when every entry added before it has, so a segment scored late
/// (but within the window) stays until the ones before it go.

#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "engine/fate_key.h"
#include "engine/seq_ring.h"
#include "models/ids.h"
#include "models/time.h"

namespace callroot::engine {

struct SharedFateConfig {
  DurationMs window = 15 * 60'000;
  double prior_poor = 0.05;       ///< prior mean of the background poor rate
  double prior_strength = 20;     ///< its weight, in segments
  double bad_rate = 0.5;          ///< a faulty component fails this share of the segments crossing it
  std::uint32_t min_segments = 3; ///< fewer segments than this: insufficient
  double cap = 8;                 ///< |LLR| is clamped to this
  std::uint32_t site_min_segments = 20;  ///< a site background needs this many segments of the site outside the key
  std::size_t max_entries = 200'000;     ///< hard cap on the window (2x the 100k-per-window scale), whatever the rate
};

struct FateAssessment {
  double llr = 0;            ///< log-likelihood ratio that the key is faulty; 0 when insufficient
  std::uint32_t n = 0;       ///< segments counted (after the exclusions)
  std::uint32_t k = 0;       ///< poor ones among them
  double background = 0;     ///< the poor rate H_ok assumes
  enum class Basis : std::uint8_t {
    kOwn,               ///< the key's own segments (less the excluded client's)
    kExcludingChild,    ///< the key's segments that avoid `child`
    kIndistinguishable, ///< too few segments avoid `child`: llr, n, k are the child's own
    kInsufficient,      ///< fewer than min_segments: llr is 0
  } basis = Basis::kInsufficient;
  FateKey child{};  ///< the child excluded (kExcludingChild) or reported instead (kIndistinguishable)
  bool site_background = false;  ///< the background is the key's site's rather than the network's
};

class SharedFate {
 public:
  explicit SharedFate(SharedFateConfig config = {});

  /// Records one scored segment ending at `end`: the keys of its organization
  /// paths (both sides) and its client. The client's key is added to `keys`
  /// when missing, so that its segments can be found and excluded later.
  /// A segment older than the newest one added minus the window is not kept.
  void add(TimeMs end, bool poor, ClientId client, std::span<const FateKey> keys);
  /// The same for a segment between two clients of the organization: either's
  /// segments are excluded from the other's path when it is the one assessed.
  void add(TimeMs end, bool poor, ClientId client, ClientId other_client, std::span<const FateKey> keys);
  /// The same with each side's path apart, most specific first, as path_keys
  /// gives them (what Statistics passes). Consecutive keys of a path are also
  /// counted as (child, parent) pairs, which makes assess() with a child O(1)
  /// instead of a walk over the child's segments.
  void add_paths(TimeMs end, bool poor, ClientId client, ClientId other_client, std::span<const FateKey> path,
                 std::span<const FateKey> other_path);
  /// Drops the entries that ended before `now - window`.
  void expire(TimeMs now);

  /// Where a key sits, for the per-site background (the last site noted wins:
  /// clients move). Keys without a site are compared with the whole network.
  void note_site(FateKey key, SiteId site);

  /// The LLR that `key` is faulty given the window. For keys other than
  /// clients, the segments of `exclude_client` (the client of the segment
  /// being scored) are left out, so that one bad client does not make its AP
  /// look bad. With `child` (the next more specific key on the same path: the
  /// AP under its access port, the access port under the uplink above it), the
  /// segments through the child are left out too ("explaining away": a bad AP
  /// does not make the switch above it look bad); if fewer than min_segments
  /// remain, shared fate cannot tell the two apart and the child's own
  /// assessment is returned, marked kIndistinguishable. The client left out
  /// is left out where it crossed the key on its own path (for segments
  /// added without paths: anywhere). Cost: O(k) for the k keys the excluded
  /// client crosses, when the child is a component directly below the key on
  /// the paths given to add_paths(): the segments through both, and the
  /// client's among them, were counted as they came, as pairs of consecutive
  /// keys (in a tree, a segment that crosses a component and the one above
  /// it crosses them in a row). Otherwise (a client child, segments added
  /// without their paths, a child never seen below the key) the lists are
  /// walked: O(min(n_key, n_child)).
  [[nodiscard]] FateAssessment assess(FateKey key, ClientId exclude_client, const FateKey* child) const;
  /// A whole site against the rest of the network (a bad site makes every
  /// component of it look ordinary against its own site background).
  [[nodiscard]] FateAssessment assess_site(SiteId site) const;

  /// Segments and poor segments crossing `key` in the window.
  [[nodiscard]] std::uint32_t segments(FateKey key) const noexcept;
  [[nodiscard]] std::uint32_t poor_segments(FateKey key) const noexcept;

  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }  ///< entries in the window
  [[nodiscard]] std::size_t memory_bytes() const noexcept;
  [[nodiscard]] std::uint64_t dropped_too_old() const noexcept { return too_old_; }
  [[nodiscard]] const SharedFateConfig& config() const noexcept { return config_; }

 private:
  struct Entry {
    TimeMs end = 0;
    std::uint32_t occ_begin = 0;   // low 32 bits of its first occurrence's sequence number
    std::uint32_t pair_begin = 0;  // low 32 bits of its first pair's sequence number
    std::uint16_t occ_count = 0;
    std::uint8_t pair_count = 0;
    bool poor = false;
    bool paired = false;           // added with its paths: its pairs are counted
    std::uint8_t site_count = 0;
    std::array<std::uint32_t, 2> sites{};  // site slots (SiteId + 1)
    // Its two clients, and which of its occurrences lie on each one's own
    // path (bit i: occurrence i), for the clients' tallies.
    std::array<std::uint32_t, 2> clients{kNoClient, kNoClient};
    std::array<std::uint64_t, 2> own{};
  };
  static constexpr std::uint32_t kNoClient = std::numeric_limits<std::uint32_t>::max();
  // A pair of an entry: the indexes of the child and the parent among its
  // occurrences (6 bits each), whether a PairCount slot counted it, and on
  // which clients' own paths it lies (one bit per Entry::clients slot).
  static constexpr std::uint16_t kPairCounted = 1u << 12;
  static constexpr unsigned kPairOwnShift = 13;
  struct Occurrence {
    std::uint32_t key = 0;    // packed FateKey
    std::uint32_t next = 0;   // low 32 bits of the key's previous (older) occurrence
    std::uint32_t entry = 0;  // low 32 bits of the entry's sequence number
  };
  /// Segments through a key (the child) and, directly above it on a path, another (the parent).
  struct PairCount {
    std::uint32_t parent = 0;  // packed key
    std::uint32_t n = 0, k = 0;
  };
  static constexpr std::size_t kParents = 4;  // parents counted per child; more are rare (a client roaming)
  /// Everything per key in one cache line: adding a segment touches one line per key.
  struct alignas(64) KeyState {
    std::uint32_t n = 0, k = 0;
    // Its newest occurrence (low 32 bits); the list runs newest to oldest
    // through Occurrence::next, and its first n elements are in the window:
    // an expiry only decrements n.
    std::uint32_t head = 0;
    std::uint32_t uncounted = 0;  // segments with a parent that found no free PairCount
    std::array<PairCount, kParents> parents{};
  };
  static_assert(sizeof(KeyState) == 64);
  struct Count {
    std::uint32_t n = 0, k = 0;
  };

  /// What one client's entries in the window add to the keys of its own
  /// path, kept as they come and go, so that leaving the client out of an
  /// assessment is a lookup instead of a walk over its entries (cache
  /// misses). A client crosses few keys: linear scans over small vectors.
  struct ClientTally {
    struct Count {
      std::uint64_t key = 0;  // a packed key, or a pair's (pair_key)
      std::uint32_t n = 0, k = 0;
    };
    std::vector<Count> keys;
    std::vector<Count> pairs;
  };
  static constexpr std::uint64_t pair_key(std::uint32_t child, std::uint32_t parent) noexcept {
    return std::uint64_t{child} << 32 | parent;
  }
  /// Counts one segment in (delta +1) or out (-1) of `counts` under `key`.
  static void tally(std::vector<ClientTally::Count>& counts, std::uint64_t key, bool poor, int delta);
  [[nodiscard]] static const ClientTally::Count* find(const std::vector<ClientTally::Count>& counts,
                                                      std::uint64_t key) noexcept;
  [[nodiscard]] const ClientTally* client_tally(ClientId client) const noexcept;

  [[nodiscard]] const KeyState* state(FateKey key) const noexcept;
  KeyState& state_for(FateKey key);
  [[nodiscard]] std::uint32_t site_slot(FateKey key) const noexcept;
  [[nodiscard]] bool contains(const Entry& e, std::uint32_t packed) const noexcept;
  /// Calls f(entry) for each entry in the window that crosses `key`.
  template <class F>
  void for_each_entry(const KeyState& ks, F&& f) const;
  [[nodiscard]] double llr(double n, double k, double bg) const noexcept;
  [[nodiscard]] double background(FateKey key, const KeyState& ks, bool& site) const noexcept;
  void pop_oldest();
  void add_entry(TimeMs end, bool poor, ClientId client, ClientId other_client, std::span<const FateKey> keys,
                 std::span<const FateKey> path, std::span<const FateKey> other_path, bool paired);
  [[nodiscard]] const PairCount* pair(FateKey child, FateKey parent) const noexcept;

  SharedFateConfig config_;
  detail::SeqRing<Entry> entries_;
  detail::SeqRing<Occurrence> occurrences_;
  detail::SeqRing<std::uint16_t> pairs_;
  std::array<std::vector<KeyState>, kFateKinds> keys_;
  std::uint64_t unpaired_entries_ = 0;  // entries in the window added without their paths
  std::array<std::vector<std::uint32_t>, kFateKinds> key_site_;  // site slot per key, 0 = unknown
  std::vector<Count> sites_;  // by site slot
  Count total_;
  TimeMs newest_ = kNoTime;
  std::uint64_t too_old_ = 0;
  std::vector<ClientTally> clients_;  // by client id
  std::vector<FateKey> scratch_;
  std::vector<std::uint16_t> scratch_pairs_;
};

}  // namespace callroot::engine
