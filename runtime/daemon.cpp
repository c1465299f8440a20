#include "runtime/daemon.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "models/json_writer.h"
#include "runtime/capture.h"
#include "runtime/config_reload.h"
#include "runtime/curve.h"
#include "runtime/memory_ceiling.h"
#include "runtime/metrics.h"
#include "runtime/pipeline.h"
#include "runtime/privacy.h"
#include "runtime/rule_watcher.h"
#include "runtime/signals.h"
#include "runtime/sinks.h"
#include "runtime/verdict_journal.h"

namespace callroot::runtime {
namespace {

/// A list of strings (endpoints, rule paths).
std::vector<std::string> endpoints(const nlohmann::json& j, const char* key, const std::string& path) {
  if (!j.is_array()) throw std::runtime_error(path + ": `" + key + "` must be a list of strings");
  std::vector<std::string> out;
  for (const auto& e : j) {
    if (!e.is_string()) throw std::runtime_error(path + ": `" + key + "` must hold strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::vector<std::uint16_t> ports(const nlohmann::json& j, const char* key, const std::string& path) {
  std::vector<std::uint16_t> out;
  if (!j.is_array()) throw std::runtime_error(path + ": `" + key + "` must be a list of port numbers");
  for (const auto& e : j) {
    if (!e.is_number_integer() || e.get<std::int64_t>() < 1 || e.get<std::int64_t>() > 65535) {
      throw std::runtime_error(path + ": `" + key + "` must hold port numbers (1 to 65535)");
    }
    out.push_back(static_cast<std::uint16_t>(e.get<std::int64_t>()));
  }
  return out;
}

DurationMs duration(const nlohmann::json& j, const char* key, const std::string& path) {
  if (!j.is_number_integer() || j.get<std::int64_t>() < 0) {
    throw std::runtime_error(path + ": `" + key + "` must be a non-negative integer (milliseconds)");
  }
  return j.get<std::int64_t>();
}

/// Checkpoints for the daemon: restored at start, saved on a timer and at
/// shutdown, with the journal of verdicts given in between
/// (tools/verdict_journal.h), and an acknowledgment on PUB after each save so
/// a sender knows from where to deliver again after a restart
/// (docs/contract.md §5.3).
class Checkpointer {
 public:
  Checkpointer(std::string path, const StateCipher* cipher, ZmqPubSink& pub, std::shared_ptr<spdlog::logger> log)
      : path_(std::move(path)), cipher_(cipher), pub_(pub), log_(std::move(log)), journal_(path_ + ".journal") {
    std::random_device random;
    run_ = fmt::format("{:08x}{:08x}", random(), random());
  }

  /// Journals each verdict before `next` gets it.
  [[nodiscard]] std::unique_ptr<JournalingSink> journaling(engine::VerdictSink& next) {
    return std::make_unique<JournalingSink>(next, journal_, log_);
  }

  /// Restores the checkpoint when there is one, then what the journal says
  /// went out after it. A corrupt or unreadable checkpoint must not keep the
  /// daemon down: it starts empty, and the file is moved aside so that the
  /// next save does not destroy what someone may want to look at.
  void restore(engine::Engine& engine) {
    std::error_code ec;
    if (!std::filesystem::exists(path_, ec)) {
      log_->info("no checkpoint {} yet, starting empty", path_);
    } else {
      try {
        engine.restore_checkpoint(path_, cipher_);
        const TimeMs t = engine.checkpoint_time();
        log_->info("restored checkpoint {}: {} open incidents, {} segments waiting for a verdict, "
                   "event time up to {}",
                   path_, engine.incidents().open_count(), engine.pending(),
                   t == kNoTime ? std::string("none") : format_rfc3339(t));
      } catch (const std::exception& e) {
        const std::string aside = path_ + ".corrupt";
        std::filesystem::rename(path_, aside, ec);
        log_->error("{}; starting empty{}", e.what(),
                    ec ? std::string() : " (the file is now " + aside + ")");
      }
    }
    try {
      const std::vector<std::uint64_t> keys = VerdictJournal::read(journal_.path());
      const std::size_t learned = engine.restore_given(keys);
      if (learned > 0) {
        log_->warn("{} verdict(s) went out after the checkpoint and before the daemon stopped; "
                   "those segments' next verdicts are marked reissued",
                   learned);
      }
    } catch (const std::exception& e) {
      log_->error("{}; verdicts given after the checkpoint may be repeated unmarked", e.what());
    }
    acknowledge(engine);
  }

  /// A checkpoint that cannot be written is logged; the daemon keeps running
  /// and the journal keeps growing until a save succeeds.
  void save(const engine::Engine& engine) {
    try {
      engine.save_checkpoint(path_, cipher_);
      journal_.reset();
    } catch (const std::exception& e) {
      log_->error("{}", e.what());
      return;
    }
    acknowledge(engine);
  }

 private:
  /// ("checkpoint", {type, run, replay_from, pending, records}): from which
  /// event time a sender delivers again if this run stops now; `run` changes
  /// with each start, so a sender can tell a restart; `records`: how many
  /// this run has applied.
  void acknowledge(const engine::Engine& engine) {
    std::string body;
    JsonWriter w(body);
    w.begin_object().key("type").value("checkpoint").key("schema_version").value(kJsonSchemaVersion);
    w.key("run").value(run_);
    w.key("replay_from");
    if (const TimeMs from = engine.replay_from(); from == kNoTime) {
      w.null();
    } else {
      w.time(from);
    }
    w.key("pending").value(static_cast<std::uint64_t>(engine.pending()));
    w.key("records").value(engine.stats().events);
    w.end_object();
    pub_.publish("checkpoint", body);
  }

  std::string path_;
  const StateCipher* cipher_;
  ZmqPubSink& pub_;
  std::shared_ptr<spdlog::logger> log_;
  VerdictJournal journal_;
  std::string run_;
};

/// Times each verdict from the arrival of the record being handled (or, for
/// an idle flush, of the last one), for the metrics' latency histogram.
class LatencySink final : public engine::VerdictSink {
 public:
  LatencySink(engine::VerdictSink& next, MetricsServer& metrics) : next_(next), metrics_(metrics) {}
  void on_verdict(const Verdict& v) override {
    next_.on_verdict(v);
    metrics_.observe_latency(std::chrono::steady_clock::now() - arrived);
  }
  void on_incident(const Incident& x) override { next_.on_incident(x); }
  std::chrono::steady_clock::time_point arrived = std::chrono::steady_clock::now();

 private:
  engine::VerdictSink& next_;
  MetricsServer& metrics_;
};

/// Tells systemd how the daemon is doing (Type=notify units; sd_notify(3)).
/// Without NOTIFY_SOCKET every call is a no-op.
class ServiceNotifier {
 public:
  ServiceNotifier() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0) watchdog_every_ = std::chrono::microseconds(usec / 2);
  }
  void ready(const std::string& status) { sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str()); }
  /// Around a configuration reload, so `systemctl status` shows it and a
  /// manager that waits for reloads (Type=notify-reload) knows when it is done.
  void reloading() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    sd_notifyf(0, "RELOADING=1\nSTATUS=reading the configuration again\nMONOTONIC_USEC=%llu",
               static_cast<unsigned long long>(now.tv_sec) * 1'000'000ULL +
                   static_cast<unsigned long long>(now.tv_nsec) / 1000ULL);
  }
  void stopping() { sd_notify(0, "STOPPING=1\nSTATUS=flushing and saving"); }
  /// Pets the watchdog when it is due (half its interval): from the loop, so a
  /// daemon stuck anywhere stops petting it and systemd restarts it.
  void tick(std::chrono::steady_clock::time_point now) {
    if (watchdog_every_.count() == 0 || now - last_ < watchdog_every_) return;
    last_ = now;
    sd_notify(0, "WATCHDOG=1");
  }

