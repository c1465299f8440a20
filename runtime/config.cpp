#include "runtime/config.h"

#include <stdexcept>

#include "runtime/rule_watcher.h"

namespace callroot::runtime {

engine::AttributorPtr load_attribution(const AttributionConfig& config, RuleLoadReport& report) {
  std::shared_ptr<const rules::Program> program = config.program;
  if (!program && !config.rules.empty()) {
    program = load_rule_program(config.rules, report.diagnostics, &report.files);
    if (!program) return nullptr;
  }
  if (program) report.rules = program->rules().size();
  const engine::AttributorRegistry builtin = config.methods ? engine::AttributorRegistry{} : engine::builtin_attributors();
  const engine::AttributorRegistry& methods = config.methods ? *config.methods : builtin;
  engine::AttributorOptions options;
  options.rules = std::move(program);
  std::string error;
  engine::AttributorPtr attributor = methods.make(config.method, options, error);
  if (!attributor) report.diagnostics.push_back(error);
  return attributor;
}

engine::AttributorPtr require_attribution(const AttributionConfig& config) {
  RuleLoadReport report;
  engine::AttributorPtr attributor = load_attribution(config, report);
  if (!attributor) {
    std::string what = "the attribution did not load";
    for (const auto& d : report.diagnostics) what += "\n" + d;
    throw std::runtime_error(what);
  }
  return attributor;
}

}  // namespace callroot::runtime
