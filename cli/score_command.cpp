// `callroot score`: verdicts graded against a scenario's ground truth (eval/).
#include "cli/command.h"
#include "eval/score.h"

namespace callroot::cli {
namespace {

class ScoreCommand final : public Command {
 public:
  explicit ScoreCommand(CLI::App& parent)
      : Command(parent.add_subcommand("score", "Grade verdicts against a scenario's ground truth")) {
    app_->add_option(
            "--truth", options_.truth,
            "The truth folder (DIR/truth) or its segments.jsonl; or an independent truth.json(.gz) or its folder")
        ->required();
    app_->add_option("verdicts", options_.verdicts, "Verdicts as JSON Lines ('-' for stdin)")->required();
    app_->add_flag("--json", options_.json, "One JSON object instead of the table");
    app_->add_flag("--by-site", options_.by_site, "Add the figures per site");
  }
  int run(std::shared_ptr<spdlog::logger> log) override { return eval::run_score(options_, log); }

 private:
  eval::ScoreOptions options_;
};

}  // namespace

CommandPtr add_score_command(CLI::App& parent) { return std::make_unique<ScoreCommand>(parent); }

}  // namespace callroot::cli