 private:
  std::chrono::microseconds watchdog_every_{0};
  std::chrono::steady_clock::time_point last_{};
};

std::shared_ptr<const engine::AttributorRegistry> builtin_methods() {
  return std::make_shared<const engine::AttributorRegistry>(engine::builtin_attributors());
}

/// The daemon's attribution: with rule files, the watcher that reloads them.
struct DaemonAttribution {
  std::unique_ptr<RuleWatcher> watcher;
  engine::AttributorPtr attributor;  ///< null: it did not load (the reasons are logged)
};

DaemonAttribution load_daemon_attribution(const DaemonOptions& options, const std::shared_ptr<spdlog::logger>& log,
                                          Clock& clock) {
  const AttributionConfig& config = options.config.attribution;
  DaemonAttribution out;
  if (!config.rules.empty()) {
    out.watcher = std::make_unique<RuleWatcher>(config.rules, rule_loader(config), log, options.rules_check_interval,
                                                /*background=*/true, clock);
    out.watcher->set_refuse_shrink(config.refuse_shrink);
    out.attributor = out.watcher->load_initial();
    if (!out.attributor) log->error("the rules did not load");
  } else {
    RuleLoadReport report;
    out.attributor = load_attribution(config, report);
    for (const auto& d : report.diagnostics) log->error("{}", d);
  }
  return out;
}

}  // namespace

