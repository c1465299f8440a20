#include "runtime/correlator.h"

#include <stdexcept>

#include "runtime/privacy.h"
#include "runtime/replay.h"

namespace callroot::runtime {

class Correlator::Sink final : public engine::VerdictSink {
 public:
  Sink(VerdictHandler on_verdict, IncidentHandler on_incident)
      : on_verdict_(std::move(on_verdict)), on_incident_(std::move(on_incident)) {}
  void on_verdict(const Verdict& v) override {
    if (on_verdict_) on_verdict_(v);
  }
  void on_incident(const Incident& x) override {
    if (on_incident_) on_incident_(x);
  }

 private:
  VerdictHandler on_verdict_;
  IncidentHandler on_incident_;
};

Correlator::Correlator(Config config, VerdictHandler on_verdict, IncidentHandler on_incident,
                       std::shared_ptr<spdlog::logger> log)
    : config_(std::move(config)),
      log_(log ? std::move(log) : make_logger()),
      privacy_(load_privacy(config_.key_file, *log_)),
      sink_(std::make_unique<Sink>(std::move(on_verdict), std::move(on_incident))) {
  engine::AttributorPtr attribution = require_attribution(config_.attribution);
  pipeline_ = std::make_unique<Pipeline>(config_.engine, *sink_, log_, privacy_ ? &privacy_->pseudonymizer : nullptr);
  pipeline_->engine().set_attributor(std::move(attribution));
}

Correlator::~Correlator() = default;

bool Correlator::push(std::string_view json, engine::SourceId source, std::string_view type_hint) {
  const ingest::Position where{"push", ++pushed_};
  return pipeline_->feed(json, where, /*padded=*/false, type_hint, source);
}

void Correlator::replay(const std::vector<std::string>& files) {
  ReplayOptions options;
  options.files = files;
  options.progress = false;
  options.config = config_;
  merge_files(options, *pipeline_, privacy_ ? &privacy_->pseudonymizer : nullptr, log_);
}

void Correlator::flush() { pipeline_->flush(); }

void Correlator::save_checkpoint(const std::string& path) const {
  pipeline_->engine().save_checkpoint(path, privacy_ ? &privacy_->cipher : nullptr);
}

void Correlator::restore_checkpoint(const std::string& path) {
  pipeline_->engine().restore_checkpoint(path, privacy_ ? &privacy_->cipher : nullptr);
}

bool Correlator::reload_rules(std::vector<std::string>& diagnostics) {
  RuleLoadReport report;
  AttributionConfig reload = config_.attribution;
  if (!reload.rules.empty()) reload.program = nullptr;  // read the files again
  engine::AttributorPtr attribution = load_attribution(reload, report);
  diagnostics = std::move(report.diagnostics);
  if (!attribution) return false;
  pipeline_->engine().set_attributor(std::move(attribution));
  return true;
}

const PipelineStats& Correlator::stats() const noexcept { return pipeline_->stats(); }
const engine::EngineStats& Correlator::engine_stats() const noexcept { return pipeline_->engine().stats(); }
std::string Correlator::summary() const { return pipeline_->summary(); }

}  // namespace callroot::runtime
