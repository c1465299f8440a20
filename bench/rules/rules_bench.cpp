// Cost of evaluating compiled rules for one candidate.
//
// Hypothesis: a tree walk over a flat node array, with fields pre-resolved
// to slots and no allocation unless a rule fires, costs tens of nanoseconds
// per rule, so a realistic pack (~15 rules) stays well under a microsecond per
// candidate and 1,000 rules well under 100 us.
// Scenarios: the pack for each target kind (client/ap/switch/wan candidates),
// with realistic values (a few rules fire); 1,000 generated client rules
// (thresholds chosen so ~1% fire). Counters: ns per candidate and per rule.
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>
#include <vector>

#include "rules/loader.h"

namespace callroot::rules {
namespace {

const char* kPack = R"(
param rssi_floor = -72dBm
param retry_ceiling = 20%
param util_ceiling = 50%
macro weak_signal = client.wifi.rssi_dbm.avg < rssi_floor
macro voice = media in [audio, video]
rule client.weak_wifi { scope: voice and endpoint.connection == wifi
  when: weak_signal and client.wifi.tx_retry_pct.avg > retry_ceiling  blame: client  weight: 2.5
  explain: "RSSI {client.wifi.rssi_dbm.avg} below {rssi_floor} with {client.wifi.tx_retry_pct.avg} retries" }
rule client.low_snr { scope: voice  when: client.wifi.snr_db.p50 < 20dB  blame: client  weight: 1.5 }
rule client.cpu { scope: voice  when: client.device.cpu_pct.p95 > 90% or endpoint.cpu_insufficient_ratio > 0.1  blame: client }
rule client.battery { scope: voice  when: client.device.battery_pct.last < 5% and endpoint.device_type == mobile  blame: client  weight: 0.5 }
rule client.rate { scope: voice  when: client.wifi.tx_rate_mbps.min < 6Mbps and sent.bitrate_kbps < 64kbps  blame: client }
rule client.room { scope: voice and endpoint.device_type == room_system
  when: peripheral("microphone") != connected or room_health() in [critical, offline]  blame: client  weight: 3 }
rule ap.busy { scope: voice  when: ap.radio.channel_util_pct.p95 > util_ceiling  blame: ap  weight: 2
  explain: "channel utilization {ap.radio.channel_util_pct.p95}" }
rule ap.interference { scope: voice  when: ap.radio.interference_pct.avg > 25%  blame: ap }
rule ap.retries { scope: voice  when: ap.radio.tx_retry_pct.avg > 20% and ap.radio.clients.max > 30  blame: ap }
rule ap.cpu { scope: voice  when: ap.radio.cpu_pct.max > 90%  blame: ap  weight: 0.5 }
rule switch.errors { scope: voice  when: switch.port.in_errors_per_s.max > 1/s or switch.port.in_fcs_errors_per_s.max > 0/s  blame: switch  weight: 2 }
rule switch.util { scope: voice  when: max(switch.port.in_util_pct.p95, switch.port.out_util_pct.p95) > 90%  blame: switch }
rule switch.down { scope: voice  when: switch.port.oper_up.min == 0  blame: switch  weight: 3 }
rule wan.loss { scope: voice  when: wan.link.loss_pct.p95 > 1% and received.loss_avg_pct > 1%  blame: wan  weight: 2
  explain: "loss {wan.link.loss_pct.p95} on the link, {received.loss_avg_pct} received" }
rule wan.jitter { scope: voice  when: wan.link.jitter_ms.p95 > 30ms or wan.link.latency_ms.avg > 100ms  blame: wan }
)";

struct Fixture {
  LoadResult loaded;
  std::vector<double> values;
  Candidate cand;
  explicit Fixture(std::string text) {
    const std::vector<std::pair<std::string, std::string>> src{{"bench.rules", std::move(text)}};
    loaded = load_rules_from_text(src);
    if (!loaded.program) {
      for (const Diagnostic& d : loaded.diagnostics) std::fprintf(stderr, "%s", render_text(d).c_str());
      std::abort();
    }
    // Realistic values: every slot measured, mostly within targets.
    const auto slots = loaded.program->slots();
    values.resize(slots.size());
    for (std::size_t i = 0; i < slots.size(); ++i) {
      const std::string& n = slots[i].name;
      double v = 10;
      if (n.find("rssi") != std::string::npos) v = -75;
      if (n.find("retry") != std::string::npos) v = 25;
      if (n.find("oper_up") != std::string::npos) v = 1;
      if (n.find("connection") != std::string::npos) v = connection_value(Connection::kWifi);
      if (n.find("device_type") != std::string::npos) v = device_type_value(DeviceType::kPc);
      if (n.find("ratio") != std::string::npos) v = 0.01;
      if (n.find("rate_mbps") != std::string::npos || n.find("bitrate") != std::string::npos) v = 200;
      values[i] = v;
    }
    cand.values = values;
    cand.media_mask = media_bit(Media::kAudio);
    cand.direction_mask = kDirectionReceived;
  }
};

void BM_PackPerCandidate(benchmark::State& state) {
  Fixture f(kPack);
  const auto target = static_cast<ComponentKind>(state.range(0));
  const std::size_t nrules = f.loaded.program->rules_for(target).size();
  std::vector<Firing> out;
  std::size_t fired = 0;
  for (auto _ : state) {
    out.clear();
    f.loaded.program->evaluate(target, f.cand, out);
    fired += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  if (state.iterations() > 0 && fired == 0 && target == ComponentKind::kClient) state.SkipWithError("no rule fired");
  state.SetLabel(std::string(to_string(target)) + ", " + std::to_string(nrules) + " rules");
  state.counters["ns_per_rule"] = benchmark::Counter(static_cast<double>(state.iterations() * nrules),
                                                     benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["fired_per_candidate"] = static_cast<double>(fired) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_PackPerCandidate)->Arg(0)->Arg(1)->Arg(2)->Arg(3);

void BM_PackAllTargets(benchmark::State& state) {
  Fixture f(kPack);
  std::vector<Firing> out;
  for (auto _ : state) {
    out.clear();
    for (const auto k : {ComponentKind::kClient, ComponentKind::kAp, ComponentKind::kSwitch, ComponentKind::kWan}) {
      f.loaded.program->evaluate(k, f.cand, out);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["ns_per_rule"] = benchmark::Counter(static_cast<double>(state.iterations() * f.loaded.program->rules().size()),
                                                     benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_PackAllTargets);

std::string generated(int n) {
  // Varied shapes over the client's fields; thresholds make ~1% fire.
  const char* fields[] = {"client.wifi.rssi_dbm.avg < -9{}dBm", "client.wifi.tx_retry_pct.p95 > 9{}%",
                          "client.device.cpu_pct.max > 9{}%", "sent.jitter_avg_ms > 1{}0ms",
                          "received.loss_avg_pct > 5{}%", "client.wifi.snr_db.min < {}dB"};
  std::string text = "param floor = -72dBm\n";
  for (int i = 0; i < n; ++i) {
    auto cond = [&](int k) {
      std::string c = fields[(i + k) % 6];
      c.replace(c.find("{}"), 2, std::to_string((i * 7 + k) % 10));
      return c;
    };
    text += "rule gen.r" + std::to_string(i) + " { scope: media in [audio, video]  blame: client  when: " + cond(0) +
            " and (" + cond(1) + " or " + cond(2) + ")" + (i % 100 == 0 ? " or client.wifi.rssi_dbm.avg < floor" : "") +
            " }\n";
  }
  return text;
}

void BM_Generated(benchmark::State& state) {
  Fixture f(generated(static_cast<int>(state.range(0))));
  const std::size_t nrules = f.loaded.program->rules().size();
  std::vector<Firing> out;
  std::size_t fired = 0;
  for (auto _ : state) {
    out.clear();
    f.loaded.program->evaluate(ComponentKind::kClient, f.cand, out);
    fired += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  if (fired == 0) state.SkipWithError("no rule fired");
  state.counters["ns_per_rule"] = benchmark::Counter(static_cast<double>(state.iterations() * nrules),
                                                     benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["fired_per_candidate"] = static_cast<double>(fired) / static_cast<double>(state.iterations());
  state.counters["slots"] = static_cast<double>(f.loaded.program->slots().size());
}
BENCHMARK(BM_Generated)->Arg(1000);

void BM_GeneratedWithStats(benchmark::State& state) {
  Fixture f(generated(1000));
  std::vector<Firing> out;
  RuleStats stats;
  stats.timing = state.range(0) != 0;
  for (auto _ : state) {
    out.clear();
    f.loaded.program->evaluate(ComponentKind::kClient, f.cand, out, nullptr, &stats);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(stats.timing ? "counters + timing" : "counters");
}
BENCHMARK(BM_GeneratedWithStats)->Arg(0)->Arg(1);

}  // namespace
}  // namespace callroot::rules