DaemonOptions load_daemon_config(const std::string& path, std::shared_ptr<const engine::AttributorRegistry> methods) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read config " + path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  if (!j.is_object()) throw std::runtime_error(path + ": the configuration must be a JSON object");
  DaemonOptions o;
  o.config.attribution.methods = methods ? std::move(methods) : builtin_methods();
  for (const auto& [key, value] : j.items()) {
    if (key == "sub")
      o.source.sub_endpoints = endpoints(value, "sub", path);
    else if (key == "pull")
      o.source.pull_endpoints = endpoints(value, "pull", path);
    else if (key == "pub")
      o.publish = endpoints(value, "pub", path);
    else if (key == "allowed_lateness_ms")
      o.config.engine.allowed_lateness = duration(value, "allowed_lateness_ms", path);
    else if (key == "grace_ms")
      o.config.engine.grace = duration(value, "grace_ms", path);
    else if (key == "retention_ms")
      o.config.engine.retention = duration(value, "retention_ms", path);
    else if (key == "evidence_padding_ms")
      o.config.engine.evidence_padding = duration(value, "evidence_padding_ms", path);
    else if (key == "idle_flush_ms")
      o.idle_flush = std::chrono::milliseconds(duration(value, "idle_flush_ms", path));
    else if (key == "rules")
      o.config.attribution.rules = endpoints(value, "rules", path);
    else if (key == "rules_refuse_shrink") {
      if (!value.is_boolean()) throw std::runtime_error(path + ": `rules_refuse_shrink` must be true or false");
      o.config.attribution.refuse_shrink = value.get<bool>();
    } else if (key == "rules_check_interval_ms")
      o.rules_check_interval = std::chrono::milliseconds(duration(value, "rules_check_interval_ms", path));
    else if (key == "checkpoint") {
      if (!value.is_string() || value.get<std::string>().empty()) {
        throw std::runtime_error(path + ": `checkpoint` must be a file name");
      }
      o.checkpoint = value.get<std::string>();
    } else if (key == "key_file") {
      if (!value.is_string() || value.get<std::string>().empty()) {
        throw std::runtime_error(path + ": `key_file` must be a file name");
      }
      o.config.key_file = value.get<std::string>();
    } else if (key == "curve_key" || key == "curve_allow") {
      if (!value.is_string() || value.get<std::string>().empty()) {
        throw std::runtime_error(path + ": `" + key + "` must be a " + (key == "curve_key" ? "file" : "folder") + " name");
      }
      (key == "curve_key" ? o.curve_key : o.curve_allow) = value.get<std::string>();
    } else if (key == "insecure") {
      if (!value.is_boolean()) throw std::runtime_error(path + ": `insecure` must be true or false");
      o.insecure = value.get<bool>();
    } else if (key == "memory_limit_mb") {
      if (!value.is_number_integer() || value.get<std::int64_t>() < 0) {
        throw std::runtime_error(path + ": `memory_limit_mb` must be a non-negative integer (MiB; 0: no ceiling)");
      }
      o.memory_limit_mb = value.get<std::size_t>();
    } else if (key == "out_dir") {
      if (!value.is_string() || value.get<std::string>().empty()) {
        throw std::runtime_error(path + ": `out_dir` must be a folder name");
      }
      o.verdict_files.dir = value.get<std::string>();
    } else if (key == "rotate_mb") {
      if (!value.is_number_integer() || value.get<std::int64_t>() < 0) {
        throw std::runtime_error(path + ": `rotate_mb` must be a non-negative integer (MiB; 0: never for size)");
      }
      o.verdict_files.max_bytes = value.get<std::uint64_t>() << 20;
    } else if (key == "rotate_s") {
      o.verdict_files.max_age = std::chrono::seconds(duration(value, "rotate_s", path));
    } else if (key == "sync_ms") {
      o.verdict_files.sync_every = std::chrono::milliseconds(duration(value, "sync_ms", path));
    } else if (key == "sync_each_line") {
      if (!value.is_boolean()) throw std::runtime_error(path + ": `sync_each_line` must be true or false");
      o.verdict_files.sync_each_line = value.get<bool>();
    } else if (key == "metrics_listen") {
      if (!value.is_string() || value.get<std::string>().empty()) {
        throw std::runtime_error(path + ": `metrics_listen` must be an address and port, e.g. \"127.0.0.1:9464\"");
      }
      o.metrics_listen = value.get<std::string>();
    } else if (key == "checkpoint_every_s")
      o.checkpoint_every = std::chrono::seconds(duration(value, "checkpoint_every_s", path));
    else if (key == "attribution") {
      if (!value.is_string() || !o.config.attribution.methods->contains(value.get<std::string>())) {
        throw std::runtime_error(path + ": `attribution` must be one of " + o.config.attribution.methods->names());
      }
      o.config.attribution.method = value.get<std::string>();
    } else if (key == "iface" || key == "bpf") {
      if (!value.is_string()) throw std::runtime_error(path + ": `" + key + "` must be a string");
      (key == "iface" ? o.live.iface : o.live.bpf) = value.get<std::string>();
    } else if (key == "udp_ports")
      o.config.capture.udp_ports = ports(value, "udp_ports", path);
    else if (key == "zmq_ports")
      o.config.capture.zmq_ports = ports(value, "zmq_ports", path);
    else if (key == "slice_ms" || key == "flow_idle_ms") {
      const DurationMs ms = duration(value, key.c_str(), path);
      if (ms == 0) throw std::runtime_error(path + ": `" + key + "` must be positive");
      (key == "slice_ms" ? o.config.capture.segmenter.slice_ns : o.config.capture.segmenter.idle_timeout_ns) = ms * 1'000'000;
    }
    else
      throw std::runtime_error(path + ": unknown key `" + key + "`");
  }
  return o;
}

