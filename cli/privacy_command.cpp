// `callroot privacy keygen|pseudonym`: organization keys and the pseudonyms they give.
#include "cli/command.h"
#include "runtime/privacy.h"

namespace callroot::cli {
namespace {

class PrivacyCommand final : public Command {
 public:
  explicit PrivacyCommand(CLI::App& parent)
      : Command(parent.add_subcommand("privacy", "Organization keys and pseudonyms (docs/privacy.md)")) {
    app_->require_subcommand(1);
    keygen_ = app_->add_subcommand("keygen", "Write a new random organization key");
    keygen_->add_option("--out", out_, "The key file to create (mode 0600, never overwritten); default stdout");
    pseudonym_ =
        app_->add_subcommand("pseudonym", "Print the pseudonym of each MAC, IP address, e-mail/user or hostname");
    pseudonym_->add_option("--key-file", key_file_, "The organization key file")->required()->check(CLI::ExistingFile);
    pseudonym_->add_option("values", values_, "Values to look up")->required();
  }

  int run(std::shared_ptr<spdlog::logger> log) override {
    if (keygen_->parsed()) return runtime::run_privacy_keygen(out_, *log);
    return runtime::run_privacy_pseudonym(key_file_, values_, *log);
  }

 private:
  CLI::App* keygen_ = nullptr;
  CLI::App* pseudonym_ = nullptr;
  std::string out_, key_file_;
  std::vector<std::string> values_;
};

}  // namespace

CommandPtr add_privacy_command(CLI::App& parent) { return std::make_unique<PrivacyCommand>(parent); }

}  // namespace callroot::cli
