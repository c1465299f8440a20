// The cost of the statistics (issue 4): shared fate, tomography and baselines.
//
// Hypotheses:
// - Shared fate: adding and expiring a segment is O(its keys), a few hundred
//   ns whatever the window; assessing the keys of a poor segment walks the
//   lists of the excluded client (a few entries) and of the smaller of a key
//   and its child, so it grows with the window (~n/APs per AP, n/sites per
//   site uplink): microseconds at 1k segments per window, tens at 100k.
// - Tomography: adding is O(keys); the lazy per-site solves cost
//   O(sweeps x rows x keys) each, at most one per site per solve_every (60 s),
//   so per segment the cost falls as segments per minute grow.
// - Baselines: a learning pass reads every series' last 5 minutes once, a
//   few tens of milliseconds at 20k clients, and memory stays under 16 MB.
//
// Network (as bench/engine/scoring_bench.cpp): 20 sites; per site 50 APs on
// 5 access switches (10 APs each) under a core switch, 2 or 3 WAN links
// (50 in all); 20,000 clients spread over the APs. Segments: between two
// random clients, one in five with a remote party, one in four poor; links
// pinned. Window: 15 minutes, holding 1k, 10k or 100k segments (event time
// advances window/N per segment). Per segment: add (and expire); for poor
// ones, the attributor's queries: per organization side, the client, the AP
// (without the client), the access port (without the AP), the uplink
// (without the access port) and the link (without the uplink).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <vector>

#include "engine/baseline.h"
#include "engine/shared_fate.h"
#include "engine/tomography.h"
#include "models/metric_store.h"

