#include "runtime/metrics.h"

#include <CivetServer.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "ingest/decoder.h"
#include "models/ids.h"

namespace callroot::runtime {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;

constexpr std::size_t kTypes = static_cast<std::size_t>(ingest::RecordType::kGraphTeamworkDeviceHealth) + 1;
constexpr std::size_t kOtherType = kTypes;  // a type frame callroot does not know: one label, not one per sender's whim
constexpr std::size_t kMaxSources = 64;     // the daemon's sockets and the capture; past it they share the last

/// A counter that mirrors a running total kept elsewhere.
struct Mirrored {
  Counter* counter = nullptr;
  std::uint64_t last = 0;
  void sync(std::uint64_t total) {
    if (total > last) counter->Increment(static_cast<double>(total - last));
    last = total;
  }
};

class Responder final : public CivetHandler {
 public:
  explicit Responder(std::function<void(mg_connection*)> get) : get_(std::move(get)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    get_(conn);
    return true;
  }

 private:
  std::function<void(mg_connection*)> get_;
};

void respond(mg_connection* conn, int status, std::string_view content_type, std::string_view body) {
  const char* reason = status == 200 ? "OK" : "Service Unavailable";
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %.*s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
            "Connection: close\r\n\r\n",
            status, reason, static_cast<int>(content_type.size()), content_type.data(), body.size());
  mg_write(conn, body.data(), body.size());
}

}  // namespace

