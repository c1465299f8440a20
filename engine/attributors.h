#pragma once
/// The attribution methods by name: what `--attribution NAME` and an
/// embedder choose from. Each method is an Attributor assembled from
/// evidence sources and a calibration; the registry is a plain value, so a
/// program (the evaluation adds its reference methods) extends its own copy.
///
/// Built in:
/// - `heuristic`: the published targets alone;
/// - `rules`: a rule pack alone (needs one);
/// - `stats`: shared fate, baselines, tomography and elimination alone;
/// - `combined`: a rule pack, or the published targets without one, then
///   the statistics. The engine's default.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/attribution.h"
#include "engine/statistics_sources.h"
#include "rules/program.h"

namespace callroot::engine {

/// What a method may be built from.
struct AttributorOptions {
  std::shared_ptr<const rules::Program> rules;  ///< the loaded rule pack, or null
  StatisticsWeights statistics;
};

/// Builds a method; returns null and sets `error` when `options` lack what it needs.
using AttributorFactory = std::function<AttributorPtr(const AttributorOptions& options, std::string& error)>;

class AttributorRegistry {
 public:
  struct Entry {
    std::string name;
    std::string description;
    AttributorFactory factory;
  };

  /// Adds `name`, or replaces the method of that name.
  void add(std::string name, std::string description, AttributorFactory factory);
  /// The method `name` built from `options`; null with `error` set when the
  /// name is unknown or the method cannot be built from `options`.
  [[nodiscard]] AttributorPtr make(std::string_view name, const AttributorOptions& options, std::string& error) const;
  [[nodiscard]] bool contains(std::string_view name) const noexcept;
  /// "combined, heuristic, ...": the names in order, for messages.
  [[nodiscard]] std::string names() const;
  [[nodiscard]] const std::vector<Entry>& entries() const noexcept { return entries_; }

 private:
  std::vector<Entry> entries_;
};

/// heuristic, rules, stats and combined.
AttributorRegistry builtin_attributors();

/// The published targets alone.
AttributorPtr make_heuristic();
/// `rules` (or the published targets when null), then the statistics.
AttributorPtr make_combined(std::shared_ptr<const rules::Program> rules = nullptr,
                            const StatisticsWeights& config = {});
/// The rule pack alone.
AttributorPtr make_rules(std::shared_ptr<const rules::Program> rules);
/// The statistics alone.
AttributorPtr make_statistics(const StatisticsWeights& config = {});

}  // namespace callroot::engine
