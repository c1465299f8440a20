#include "runtime/nats_instance.h"

#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <thread>

#include "ingest/time_peek.h"
#include "models/incident.h"
#include "models/verdict.h"
#include "runtime/jetstream.h"
#include "runtime/pipeline.h"
#include "runtime/route.h"
#include "runtime/signals.h"

namespace callroot::runtime {
namespace {

constexpr const char* kLeases = "callroot_leases";
constexpr const char* kCheckpoints = "callroot_checkpoints";
/// A checkpoint in the bucket: this header line, then the engine's checkpoint bytes.
constexpr std::string_view kCheckpointHeader = "callroot-nats-checkpoint 1 resume ";

std::uint64_t fnv1a(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return h;
}

std::string default_instance_name() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(getpid());
}

/// The inventory, in stream order, as every site's engine needs it.
class InventoryLog {
 public:
  explicit InventoryLog(JetStream& js) {
    ConsumerSpec spec;
    spec.stream = NatsSubjects::kRecordsStream;
    spec.filter = "callroot.inventory.>";
    consumer_ = js.pull_consumer(spec);
  }
  /// Takes what came since the last call.
  void refresh(std::chrono::milliseconds wait) {
    for (auto batch = consumer_->fetch(512, wait); !batch.empty(); batch = consumer_->fetch(512, std::chrono::milliseconds(1))) {
      for (auto& m : batch) records_.emplace_back(m.stream_sequence(), std::string(m.data()));
      if (batch.back().pending() == 0) break;
    }
  }
  [[nodiscard]] const std::vector<std::pair<std::uint64_t, std::string>>& records() const noexcept { return records_; }

 private:
  std::unique_ptr<PullConsumer> consumer_;
  std::vector<std::pair<std::uint64_t, std::string>> records_;
};

/// A site's verdicts and incident records to the verdicts stream, each with
/// an id the stream de-duplicates on. A publish that fails is counted; the
/// site then saves no checkpoint until what it published is confirmed.
class NatsVerdictSink final : public engine::VerdictSink {
 public:
  NatsVerdictSink(JetStream& js, const std::string& site)
      : js_(js), token_(subject_token(site)), verdicts_(NatsSubjects::verdicts(site)),
        incidents_(NatsSubjects::incidents(site)) {}

  void on_verdict(const Verdict& v) override {
    line_.clear();
    append_json(line_, v);
    send(verdicts_, token_ + "/" + v.call_id + "/" + v.segment_id + "/" + std::to_string(v.version));
    ++verdicts_sent_;
  }
  void on_incident(const Incident& x) override {
    line_.clear();
    append_json(line_, x);
    send(incidents_, x.id + "/" + std::string(to_string(x.state)) + "/" + std::to_string(x.updated));
  }
  [[nodiscard]] std::uint64_t failures() const noexcept { return failures_; }
  [[nodiscard]] std::uint64_t verdicts_sent() const noexcept { return verdicts_sent_; }

 private:
  void send(const std::string& subject, const std::string& id) {
    try {
      js_.publish_async(subject, line_, id);
    } catch (const JetStreamError&) {
      ++failures_;
    }
  }

  JetStream& js_;
  std::string token_, verdicts_, incidents_;
  std::string line_;
  std::uint64_t failures_ = 0;
  std::uint64_t verdicts_sent_ = 0;
};

/// One held site: its engine, its consumer, its checkpoints.
class SiteWorker {
 public:
  SiteWorker(std::string site, JetStream& js, KeyValue& checkpoints, const NatsRunOptions& options,
             const InventoryLog& inventory, std::shared_ptr<spdlog::logger> log, const std::filesystem::path& scratch)
      : site_(std::move(site)), js_(js), checkpoints_(checkpoints), options_(options), log_(std::move(log)),
        scratch_(scratch / ("site-" + std::to_string(fnv1a(site_)) + ".ckpt")), sink_(js, site_),
        pipeline_(options.config.engine, sink_, log_) {
    pipeline_.engine().set_attributor(require_attribution(options.config.attribution));
    const std::uint64_t resume = restore();
    catch_up(inventory, resume);
    ConsumerSpec spec;
    spec.stream = NatsSubjects::kRecordsStream;
    spec.filter = NatsSubjects::site_filter(site_);
    spec.durable = "callroot_site_" + std::to_string(fnv1a(site_));
    spec.start_sequence = resume;
    spec.ack_wait = std::chrono::duration_cast<std::chrono::seconds>(options.checkpoint_every * 3 + options.lease) +
                    std::chrono::seconds(1);
    js_.delete_consumer(spec.stream, spec.durable);  // a takeover starts where the checkpoint says
    consumer_ = js_.pull_consumer(spec);
    last_record_ = std::chrono::steady_clock::now();
    log_->info("site {}: held from stream sequence {}", site_, resume);
  }

