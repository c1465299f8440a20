#pragma once
/// Reloads rules without a restart: on request (SIGHUP) or when a rule file
/// changes (checked at most once per interval, by modification time and
/// size). A reload compiles on a thread of its own, off the scoring path;
/// poll() hands over the result once it is ready. Only a rule set without
/// errors replaces the running one, and every diagnostic of a broken edit is
/// logged while the old rules keep running.

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "engine/attribution.h"

namespace callroot::tools {

/// Loads the rule paths into an attribution. On failure returns nullptr and
/// fills `diagnostics` (one rendered diagnostic per entry).
using RuleLoader = std::function<engine::AttributorPtr(const std::vector<std::string>& paths,
                                                       std::vector<std::string>& diagnostics)>;

class RuleWatcher {
 public:
  /// With `background` false the reload compiles inside poll() (tests, tools).
  RuleWatcher(std::vector<std::string> paths, RuleLoader loader, std::shared_ptr<spdlog::logger> log,
              std::chrono::milliseconds interval = std::chrono::milliseconds(1000), bool background = true);
  ~RuleWatcher();

  /// The first load; nullptr when it failed (the caller decides whether to run without rules).
  engine::AttributorPtr load_initial();
  /// Starts a reload when `forced` (SIGHUP) or the files changed since the
  /// last look; returns the new attribution once a reload has compiled
  /// without errors (in the background: on a later call), nullptr otherwise.
  engine::AttributorPtr poll(bool forced);

  [[nodiscard]] std::uint64_t reloads() const noexcept { return reloads_; }
  [[nodiscard]] std::uint64_t rejected() const noexcept { return rejected_; }

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
  engine::AttributorPtr finish(engine::AttributorPtr attributor, std::vector<std::string> diagnostics,
                               const char* why);

  std::vector<std::string> paths_;
  RuleLoader loader_;
  std::shared_ptr<spdlog::logger> log_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point next_check_;
  std::vector<Stamp> seen_;
  std::uint64_t reloads_ = 0;
  std::uint64_t rejected_ = 0;
  bool background_;
  struct Loaded {
    engine::AttributorPtr attributor;
    std::vector<std::string> diagnostics;
    const char* why = "";
  };
  std::future<Loaded> pending_;  // a reload compiling in the background
  bool again_ = false;           // another change came in while it compiled
};

}  // namespace callroot::tools
