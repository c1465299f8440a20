// `callroot report`: one self-contained HTML page from verdicts and their inputs (report/).
#include <cstdio>
#include <fstream>

#include "cli/command.h"
#include "report/report.h"

namespace callroot::cli {
namespace {

class ReportCommand final : public Command {
 public:
  explicit ReportCommand(CLI::App& parent)
      : Command(parent.add_subcommand(
            "report", "Write one HTML page of the verdicts: topology heat map, incidents, call timelines")) {
    app_->add_option("verdicts", verdicts_, "Verdicts and incident records as JSON Lines (replay --format jsonl)")
        ->required()
        ->check(CLI::ExistingFile);
    app_->add_option("inputs", options_.inputs,
                     "The records they were scored from (JSON Lines): stream figures and the blamed hops' telemetry")
        ->check(CLI::ExistingFile);
    app_->add_option("--out", out_, "The HTML file to write")->required();
    app_->add_option("--title", options_.title, "The page's title")->capture_default_str();
    app_->add_option("--max-calls", options_.max_calls, "Calls with poor segments drawn, worst first")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
  }

  int run(std::shared_ptr<spdlog::logger> log) override {
    options_.verdicts = {verdicts_};
    std::ofstream out(out_, std::ios::binary);
    if (!out) {
      log->error("cannot write {}", out_);
      return kExitUsage;
    }
    try {
      const report::ReportStats s = report::write_report(options_, out);
      out.close();
      if (!out) {
        log->error("cannot write {}", out_);
        return kExitUsage;
      }
      std::fprintf(stderr,
                   "report: %llu verdicts (%llu poor), %llu incident records, %llu sites, %llu calls drawn; "
                   "%llu input records (%llu not decoded) -> %s\n",
                   static_cast<unsigned long long>(s.verdicts), static_cast<unsigned long long>(s.poor),
                   static_cast<unsigned long long>(s.incident_records), static_cast<unsigned long long>(s.sites),
                   static_cast<unsigned long long>(s.calls_drawn), static_cast<unsigned long long>(s.input_records),
                   static_cast<unsigned long long>(s.input_rejected), out_.c_str());
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      return kExitUsage;
    }
    return 0;
  }

 private:
  report::ReportOptions options_;
  std::string verdicts_;
  std::string out_;
};

}  // namespace

CommandPtr add_report_command(CLI::App& parent) { return std::make_unique<ReportCommand>(parent); }

}  // namespace callroot::cli