namespace callroot::engine {
namespace {

constexpr TimeMs kT0 = 1'772'442'000'000;
constexpr int kSites = 20, kApsPerSite = 50, kApsPerSwitch = 10, kClients = 20'000, kLinks = 50;
constexpr int kAps = kSites * kApsPerSite;
constexpr DurationMs kWindow = 15 * 60'000;

struct Side {
  ClientId client;
  std::vector<FateKey> path;  // client, AP, access port, uplink, link
};

struct Segment {
  bool poor = false;
  std::vector<Side> sides;
  std::vector<FateKey> keys;  // both sides, each key once
  double loss[2] = {0, 0};
  double jitter[2] = {0, 0};
};

int site_of_ap(int ap) { return ap / kApsPerSite; }
LinkId link_of(int site, int choice) {
  const int first = site * kLinks / kSites, count = (site + 1) * kLinks / kSites - first;
  return LinkId{static_cast<std::uint32_t>(first + choice % count)};
}
PortId access_port(int ap) { return PortId{static_cast<std::uint32_t>(ap)}; }
PortId uplink(int ap) { return PortId{static_cast<std::uint32_t>(kAps + ap / kApsPerSwitch)}; }

std::vector<FateKey> path(int client, int link_choice) {
  const int ap = client % kAps;
  return {FateKey::client(ClientId{static_cast<std::uint32_t>(client)}), FateKey::ap(ApId{static_cast<std::uint32_t>(ap)}),
          FateKey::port(access_port(ap)), FateKey::port(uplink(ap)),
          FateKey::link(link_of(site_of_ap(ap), link_choice))};
}

std::vector<Segment> make_segments(std::size_t n) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Segment> out(n);
  for (Segment& s : out) {
    s.poor = u(rng) < 0.25;
    const int sides = u(rng) < 0.2 ? 1 : 2;
    for (int i = 0; i < sides; ++i) {
      const int c = static_cast<int>(u(rng) * kClients) % kClients;
      s.sides.push_back({ClientId{static_cast<std::uint32_t>(c)}, path(c, static_cast<int>(u(rng) * 3))});
      for (const FateKey k : s.sides.back().path) {
        if (std::find(s.keys.begin(), s.keys.end(), k) == s.keys.end()) s.keys.push_back(k);
      }
    }
    for (int d = 0; d < 2; ++d) {
      s.loss[d] = s.poor ? 12 * u(rng) : 0.5 * u(rng);
      s.jitter[d] = s.poor ? 35 + 10 * u(rng) : 3 + 5 * u(rng);
    }
  }
  return out;
}

const std::vector<Segment>& segments() {
  static const auto* all = new std::vector<Segment>(make_segments(1 << 16));
  return *all;
}

template <class Stats>
void note_sites(Stats& stats) {
  for (int c = 0; c < kClients; ++c) {
    for (const FateKey k : path(c, 0)) stats.note_site(k, SiteId{static_cast<std::uint32_t>(site_of_ap(c % kAps))});
  }
  for (int l = 0; l < kLinks; ++l) {
    for (int s = 0; s < kSites; ++s) {
      for (int choice = 0; choice < 3; ++choice) {
        if (link_of(s, choice).value == static_cast<std::uint32_t>(l)) {
          stats.note_site(FateKey::link(LinkId{static_cast<std::uint32_t>(l)}), SiteId{static_cast<std::uint32_t>(s)});
        }
      }
    }
  }
}

/// The attributor's shared-fate queries for one poor segment.
double assess_all(const SharedFate& fate, const Segment& s) {
  double sum = 0;
  for (const Side& side : s.sides) {
    const auto& p = side.path;
    sum += fate.assess(p[0], side.client, nullptr).llr;
    sum += fate.assess(p[1], side.client, nullptr).llr;
    for (std::size_t i = 2; i < p.size(); ++i) sum += fate.assess(p[i], side.client, &p[i - 1]).llr;
  }
  return sum;
}

void BM_SharedFate(benchmark::State& state) {
  const auto per_window = static_cast<std::size_t>(state.range(0));
  const DurationMs step = kWindow / static_cast<DurationMs>(per_window);
  const auto& all = segments();
  SharedFate fate;
  note_sites(fate);
  TimeMs t = kT0;
  std::size_t i = 0;
  auto add = [&](const Segment& s) {
    // As Statistics::observe does: each side's path apart, for the pair counts.
    fate.add_paths(t, s.poor, s.sides[0].client, s.sides.size() > 1 ? s.sides[1].client : ClientId{},
                   s.sides[0].path, s.sides.size() > 1 ? std::span<const FateKey>(s.sides[1].path) : std::span<const FateKey>{});
    fate.expire(t);
    t += step;
  };
  for (std::size_t k = 0; k < per_window + per_window / 10; ++k) add(all[i++ & 0xffff]);  // a full window first
  double checksum = 0;
  std::uint64_t assessed = 0;
  for (auto _ : state) {
    const Segment& s = all[i++ & 0xffff];
    if (s.poor) {
      checksum += assess_all(fate, s);  // attributed before it joins the window
      ++assessed;
    }
    add(s);
  }
  benchmark::DoNotOptimize(checksum);
  if (fate.size() < per_window * 9 / 10) state.SkipWithError("the window was not in its steady state");
  state.SetItemsProcessed(state.iterations());
  state.counters["window"] = static_cast<double>(fate.size());
  state.counters["memory_MB"] = static_cast<double>(fate.memory_bytes()) / 1e6;
}
BENCHMARK(BM_SharedFate)->Arg(1'000)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond)->MinTime(1.0);

/// Adding alone: the cost on every scored segment, poor or good.
void BM_SharedFateAddOnly(benchmark::State& state) {
  const auto per_window = static_cast<std::size_t>(state.range(0));
  const DurationMs step = kWindow / static_cast<DurationMs>(per_window);
  const auto& all = segments();
  SharedFate fate;
  note_sites(fate);
  TimeMs t = kT0;
  std::size_t i = 0;
  for (auto _ : state) {
    const Segment& s = all[i++ & 0xffff];
    fate.add_paths(t, s.poor, s.sides[0].client, s.sides.size() > 1 ? s.sides[1].client : ClientId{},
                   s.sides[0].path, s.sides.size() > 1 ? std::span<const FateKey>(s.sides[1].path) : std::span<const FateKey>{});
    fate.expire(t);
    t += step;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["window"] = static_cast<double>(fate.size());
}
BENCHMARK(BM_SharedFateAddOnly)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kNanosecond)->MinTime(1.0);

void BM_Tomography(benchmark::State& state) {
  const auto per_window = static_cast<std::size_t>(state.range(0));
  const DurationMs step = kWindow / static_cast<DurationMs>(per_window);
  const auto& all = segments();
  Tomography tomo;
  note_sites(tomo);
  TimeMs t = kT0;
  std::size_t i = 0;
  auto add = [&](const Segment& s) {
    const auto group = s.sides.size() > 1 ? TomographyGroup::kInternal : TomographyGroup::kRemote;
    for (int d = 0; d < 2; ++d) tomo.add(t, s.loss[d], s.jitter[d], s.keys, group);
    tomo.expire(t);
    t += step;
  };
  for (std::size_t k = 0; k < per_window + per_window / 10; ++k) add(all[i++ & 0xffff]);
  const std::uint64_t solves_before = tomo.solves(), sweeps_before = tomo.sweeps();
  double checksum = 0;
  for (auto _ : state) {
    const Segment& s = all[i++ & 0xffff];
    if (s.poor) {
      for (const FateKey k : s.keys) checksum += tomo.estimate(k, t).observations;
    }
    add(s);
  }
  benchmark::DoNotOptimize(checksum);
  const auto solves = tomo.solves() - solves_before;
  if (solves == 0 && state.iterations() > 10'000) state.SkipWithError("nothing was solved");
  state.SetItemsProcessed(state.iterations());
  state.counters["window"] = static_cast<double>(tomo.size());
  state.counters["memory_MB"] = static_cast<double>(tomo.memory_bytes()) / 1e6;
  state.counters["solves"] = static_cast<double>(solves);
  state.counters["sweeps_per_solve"] =
      static_cast<double>(tomo.sweeps() - sweeps_before) / static_cast<double>(std::max<std::uint64_t>(solves, 1));
}
BENCHMARK(BM_Tomography)->Arg(1'000)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

/// One learning pass at the benchmark scale: 20,000 clients (wifi.client and
/// client.device), 2,500 AP radios, 9,600 switch ports and 50 WAN links, each
/// with a sample every 30 s; the pass reads the last 5 minutes (10 rows) of
/// each of the 52,150 series.
void BM_BaselinesPass(benchmark::State& state) {
  MetricStore store;
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  auto record = [&](Family f, TimeMs ts, std::uint32_t entity, std::initializer_list<std::pair<int, double>> values) {
    TelemetrySample s;
    s.family = f;
    s.ts = ts;
    s.entity = entity;
    for (const auto& [field, v] : values) {
      s.values[static_cast<std::size_t>(field)] = v;
      s.present |= 1u << field;
    }
    store.record(s);
  };
  constexpr std::uint32_t kRadios = 2'500, kPorts = 9'600;
  for (TimeMs ts = kT0; ts <= kT0 + 600'000; ts += 30'000) {
    for (std::uint32_t c = 0; c < kClients; ++c) {
      record(Family::kWifiClient, ts, c, {{0, -50 - 25 * u(rng)}, {1, 20 + 20 * u(rng)}, {2, 20 * u(rng)}, {3, 20 * u(rng)}});
      record(Family::kClientDevice, ts, c, {{0, 30 * u(rng)}, {1, 60 * u(rng)}});
    }
    for (std::uint32_t r = 0; r < kRadios; ++r) {
      record(Family::kWifiAp, ts, r, {{2, 70 * u(rng)}, {3, 30 * u(rng)}, {4, -95 + 10 * u(rng)}, {6, 25 * u(rng)}, {7, 50 * u(rng)}});
    }
    for (std::uint32_t p = 0; p < kPorts; ++p) {
      TelemetrySample s;
      s.family = Family::kSwitchPort;
      s.ts = ts;
      s.entity = p;
      s.values[0] = 1000;
      s.values[1] = 1;
      s.present = 0b11;
      for (std::size_t f = 2; f <= 8; ++f) {
        s.counters[f] = static_cast<std::uint64_t>((ts - kT0) / 1000) * (f < 4 ? 1'000'000 : (u(rng) < 0.02));
        s.present |= 1u << f;
      }
      store.record(s);
    }
    for (std::uint32_t l = 0; l < static_cast<std::uint32_t>(kLinks); ++l) {
      record(Family::kWanLink, ts, l, {{0, 10 + 100 * u(rng)}, {1, 35 * u(rng)}, {2, 1.5 * u(rng)}, {3, 50 * u(rng)}, {4, 50 * u(rng)}});
    }
  }
  Baselines baselines;
  const TimeWindow window{kT0 + 300'001, kT0 + 600'000};
  for (auto _ : state) baselines.learn_pass(store, window);
  if (!baselines.lookup(Family::kSwitchPort, kPorts - 1, col::kInUtil, kT0).has_value() && baselines.passes() >= 6) {
    state.SkipWithError("the pass learned nothing");
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["series"] = 2.0 * kClients + kRadios + kPorts + kLinks;
  state.counters["memory_MB"] = static_cast<double>(baselines.memory_bytes()) / 1e6;
}
BENCHMARK(BM_BaselinesPass)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace
}  // namespace callroot::engine
