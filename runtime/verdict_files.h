#pragma once
/// Verdicts kept where operators keep them: JSON Lines files in a folder,
/// rotated by size and age (`callroot run --out-dir`, docs/operations.md).
///
/// The file being written is DIR/verdicts.jsonl; a rotation renames it to
/// DIR/verdicts-<UTC time>-<NNNNNN>.jsonl (names sort in the order written)
/// and starts a new one, so every other file in the folder is complete and
/// never changes again. Each line goes to the
/// kernel with write(2) as it is made, so a killed daemon loses none it
/// wrote; fsync(2) makes them durable against a power cut every
/// `sync_every` (and at each rotation, before each checkpoint and at exit),
/// or after every line with `sync_each_line`. A line cut short by a crash (a
/// power cut mid-write) is cut off when the file is opened again, so the
/// file stays JSON Lines; the verdicts a restarted daemon gives again from
/// its checkpoint come marked `reissued` (contract.md §5.3).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "engine/sink.h"
#include "runtime/clock.h"

namespace callroot::runtime {

struct VerdictFilesOptions {
  std::string dir;                       ///< empty: no files
  std::uint64_t max_bytes = 64ull << 20;  ///< rotate once the file is this large (0: never for size)
  std::chrono::seconds max_age{3600};    ///< rotate a file this old, counted from when it was opened (0: never)
  std::chrono::milliseconds sync_every{1000};  ///< fsync at most this often (with tick())
  bool sync_each_line = false;           ///< fsync after every line (slow; for disks that must not lose one)
};

struct VerdictFilesStats {
  std::uint64_t lines = 0;
  std::uint64_t rotations = 0;
  std::uint64_t syncs = 0;
  std::uint64_t torn_bytes_dropped = 0;  ///< of a line a crash cut short, found at open
  std::uint64_t write_errors = 0;
};

class VerdictFiles final : public engine::VerdictSink {
 public:
  /// Creates the folder when missing and opens (or continues) verdicts.jsonl.
  /// Throws std::runtime_error naming the path when it cannot.
  VerdictFiles(VerdictFilesOptions options, std::shared_ptr<spdlog::logger> log, Clock& clock = steady_clock());
  ~VerdictFiles() override;  // syncs and closes
  VerdictFiles(const VerdictFiles&) = delete;
  VerdictFiles& operator=(const VerdictFiles&) = delete;

  void on_verdict(const Verdict& v) override;
  void on_incident(const Incident& x) override;
  /// From the daemon's loop: syncs when `sync_every` has passed, rotates a file past its age.
  void tick();
  /// Makes every line written so far durable (before a checkpoint, at exit).
  void sync();
  /// Rotation and sync policy from a configuration reload; the folder stays
  /// (`policy.dir` is ignored). The file being written is judged by the new
  /// limits at its next line or tick().
  void set_policy(const VerdictFilesOptions& policy);

  [[nodiscard]] const VerdictFilesStats& stats() const noexcept { return stats_; }
  [[nodiscard]] std::string current_path() const;

 private:
  void open_current();
  void write_line();
  void rotate();

  VerdictFilesOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  Clock& clock_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  bool dirty_ = false;  // written since the last fsync
  Clock::time_point opened_at_;
  Clock::time_point synced_at_;
  std::string line_;
  VerdictFilesStats stats_;
};

/// Hands each verdict and incident record to two sinks, in order.
class TeeSink final : public engine::VerdictSink {
 public:
  TeeSink(engine::VerdictSink& first, engine::VerdictSink& second) : first_(first), second_(second) {}
  void on_verdict(const Verdict& v) override {
    first_.on_verdict(v);
    second_.on_verdict(v);
  }
  void on_incident(const Incident& x) override {
    first_.on_incident(x);
    second_.on_incident(x);
  }

 private:
  engine::VerdictSink& first_;
  engine::VerdictSink& second_;
};

}  // namespace callroot::runtime
