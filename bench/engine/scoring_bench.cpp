// Scoring throughput of the engine with the default attribution.
//
// Hypothesis: scoring a segment costs a few microseconds: two endpoint
// resolutions, ~6 hop window reads over a ring of ~20 rows each, stream
// classification and (for poor segments) the heuristic; so one core scores
// well over 200k segments/s on a 1,000-AP network.
//
// Network: 20 sites; per site 50 APs on 5 access switches (10 APs each) under
// one core switch and an edge with 2.5 WAN links on average (50 in all);
// 20,000 Wi-Fi clients spread over the APs. Telemetry: 15 minutes at 30 s for
// every client, AP, AP port, access uplink and WAN link (about 0.7 M rows).
// Segments: 2-minute segments between two random internal clients (one in
// five external), one in four poor; scored at arrival (the watermark is
// already past them, as for call records that arrive after the call).

#include <benchmark/benchmark.h>

#include <random>

#include "engine/attributors.h"
#include "engine/engine.h"
#include "engine/rule_source.h"
#include "rules/loader.h"

namespace callroot::engine {
namespace {

constexpr TimeMs kT0 = 1'772'442'000'000;
constexpr int kSites = 20, kApsPerSite = 50, kApsPerSwitch = 10, kClients = 20'000, kLinks = 50;

class CountingSink final : public VerdictSink {
 public:
  void on_verdict(const Verdict& v) override {
    ++verdicts;
    blamed += !v.blame.empty();
    if (serialize) {
      out.clear();
      append_json(out, v);
      bytes += out.size();
    }
  }
  bool serialize = false;
  std::string out;
  std::uint64_t verdicts = 0, blamed = 0, bytes = 0;
};

struct Network {
  Directory dir;
  CountingSink sink;
  Engine engine;
  std::vector<Mac> client_macs;
  std::vector<IpAddr> client_ips;
  std::vector<IpAddr> link_ips;
  std::vector<std::uint32_t> client_site;

