#pragma once
/// Reloads rules without a restart: on request (SIGHUP) or when a rule file
/// changes (checked at most once per interval, by modification time and
/// size). A reload compiles on a thread of its own, off the scoring path;
/// poll() hands over the result once it is ready. Only a rule set without
/// errors replaces the running one, and every diagnostic of a broken edit is
/// logged while the old rules keep running. A set that lost files or rules
/// since the last load (a deleted file, an edit saved half-way) is reported,
/// and refused when asked to.

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "engine/attribution.h"
#include "engine/attributors.h"
#include "rules/program.h"
#include "runtime/clock.h"
#include "runtime/config.h"

namespace callroot::runtime {

/// Loads the rule paths into an attribution. On failure returns nullptr with
/// the diagnostics in the report.
using RuleLoader =
    std::function<engine::AttributorPtr(const std::vector<std::string>& paths, RuleLoadReport& report)>;

/// Loads rule files into a program; on errors returns nullptr and the
/// rendered diagnostics (warnings are returned too when it loads). With
/// `files`, also the rule files read, in load order.
std::shared_ptr<const rules::Program> load_rule_program(const std::vector<std::string>& paths,
                                                        std::vector<std::string>& diagnostics,
                                                        std::vector<std::string>* files = nullptr);
/// Reloads: the attribution `config` describes, with its rules read from the
/// paths the watcher passes (load_attribution).
RuleLoader rule_loader(AttributionConfig config);

class RuleWatcher {
 public:
  /// With `background` false the reload compiles inside poll() (tests, tools).
  /// The interval between looks at the files is measured on `clock`.
  RuleWatcher(std::vector<std::string> paths, RuleLoader loader, std::shared_ptr<spdlog::logger> log,
              std::chrono::milliseconds interval = std::chrono::milliseconds(1000), bool background = true,
              Clock& clock = steady_clock());
  ~RuleWatcher();

  /// The first load; nullptr when it failed (the caller decides whether to run without rules).
  engine::AttributorPtr load_initial();
  /// Starts a reload when `forced` (SIGHUP) or the files changed since the
  /// last look; returns the new attribution once a reload has compiled
  /// without errors (in the background: on a later call), nullptr otherwise.
  engine::AttributorPtr poll(bool forced);

  /// Refuse a reload that has fewer files or rules than the running set
  /// (it is reported either way).
  void set_refuse_shrink(bool refuse) noexcept { refuse_shrink_ = refuse; }

  /// Loads that took over, the first one included.
  [[nodiscard]] std::uint64_t reloads() const noexcept { return reloads_; }
  /// The rule files the running set was loaded from.
  [[nodiscard]] const std::vector<std::string>& files() const noexcept { return running_.files; }
  [[nodiscard]] std::uint64_t rejected() const noexcept { return rejected_; }
  /// Loads that had fewer files or rules than the set before them.
  [[nodiscard]] std::uint64_t shrunk() const noexcept { return shrunk_; }

 private:
  struct Stamp {
    std::string path;
    std::filesystem::file_time_type mtime;
    std::uintmax_t size = 0;
    friend bool operator==(const Stamp&, const Stamp&) = default;
  };
  [[nodiscard]] std::vector<Stamp> stamps() const;
  engine::AttributorPtr load(const char* why);
  /// The result of a finished load: the attribution, or nullptr with the diagnostics logged.
  engine::AttributorPtr finish(engine::AttributorPtr attributor, RuleLoadReport report, const char* why);
  /// Whether a loaded set has fewer files or rules than the running one; logged.
  bool shrank(const RuleLoadReport& report, const char* why);

  std::vector<std::string> paths_;
  RuleLoader loader_;
  std::shared_ptr<spdlog::logger> log_;
  std::chrono::milliseconds interval_;
  Clock& clock_;
  Clock::time_point next_check_;
  std::vector<Stamp> seen_;
  std::uint64_t reloads_ = 0;
  std::uint64_t rejected_ = 0;
  std::uint64_t shrunk_ = 0;
  bool background_;
  bool refuse_shrink_ = false;
  bool loaded_once_ = false;
  RuleLoadReport running_;  // what the running set was loaded from
  struct Loaded {
    engine::AttributorPtr attributor;
    RuleLoadReport report;
    const char* why = "";
  };
  std::future<Loaded> pending_;  // a reload compiling in the background
  bool again_ = false;           // another change came in while it compiled
};

}  // namespace callroot::runtime
