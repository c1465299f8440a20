#include "tools/rule_watcher.h"

#include <algorithm>

namespace callroot::tools {

RuleWatcher::RuleWatcher(std::vector<std::string> paths, RuleLoader loader, std::shared_ptr<spdlog::logger> log,
                         std::chrono::milliseconds interval)
    : paths_(std::move(paths)),
      loader_(std::move(loader)),
      log_(std::move(log)),
      interval_(interval),
      next_check_(std::chrono::steady_clock::now() + interval) {}

std::vector<RuleWatcher::Stamp> RuleWatcher::stamps() const {
  // A folder stands for the .rules files in it, so adding a file counts as a change.
  std::vector<Stamp> out;
  auto add = [&](const std::filesystem::path& p) {
    std::error_code ec;
    Stamp s{p.string(), std::filesystem::last_write_time(p, ec), 0};
    if (!ec) s.size = std::filesystem::file_size(p, ec);
    out.push_back(std::move(s));
  };
  for (const auto& path : paths_) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
        if (entry.path().extension() == ".rules") add(entry.path());
      }
    } else {
      add(path);
    }
  }
  std::sort(out.begin(), out.end(), [](const Stamp& a, const Stamp& b) { return a.path < b.path; });
  return out;
}

engine::AttributorPtr RuleWatcher::load(const char* why) {
  std::vector<std::string> diagnostics;
  engine::AttributorPtr attributor = loader_(paths_, diagnostics);
  if (!attributor) {
    ++rejected_;
    log_->error("rules ({}): not loaded; the running rules stay in force. {} diagnostic(s):", why, diagnostics.size());
    for (const auto& d : diagnostics) log_->error("{}", d);
    return nullptr;
  }
  for (const auto& d : diagnostics) log_->warn("{}", d);  // warnings of a rule set that loaded
  ++reloads_;
  log_->info("rules ({}): loaded from {}", why, fmt::join(paths_, ", "));
  return attributor;
}

engine::AttributorPtr RuleWatcher::load_initial() {
  seen_ = stamps();
  return load("start");
}

engine::AttributorPtr RuleWatcher::poll(bool forced) {
  const auto now = std::chrono::steady_clock::now();
  if (!forced && now < next_check_) return nullptr;
  next_check_ = now + interval_;
  auto current = stamps();
  if (!forced && current == seen_) return nullptr;
  // Remember the stamps even when the load fails: the broken edit is
  // reported once, not every second, and the next edit triggers a new try.
  seen_ = std::move(current);
  return load(forced ? "SIGHUP" : "files changed");
}

}  // namespace callroot::tools