  Network() : engine(EngineConfig{}, dir, sink, make_heuristic()) {
    std::vector<PortId> ports;
    std::vector<ApId> aps;
    std::vector<LinkId> links;
    for (int s = 0; s < kSites; ++s) {
      const SiteId site = *dir.site("site" + std::to_string(s));
      engine.apply(SiteInventory{site, "", {*Cidr::parse("10." + std::to_string(s) + ".0.0/16")}});
      const EdgeId edge = *dir.edge("edge" + std::to_string(s));
      const SwitchId core = *dir.switch_("core" + std::to_string(s));
      engine.apply(SwitchInventory{core, site, "", SwitchId{}, PortId{}, edge});
      for (int l = s * kLinks / kSites; l < (s + 1) * kLinks / kSites; ++l) {
        const LinkId link = *dir.link("wan" + std::to_string(l));
        const IpAddr ip = *IpAddr::parse("198.51." + std::to_string(l / 200) + "." + std::to_string(l % 200 + 1));
        engine.apply(WanInventory{link, site, edge, "", 1000, {ip}});
        links.push_back(link);
        link_ips.push_back(ip);
      }
      for (int w = 0; w < kApsPerSite / kApsPerSwitch; ++w) {
        const SwitchId acc = *dir.switch_("acc" + std::to_string(s) + "-" + std::to_string(w));
        const PortId up = *dir.port(core, "ge-0/0/" + std::to_string(w));
        engine.apply(SwitchInventory{acc, site, "", core, up, EdgeId{}});
        ports.push_back(up);
        for (int a = 0; a < kApsPerSwitch; ++a) {
          const ApId ap = *dir.ap("ap" + std::to_string(aps.size()));
          const PortId p = *dir.port(acc, "ge-0/0/" + std::to_string(a + 10));
          engine.apply(ApInventory{ap, site, "", {}, acc, p});
          aps.push_back(ap);
          ports.push_back(p);
        }
      }
    }
    for (int c = 0; c < kClients; ++c) {
      const Mac mac{0x0a0000000000ULL + static_cast<std::uint64_t>(c)};
      const ClientId id = *dir.client(mac);
      const std::size_t ap = static_cast<std::size_t>(c) % aps.size();
      ClientAssoc a;
      a.ts = kT0;
      a.client = id;
      a.ap = aps[ap];
      engine.apply(a);
      const auto site = static_cast<std::uint32_t>(ap / kApsPerSite);
      client_macs.push_back(mac);
      client_site.push_back(site);
      client_ips.push_back(*IpAddr::parse("10." + std::to_string(site) + "." + std::to_string(c / 250) + "." +
                                          std::to_string(c % 250 + 1)));
    }
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> u(0, 1);
    auto sample = [](Family f, TimeMs ts, std::uint32_t e) {
      TelemetrySample s;
      s.family = f;
      s.ts = ts;
      s.entity = e;
      return s;
    };
    auto set = [](TelemetrySample& s, std::size_t i, double v) {
      s.values[i] = v;
      s.present |= 1u << i;
    };
    for (TimeMs t = kT0; t <= kT0 + 15 * 60'000; t += 30'000) {
      for (int c = 0; c < kClients; ++c) {
        auto s = sample(Family::kWifiClient, t, static_cast<std::uint32_t>(c));
        set(s, 0, -50 - 25 * u(rng));
        set(s, 1, 20 + 20 * u(rng));
        set(s, 2, 20 * u(rng));
        set(s, 3, 20 * u(rng));
        engine.apply(s);
      }
      for (const ApId ap : aps) {
        auto s = sample(Family::kWifiAp, t, ap.value);
        set(s, 2, 70 * u(rng));
        set(s, 3, 30 * u(rng));
        set(s, 6, 25 * u(rng));
        engine.apply(s);
      }
      for (const PortId p : ports) {
        auto s = sample(Family::kSwitchPort, t, p.value);
        set(s, 0, 1000);
        set(s, 1, 1);
        for (std::size_t f = 2; f <= 8; ++f) {
          s.counters[f] = static_cast<std::uint64_t>((t - kT0) / 1000) * (f < 4 ? 1'000'000 : (u(rng) < 0.02));
          s.present |= 1u << f;
        }
        engine.apply(s);
      }
      for (const LinkId l : links) {
        auto s = sample(Family::kWanLink, t, l.value);
        set(s, 0, 10 + 100 * u(rng));
        set(s, 1, 35 * u(rng));
        set(s, 2, 1.5 * u(rng));
        engine.apply(s);
      }
    }
  }
};

Network& network() {
  static Network* net = new Network();  // built once for all benchmarks; lives to exit
  return *net;
}

std::vector<CallSegment> make_segments(const Network& net, std::size_t n) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<CallSegment> out;
  for (std::size_t i = 0; i < n; ++i) {
    CallSegment seg;
    seg.call_id = "call-" + std::to_string(i / 2);
    seg.segment_id = "seg-" + std::to_string(i) + "#0000000000000000";  // the tail takes a delivery number
    seg.start = kT0 + 120'000 + static_cast<TimeMs>(u(rng) * 8 * 60'000);
    seg.end = seg.start + 120'000;
    const bool poor = u(rng) < 0.25;
    for (Endpoint* ep : {&seg.caller, &seg.callee}) {
      ep->present = true;
      if (ep == &seg.callee && u(rng) < 0.2) {
        ep->ip = IpAddr::parse("192.0.2.9");
        continue;
      }
      const auto c = static_cast<std::size_t>(u(rng) * kClients) % kClients;
      ep->client = net.client_macs[c];
      ep->ip = net.client_ips[c];
      ep->connection = Connection::kWifi;
      ep->reflexive_ip = net.link_ips[(net.client_site[c] * kLinks / kSites) % net.link_ips.size()];
    }
    for (const Side from : {Side::kCaller, Side::kCallee}) {
      Stream s;
      s.from = from;
      s.media = Media::kAudio;
      s.set(StreamMetric::kJitterAvg, poor ? 35 + 10 * u(rng) : 3 + 5 * u(rng));
      s.set(StreamMetric::kLossAvg, poor ? 12 * u(rng) : 0.5 * u(rng));
      s.set(StreamMetric::kRttAvg, 40 + 60 * u(rng));
      s.set(StreamMetric::kDegradationAvg, 0.2);
      seg.streams.push_back(s);
    }
    out.push_back(std::move(seg));
  }
  return out;
}

