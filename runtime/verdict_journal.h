#pragma once
/// The verdicts given since the last checkpoint, written ahead of each one, so
/// that a daemon killed between two checkpoints knows after its restart which
/// segments may already have had a verdict (docs/contract.md §5.3).
///
/// A checkpoint holds the ledger of segments scored up to it and the segments
/// still waiting. What happened after it is lost with a crash: without the
/// journal, a sender that delivers those segments again would get a second
/// verdict not marked as such. With it, the restarted engine marks their next
/// verdict `reissued` (engine::Engine::restore_given).
///
/// File layout: "CALLROOT-JRNL" (13 bytes), u32 version, then one u64 per
/// verdict (engine::SegmentLedger::key, little-endian). Each key is one
/// write(2) before the verdict leaves: a process killed at any point leaves
/// whole entries behind it (the kernel keeps what was written), and a torn
/// tail after a power cut is ignored. The file is emptied after every
/// checkpoint, which then holds what it said. It names no call: keys are
/// hashes.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "engine/sink.h"

namespace callroot::runtime {

class VerdictJournal {
 public:
  /// Opens `path` for appending, creating it (mode 0600) with its header when
  /// it is missing or empty. Throws std::runtime_error naming the file.
  explicit VerdictJournal(std::string path);
  ~VerdictJournal();
  VerdictJournal(const VerdictJournal&) = delete;
  VerdictJournal& operator=(const VerdictJournal&) = delete;

  /// The keys in `path`, in order; none when the file does not exist. Throws
  /// std::runtime_error naming the file when it is not a journal.
  static std::vector<std::uint64_t> read(const std::string& path);

  /// Appends one key; false (and errno set) when the write failed.
  bool append(std::uint64_t key) noexcept;
  /// Empties the journal after a checkpoint; throws std::runtime_error naming the file.
  void reset();

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  void write_header();
  std::string path_;
  int fd_ = -1;
};

/// Journals each verdict's key, then hands the verdict on. A verdict whose key
/// cannot be written still goes out (output matters more than its record):
/// the failure is counted and logged, the first and then one in 1,000.
class JournalingSink final : public engine::VerdictSink {
 public:
  JournalingSink(engine::VerdictSink& next, VerdictJournal& journal, std::shared_ptr<spdlog::logger> log)
      : next_(next), journal_(journal), log_(std::move(log)) {}
  void on_verdict(const Verdict& v) override;
  void on_incident(const Incident& x) override { next_.on_incident(x); }
  [[nodiscard]] std::uint64_t failures() const noexcept { return failures_; }

 private:
  engine::VerdictSink& next_;
  VerdictJournal& journal_;
  std::shared_ptr<spdlog::logger> log_;
  std::uint64_t failures_ = 0;
};

}  // namespace callroot::runtime
