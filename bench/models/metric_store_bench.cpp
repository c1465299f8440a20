// Benchmarks of the telemetry store and the topology, at the size of a large
// campus: 20,000 Wi-Fi clients, 1,000 APs, 200 switches x 48 ports, 50 WAN links,
// 30 s telemetry, 2 h retention.
//
// Hypotheses (what these figures are meant to confirm or refute):
// - BM_RecordWifiClient: record() in steady state (every series already at its
//   2 h of rows, so each insert also pops one) costs well under 1 us, i.e. one
//   core absorbs far more than the 667 samples/s of 20k clients at 30 s.
// - BM_WindowAggregate: the aggregates of one client over a 5-minute window
//   (~11 rows of a 241-row series) cost about 1 us for all 6 columns; the
//   single-column form a fraction of that. Clients are visited in a scattered
//   order so the figure includes cache misses, as scoring does.
// - BM_TopologyPath: path(client, t) for 20k clients over 1k APs with 2-level
//   switch trees (AP -> access -> core -> edge -> links) is a few hundred ns.
// - BM_MemoryFootprint: 2 h of 30 s samples for the whole campus fits in about
//   300 MB, ~30-40 bytes per row (4-byte offset + 4-byte floats, ring rounded
//   up to a power of two), reported as counters, not as time.
//
// First figures (Release, g++ 12, 2-vCPU Xeon 2.6 GHz shared with other builds,
// median of 5): record 101 ns; window all 6 columns 726 ns, one column 336 ns;
// path 82 ns; 7.39 M rows in 247 MiB = 35.0 bytes/row.
// Run: build-models-rel/bench/models/models_bench --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/directory.h"
#include "models/metric_store.h"
#include "models/topology.h"

