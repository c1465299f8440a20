#include "engine/attributors.h"

#include <algorithm>

#include "engine/published_targets.h"
#include "engine/rule_source.h"

namespace callroot::engine {

void AttributorRegistry::add(std::string name, std::string description, AttributorFactory factory) {
  for (Entry& e : entries_) {
    if (e.name == name) {
      e = Entry{std::move(name), std::move(description), std::move(factory)};
      return;
    }
  }
  entries_.push_back(Entry{std::move(name), std::move(description), std::move(factory)});
}

AttributorPtr AttributorRegistry::make(std::string_view name, const AttributorOptions& options,
                                       std::string& error) const {
  for (const Entry& e : entries_) {
    if (e.name == name) return e.factory(options, error);
  }
  error = "unknown attribution method '" + std::string(name) + "'";
  return nullptr;
}

bool AttributorRegistry::contains(std::string_view name) const noexcept {
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.name == name; });
}

std::string AttributorRegistry::names() const {
  std::string list;
  for (const Entry& e : entries_) {
    if (!list.empty()) list += ", ";
    list += e.name;
  }
  return list;
}

AttributorPtr make_heuristic() {
  std::vector<EvidenceProviderPtr> sources;
  sources.push_back(std::make_unique<PublishedTargets>());
  return std::make_unique<Attributor>("heuristic", std::move(sources));
}

AttributorPtr make_rules(std::shared_ptr<const rules::Program> rules) {
  std::vector<EvidenceProviderPtr> sources;
  sources.push_back(std::make_unique<RuleSource>(std::move(rules)));
  return std::make_unique<Attributor>("rules", std::move(sources));
}

AttributorPtr make_combined(std::shared_ptr<const rules::Program> rules, const StatisticsWeights& config) {
  std::vector<EvidenceProviderPtr> sources;
  if (rules) {
    sources.push_back(std::make_unique<RuleSource>(std::move(rules)));
  } else {
    sources.push_back(std::make_unique<PublishedTargets>());
  }
  append_statistics(config, /*name_remote=*/false, sources);
  return std::make_unique<Attributor>("combined", std::move(sources), config.calibration);
}

AttributorPtr make_statistics(const StatisticsWeights& config) {
  std::vector<EvidenceProviderPtr> sources;
  append_statistics(config, /*name_remote=*/true, sources);
  return std::make_unique<Attributor>("stats", std::move(sources), config.calibration);
}

AttributorRegistry builtin_attributors() {
  AttributorRegistry r;
  r.add("combined", "the rule pack (or the published targets without one), then the statistics: the default",
        [](const AttributorOptions& o, std::string&) { return make_combined(o.rules, o.statistics); });
  r.add("heuristic", "the published targets alone",
        [](const AttributorOptions&, std::string&) { return make_heuristic(); });
  r.add("rules", "the rule pack alone", [](const AttributorOptions& o, std::string& error) -> AttributorPtr {
    if (!o.rules) {
      error = "the rules method needs a rule pack (--rules)";
      return nullptr;
    }
    return make_rules(o.rules);
  });
  r.add("stats", "shared fate, baselines, tomography and elimination alone",
        [](const AttributorOptions& o, std::string&) { return make_statistics(o.statistics); });
  return r;
}

}  // namespace callroot::engine
