// `callroot route`: records partitioned by site into NATS JetStream (runtime/route.h).
#include <cstdio>

#include "cli/command.h"
#include "runtime/route.h"

namespace callroot::cli {
namespace {

class RouteCommand final : public Command {
 public:
  explicit RouteCommand(CLI::App& parent)
      : Command(parent.add_subcommand(
            "route",
            "Publish records to NATS JetStream by site, in batches to callroot.p<k>.site.<site> (docs/scale-out.md)")) {
    app_->add_option("files", options_.files, "JSON Lines files, merged by event time (\"-\": standard input)")
        ->required();
    app_->add_option("--nats", options_.url, "The NATS server")->capture_default_str();
    app_->add_option("--retention-s", retention_s_, "How long the stream keeps records (seconds)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app_->add_option("--partitions", options_.partitions,
                     "Streams the sites are spread over (CALLROOT_P0...): fixed by the first router to a server")
        ->capture_default_str()
        ->check(CLI::Range(1, 4096));
  }

  int run(std::shared_ptr<spdlog::logger> log) override {
    options_.retention = std::chrono::seconds(retention_s_);
    try {
      const runtime::RouteStats s = runtime::route_files(options_, *log);
      std::fprintf(stderr,
                   "route: %llu records read, %llu published in %llu messages: inventory %llu, to sites %llu (%llu to "
                   "two sites), unrouted %llu, rejected %llu\n",
                   static_cast<unsigned long long>(s.read), static_cast<unsigned long long>(s.published),
                   static_cast<unsigned long long>(s.messages),
                   static_cast<unsigned long long>(s.router.inventory), static_cast<unsigned long long>(s.router.routed),
                   static_cast<unsigned long long>(s.router.multi_site),
                   static_cast<unsigned long long>(s.router.unrouted),
                   static_cast<unsigned long long>(s.router.rejected));
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      return kExitUsage;
    }
    return 0;
  }

 private:
  runtime::RouteOptions options_;
  std::int64_t retention_s_ = 7200;
};

}  // namespace

CommandPtr add_route_command(CLI::App& parent) { return std::make_unique<RouteCommand>(parent); }

}  // namespace callroot::cli