namespace callroot {
namespace {

constexpr TimeMs kT0 = 1772438400000;  // 2026-03-02T08:00:00Z
constexpr DurationMs kStep = 30'000;   // telemetry every 30 s
constexpr DurationMs kRetention = 2 * 3600 * 1000;
constexpr std::uint32_t kClients = 20'000;
constexpr std::uint32_t kAps = 1'000;
constexpr std::uint32_t kSwitches = 200;
constexpr std::uint32_t kPortsPerSwitch = 48;
constexpr std::uint32_t kWanLinks = 50;
constexpr std::uint32_t kRounds = kRetention / kStep + 1;  // 241 samples span exactly 2 h

TelemetrySample wifi_client(std::uint32_t client, TimeMs ts) {
  TelemetrySample s;
  s.family = Family::kWifiClient;
  s.entity = client;
  s.ts = ts;
  s.present = 0b111111;
  s.values[0] = -40.0 - (client % 40);
  s.values[1] = 30.0 - (client % 20);
  s.values[2] = static_cast<double>(ts / kStep % 25);
  s.values[3] = 3.0;
  s.values[4] = 400.0;
  s.values[5] = 300.0;
  return s;
}

TelemetrySample wifi_ap(std::uint32_t ap, TimeMs ts) {
  TelemetrySample s;
  s.family = Family::kWifiAp;
  s.entity = ap;
  s.ts = ts;
  s.present = 0xff;
  s.values = {5.0, 36.0, 40.0, 5.0, -92.0, 20.0, 8.0, 15.0};
  return s;
}

TelemetrySample switch_port(std::uint32_t port, TimeMs ts, std::uint64_t round) {
  TelemetrySample s;
  s.family = Family::kSwitchPort;
  s.entity = port;
  s.ts = ts;
  s.present = 0x1ff;
  s.values[0] = 1000.0;
  s.values[1] = 1.0;
  for (std::size_t f = 2; f < 9; ++f) s.counters[f] = round * (f == 2 || f == 3 ? 37'500'000 : f);
  return s;
}

TelemetrySample wan_link(std::uint32_t link, TimeMs ts) {
  TelemetrySample s;
  s.family = Family::kWanLink;
  s.entity = link;
  s.ts = ts;
  s.present = 0b11111;
  s.values = {25.0, 3.0, 0.1, 40.0, 20.0};
  return s;
}

/// A store holding 2 h of 30 s Wi-Fi client samples for 20k clients, built once.
struct WifiStore {
  MetricStore store{MetricStoreConfig{kRetention, 4096}};
  std::uint64_t round = 0;  // the next round of samples to record
  WifiStore() {
    for (; round < kRounds; ++round) {
      for (std::uint32_t c = 0; c < kClients; ++c) store.record(wifi_client(c, kT0 + static_cast<TimeMs>(round) * kStep));
    }
  }
};

WifiStore& wifi_store() {
  static WifiStore s;
  return s;
}

void BM_RecordWifiClient(benchmark::State& state) {
  WifiStore& w = wifi_store();  // steady state: every series full, each insert also pops its oldest row
  std::uint32_t client = 0;
  for (auto _ : state) {
    w.store.record(wifi_client(client, kT0 + static_cast<TimeMs>(w.round) * kStep));
    if (++client == kClients) {
      client = 0;
      ++w.round;
    }
  }
  // Finish the round so the store stays in a consistent state for the next run.
  for (; client != 0 && client < kClients; ++client) {
    w.store.record(wifi_client(client, kT0 + static_cast<TimeMs>(w.round) * kStep));
  }
  if (client == kClients) ++w.round;
  const std::size_t rows = w.store.rows(Family::kWifiClient, 0);
  if (rows != kRounds) {
    state.SkipWithError(("expected a full 2 h series, got " + std::to_string(rows) + " rows").c_str());
    return;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["rows_per_series"] = static_cast<double>(rows);
}
BENCHMARK(BM_RecordWifiClient);

/// Clients in a scattered order (a stride coprime with 20k), so successive
/// queries touch unrelated series as scoring does.
constexpr std::uint32_t kStride = 7'919;

void BM_WindowAggregate(benchmark::State& state) {
  WifiStore& w = wifi_store();
  const TimeMs newest = kT0 + static_cast<TimeMs>(w.round - 1) * kStep;
  const TimeWindow window{newest - 5 * 60'000, newest};  // 5 minutes: 11 rows at 30 s
  std::array<WindowStats, 6> out;
  std::uint32_t client = 0;
  std::uint64_t samples = 0;
  for (auto _ : state) {
    w.store.window(Family::kWifiClient, client, window, out);
    benchmark::DoNotOptimize(out.data());
    samples += out[col::kRssi].count;
    client = (client + kStride) % kClients;
  }
  if (samples == 0) {
    state.SkipWithError("the windows held no samples");
    return;
  }
  state.counters["samples_per_window"] = static_cast<double>(samples) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_WindowAggregate);

void BM_WindowAggregateOneColumn(benchmark::State& state) {
  WifiStore& w = wifi_store();
  const TimeMs newest = kT0 + static_cast<TimeMs>(w.round - 1) * kStep;
  const TimeWindow window{newest - 5 * 60'000, newest};
  std::uint32_t client = 0;
  std::uint64_t samples = 0;
  for (auto _ : state) {
    const WindowStats st = w.store.window(Family::kWifiClient, client, col::kRssi, window);
    benchmark::DoNotOptimize(st);
    samples += st.count;
    client = (client + kStride) % kClients;
  }
  if (samples == 0) {
    state.SkipWithError("the windows held no samples");
    return;
  }
  state.counters["samples_per_window"] = static_cast<double>(samples) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_WindowAggregateOneColumn);

/// 20 sites, each: one edge with 2-3 WAN links, a core switch uplinked to the
/// edge, 9 access switches uplinked to the core (200 switches), 50 APs spread
/// over the access switches (1,000 APs); 20k clients associated round-robin,
/// every fourth one roaming once to a neighbouring AP.
struct Campus {
  Directory dir;
  Topology topo;
  std::vector<ClientId> clients;

  Campus() {
    constexpr std::uint32_t kSites = 20;
    constexpr std::uint32_t kAccessPerSite = kSwitches / kSites - 1;
    std::vector<ApId> aps;
    for (std::uint32_t s = 0; s < kSites; ++s) {
      const std::string site_name = "site" + std::to_string(s);
      const SiteId site = *dir.site(site_name);
      topo.apply(SiteInventory{site, site_name, {*Cidr::parse("10." + std::to_string(s) + ".0.0/16")}});
      const EdgeId edge = *dir.edge(site_name + "-edge");
      for (std::uint32_t l = s; l < kWanLinks; l += kSites) {
        topo.apply(WanInventory{*dir.link("wan" + std::to_string(l)), site, edge, "isp", 1000, {}});
      }
      const SwitchId core = *dir.switch_(site_name + "-core");
      topo.apply(SwitchInventory{core, site, "", SwitchId{}, PortId{}, edge});
      std::vector<SwitchId> access;
      for (std::uint32_t a = 0; a < kAccessPerSite; ++a) {
        const SwitchId sw = *dir.switch_(site_name + "-access" + std::to_string(a));
        topo.apply(SwitchInventory{sw, site, "", core, *dir.port(core, "xe-0/0/" + std::to_string(a)), EdgeId{}});
        access.push_back(sw);
      }
      for (std::uint32_t i = 0; i < kAps / kSites; ++i) {
        const ApId ap = *dir.ap(site_name + "-ap" + std::to_string(i));
        const SwitchId sw = access[i % access.size()];
        const Mac bssid{0x001122000000ULL + aps.size()};
        topo.apply(ApInventory{ap, site, "", {bssid}, sw, *dir.port(sw, "ge-0/0/" + std::to_string(i))});
        aps.push_back(ap);
      }
    }
    for (std::uint32_t c = 0; c < kClients; ++c) {
      const ClientId id = *dir.client(Mac{0xaa0000000000ULL + c});
      ClientAssoc a;
      a.ts = kT0;
      a.client = id;
      a.ap = aps[c % aps.size()];
      topo.apply(a);
      if (c % 4 == 0) {
        a.ts = kT0 + 3'600'000;
        a.ap = aps[(c + 1) % aps.size()];
        topo.apply(a);
      }
      clients.push_back(id);
    }
  }
};

void BM_TopologyPath(benchmark::State& state) {
  static const Campus campus;
  std::uint32_t i = 0;
  std::uint64_t hops = 0;
  std::uint64_t misses = 0;
  for (auto _ : state) {
    const auto p = campus.topo.path(campus.clients[i], kT0 + 5'400'000);
    benchmark::DoNotOptimize(p);
    if (p) hops += p->switch_count;
    else ++misses;
    i = (i + kStride) % kClients;
  }
  if (hops != 2 * (state.iterations() - misses) || misses != 0) {
    state.SkipWithError("paths without the expected two switch hops");
    return;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_TopologyPath);

/// Not a timing: the store's memory after 2 h of 30 s samples for the whole campus.
void BM_MemoryFootprint(benchmark::State& state) {
  std::size_t bytes = 0;
  std::size_t rows = 0;
  for (auto _ : state) {
    auto store = std::make_unique<MetricStore>(MetricStoreConfig{kRetention, 4096});
    for (std::uint32_t r = 0; r < kRounds; ++r) {
      const TimeMs ts = kT0 + static_cast<TimeMs>(r) * kStep;
      for (std::uint32_t c = 0; c < kClients; ++c) store->record(wifi_client(c, ts));
      for (std::uint32_t a = 0; a < kAps; ++a) store->record(wifi_ap(a, ts));
      for (std::uint32_t p = 0; p < kSwitches * kPortsPerSwitch; ++p) store->record(switch_port(p, ts, r));
      for (std::uint32_t l = 0; l < kWanLinks; ++l) store->record(wan_link(l, ts));
    }
    bytes = store->memory_bytes();
    rows = 0;
    for (std::uint32_t c = 0; c < kClients; ++c) rows += store->rows(Family::kWifiClient, c);
    for (std::uint32_t a = 0; a < kAps; ++a) rows += store->rows(Family::kWifiAp, a);
    for (std::uint32_t p = 0; p < kSwitches * kPortsPerSwitch; ++p) rows += store->rows(Family::kSwitchPort, p);
    for (std::uint32_t l = 0; l < kWanLinks; ++l) rows += store->rows(Family::kWanLink, l);
    benchmark::DoNotOptimize(bytes);
  }
  const std::size_t expected_rows =
      static_cast<std::size_t>(kRounds) * (kClients + kAps + kSwitches * kPortsPerSwitch + kWanLinks);
  if (bytes == 0 || rows != expected_rows) {
    state.SkipWithError(("expected " + std::to_string(expected_rows) + " rows, got " + std::to_string(rows)).c_str());
    return;
  }
  state.counters["memory_bytes"] = static_cast<double>(bytes);
  state.counters["memory_MiB"] = static_cast<double>(bytes) / (1024.0 * 1024.0);
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["bytes_per_row"] = static_cast<double>(bytes) / static_cast<double>(rows);
}
BENCHMARK(BM_MemoryFootprint)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace callroot
