// `callroot run`: the daemon. Flags override the configuration file only when given.
#include <cstdio>

#include "cli/attribution_mode.h"
#include "cli/command.h"
#include "runtime/daemon.h"
#include "runtime/nats_instance.h"

namespace callroot::cli {
namespace {

class RunCommand final : public Command {
 public:
  explicit RunCommand(CLI::App& parent)
      : Command(parent.add_subcommand("run", "Run the daemon: records in over ZeroMQ, verdicts out on PUB")) {
    CLI::App& cmd = *app_;
    cmd.add_option("--config", config_path_, "JSON configuration file, read again on SIGHUP")->check(CLI::ExistingFile);
    cmd.add_option("--sub", sub_, "Bind an ingest SUB socket here (default tcp://127.0.0.1:7710)")
        ->allow_extra_args(false);
    cmd.add_option("--pull", pull_, "Bind an ingest PULL socket here (default tcp://127.0.0.1:7711)")
        ->allow_extra_args(false);
    cmd.add_option("--pub", pub_, "Bind the verdict PUB socket here (default tcp://127.0.0.1:7720)")
        ->allow_extra_args(false);
    cmd.add_option("--iface", iface_, "Also capture records and RTP on this interface (needs CAP_NET_RAW)");
    cmd.add_option("--bpf", bpf_, "With --iface: a pcap filter, e.g. 'udp or tcp port 7711'");
    capture_.add(cmd, "none");
    method_option_ = add_attribution_option(cmd, method_);
    cmd.add_option("--rules", rules_,
                   "Attribute with these rule files or folders; reloaded on SIGHUP and when they change")
        ->allow_extra_args(false);
    cmd.add_flag("--rules-refuse-shrink", refuse_shrink_,
                 "Refuse a rule reload that has fewer files or rules than the running set");
    cmd.add_option("--checkpoint", checkpoint_,
                   "Checkpoint file (open incidents, baselines): restored at start, saved periodically and at exit");
    cmd.add_option("--checkpoint-every-s", checkpoint_every_,
                   "Wall-time seconds between checkpoints (default 300; 0: only at exit)")
        ->check(CLI::NonNegativeNumber);
    cmd.add_option("--key-file", key_file_,
                   "Privacy mode: pseudonymize users, hostnames and MACs with this organization key, keep input "
                   "values out of the log, encrypt checkpoints (docs/privacy.md)")
        ->check(CLI::ExistingFile);
    cmd.add_option("--curve-key", curve_key_,
                   "CurveZMQ: the daemon's key pair (from `callroot keygen`); every socket then admits only the "
                   "clients in --curve-allow (docs/security.md)")
        ->check(CLI::ExistingFile);
    cmd.add_option("--curve-allow", curve_allow_, "CurveZMQ: a folder of the client public keys (*.pub) admitted")
        ->check(CLI::ExistingDirectory);
    cmd.add_flag("--insecure", insecure_, "Allow binding an address other than loopback without CURVE");
    cmd.add_option("--out-dir", out_dir_,
                   "Also write verdicts and incident records to rotating JSON Lines files in this folder "
                   "(verdicts.jsonl, rotated to verdicts-<UTC time>.jsonl; docs/operations.md)");
    cmd.add_option("--rotate-mb", rotate_mb_, "With --out-dir: rotate past this many MiB (default 64; 0: never)")
        ->check(CLI::NonNegativeNumber);
    cmd.add_option("--rotate-s", rotate_s_, "With --out-dir: rotate a file this many seconds old (default 3600; 0: never)")
        ->check(CLI::NonNegativeNumber);
    cmd.add_flag("--sync-each-line", sync_each_line_,
                 "With --out-dir: fsync after every line (default: at most once a second, at rotation and checkpoints)");
    cmd.add_option("--metrics-listen", metrics_listen_,
                   "Serve Prometheus /metrics, /healthz and /readyz on this address, e.g. 127.0.0.1:9464 "
                   "(docs/operations.md)");
    cmd.add_option("--nats", nats_,
                   "Score sites from NATS JetStream instead of ZeroMQ: the stream `callroot route` fills, verdicts "
                   "to callroot.verdicts.<site> (docs/scale-out.md)");
    cmd.add_option("--sites", sites_, "With --nats: the sites this instance may hold (a shell pattern)")
        ->capture_default_str();
    cmd.add_option("--partition", partition_, "With --nats: hold the sites of hash partition I of N (I/N)")
        ->check([](const std::string& v) {
          return runtime::SiteSelection::parse_partition(v) ? std::string() : std::string("I/N with I < N");
        });
    cmd.add_option("--instance", instance_, "With --nats: this instance's name in the site leases (default host-pid)");
    cmd.add_option("--lease-ms", lease_ms_, "With --nats: a site lease's time to live")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    cmd.add_option("--memory-limit-mb", memory_limit_,
                   "Memory ceiling in MiB: above it telemetry is shed, call records still taken (default 1024; 0: none)")
        ->check(CLI::NonNegativeNumber);
  }