class MetricsServer::Impl {
 public:
  explicit Impl(const std::string& listen)
      : registry_(std::make_shared<prometheus::Registry>()),
        records_(prometheus::BuildCounter()
                     .Name("callroot_records_total")
                     .Help("Records taken, by the socket they came on (source), their type and whether they were "
                           "accepted or rejected")
                     .Register(*registry_)),
        rejected_(prometheus::BuildCounter()
                      .Name("callroot_records_rejected_total")
                      .Help("Records rejected, by reason (the codes of docs/contract.md)")
                      .Register(*registry_)),
        late_(prometheus::BuildCounter()
                  .Name("callroot_telemetry_late_total")
                  .Help("Telemetry records older than the watermark, dropped")
                  .Register(*registry_)),
        far_ahead_(prometheus::BuildCounter()
                       .Name("callroot_records_far_ahead_total")
                       .Help("Records far ahead of the event time: held, and of those dropped uncorroborated")
                       .Register(*registry_)),
        segments_(prometheus::BuildCounter()
                      .Name("callroot_segments_total")
                      .Help("Call segments scored, by quality")
                      .Register(*registry_)),
        blame_(prometheus::BuildCounter()
                   .Name("callroot_blame_total")
                   .Help("Poor segments by the kind of their top blame")
                   .Register(*registry_)),
        incidents_(prometheus::BuildCounter()
                       .Name("callroot_incidents_total")
                       .Help("Incident records sent, by event (opened, closed)")
                       .Register(*registry_)),
        reloads_(prometheus::BuildCounter()
                     .Name("callroot_rule_reloads_total")
                     .Help("Rule reloads, by result (ok: the new set runs; failed: the old one stays)")
                     .Register(*registry_)),
        config_reloads_(prometheus::BuildCounter()
                            .Name("callroot_config_reloads_total")
                            .Help("Configuration reloads on SIGHUP, by result (ok: taken; failed: the running "
                                  "configuration stays)")
                            .Register(*registry_)),
        shed_(prometheus::BuildCounter()
                  .Name("callroot_memory_shed_records_total")
                  .Help("Telemetry records dropped above the memory ceiling")
                  .Register(*registry_)),
        store_rows_(prometheus::BuildCounter()
                        .Name("callroot_store_rows_total")
                        .Help("Telemetry rows recorded in the store")
                        .Register(*registry_)),
        gauges_(prometheus::BuildGauge().Name("callroot_incidents_open").Help("Incidents open").Register(*registry_)),
        lag_(prometheus::BuildGauge()
                 .Name("callroot_watermark_lag_seconds")
                 .Help("Wall time minus the newest event time the engine has reached")
                 .Register(*registry_)),
        resident_(prometheus::BuildGauge()
                      .Name("callroot_resident_memory_bytes")
                      .Help("Resident set of the process")
                      .Register(*registry_)),
        store_bytes_(prometheus::BuildGauge()
                         .Name("callroot_store_bytes")
                         .Help("Bytes held by the telemetry store")
                         .Register(*registry_)),
        rules_info_(prometheus::BuildGauge()
                        .Name("callroot_rules_info")
                        .Help("The running rule set: 1, labelled with a hash of its files")
                        .Register(*registry_)),
        latency_(prometheus::BuildHistogram()
                     .Name("callroot_ingest_to_verdict_seconds")
                     .Help("From the arrival of the record that let a segment be scored to its verdict going out")
                     .Register(*registry_)
                     .Add({}, prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005,
                                                                       0.01, 0.025, 0.1, 0.5, 1, 2.5})),
        open_(gauges_.Add({})),
        lag_seconds_(lag_.Add({})),
        resident_bytes_(resident_.Add({})),
        store_bytes_value_(store_bytes_.Add({})) {
    for (std::size_t r = 0; r < ingest::kRejectReasonCount; ++r) {
      rejected_by_reason_[r].counter =
          &rejected_.Add({{"reason", std::string(ingest::code(static_cast<ingest::RejectReason>(r)))}});
    }
    late_total_.counter = &late_.Add({});
    held_.counter = &far_ahead_.Add({{"outcome", "held"}});
    dropped_.counter = &far_ahead_.Add({{"outcome", "dropped"}});
    good_.counter = &segments_.Add({{"quality", "good"}});
    poor_.counter = &segments_.Add({{"quality", "poor"}});
    unclassified_.counter = &segments_.Add({{"quality", "unclassified"}});
    for (std::size_t k = 0; k < std::size(blamed_); ++k) {
      blamed_[k].counter = &blame_.Add({{"kind", to_string(static_cast<ComponentKind>(k))}});
    }
    opened_.counter = &incidents_.Add({{"event", "opened"}});
    closed_.counter = &incidents_.Add({{"event", "closed"}});
    reload_ok_.counter = &reloads_.Add({{"result", "ok"}});
    reload_failed_.counter = &reloads_.Add({{"result", "failed"}});
    config_ok_.counter = &config_reloads_.Add({{"result", "ok"}});
    config_failed_.counter = &config_reloads_.Add({{"result", "failed"}});
    shed_total_.counter = &shed_.Add({});
    rows_.counter = &store_rows_.Add({});
    sources_.resize(kMaxSources);

    metrics_handler_ = std::make_unique<Responder>([this](mg_connection* c) {
      const std::string body = prometheus::TextSerializer().Serialize(registry_->Collect());
      respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", body);
    });
    health_handler_ = std::make_unique<Responder>([](mg_connection* c) { respond(c, 200, "text/plain", "ok\n"); });
    ready_handler_ = std::make_unique<Responder>([this](mg_connection* c) {
      Readiness r;
      {
        const std::lock_guard lock(mutex_);
        r = readiness_;
      }
      const bool ready = r.started && !r.watermark_stalled;
      respond(c, ready ? 200 : 503, "text/plain", (ready ? "ready: " : "not ready: ") + r.detail + "\n");
    });
    try {
      server_ = std::make_unique<CivetServer>(std::vector<std::string>{"listening_ports", listen, "num_threads", "2"});
    } catch (const CivetException& e) {
      throw std::runtime_error("cannot listen for metrics on " + listen + ": " + e.what());
    }
    server_->addHandler("/metrics", metrics_handler_.get());
    server_->addHandler("/healthz", health_handler_.get());
    server_->addHandler("/readyz", ready_handler_.get());
  }

  ~Impl() {
    if (server_) server_->close();  // no handler runs past this point
  }

  int port() {
    const auto ports = server_->getListeningPorts();
    return ports.empty() ? 0 : ports.front();
  }

  void name_source(std::size_t source, std::string name) {
    if (source < sources_.size()) sources_[source].name = std::move(name);
  }

  void count_record(std::size_t source, std::string_view type, bool accepted) {
    Source& s = sources_[std::min(source, kMaxSources - 1)];
    const auto known = ingest::parse_record_type(type);
    const std::size_t t = known ? static_cast<std::size_t>(*known) : kOtherType;
    Counter*& counter = s.counters[t * 2 + (accepted ? 0 : 1)];
    if (counter == nullptr) {
      // Family::Add takes a lock and hashes the labels: once per (source, type, result).
      counter = &records_.Add({{"source", s.name.empty() ? "socket" + std::to_string(source) : s.name},
                               {"type", known ? std::string(ingest::to_string(*known)) : "other"},
                               {"result", accepted ? "accepted" : "rejected"}});
    }
    counter->Increment();
  }

  void observe_latency(std::chrono::nanoseconds d) { latency_.Observe(std::chrono::duration<double>(d).count()); }

  void publish(const MetricsSnapshot& s) {
    if (s.pipeline != nullptr) {
      for (std::size_t r = 0; r < ingest::kRejectReasonCount; ++r) {
        rejected_by_reason_[r].sync(s.pipeline->rejected.count(static_cast<ingest::RejectReason>(r)));
      }
    }
    if (s.engine != nullptr) {
      const engine::EngineStats& e = *s.engine;
      late_total_.sync(e.late_dropped);
      held_.sync(e.future_held);
      dropped_.sync(e.future_dropped);
      good_.sync(e.segments_good);
      poor_.sync(e.segments_poor);
      unclassified_.sync(e.segments_unclassified);
      for (std::size_t k = 0; k < std::size(blamed_); ++k) blamed_[k].sync(e.blamed[k]);
      opened_.sync(e.incidents_opened);
      closed_.sync(e.incidents_closed);
    }
    reload_ok_.sync(s.rule_reloads_ok);
    reload_failed_.sync(s.rule_reloads_failed);
    config_ok_.sync(s.config_reloads_ok);
    config_failed_.sync(s.config_reloads_failed);
    shed_total_.sync(s.shed_records);
    rows_.sync(s.store_rows_recorded);
    open_.Set(static_cast<double>(s.open_incidents));
    resident_bytes_.Set(static_cast<double>(s.resident_bytes));
    store_bytes_value_.Set(static_cast<double>(s.store_bytes));
    if (s.watermark_ms != 0) lag_seconds_.Set(static_cast<double>(s.wall_time_ms - s.watermark_ms) / 1000.0);
    if (s.rules_hash != rules_hash_ || rules_gauge_ == nullptr) {
      if (rules_gauge_ != nullptr) rules_info_.Remove(rules_gauge_);
      rules_hash_ = s.rules_hash;
      rules_gauge_ = &rules_info_.Add({{"hash", rules_hash_.empty() ? "none" : rules_hash_}});
      rules_gauge_->Set(1);
    }
  }

  void set_readiness(Readiness r) {
    const std::lock_guard lock(mutex_);
    readiness_ = std::move(r);
  }

 private:
  struct Source {
    std::string name;
    std::array<Counter*, (kTypes + 1) * 2> counters{};
  };

  std::shared_ptr<prometheus::Registry> registry_;
  Family<Counter>& records_;
  Family<Counter>& rejected_;
  Family<Counter>& late_;
  Family<Counter>& far_ahead_;
  Family<Counter>& segments_;
  Family<Counter>& blame_;
  Family<Counter>& incidents_;
  Family<Counter>& reloads_;
  Family<Counter>& config_reloads_;
  Family<Counter>& shed_;
  Family<Counter>& store_rows_;
  Family<Gauge>& gauges_;
  Family<Gauge>& lag_;
  Family<Gauge>& resident_;
  Family<Gauge>& store_bytes_;
  Family<Gauge>& rules_info_;
  prometheus::Histogram& latency_;
  Gauge& open_;
  Gauge& lag_seconds_;
  Gauge& resident_bytes_;
  Gauge& store_bytes_value_;
  Gauge* rules_gauge_ = nullptr;
  std::string rules_hash_;

  std::array<Mirrored, ingest::kRejectReasonCount> rejected_by_reason_{};
  Mirrored late_total_, held_, dropped_, good_, poor_, unclassified_, opened_, closed_, reload_ok_, reload_failed_,
      config_ok_, config_failed_, shed_total_, rows_;
  std::array<Mirrored, 6> blamed_{};
  std::vector<Source> sources_;

  std::mutex mutex_;
  Readiness readiness_;

  std::unique_ptr<Responder> metrics_handler_, health_handler_, ready_handler_;
  std::unique_ptr<CivetServer> server_;  // last: stopped before the handlers and metrics it calls go
};

MetricsServer::MetricsServer(const std::string& listen) : impl_(std::make_unique<Impl>(listen)) {}
MetricsServer::~MetricsServer() = default;
int MetricsServer::port() const noexcept { return impl_->port(); }
void MetricsServer::count_record(std::size_t source, std::string_view type, bool accepted) {
  impl_->count_record(source, type, accepted);
}
void MetricsServer::name_source(std::size_t source, std::string name) { impl_->name_source(source, std::move(name)); }
void MetricsServer::observe_latency(std::chrono::nanoseconds d) { impl_->observe_latency(d); }
void MetricsServer::publish(const MetricsSnapshot& snapshot) { impl_->publish(snapshot); }
void MetricsServer::set_readiness(Readiness readiness) { impl_->set_readiness(std::move(readiness)); }

std::string rules_hash(const std::vector<std::string>& files) {
  if (files.empty()) return {};
  std::uint64_t h = 0xcbf29ce484222325ULL;
  const auto mix = [&h](std::string_view bytes) {
    for (const char c : bytes) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  };
  for (const auto& path : files) {
    mix(path);
    mix(std::string_view("\0", 1));
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    mix(bytes);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<std::size_t>(i)] = kHex[h & 15];
  return out;
}

}  // namespace callroot::runtime