/// Each delivery of a pooled segment is a new segment: the engine's ledger
/// drops a copy it has seen (docs/contract.md §5.3). The id's tail is
/// rewritten in place, so this costs no allocation beyond the copy's own.
CallSegment deliver(const CallSegment& pooled) {
  static std::uint64_t deliveries = 0;  // across benchmarks: they share one engine
  CallSegment seg = pooled;
  std::uint64_t n = ++deliveries;
  for (std::size_t k = seg.segment_id.size(); n != 0; n >>= 4) seg.segment_id[--k] = "0123456789abcdef"[n & 15];
  return seg;
}

void BM_ScoreSegments(benchmark::State& state) {
  Network& net = network();
  const auto segments = make_segments(net, 4096);
  std::size_t i = 0;
  const std::uint64_t before = net.sink.verdicts;
  for (auto _ : state) {
    CallSegment seg = deliver(segments[i++ & 4095]);  // the copy stands in for the decoder's output
    benchmark::DoNotOptimize(net.engine.apply(std::move(seg)));
  }
  const std::uint64_t scored = net.sink.verdicts - before;
  if (scored != static_cast<std::uint64_t>(state.iterations())) state.SkipWithError("segments were not scored at arrival");
  state.SetItemsProcessed(static_cast<std::int64_t>(scored));
  state.counters["store_MB"] = static_cast<double>(net.engine.store().memory_bytes()) / 1e6;
}
BENCHMARK(BM_ScoreSegments)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

/// The same with each verdict written as its JSON line, as a sink would.
void BM_ScoreAndSerialize(benchmark::State& state) {
  Network& net = network();
  const auto segments = make_segments(net, 4096);
  net.sink.serialize = true;
  std::size_t i = 0;
  const std::uint64_t before = net.sink.verdicts;
  const std::uint64_t bytes_before = net.sink.bytes;
  for (auto _ : state) {
    CallSegment seg = deliver(segments[i++ & 4095]);
    benchmark::DoNotOptimize(net.engine.apply(std::move(seg)));
  }
  net.sink.serialize = false;
  const std::uint64_t scored = net.sink.verdicts - before;
  if (scored != static_cast<std::uint64_t>(state.iterations())) state.SkipWithError("segments were not scored at arrival");
  state.SetItemsProcessed(static_cast<std::int64_t>(scored));
  state.SetBytesProcessed(static_cast<std::int64_t>(net.sink.bytes - bytes_before));
}
BENCHMARK(BM_ScoreAndSerialize)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

/// The same segments with each attribution method: the heuristic, the default
/// rule pack (data/rules), and each combined with the statistics (the engine's
/// default). Statistics are fed in every case (the engine always keeps them).
void BM_ScoreSegmentsWith(benchmark::State& state) {
  Network& net = network();
  const auto segments = make_segments(net, 4096);
  const bool rules = state.range(0) & 1;
  const bool combined = state.range(0) & 2;
  std::shared_ptr<const rules::Program> program;
  if (rules) {
    const std::vector<std::string> paths{std::string(CALLROOT_DATA_DIR) + "/rules"};
    const auto loaded = rules::load_rules(paths);
    if (!loaded.program) {
      state.SkipWithError("the default rule pack did not load");
      return;
    }
    program = loaded.program;
  }
  net.engine.set_attributor(combined ? make_combined(program) : rules ? make_rules(program) : make_heuristic());
  state.SetLabel(std::string(rules ? "rules" : "heuristic") + (combined ? " + statistics" : ""));
  std::size_t i = 0;
  const std::uint64_t before = net.sink.verdicts;
  const std::uint64_t blamed_before = net.sink.blamed;
  for (auto _ : state) {
    CallSegment seg = deliver(segments[i++ & 4095]);
    benchmark::DoNotOptimize(net.engine.apply(std::move(seg)));
  }
  net.engine.set_attributor(make_heuristic());
  const std::uint64_t scored = net.sink.verdicts - before;
  if (scored != static_cast<std::uint64_t>(state.iterations())) state.SkipWithError("segments were not scored");
  state.SetItemsProcessed(static_cast<std::int64_t>(scored));
  state.counters["blamed_share"] = static_cast<double>(net.sink.blamed - blamed_before) / static_cast<double>(scored);
}
BENCHMARK(BM_ScoreSegmentsWith)->Arg(1)->Arg(2)->Arg(3)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

}  // namespace
}  // namespace callroot::engine
