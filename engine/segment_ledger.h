#pragma once
/// Remembers which segments the engine has seen, so that one segment gives
/// one verdict however often it is delivered, and a corrected one reissues
/// its verdict instead of adding a second (docs/contract.md §5.3).
///
/// A segment is known by (call_id, segment_id). With it the ledger keeps the
/// source's version and a fingerprint of the content:
/// - a lower version than the one seen is stale, and dropped;
/// - the same content again (any version not lower) is a duplicate, dropped;
/// - other content with a version not lower replaces it: the pending segment
///   if it has not been scored yet, otherwise its verdict is reissued.
/// Pages of one call: a segment without a version takes the highest version
/// seen for its call, so the later pages of a callRecord (sessions pages
/// carry none) belong to the revision of the first.
///
/// Bounded: entries live in two generations of a flat table. The current one
/// takes new entries; at each rotation (every `generation` of event time, or
/// when it holds `max_entries`) the previous one is dropped. An entry is thus
/// remembered for at least one generation and at most two; a copy delivered
/// later than that is scored as new. Keys are 64-bit hashes: two segments
/// collide with probability ~n²/2^65, about 1e-8 for a million segments.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/segment.h"
#include "models/time.h"

namespace callroot::engine {

struct SegmentLedgerConfig {
  DurationMs generation = 3600 * 1000;   ///< event time per generation (1 h: copies up to 1-2 h apart are caught)
  /// Per generation. 2^18 holds 1-2 h of a 20,000-client network (~50
  /// segments/s at the busiest hour) and caps the ledger at ~22 MB (32 B an
  /// entry, tables at most 3/4 full, two generations).
  std::size_t max_entries = 1u << 18;
};

class SegmentLedger {
 public:
  enum class Admission : std::uint8_t {
    kNew,             ///< first sight: score it
    kReplacePending,  ///< newer content while the first copy still waits: score this one instead
    kReissue,         ///< newer content after a verdict was given: score it again, marked reissued
    kDuplicate,       ///< same content again: drop
    kStale,           ///< a lower version than seen: drop
  };

  struct Ticket {
    Admission admission = Admission::kNew;
    std::uint64_t key = 0;
    std::uint32_t fingerprint = 0;
    std::uint32_t serial = 0;  ///< which copy this is: only the latest admitted one is scored
  };

  explicit SegmentLedger(SegmentLedgerConfig config = {});

  /// Decides what to do with `segment`; fills `segment.version` from its
  /// call's when it has none. Records the segment unless it is dropped.
  Ticket admit(CallSegment& segment, TimeMs now);
  /// True while `ticket` is the latest copy admitted for its segment: false
  /// once a newer copy replaced it (the older pending copy is then skipped).
  [[nodiscard]] bool current(const Ticket& ticket) const noexcept;
  /// Whether an earlier verdict of the segment already fed incidents and
  /// statistics, so that a reissue must not count it a second time.
  [[nodiscard]] bool counted(const Ticket& ticket) const noexcept;
  /// Records that the segment has a verdict; `counted`: it fed incidents and statistics.
  void scored(const Ticket& ticket, bool counted);
  /// Whether a verdict of the segment was given (or may have been, see
  /// mark_given): the next one is a reissue.
  [[nodiscard]] bool given(const Ticket& ticket) const noexcept;
  /// Records that a verdict of the segment keyed `key` may have gone out
  /// without this ledger knowing its content: a journal written before a
  /// crash says so (tools/verdict_journal.h). Any later copy that is not
  /// stale is then scored and marked reissued, never dropped as a duplicate,
  /// and it counts in incidents and statistics (what the lost verdict fed
  /// was lost with the crash). A segment the ledger knows as scored is left
  /// as it is. True when the ledger learned something.
  bool mark_given(std::uint64_t key);

  /// The key of a segment: a hash of (call_id, segment_id).
  static std::uint64_t key(std::string_view call_id, std::string_view segment_id) noexcept;

  /// For checkpoints (engine/checkpoint.h): a restart still knows which
  /// segments have their verdict, and which are waiting for it (the engine
  /// saves those segments beside the ledger). deserialize() is all or nothing and throws
  /// std::runtime_error on a bad payload.
  [[nodiscard]] std::string serialize() const;
  void deserialize(std::string_view bytes);

  [[nodiscard]] std::size_t size() const noexcept { return tables_[0].size + tables_[1].size; }
  [[nodiscard]] std::size_t bytes() const noexcept;

  /// Content fingerprint: the times, every endpoint field and every stream
  /// metric, so that a changed value rules can read is a new copy (exposed for tests).
  static std::uint32_t fingerprint(const CallSegment& segment) noexcept;

 private:
  // kMaybeGiven: scored before a crash, content unknown (mark_given).
  enum : std::uint8_t { kUsed = 1, kScored = 2, kCounted = 4, kCall = 8, kMaybeGiven = 16 };
  struct Slot {
    std::uint64_t key = 0;
    std::uint64_t version = 0;
    std::uint32_t fingerprint = 0;
    std::uint32_t serial = 0;  ///< of the latest copy admitted
    std::uint8_t flags = 0;
  };
  struct Table {
    std::vector<Slot> slots;
    std::size_t size = 0;
    Slot* find(std::uint64_t key) noexcept;
    const Slot* find(std::uint64_t key) const noexcept;
    Slot& insert(std::uint64_t key);  // the key must not be present
    void clear() noexcept;
  };

  /// The entry for `key` in either generation, moved into the current one.
  Slot* lookup(std::uint64_t key);
  /// The entry for `key` in either generation, left where it is.
  [[nodiscard]] const Slot* find(std::uint64_t key) const noexcept;
  /// The current generation becomes the previous one; the previous one is dropped.
  void rotate() noexcept;
  Slot& add(std::uint64_t key);
  void rotate_if_due(TimeMs now);

  SegmentLedgerConfig config_;
  Table tables_[2];  // [0] current, [1] previous
  TimeMs generation_start_ = kNoTime;
  std::uint32_t serial_ = 0;
  bool versions_seen_ = false;  // any segment with a version yet
};

}  // namespace callroot::engine
