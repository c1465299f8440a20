#include "runtime/rule_watcher.h"

#include <algorithm>

#include "rules/loader.h"
#include "runtime/pipeline.h"

namespace callroot::runtime {

std::shared_ptr<const rules::Program> load_rule_program(const std::vector<std::string>& paths,
                                                        std::vector<std::string>& diagnostics,
                                                        std::vector<std::string>* files) {
  const rules::LoadResult loaded = rules::load_rules(paths);
  for (const auto& d : loaded.diagnostics) diagnostics.push_back(rules::render_text(d));
  if (files != nullptr) {
    // files[0] is the published targets, not the user's.
    for (std::size_t i = 1; i < loaded.files.size(); ++i) files->push_back(loaded.files[i]->path);
  }
  if (loaded.has_errors() || !loaded.program) return nullptr;
  return loaded.program;
}

RuleLoader rule_loader(AttributionConfig config) {
  config.program = nullptr;  // a reload reads the files
  return [config = std::move(config)](const std::vector<std::string>& paths,
                                      RuleLoadReport& report) -> engine::AttributorPtr {
    AttributionConfig reload = config;
    reload.rules = paths;
    return load_attribution(reload, report);
  };
}

RuleWatcher::RuleWatcher(std::vector<std::string> paths, RuleLoader loader, std::shared_ptr<spdlog::logger> log,
                         std::chrono::milliseconds interval, bool background, Clock& clock)
    : paths_(std::move(paths)),
      loader_(std::move(loader)),
      log_(std::move(log)),
      interval_(interval),
      clock_(clock),
      next_check_(clock.now() + interval),
      background_(background) {}

RuleWatcher::~RuleWatcher() {
  if (pending_.valid()) pending_.wait();  // the loader may still be reading our paths
}

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

bool RuleWatcher::shrank(const RuleLoadReport& report, const char* why) {
  if (!loaded_once_) return false;
  std::vector<std::string> gone;
  for (const auto& f : running_.files) {
    if (std::find(report.files.begin(), report.files.end(), f) == report.files.end()) gone.push_back(f);
  }
  if (gone.empty() && report.rules >= running_.rules) return false;
  ++shrunk_;
  log_->warn("rules ({}): the new set has {} rule(s) in {} file(s), the running one {} in {}{}{}{}", why, report.rules,
             report.files.size(), running_.rules, running_.files.size(), gone.empty() ? "" : "; gone: ",
             fmt::join(gone, ", "),
             refuse_shrink_ ? "; refused (rules_refuse_shrink), the running rules stay in force" : "");
  return true;
}

engine::AttributorPtr RuleWatcher::finish(engine::AttributorPtr attributor, RuleLoadReport report, const char* why) {
  if (!attributor) {
    ++rejected_;
    log_->error("rules ({}): not loaded; the running rules stay in force. {} diagnostic(s):", why,
                report.diagnostics.size());
    for (const auto& d : report.diagnostics) {
      // Each at its own severity: a rule set that failed on one error may also carry warnings.
      const std::string_view first_line = std::string_view(d).substr(0, d.find('\n'));
      log_lines(*log_, first_line.find(": warning[") != std::string_view::npos ? spdlog::level::warn : spdlog::level::err,
                d);
    }
    return nullptr;
  }
  for (const auto& d : report.diagnostics) log_lines(*log_, spdlog::level::warn, d);  // warnings of a set that loaded
  if (shrank(report, why) && refuse_shrink_) {
    ++rejected_;
    return nullptr;
  }
  ++reloads_;
  log_->info("rules ({}): {} rule(s) loaded from {}", why, report.rules, fmt::join(paths_, ", "));
  running_ = std::move(report);
  running_.diagnostics.clear();
  loaded_once_ = true;
  return attributor;
}

engine::AttributorPtr RuleWatcher::load(const char* why) {
  RuleLoadReport report;
  engine::AttributorPtr attributor = loader_(paths_, report);
  return finish(std::move(attributor), std::move(report), why);
}

engine::AttributorPtr RuleWatcher::load_initial() {
  seen_ = stamps();
  return load("start");
}

engine::AttributorPtr RuleWatcher::poll(bool forced) {
  engine::AttributorPtr result;
  // A background reload that has finished: hand it over.
  if (pending_.valid() && pending_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    Loaded loaded = pending_.get();
    result = finish(std::move(loaded.attributor), std::move(loaded.report), loaded.why);
  }
  const auto now = clock_.now();
  bool start = false;
  const char* why = forced ? "SIGHUP" : "files changed";
  if (forced || now >= next_check_) {
    next_check_ = now + interval_;
    auto current = stamps();
    // Remember the stamps even when the load fails: the broken edit is
    // reported once, not every second, and the next edit triggers a new try.
    if (forced || current != seen_) {
      seen_ = std::move(current);
      start = true;
    }
  }
  if (again_ && !pending_.valid()) {
    start = true;  // a change that came in while the last reload compiled
    why = "files changed";
  }
  if (start) {
    if (pending_.valid()) {
      again_ = true;  // one at a time; this change is picked up when it is done
    } else if (background_) {
      again_ = false;
      pending_ = std::async(std::launch::async, [loader = loader_, paths = paths_, why] {
        Loaded loaded;
        loaded.attributor = loader(paths, loaded.report);
        loaded.why = why;
        return loaded;
      });
    } else {
      again_ = false;
      if (auto attributor = load(why)) result = std::move(attributor);
    }
  }
  return result;
}

}  // namespace callroot::runtime
