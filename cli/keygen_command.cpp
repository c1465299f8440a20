// `callroot keygen NAME`: a CurveZMQ key pair for the daemon or a client.
#include <cstdio>

#include "cli/command.h"
#include "runtime/curve.h"

namespace callroot::cli {
namespace {

class KeygenCommand final : public Command {
 public:
  explicit KeygenCommand(CLI::App& parent)
      : Command(parent.add_subcommand(
            "keygen", "Write a CurveZMQ key pair: NAME.key (secret, mode 0600) and NAME.pub (docs/security.md)")) {
    app_->add_option("name", base_, "Path and name of the pair, without extension")->required();
  }

  int run(std::shared_ptr<spdlog::logger> log) override {
    try {
      runtime::write_curve_key_pair(base_, runtime::generate_curve_key_pair());
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      return kExitUsage;
    }
    std::printf("wrote %s.key (keep it secret) and %s.pub (give it to the peers)\n", base_.c_str(), base_.c_str());
    return 0;
  }

 private:
  std::string base_;
};

}  // namespace

CommandPtr add_keygen_command(CLI::App& parent) { return std::make_unique<KeygenCommand>(parent); }

}  // namespace callroot::cli