int run_daemon(const DaemonOptions& options, std::shared_ptr<spdlog::logger> log, std::stop_token stop_requested,
               const ConfigReader& reread) {
  const Config& config = options.config;
  // What runs now: the start's options, with what configuration reloads changed since.
  DaemonOptions running = options;
  Clock& clock = config.wall_clock();
  // The key first: a daemon that was asked for privacy must not start without it.
  std::unique_ptr<Privacy> privacy;
  try {
    privacy = load_privacy(config.key_file, *log);
  } catch (const std::exception& e) {
    log->error("{}", e.what());
    return 2;
  }
  const Pseudonymizer* pseudonymizer = privacy ? &privacy->pseudonymizer : nullptr;
  const StateCipher* cipher = privacy ? &privacy->cipher : nullptr;
  ingest::CaptureOptions capture_options = config.capture;
  capture_options.pseudonymizer = pseudonymizer;
  // CURVE, or the reason to refuse: a socket anyone on the network may reach
  // must not take records from anyone.
  std::string curve_secret;
  if (options.curve_key.empty() != options.curve_allow.empty()) {
    log->error("CURVE needs both a key (--curve-key) and an allow-list folder (--curve-allow)");
    return 2;
  }
  if (!options.curve_key.empty()) {
    try {
      curve_secret = read_curve_secret_file(options.curve_key).secret_key;
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      return 2;
    }
  } else {
    std::vector<std::string> exposed;
    for (const auto* list : {&options.source.sub_endpoints, &options.source.pull_endpoints, &options.publish}) {
      for (const auto& ep : *list) {
        if (exposed_endpoint(ep)) exposed.push_back(ep);
      }
    }
    if (!exposed.empty() && !options.insecure) {
      log->error("{} is not a loopback address, and without CURVE anyone who reaches it could send "
                 "records and read verdicts; give --curve-key and --curve-allow (docs/security.md), or --insecure",
                 fmt::join(exposed, ", "));
      return 2;
    }
    if (!exposed.empty()) log->warn("--insecure: {} accept anyone without CURVE", fmt::join(exposed, ", "));
  }
  SignalWatch signals;  // before ZeroMQ starts its threads, so they inherit the mask
  zmq::context_t context(1);
  std::unique_ptr<CurveAuthenticator> authenticator;
  if (!curve_secret.empty()) {
    try {
      authenticator = std::make_unique<CurveAuthenticator>(context, options.curve_allow, log);
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      return 2;
    }
  }
  std::unique_ptr<ZmqPubSink> sink;
  std::unique_ptr<ingest::ZmqSource> source;
  // The capture opens first: without CAP_NET_RAW it says so before anything is bound.
  std::unique_ptr<LiveCapture> capture;
  ingest::ZmqSourceOptions source_options = options.source;
  source_options.curve_secret_key = curve_secret;
  if (!options.live.iface.empty()) {
    try {
      capture = std::make_unique<LiveCapture>(context, "inproc://callroot-capture", options.live, capture_options, log);
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      return 2;
    }
    source_options.pull_endpoints.push_back(capture->endpoint());
  }
  try {
    sink = std::make_unique<ZmqPubSink>(context, options.publish, curve_secret);
    source = std::make_unique<ingest::ZmqSource>(context, source_options);
  } catch (const std::exception& e) {
    log->error("cannot bind: {}", e.what());
    return 2;
  }
  // The verdicts' way out: PUB, and the files when asked for, behind the journal.
  std::unique_ptr<VerdictFiles> files;
  std::unique_ptr<TeeSink> tee;
  engine::VerdictSink* published = sink.get();
  if (!options.verdict_files.dir.empty()) {
    try {
      files = std::make_unique<VerdictFiles>(options.verdict_files, log, clock);
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      return 2;
    }
    tee = std::make_unique<TeeSink>(*sink, *files);
    published = tee.get();
  }
  std::unique_ptr<Checkpointer> checkpoints;
  std::unique_ptr<JournalingSink> journaling;
  if (!options.checkpoint.empty()) {
    try {
      checkpoints = std::make_unique<Checkpointer>(options.checkpoint, cipher, *sink, log);
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      return 2;
    }
    journaling = checkpoints->journaling(*published);
  }
  std::unique_ptr<MetricsServer> metrics;
  std::unique_ptr<LatencySink> timed;
  engine::VerdictSink* out = journaling ? static_cast<engine::VerdictSink*>(journaling.get()) : published;
  if (!options.metrics_listen.empty()) {
    try {
      metrics = std::make_unique<MetricsServer>(options.metrics_listen);
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      return 2;
    }
    const std::vector<std::string> endpoints = source->endpoints();
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
      metrics->name_source(i, capture && endpoints[i] == capture->endpoint() ? "capture" : endpoints[i]);
    }
    timed = std::make_unique<LatencySink>(*out, *metrics);
    out = timed.get();
  }
  Pipeline pipeline(config.engine, *out, log, pseudonymizer);
  DaemonAttribution attribution = load_daemon_attribution(options, log, clock);
  if (!attribution.attributor) return 2;
  std::unique_ptr<RuleWatcher> rules = std::move(attribution.watcher);
  pipeline.engine().set_attributor(std::move(attribution.attributor));
  // Rule loads and refusals of watchers a configuration reload replaced, and
  // whether the first rule set was loaded by a watcher (not a reload).
  std::uint64_t earlier_rule_loads = 0, earlier_rule_refusals = 0;
  const std::uint64_t first_rule_load = rules ? 1 : 0;
  std::uint64_t config_reloads_ok = 0, config_reloads_failed = 0;
  if (checkpoints) checkpoints->restore(pipeline.engine());
  log->info("ingest SUB {} PULL {}, verdicts PUB {}{}", fmt::join(options.source.sub_endpoints, ","),
            fmt::join(options.source.pull_endpoints, ","), fmt::join(options.publish, ","),
            authenticator ? ", CURVE on every socket" : "");
  if (privacy) {
    log->info("privacy mode: pseudonyms, checkpoints encrypted (key id {})",
              to_hex(privacy->cipher.key_id().data(), privacy->cipher.key_id().size()));
  }
  if (capture) {
    log->info("capturing on {}{}{}", options.live.iface,
              options.live.bpf.empty() ? "" : " with filter ", options.live.bpf);
    capture->start();
  }
  MemoryCeiling ceiling(options.memory_limit_mb << 20);
  const auto handle = [&](const ingest::ZmqRecord& rec) {
    const ingest::Position where{rec.socket, rec.sequence};
    if (ceiling.shed(rec.type)) return;
    if (rec.malformed) {
      pipeline.reject(ingest::RejectReason::kBadFrames, rec.body, where);
    } else if (capture && rec.type == kCaptureRejectType && rec.socket == capture->endpoint()) {
      // A record the capture thread already found bad, with its position in the capture.
      ingest::RejectReason reason = ingest::RejectReason::kBadFrames;
      ingest::Position at;
      std::string_view detail;
      parse_capture_reject(rec.body, reason, at, detail);
      pipeline.reject(reason, detail, at);
    } else {
      const bool accepted = pipeline.feed(rec.body, where, /*padded=*/true, rec.type, rec.peer);
      if (metrics) metrics->count_record(static_cast<std::size_t>(rec.peer >> 32) - 1, rec.type, accepted);
    }
  };
  // What a checkpoint counts as sent must be on disk first.
  const auto save_checkpoint = [&] {
    if (files) files->sync();
    if (checkpoints) checkpoints->save(pipeline.engine());
  };
  ServiceNotifier service;
  // What the operators' listener shows: handed over every 200 ms, and once more at the end.
  std::string running_rules_hash = rules ? rules_hash(rules->files()) : std::string();
  // The watcher (counted as configuration reloads replace it: a new one's
  // load count starts again and may equal the old one's) and the load the hash is of.
  std::uint64_t watcher_generation = 0, hashed_generation = 0;
  std::uint64_t hashed_reloads = rules ? rules->reloads() : 0;
  TimeMs last_watermark = kNoTime;
  auto watermark_moved = std::chrono::steady_clock::now();
  auto last_record = watermark_moved - std::chrono::hours(1);
  const auto publish_metrics = [&](std::chrono::steady_clock::time_point now) {
    if (!metrics) return;
    if (watcher_generation != hashed_generation || (rules ? rules->reloads() : 0) != hashed_reloads) {
      hashed_generation = watcher_generation;
      hashed_reloads = rules ? rules->reloads() : 0;
      running_rules_hash = rules ? rules_hash(rules->files()) : std::string();
    }
    const engine::Engine& engine = pipeline.engine();
    MetricsSnapshot snap;
    snap.pipeline = &pipeline.stats();
    snap.engine = &engine.stats();
    snap.open_incidents = engine.incidents().open_count();
    snap.store_bytes = engine.store().memory_bytes();
    snap.store_rows_recorded = engine.store().stats().rows_recorded;
    snap.resident_bytes = ceiling.resident() != 0 ? ceiling.resident() : resident_bytes();
    snap.shed_records = ceiling.shed_count();
    snap.watermark_ms = engine.watermark() == kNoTime ? 0 : engine.watermark();
    snap.wall_time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    snap.rule_reloads_ok = earlier_rule_loads + (rules ? rules->reloads() : 0) - first_rule_load;
    snap.rule_reloads_failed = earlier_rule_refusals + (rules ? rules->rejected() : 0);
    snap.config_reloads_ok = config_reloads_ok;
    snap.config_reloads_failed = config_reloads_failed;
    snap.rules_hash = running_rules_hash;
    metrics->publish(snap);
    // Ready once started, unless records keep coming while the event time stands still.
    if (engine.watermark() != last_watermark) {
      last_watermark = engine.watermark();
      watermark_moved = now;
    }
    Readiness r;
    r.started = true;
    r.watermark_stalled = now - last_record < std::chrono::minutes(1) && now - watermark_moved > std::chrono::minutes(5);
    r.detail = r.watermark_stalled ? "records arrive but the event time has not moved for " +
                                         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                            now - watermark_moved).count()) +
                                         " s (late or far-ahead input?)"
                                   : "rules loaded, sockets bound, event time moving";
    metrics->set_readiness(std::move(r));
  };
  publish_metrics(std::chrono::steady_clock::now());
  service.ready("taking records");
  // Off the main loop (at shutdown), where the arrival is not already read.
  const auto handle_now = [&](const ingest::ZmqRecord& rec) {
    if (timed) timed->arrived = std::chrono::steady_clock::now();
    handle(rec);
  };
  // Stops the capture thread, taking its last records (every call's last segment).
  const auto stop_capture = [&] {
    if (!capture) return;
    capture->request_stop();
    ingest::ZmqRecord r;
    while (!capture->finished()) {
      if (source->receive(r, std::chrono::milliseconds(10))) handle_now(r);
    }
    capture->join();
    while (source->receive(r, std::chrono::milliseconds(0))) handle_now(r);
  };

  // SIGHUP with a configuration file: all of it or nothing. A new attribution
  // loads before anything is taken; a key that waits for a restart is named.
  // Returns whether the rules were loaded here (so they need no second load).
  const auto read_configuration_again = [&]() -> bool {
    DaemonOptions next;
    try {
      next = reread();
    } catch (const std::exception& e) {
      log->error("SIGHUP: the configuration was not taken, the running one stays: {}", e.what());
      ++config_reloads_failed;
      return false;
    }
    bool loaded_rules = false;
    if (attribution_changed(running, next)) {
      DaemonAttribution fresh = load_daemon_attribution(next, log, clock);
      if (!fresh.attributor) {
        log->error("SIGHUP: the configuration's attribution did not load; nothing of it was taken, the running "
                   "one stays");
        ++config_reloads_failed;
        return false;
      }
      if (rules) {
        earlier_rule_loads += rules->reloads();
        earlier_rule_refusals += rules->rejected();
      }
      rules = std::move(fresh.watcher);
      ++watcher_generation;
      pipeline.engine().set_attributor(std::move(fresh.attributor));
      running.config.attribution = next.config.attribution;
      running.rules_check_interval = next.rules_check_interval;
      loaded_rules = true;
      log->info("SIGHUP: attribution {}{}{}", running.config.attribution.method,
                rules ? " with rules from " : "", fmt::join(running.config.attribution.rules, ", "));
    }
    for (const std::string& key : changes_needing_restart(running, next)) {
      log->warn("SIGHUP: `{}` changed in the configuration; it takes effect at the next start", key);
    }
    take_live_settings(running, next);
    if (rules) rules->set_refuse_shrink(running.config.attribution.refuse_shrink);
    ceiling.set_limit(running.memory_limit_mb << 20);
    if (files) files->set_policy(running.verdict_files);
    ++config_reloads_ok;
    log->info("SIGHUP: configuration read again (idle flush {} ms, checkpoints every {} s, memory ceiling {} MiB)",
              running.idle_flush.count(), running.checkpoint_every.count(), running.memory_limit_mb);
    return loaded_rules;
  };
  // systemd hears RELOADING=1, then READY=1 whatever came of it.
  const auto reload_configuration = [&]() -> bool {
    service.reloading();
    const bool loaded_rules = read_configuration_again();
    service.ready("taking records");
    return loaded_rules;
  };

  // The timers an operator sets (idle flush, checkpoints, rule checks) read
  // the configured clock; how often signals are looked at is a cost, kept in
  // real time.
  auto last_input = clock.now();
  auto last_checkpoint = last_input;
  auto last_signal_check = std::chrono::steady_clock::now();
  ingest::ZmqRecord rec;
  int stop = 0;
  std::uint64_t checks = 0;
  try {
    while (stop == 0) {
      if (source->receive(rec, std::chrono::milliseconds(50))) {
        last_input = clock.now();
        last_record = std::chrono::steady_clock::now();
        if (timed) timed->arrived = last_record;
        handle(rec);
      } else if (pipeline.engine().pending() + pipeline.engine().held() > 0 &&
                 clock.now() - last_input >= running.idle_flush) {
        if (timed) timed->arrived = last_record;
        pipeline.flush();
      }
      // Checking for a signal costs a system call: do it every 20 ms, not per message.
      if (const auto real_now = std::chrono::steady_clock::now();
          real_now - last_signal_check >= std::chrono::milliseconds(20)) {
        last_signal_check = real_now;
        const auto now = clock.now();
        service.tick(real_now);
        if (++checks % 10 == 0) publish_metrics(real_now);
        const int sig = signals.poll();
        bool rules_loaded = false;
        if (sig == SIGHUP) {
          if (reread) rules_loaded = reload_configuration();
          if (authenticator) authenticator->reload();
          if (!rules && !authenticator && !reread) log->info("SIGHUP: no configuration, rules or keys to reload");
        } else {
          stop = sig;
        }
        if (stop == 0 && stop_requested.stop_requested()) stop = -1;
        switch (ceiling.check()) {
          case MemoryCeiling::Change::kStarted:
            log->warn("resident memory {} MiB is over the ceiling of {} MiB: shedding telemetry until it "
                      "is under {} MiB (call records, inventory and attachments are still taken)",
                      ceiling.resident() >> 20, ceiling.limit() >> 20, ceiling.resume_below() >> 20);
            break;
          case MemoryCeiling::Change::kStopped:
            log->info("resident memory {} MiB, under the ceiling again: telemetry is taken again ({} "
                      "record(s) shed so far)",
                      ceiling.resident() >> 20, ceiling.shed_count());
            break;
          case MemoryCeiling::Change::kNone: break;
        }
        // A new rule set is compiled here, between records, and takes over at once.
        if (rules) {
          if (auto attributor = rules->poll(sig == SIGHUP && !rules_loaded)) {
            pipeline.engine().set_attributor(std::move(attributor));
          }
        }
        if (files) files->tick();
        if (checkpoints && running.checkpoint_every.count() > 0 && now - last_checkpoint >= running.checkpoint_every) {
          save_checkpoint();
          last_checkpoint = now;
        }
      }
    }
  } catch (const std::exception& e) {
    // A broken socket: score what can be scored before giving up.
    log->error("{}; flushing and stopping", e.what());
    if (capture) {
      capture->request_stop();
      capture->join();
    }
    pipeline.flush();
    save_checkpoint();
    std::fputs(pipeline.summary().c_str(), stderr);
    return 2;
  }
  service.stopping();
  log->info("{}, flushing", stop == SIGINT ? "SIGINT received" : stop == SIGTERM ? "SIGTERM received" : "stop requested");
  // Records already queued were sent before the signal: take them, for at
  // most a second, so that a stop under load does not drop a queue's worth.
  const auto drain_until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  std::uint64_t drained = 0;
  while (std::chrono::steady_clock::now() < drain_until && source->receive(rec, std::chrono::milliseconds(0))) {
    handle_now(rec);
    ++drained;
  }
  if (drained > 0) log->info("took the {} record(s) still queued", drained);
  stop_capture();
  pipeline.flush();
  save_checkpoint();
  publish_metrics(std::chrono::steady_clock::now());
  std::fputs(pipeline.summary().c_str(), stderr);
  if (capture) std::fputs(capture->summary().c_str(), stderr);
  if (ceiling.shed_count() > 0) {
    std::fprintf(stderr, "memory ceiling: %llu telemetry record(s) shed above %zu MiB\n",
                 static_cast<unsigned long long>(ceiling.shed_count()), ceiling.limit() >> 20);
  }
  if (authenticator) {
    std::fprintf(stderr, "curve: %llu connection(s) admitted, %llu refused, %zu key(s) allowed\n",
                 static_cast<unsigned long long>(authenticator->accepted()),
                 static_cast<unsigned long long>(authenticator->refused()), authenticator->allowed_keys());
  }
  return 0;
}

}  // namespace callroot::runtime
