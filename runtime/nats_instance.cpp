#include "runtime/nats_instance.h"

#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "ingest/time_peek.h"
#include "models/incident.h"
#include "models/verdict.h"
#include "runtime/jetstream.h"
#include "runtime/pipeline.h"
#include "runtime/route.h"
#include "runtime/signals.h"
#include "runtime/stream_replay.h"

namespace callroot::runtime {
namespace {

constexpr const char* kLeases = "callroot_leases";
constexpr const char* kCheckpoints = "callroot_checkpoints";
constexpr const char* kMembers = "callroot_members";
/// A checkpoint in the bucket: this header line, then the engine's checkpoint bytes.
constexpr std::string_view kCheckpointHeader = "callroot-nats-checkpoint 1 resume ";

std::string default_instance_name() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(getpid());
}

/// Inventory records kept in a stream, in stream order, read as they come:
/// the inventory stream's (which sites there are), or a partition's copy
/// (the order a site's engine takes it in among the site's records).
class InventoryLog {
 public:
  InventoryLog(JetStream& js, std::string stream, std::string filter) {
    ConsumerSpec spec;
    spec.stream = std::move(stream);
    spec.filter = std::move(filter);
    consumer_ = js.pull_consumer(spec);
  }
  /// Takes what came since the last call.
  void refresh(std::chrono::milliseconds wait) {
    for (auto batch = consumer_->fetch(512, wait); !batch.empty(); batch = consumer_->fetch(512, std::chrono::milliseconds(0))) {
      for (auto& m : batch) records_.push_back({m.stream_sequence(), std::string(m.subject()), std::string(m.data())});
      if (batch.back().pending() == 0) break;
    }
  }
  [[nodiscard]] const std::vector<KeptRecord>& records() const noexcept { return records_; }

 private:
  std::unique_ptr<PullConsumer> consumer_;
  std::vector<KeptRecord> records_;
};

/// A site's verdicts and incident records to the verdicts stream, each with
/// an id the stream de-duplicates on. A publish that fails is counted; the
/// site then saves no checkpoint until what it published is confirmed.
class NatsVerdictSink final : public engine::VerdictSink {
 public:
  NatsVerdictSink(JetStream& js, const std::string& site)
      : js_(js), token_(subject_token(site)), verdicts_(StreamLayout::verdicts(site)),
        incidents_(StreamLayout::incidents(site)) {}

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
  /// `inventory`: the copy in the site's partition stream.
  SiteWorker(std::string site, const StreamLayout& layout, JetStream& js, KeyValue& checkpoints,
             const NatsRunOptions& options, InventoryLog& inventory, std::shared_ptr<spdlog::logger> log,
             const std::filesystem::path& scratch)
      : site_(std::move(site)), stream_(layout.stream_of(site_)), js_(js), checkpoints_(checkpoints), options_(options), log_(std::move(log)),
        scratch_(scratch / ("site-" + std::to_string(stable_hash(site_)) + ".ckpt")), sink_(js, site_),
        pipeline_(options.config.engine, sink_, log_) {
    pipeline_.engine().set_attributor(require_attribution(options.config.attribution));
    const std::uint64_t resume = restore();
    catch_up(layout, inventory, resume);
    ConsumerSpec spec;
    spec.stream = stream_;
    spec.filter = layout.site(site_);
    spec.durable = "callroot_site_" + std::to_string(stable_hash(site_));
    spec.start_sequence = resume;
    spec.ack_wait = std::chrono::duration_cast<std::chrono::seconds>(options.checkpoint_every * 3 + options.lease) +
                    std::chrono::seconds(1);
    js_.delete_consumer(spec.stream, spec.durable);  // a takeover starts where the checkpoint says
    consumer_ = js_.pull_consumer(spec);
    consumer_->refresh_pending();
    last_record_ = std::chrono::steady_clock::now();
    log_->info("site {}: held from stream sequence {}", site_, resume);
  }