  int run(std::shared_ptr<spdlog::logger> log) override {
    // The engine's methods and the evaluation's references, as `replay` offers them.
    const auto methods = std::make_shared<const engine::AttributorRegistry>(attribution_methods());
    runtime::DaemonOptions daemon;
    try {
      daemon = options(methods);
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      return kExitUsage;
    }
    if (!nats_.empty()) return run_nats(daemon, log);
    runtime::ConfigReader reread;
    if (!config_path_.empty()) reread = [this, methods] { return options(methods); };
    return runtime::run_daemon(daemon, log, {}, reread);
  }

 private:
  /// One instance of a NATS deployment, with the engine and attribution configured as for the daemon.
  int run_nats(const runtime::DaemonOptions& daemon, const std::shared_ptr<spdlog::logger>& log) const {
    runtime::NatsRunOptions o;
    o.url = nats_;
    o.selection.pattern = sites_;
    if (!partition_.empty()) o.selection = *runtime::SiteSelection::parse_partition(partition_);
    o.instance = instance_;
    o.lease = std::chrono::milliseconds(lease_ms_);
    if (checkpoint_every_ > 0) o.checkpoint_every = std::chrono::seconds(checkpoint_every_);
    o.idle_flush = daemon.idle_flush;
    o.config = daemon.config;
    return runtime::run_nats(o, log);
  }

  /// The configuration file with the flags given over it: at start, and again on SIGHUP.
  [[nodiscard]] runtime::DaemonOptions options(const std::shared_ptr<const engine::AttributorRegistry>& methods) const {
    runtime::DaemonOptions daemon;
    daemon.config.attribution.methods = methods;
    if (!config_path_.empty()) daemon = runtime::load_daemon_config(config_path_, methods);
    if (!sub_.empty()) daemon.source.sub_endpoints = sub_;
    if (!pull_.empty()) daemon.source.pull_endpoints = pull_;
    if (!pub_.empty()) daemon.publish = pub_;
    if (!rules_.empty()) daemon.config.attribution.rules = rules_;
    if (refuse_shrink_) daemon.config.attribution.refuse_shrink = true;
    if (method_option_->count() > 0) daemon.config.attribution.method = method_;
    if (!iface_.empty()) daemon.live.iface = iface_;
    if (!bpf_.empty()) daemon.live.bpf = bpf_;
    capture_.apply(daemon.config.capture);
    if (!checkpoint_.empty()) daemon.checkpoint = checkpoint_;
    if (checkpoint_every_ >= 0) daemon.checkpoint_every = std::chrono::seconds(checkpoint_every_);
    if (!key_file_.empty()) daemon.config.key_file = key_file_;
    if (!curve_key_.empty()) daemon.curve_key = curve_key_;
    if (!curve_allow_.empty()) daemon.curve_allow = curve_allow_;
    if (insecure_) daemon.insecure = true;
    if (!metrics_listen_.empty()) daemon.metrics_listen = metrics_listen_;
    if (!out_dir_.empty()) daemon.verdict_files.dir = out_dir_;
    if (rotate_mb_ >= 0) daemon.verdict_files.max_bytes = static_cast<std::uint64_t>(rotate_mb_) << 20;
    if (rotate_s_ >= 0) daemon.verdict_files.max_age = std::chrono::seconds(rotate_s_);
    if (sync_each_line_) daemon.verdict_files.sync_each_line = true;
    if (memory_limit_ >= 0) daemon.memory_limit_mb = static_cast<std::size_t>(memory_limit_);
    return daemon;
  }

  std::string config_path_;
  std::vector<std::string> sub_, pull_, pub_;
  std::string iface_, bpf_;
  CaptureFlags capture_;
  std::string method_ = "combined";
  CLI::Option* method_option_ = nullptr;
  std::vector<std::string> rules_;
  bool refuse_shrink_ = false;
  std::string checkpoint_;
  std::int64_t checkpoint_every_ = -1;  // -1: the configuration's or the default
  std::string key_file_;
  std::string curve_key_, curve_allow_;
  bool insecure_ = false;
  std::string metrics_listen_;
  std::string out_dir_;
  std::int64_t rotate_mb_ = -1, rotate_s_ = -1;  // -1: the configuration's or the default
  bool sync_each_line_ = false;
  std::int64_t memory_limit_ = -1;  // -1: the configuration's or the default
  std::string nats_, sites_ = "*", partition_, instance_;
  std::int64_t lease_ms_ = 10'000;
};

}  // namespace

CommandPtr add_run_command(CLI::App& parent) { return std::make_unique<RunCommand>(parent); }

}  // namespace callroot::cli