  [[nodiscard]] const std::string& site() const noexcept { return site_; }

  /// Takes what the stream has for the site, in order, the inventory
  /// interleaved by stream sequence. Returns the records taken.
  std::size_t step(const InventoryLog& inventory, std::chrono::milliseconds wait) {
    auto batch = consumer_->fetch(256, wait);
    for (auto& m : batch) {
      apply_inventory(inventory, m.stream_sequence());
      const std::string_view subject = m.subject();
      const std::string_view type = NatsSubjects::site_record_type(subject);
      const ingest::Position where{subject, m.stream_sequence()};
      pipeline_.feed(m.data(), where, /*padded=*/false, type);
      note_time(ingest::peek_event_time(m.data()), m.stream_sequence());
      applied_ = m.stream_sequence();
      last_ = std::move(m);
    }
    const auto now = std::chrono::steady_clock::now();
    if (!batch.empty()) {
      last_record_ = now;
    } else if (pipeline_.engine().pending() + pipeline_.engine().held() > 0 && now - last_record_ >= options_.idle_flush) {
      pipeline_.flush();
      last_record_ = now;
    }
    return batch.size();
  }

  /// Saves the checkpoint (with the stream sequence a takeover resumes from)
  /// once every verdict published so far is confirmed, then acknowledges
  /// the records it covers. False, logged, when it could not.
  bool checkpoint() {
    try {
      js_.wait_published();
      if (sink_.failures() > 0) throw JetStreamError("nats: a verdict could not be published");
      pipeline_.engine().save_checkpoint(scratch_.string());
      std::ifstream in(scratch_, std::ios::binary);
      std::string value(kCheckpointHeader);
      value += std::to_string(resume_sequence());
      value += '\n';
      value.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      checkpoints_.put_large(key_value_key(site_), value);
      if (last_) last_->ack();
      return true;
    } catch (const std::exception& e) {
      log_->error("site {}: checkpoint not saved, a takeover would start from the one before: {}", site_, e.what());
      return false;
    }
  }

  /// Scores what is pending and saves (a stop, or the lease given up).
  void finish() {
    pipeline_.flush();
    checkpoint();
  }

  [[nodiscard]] const PipelineStats& stats() const noexcept { return pipeline_.stats(); }
  [[nodiscard]] const engine::EngineStats& engine_stats() const noexcept { return pipeline_.engine().stats(); }

 private:
  /// The checkpoint in the bucket, restored; returns the stream sequence to read from.
  std::uint64_t restore() {
    const auto entry = checkpoints_.get_large(key_value_key(site_));
    if (!entry) return 1;
    const std::string& v = *entry;
    const std::size_t eol = v.find('\n');
    if (v.rfind(kCheckpointHeader, 0) != 0 || eol == std::string::npos) {
      log_->error("site {}: the checkpoint in {} is not one of ours; starting from the stream's beginning", site_,
                  kCheckpoints);
      return 1;
    }
    std::uint64_t resume = 0;
    const char* first = v.data() + kCheckpointHeader.size();
    if (const auto [end, ec] = std::from_chars(first, v.data() + eol, resume); ec != std::errc{} || end != v.data() + eol) {
      log_->error("site {}: the checkpoint in {} names no stream sequence; starting from the stream's beginning", site_,
                  kCheckpoints);
      return 1;
    }
    {
      std::ofstream out(scratch_, std::ios::binary | std::ios::trunc);
      out.write(v.data() + eol + 1, static_cast<std::streamsize>(v.size() - eol - 1));
    }
    try {
      pipeline_.engine().restore_checkpoint(scratch_.string());
    } catch (const std::exception& e) {
      log_->error("site {}: checkpoint not restored, starting from the stream's beginning: {}", site_, e.what());
      return 1;
    }
    return std::max<std::uint64_t>(resume, 1);
  }