  [[nodiscard]] const std::string& site() const noexcept { return site_; }
  /// Records are known to wait for the site (its last fetch did not take
  /// them all), or its pending segments are due to be scored for want of records.
  [[nodiscard]] bool due() const { return consumer_->pending() > 0 || idle_flush_due(std::chrono::steady_clock::now()); }

  /// Takes what the stream has for the site, in order, the inventory
  /// interleaved by stream sequence. Returns the messages taken.
  std::size_t step(InventoryLog& inventory, std::chrono::milliseconds wait) {
    auto batch = consumer_->fetch(64, wait);
    // Inventory stored before the batch's records is in the stream by now.
    if (!batch.empty()) inventory.refresh(std::chrono::milliseconds(0));
    for (auto& m : batch) {
      inventory_.feed_before(inventory.records(), m.stream_sequence(), pipeline_);
      const ingest::Position where{m.subject(), m.stream_sequence()};
      for_each_record(m.data(), [&](std::string_view record) { pipeline_.feed(record, where); });
      note_time(pipeline_.engine().newest_event(), m.stream_sequence());
      applied_ = m.stream_sequence();
      last_ = std::move(m);
    }
    const auto now = std::chrono::steady_clock::now();
    if (!batch.empty()) {
      last_record_ = now;
    } else if (idle_flush_due(now)) {
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
  /// Segments wait and no record came for idle_flush: they are scored as the daemon scores them.
  [[nodiscard]] bool idle_flush_due(std::chrono::steady_clock::time_point now) const {
    return pipeline_.engine().pending() + pipeline_.engine().held() > 0 && now - last_record_ >= options_.idle_flush;
  }

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
  void catch_up(const StreamLayout& layout, InventoryLog& inventory, std::uint64_t resume) {
    inventory.refresh(std::chrono::milliseconds(0));
    if (resume <= 1) return;
    for (const KeptRecord& m : read_kept(js_, stream_, layout.site(site_), resume - 1)) {
      inventory_.feed_before(inventory.records(), m.seq, pipeline_);
      const ingest::Position where{m.subject, m.seq};
      for_each_record(m.body, [&](std::string_view record) {
        if (ingest::peek_record_type(record).rfind("client.", 0) == 0) pipeline_.feed(record, where);
      });
    }
    inventory_.feed_before(inventory.records(), resume, pipeline_);
  }

  /// One mark a minute of event time: the stream sequence of the message in
  /// which the newest event time reached that minute.
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
  std::string stream_;  // of the site's partition
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
  InventoryCursor inventory_;
  std::deque<std::pair<TimeMs, std::uint64_t>> marks_;
  std::chrono::steady_clock::time_point last_record_;
};

/// Adds the sites the inventory names past `scanned` to `sites`.
void add_known_sites(const InventoryLog& inventory, std::size_t& scanned, std::vector<std::string>& sites) {
  const auto& records = inventory.records();
  for (; scanned < records.size(); ++scanned) {
    const std::string_view body = records[scanned].body;
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

/// The leases this instance holds, and its announcement in
/// `callroot_members` (its name and selection), renewed every third of a
/// lease on a thread of their own: a long pass of scoring (a takeover's
/// catch-up, a slow checkpoint) never lets them lapse while the instance lives.
class LeaseKeeper {
 public:
  LeaseKeeper(JetStream& js, const Member& self, std::chrono::milliseconds lease, spdlog::logger& log)
      : leases_(js.key_value(kLeases, lease)), members_(js.key_value(kMembers, lease)), instance_(self.name),
        member_key_(key_value_key(self.name)), announcement_(self.name + "\n" + self.selection.to_string()),
        lease_(lease), log_(log) {
    members_->put(member_key_, announcement_);
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
  }
  ~LeaseKeeper() {
    thread_.request_stop();
    wake_.notify_all();
  }
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  /// Takes `site` when no instance holds it.
  bool acquire(const std::string& site) {
    const auto rev = leases_->create(key_value_key(site), instance_);
    if (!rev) return false;
    const std::lock_guard lock(mutex_);
    held_[site] = *rev;
    return true;
  }
  /// Gives `site` up: another instance may take it at once.
  void release(const std::string& site) {
    {
      const std::lock_guard lock(mutex_);
      held_.erase(site);
    }
    leases_->erase(key_value_key(site));
  }
  /// The sites whose renewal failed since the last call: they are not held any more.
  std::vector<std::string> lost() {
    const std::lock_guard lock(mutex_);
    return std::exchange(lost_, {});
  }
  /// The keys of the leases any instance holds.
  [[nodiscard]] std::vector<std::string> leased() const { return leases_->keys(); }
  /// Withdraws the announcement; the leases held are still renewed until released.
  void leave() {
    const std::lock_guard lock(announce_mutex_);
    leaving_ = true;
    members_->erase(member_key_);
  }

 private:
  void run(const std::stop_token& stop) {
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, stop, lease_ / 3, [] { return false; });
      }
      if (stop.stop_requested()) return;
      renew();
    }
  }

  void renew() {
    try {
      const std::lock_guard lock(announce_mutex_);
      if (!leaving_) members_->put(member_key_, announcement_);
    } catch (const JetStreamError& e) {
      log_.warn("{}: announcement not renewed: {}", kMembers, e.what());
    }
    std::map<std::string, std::uint64_t> held;
    {
      const std::lock_guard lock(mutex_);
      held = held_;
    }
    for (const auto& [site, revision] : held) {
      std::optional<std::uint64_t> renewed;
      try {
        renewed = leases_->update(key_value_key(site), instance_, revision);
      } catch (const JetStreamError& e) {
        log_.warn("site {}: lease not renewed, trying again: {}", site, e.what());
        continue;
      }
      const std::lock_guard lock(mutex_);
      const auto it = held_.find(site);
      if (it == held_.end() || it->second != revision) continue;  // released meanwhile
      if (renewed) {
        it->second = *renewed;
      } else {
        held_.erase(it);
        lost_.push_back(site);
      }
    }
  }

  std::unique_ptr<KeyValue> leases_, members_;
  std::string instance_, member_key_, announcement_;
  std::chrono::milliseconds lease_;
  spdlog::logger& log_;
  std::mutex announce_mutex_;  // leave() and a renewal never cross
  bool leaving_ = false;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::map<std::string, std::uint64_t> held_;  // site -> the lease's revision
  std::vector<std::string> lost_;
  std::jthread thread_;
};

/// The instances announced in `callroot_members`, as this one last read them.
class Membership {
 public:
  Membership(JetStream& js, Member self, std::chrono::milliseconds ttl, spdlog::logger& log)
      : kv_(js.key_value(kMembers, ttl)), self_(std::move(self)), log_(log) {}