  /// What an engine needs from before `resume`: the inventory and the
  /// site's client state (associations and client information are older
  /// than any telemetry a checkpoint asks for again), in stream order.
  void catch_up(const InventoryLog& inventory, std::uint64_t resume) {
    if (resume <= 1) return;
    ConsumerSpec spec;
    spec.stream = NatsSubjects::kRecordsStream;
    spec.filter = NatsSubjects::site(site_, "client.>");
    auto clients = js_.pull_consumer(spec);
    for (bool more = true; more;) {
      auto batch = clients->fetch(512, std::chrono::milliseconds(200));
      more = !batch.empty() && batch.back().pending() > 0;
      for (auto& m : batch) {
        if (m.stream_sequence() >= resume) {
          more = false;
          break;
        }
        apply_inventory(inventory, m.stream_sequence());
        const ingest::Position where{m.subject(), m.stream_sequence()};
        pipeline_.feed(m.data(), where);
      }
    }
    apply_inventory(inventory, resume);
  }

  void apply_inventory(const InventoryLog& inventory, std::uint64_t before) {
    const auto& records = inventory.records();
    for (; inventory_next_ < records.size() && records[inventory_next_].first < before; ++inventory_next_) {
      const ingest::Position where{"callroot.inventory", records[inventory_next_].first};
      pipeline_.feed(records[inventory_next_].second, where);
    }
  }

  /// One mark a minute of event time: the stream sequence where that minute began.
  void note_time(TimeMs t, std::uint64_t seq) {
    if (t == kNoTime) return;
    const TimeMs minute = t - t % 60'000;
    if (marks_.empty() || minute > marks_.back().first) marks_.emplace_back(minute, seq);
    while (marks_.size() > 24 * 60) marks_.pop_front();
  }

  /// The first stream sequence a takeover must read again: from the minute
  /// before the engine's replay_from (everything when it has none).
  [[nodiscard]] std::uint64_t resume_sequence() const {
    const TimeMs from = pipeline_.engine().replay_from();
    if (from == kNoTime || marks_.empty()) return applied_ + 1;
    std::uint64_t seq = marks_.front().second;
    for (const auto& [minute, first] : marks_) {
      if (minute + 60'000 > from) break;
      seq = first;
    }
    return seq;
  }

  std::string site_;
  JetStream& js_;
  KeyValue& checkpoints_;
  const NatsRunOptions& options_;
  std::shared_ptr<spdlog::logger> log_;
  std::filesystem::path scratch_;
  NatsVerdictSink sink_;
  Pipeline pipeline_;
  std::unique_ptr<PullConsumer> consumer_;
  std::optional<JetStreamMessage> last_;
  std::uint64_t applied_ = 0;
  std::size_t inventory_next_ = 0;
  std::deque<std::pair<TimeMs, std::uint64_t>> marks_;
  std::chrono::steady_clock::time_point last_record_;
};

/// Adds the sites the inventory names past `scanned` to `sites`.
void add_known_sites(const InventoryLog& inventory, std::size_t& scanned, std::vector<std::string>& sites) {
  const auto& records = inventory.records();
  for (; scanned < records.size(); ++scanned) {
    const std::string_view body = records[scanned].second;
    if (ingest::peek_record_type(body) != "inventory.site") continue;
    // The site's name, read the way the decoder reads it.
    Directory directory;
    ingest::RecordDecoder decoder(directory);
    Event e;
    if (decoder.decode(body, e) && std::holds_alternative<SiteInventory>(e)) {
      std::string name(directory.site_name(std::get<SiteInventory>(e).site));
      if (std::find(sites.begin(), sites.end(), name) == sites.end()) sites.push_back(std::move(name));
    }
  }
}

}  // namespace

bool selects(const NatsRunOptions& options, std::string_view site) {
  if (options.partitions > 0) return fnv1a(site) % options.partitions == options.partition;
  const std::string name(site);
  return fnmatch(options.sites.c_str(), name.c_str(), 0) == 0;
}

int run_nats(const NatsRunOptions& options, std::shared_ptr<spdlog::logger> log, std::stop_token stop) {
  const std::string instance = options.instance.empty() ? default_instance_name() : options.instance;
  std::random_device random;
  const std::filesystem::path scratch =
      std::filesystem::temp_directory_path() / ("callroot-nats-" + std::to_string(getpid()) + "-" + std::to_string(random()));
  std::filesystem::create_directories(scratch);
  SignalWatch signals;
  int code = 0;
  try {
    JetStream js(options.url);
    js.ensure_stream(records_stream(std::chrono::seconds(2 * 3600)));
    js.ensure_stream(verdicts_stream(options.duplicate_window));
    auto leases = js.key_value(kLeases, options.lease);
    auto checkpoints = js.key_value(kCheckpoints);
    InventoryLog inventory(js);
    std::vector<std::string> sites;
    std::size_t scanned = 0;
    struct Held {
      std::unique_ptr<SiteWorker> worker;
      std::uint64_t revision = 0;
    };
    std::map<std::string, Held> held;
    auto last_renewal = std::chrono::steady_clock::now();
    auto last_checkpoint = last_renewal;
    auto last_acquire = last_renewal - options.lease;  // look at once
    log->info("instance {} on {}: sites {}", instance, options.url,
              options.partitions > 0 ? "partition " + std::to_string(options.partition) + "/" + std::to_string(options.partitions)
                                     : options.sites);
    int sig = 0;
    while ((sig = signals.poll()) != SIGINT && sig != SIGTERM && !stop.stop_requested()) {
      inventory.refresh(std::chrono::milliseconds(held.empty() ? 100 : 1));
      add_known_sites(inventory, scanned, sites);
      const auto now = std::chrono::steady_clock::now();
      // Leases: renew those held (a lost one is given up at once), take the free ones selected.
      if (now - last_renewal >= options.lease / 3) {
        last_renewal = now;
        for (auto it = held.begin(); it != held.end();) {
          const auto rev = leases->update(key_value_key(it->first), instance, it->second.revision);
          if (rev) {
            it->second.revision = *rev;
            ++it;
          } else {
            log->warn("site {}: lease lost to another instance; given up", it->first);
            it = held.erase(it);
          }
        }
      }
      // Free sites are looked for as often as leases are renewed: a lease
      // that lapsed is taken within a third of its time to live.
      if (now - last_acquire >= options.lease / 3) {
        last_acquire = now;
        for (const auto& site : sites) {
          if (held.count(site) != 0 || !selects(options, site)) continue;
          if (const auto rev = leases->create(key_value_key(site), instance)) {
            Held h;
            h.revision = *rev;
            h.worker = std::make_unique<SiteWorker>(site, js, *checkpoints, options, inventory, log, scratch);
            held.emplace(site, std::move(h));
          }
        }
      }
      for (auto& [site, h] : held) h.worker->step(inventory, std::chrono::milliseconds(held.size() == 1 ? 50 : 5));
      if (held.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (now - last_checkpoint >= options.checkpoint_every) {
        last_checkpoint = now;
        for (auto& [site, h] : held) h.worker->checkpoint();
      }
    }
    log->info("{}, scoring what is pending and giving up {} site(s)", sig == SIGINT ? "SIGINT received" : sig == SIGTERM ? "SIGTERM received" : "stop requested", held.size());
    for (auto& [site, h] : held) {
      h.worker->finish();
      leases->erase(key_value_key(site));
      const auto& e = h.worker->engine_stats();
      std::fprintf(stderr, "site %s: %llu records, %llu segments scored (%llu poor)\n", site.c_str(),
                   static_cast<unsigned long long>(h.worker->stats().records),
                   static_cast<unsigned long long>(e.segments_scored), static_cast<unsigned long long>(e.segments_poor));
    }
  } catch (const std::exception& e) {
    log->error("{}", e.what());
    code = 2;
  }
  std::error_code ec;
  std::filesystem::remove_all(scratch, ec);
  return code;
}

}  // namespace callroot::runtime