  /// Reads who is there (this instance always is).
  void refresh() {
    std::vector<Member> now;
    for (const auto& key : kv_->keys()) {
      const auto entry = kv_->get(key);
      if (!entry) continue;  // left or expired between the two reads
      const std::size_t eol = entry->value.find('\n');
      const auto selection = eol == std::string::npos ? std::nullopt : SiteSelection::parse(std::string_view(entry->value).substr(eol + 1));
      if (!selection) {
        if (warned_.insert(key).second) log_.warn("{}: the entry {} is not an instance's; ignored", kMembers, key);
        continue;
      }
      now.push_back(Member{entry->value.substr(0, eol), *selection});
    }
    if (std::none_of(now.begin(), now.end(), [&](const Member& m) { return m.name == self_.name; })) now.push_back(self_);
    // Settled: seen in this read and the one before, so that an instance
    // is handed sites only once it has stayed a while.
    settled_.clear();
    for (const auto& m : now) {
      if (std::any_of(live_.begin(), live_.end(), [&](const Member& x) { return x.name == m.name; }) || m.name == self_.name) {
        settled_.push_back(m);
      }
    }
    live_ = std::move(now);
  }
  [[nodiscard]] const std::vector<Member>& live() const noexcept { return live_; }
  [[nodiscard]] const std::vector<Member>& settled() const noexcept { return settled_; }

 private:
  std::unique_ptr<KeyValue> kv_;
  Member self_;
  spdlog::logger& log_;
  std::vector<Member> live_, settled_;
  std::set<std::string> warned_;
};

}  // namespace

bool SiteSelection::selects(std::string_view site) const {
  if (partitions > 0) return stable_hash(site) % partitions == partition;
  const std::string name(site);
  return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

std::string SiteSelection::to_string() const {
  if (partitions > 0) return "partition " + std::to_string(partition) + "/" + std::to_string(partitions);
  return "sites " + pattern;
}

std::optional<SiteSelection> SiteSelection::parse(std::string_view text) {
  if (text.rfind("sites ", 0) == 0) {
    SiteSelection out;
    out.pattern = std::string(text.substr(6));
    return out;
  }
  if (text.rfind("partition ", 0) == 0) return parse_partition(text.substr(10));
  return std::nullopt;
}

std::optional<SiteSelection> SiteSelection::parse_partition(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  SiteSelection out;
  const auto number = [](std::string_view digits, unsigned& value) {
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    return ec == std::errc{} && end == digits.data() + digits.size() && !digits.empty();
  };
  if (!number(text.substr(0, slash), out.partition) || !number(text.substr(slash + 1), out.partitions)) return std::nullopt;
  if (out.partitions == 0 || out.partition >= out.partitions) return std::nullopt;
  return out;
}

const Member* preferred_holder(std::string_view site, const std::vector<Member>& members) {
  const Member* best = nullptr;
  std::uint64_t best_score = 0;
  for (const auto& m : members) {
    if (!m.selection.selects(site)) continue;
    // Rendezvous hashing: a mixed hash of (name, site); names break ties.
    std::uint64_t score = stable_hash(m.name) ^ (stable_hash(site) * 0x9e3779b97f4a7c15ULL);
    score ^= score >> 31;
    score *= 0xbf58476d1ce4e5b9ULL;
    score ^= score >> 29;
    if (best == nullptr || score > best_score || (score == best_score && m.name < best->name)) {
      best = &m;
      best_score = score;
    }
  }
  return best;
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
    js.ensure_stream(verdicts_stream(options.duplicate_window));
    std::optional<StreamLayout> layout = read_layout(js);
    if (!layout) log->info("waiting for `callroot route` to lay out the streams on {}", options.url);
    for (; !layout; layout = read_layout(js)) {
      if (const int sig = signals.poll(); sig == SIGINT || sig == SIGTERM || stop.stop_requested()) {
        log->info("stopped before any records were routed");
        std::filesystem::remove_all(scratch);
        return 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    auto checkpoints = js.key_value(kCheckpoints);
    const Member self{instance, options.selection};
    LeaseKeeper leases(js, self, options.lease, *log);
    Membership members(js, self, options.lease, *log);
    InventoryLog inventory(js, StreamLayout::kInventoryStream, "callroot.inventory.>");
    // The inventory's copy in each partition stream a held site lives in.
    std::map<unsigned, InventoryLog> partition_inventory;
    const auto inventory_of = [&](unsigned partition) -> InventoryLog& {
      auto it = partition_inventory.find(partition);
      if (it == partition_inventory.end()) {
        it = partition_inventory
                 .try_emplace(partition, js, StreamLayout::partition_stream(partition), StreamLayout::inventory_copies(partition))
                 .first;
      }
      return it->second;
    };
    std::vector<std::string> sites;
    std::size_t scanned = 0;
    std::map<std::string, std::unique_ptr<SiteWorker>> held;
    // Free sites this instance selects but is not preferred for, and since when they were seen free.
    std::map<std::string, std::chrono::steady_clock::time_point> free_since;
    auto last_look = std::chrono::steady_clock::now() - options.lease;  // look at once
    bool met_members = false;
    // Per partition stream with held sites: its last sequence when last looked at.
    std::map<unsigned, std::uint64_t> partition_last;
    auto last_checkpoint = std::chrono::steady_clock::now();
    log->info("instance {} on {}: {}", instance, options.url, options.selection.to_string());
    int sig = 0;
    while ((sig = signals.poll()) != SIGINT && sig != SIGTERM && !stop.stop_requested()) {
      inventory.refresh(std::chrono::milliseconds(held.empty() ? 100 : 0));
      add_known_sites(inventory, scanned, sites);
      const auto now = std::chrono::steady_clock::now();
      for (const auto& site : leases.lost()) {
        log->warn("site {}: lease lost to another instance; given up", site);
        held.erase(site);
      }
      // Every third of a lease: hand back the sites another live instance
      // is preferred for, and take the free sites this one is preferred for
      // (a lease that lapsed is taken within a third of its time to live).
      if (now - last_look >= options.lease / 3) {
        last_look = now;
        members.refresh();
        for (auto& [partition, copy] : partition_inventory) copy.refresh(std::chrono::milliseconds(0));
        for (auto it = held.begin(); it != held.end();) {
          const Member* to = preferred_holder(it->first, members.settled());
          if (to == nullptr || to->name == instance || !it->second->checkpoint()) {
            ++it;
            continue;
          }
          leases.release(it->first);
          log->info("site {}: handed back to instance {}", it->first, to->name);
          it = held.erase(it);
        }
        // The first look only meets the others: instances started together
        // then share the sites from the start instead of the first taking
        // them all and handing them back.
        if (std::exchange(met_members, true)) {
          const auto keys = leases.leased();
          const std::set<std::string> leased(keys.begin(), keys.end());
          for (const auto& site : sites) {
            if (held.count(site) != 0 || !options.selection.selects(site)) continue;
            if (leased.count(key_value_key(site)) != 0) {
              free_since.erase(site);
              continue;
            }
            // A live instance preferred for it takes it; this one does only
            // when it stays free for a whole lease (that one is stuck).
            const Member* to = preferred_holder(site, members.live());
            const auto first_free = free_since.try_emplace(site, now).first->second;
            if (to != nullptr && to->name != instance && now - first_free < options.lease) continue;
            if (leases.acquire(site)) {
              free_since.erase(site);
              held.emplace(site, std::make_unique<SiteWorker>(site, *layout, js, *checkpoints, options,
                                                              inventory_of(layout->partition_of(site)), log, scratch));
            }
          }
        }
      }
      // Holding one site, a pull request waits for its next record. Holding
      // several, a pass asks each partition stream for its last sequence and
      // fetches only for the sites of those that grew (or that have records
      // still to fetch); an idle pass sleeps a millisecond. A record waits
      // about a millisecond to be fetched either way.
      std::size_t taken = 0;
      if (held.size() == 1) {
        auto& [site, worker] = *held.begin();
        taken = worker->step(inventory_of(layout->partition_of(site)), std::chrono::milliseconds(50));
      } else if (!held.empty()) {
        std::map<unsigned, bool> grew;  // this pass: each partition stream looked at once
        for (auto& [site, worker] : held) {
          const unsigned partition = layout->partition_of(site);
          const auto [it, first] = grew.try_emplace(partition, false);
          if (first) {
            const std::uint64_t last = js.last_sequence(StreamLayout::partition_stream(partition));
            it->second = std::exchange(partition_last[partition], last) != last;
          }
          if (it->second || worker->due()) taken += worker->step(inventory_of(partition), std::chrono::milliseconds(0));
        }
        if (taken == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (held.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (now - last_checkpoint >= options.checkpoint_every) {
        last_checkpoint = now;
        for (auto& [site, worker] : held) worker->checkpoint();
      }
    }
    log->info("{}, scoring what is pending and giving up {} site(s)", sig == SIGINT ? "SIGINT received" : sig == SIGTERM ? "SIGTERM received" : "stop requested", held.size());
    leases.leave();
    for (auto& [site, worker] : held) {
      worker->finish();
      leases.release(site);
      const auto& e = worker->engine_stats();
      std::fprintf(stderr, "site %s: %llu records, %llu segments scored (%llu poor)\n", site.c_str(),
                   static_cast<unsigned long long>(worker->stats().records),
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
