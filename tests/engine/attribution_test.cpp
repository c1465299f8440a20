#include <gtest/gtest.h>

#include <cmath>

#include "engine/published_targets.h"
#include "fixture.h"

namespace callroot::engine::testing {
namespace {

/// Scores one poor segment of c1 (caller, via wan1) with an external callee,
/// after `fault` has tweaked the telemetry of [t0, t0 + 5 min].
/// Faults are written at the same timestamps as the healthy rows, which they
/// replace; the lateness is wide so that the order of the two does not matter.
EngineConfig tolerant() {
  EngineConfig cfg;
  cfg.allowed_lateness = 3'600'000;
  return cfg;
}

template <class Fault>
Verdict poor_verdict(Fault fault, bool both_directions_poor = true, bool fault_first = false) {
  Campus campus(tolerant());
  if (fault_first) fault(campus);
  campus.healthy(kT0, kT0 + 300'000);
  if (!fault_first) fault(campus);
  auto seg = Campus::segment("s1", kT0 + 60'000, kT0 + 240'000);
  seg.streams.push_back(Campus::audio(Side::kCaller, 45, 12, 80));
  seg.streams.push_back(both_directions_poor ? Campus::audio(Side::kCallee, 40, 11, 80)
                                             : Campus::audio(Side::kCallee, 4, 0.1, 80));
  campus.engine.apply(std::move(seg));
  campus.engine.flush();
  EXPECT_EQ(campus.sink.verdicts.size(), 1u);
  return campus.sink.verdicts.at(0);
}

/// Adds a fixed weight to the client of the caller's path, and records what
/// the providers before it had weighed.
class FixedWeight final : public EvidenceProvider {
 public:
  FixedWeight(double weight, std::vector<double>* seen) : weight_(weight), seen_(seen) {}
  void weigh(const ScoringContext& ctx, Candidates& out) override {
    const Path& path = ctx.side(Side::kCaller).resolution.path;
    const CandidateScore* before = out.find(ComponentKind::kClient, path.client.value);
    seen_->push_back(before ? before->log_odds : 0.0);
    CandidateScore& c = out.at(ComponentKind::kClient, path.client.value, path.site);
    c.log_odds += weight_;
    c.evidence.push_back(Evidence{EvidenceSource::kRule, "test.fixed", "fixed weight"});
  }

 private:
  double weight_;
  std::vector<double>* seen_;
};

TEST(Attributor, WeighsItsProvidersInOrderAndReportsWithItsCalibration) {
  std::vector<double> seen;
  std::vector<EvidenceProviderPtr> providers;
  providers.push_back(std::make_unique<FixedWeight>(2.0, &seen));
  providers.push_back(std::make_unique<FixedWeight>(-0.5, &seen));
  Campus campus(tolerant(), std::make_unique<Attributor>("test", std::move(providers)));
  campus.healthy(kT0, kT0 + 300'000);
  auto seg = Campus::segment("s1", kT0 + 60'000, kT0 + 240'000);
  seg.streams.push_back(Campus::audio(Side::kCaller, 45, 12, 80));
  seg.streams.push_back(Campus::audio(Side::kCallee, 40, 11, 80));
  campus.engine.apply(std::move(seg));
  campus.engine.flush();
  ASSERT_EQ(campus.sink.verdicts.size(), 1u);
  const Verdict& v = campus.sink.verdicts[0];
  EXPECT_EQ(seen, (std::vector<double>{0.0, 2.0})) << "the second provider sees the first one's weight";
  ASSERT_EQ(v.blame.size(), 1u);
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kClient);
  EXPECT_NEAR(v.blame[0].confidence, std::exp(1.5) / (1 + std::exp(1.5)), 1e-12);
  EXPECT_EQ(v.blame[0].evidence.size(), 2u);
}

TEST(AttributorRegistry, NamesBuildAndReplaceMethods) {
  AttributorRegistry registry = builtin_attributors();
  std::string error;
  EXPECT_EQ(registry.make("nope", {}, error), nullptr);
  EXPECT_EQ(error, "unknown attribution method 'nope'");
  ASSERT_TRUE(registry.contains("combined"));
  const std::size_t methods = registry.entries().size();
  registry.add("heuristic", "replaced", [](const AttributorOptions&, std::string&) { return make_statistics(); });
  EXPECT_EQ(registry.entries().size(), methods) << "a name is replaced, not added twice";
  auto a = registry.make("heuristic", {}, error);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->name(), "stats");
}

/// A Wi-Fi client hop with these window averages (columns unset: no samples).
SideEvidence wifi_side(std::initializer_list<std::pair<std::uint8_t, double>> columns) {
  SideEvidence side;
  HopEvidence& hop = side.hops.emplace_back();
  hop.kind = ComponentKind::kClient;
  hop.family = Family::kWifiClient;
  for (const auto& [c, avg] : columns) {
    hop.stats[c].count = 10;
    hop.stats[c].avg = hop.stats[c].min = hop.stats[c].max = avg;
  }
  return side;
}

// Retries a generator (or a controller) does not report say nothing: a weak
// signal is discounted only when the retries were measured within target.
TEST(WifiReading, UnmeasuredRetriesDoNotExcuseAWeakSignal) {
  const WifiReading unmeasured = read_wifi(wifi_side({{col::kRssi, -80}, {col::kSnr, 12}}));
  EXPECT_TRUE(unmeasured.signal_weak);
  EXPECT_FALSE(unmeasured.retries_measured);
  EXPECT_FALSE(unmeasured.retries_low());
  const WifiReading low = read_wifi(wifi_side({{col::kRssi, -80}, {col::kSnr, 12}, {col::kTxRetry, 3}, {col::kRxRetry, 4}}));
  EXPECT_TRUE(low.retries_low());
  EXPECT_FALSE(low.air_link_clean()) << "the radio was not measured";
  const WifiReading high = read_wifi(wifi_side({{col::kRssi, -80}, {col::kTxRetry, 30}}));
  EXPECT_TRUE(high.retries_measured);
  EXPECT_FALSE(high.retries_low());
}

TEST(Heuristic, WeakWifiBlamesTheClient) {
  const Verdict v = poor_verdict([](Campus& c) {
    for (TimeMs t = kT0; t <= kT0 + 300'000; t += 30'000) {
      auto s = Campus::sample(Family::kWifiClient, t, c.c1.value);
      Campus::set(s, 0, -81);
      Campus::set(s, 1, 11);
      Campus::set(s, 2, 32);
      c.engine.apply(s);
    }
  });
  EXPECT_EQ(v.quality, Quality::kPoor);
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kClient);
  EXPECT_EQ(v.blame[0].id, "aa:00:00:00:00:01");
  EXPECT_EQ(v.blame[0].site, "hq");
  EXPECT_GT(v.blame[0].confidence, 0.5);
  ASSERT_FALSE(v.blame[0].evidence.empty());
  EXPECT_NE(v.blame[0].evidence[0].text.find("rssi_dbm avg -81 dBm below -67 dBm"), std::string::npos)
      << v.blame[0].evidence[0].text;
}

TEST(Heuristic, CongestedApBlamesTheAp) {
  const Verdict v = poor_verdict([](Campus& c) {
    for (TimeMs t = kT0; t <= kT0 + 300'000; t += 30'000) {
      auto s = Campus::sample(Family::kWifiAp, t, c.ap1.value);
      Campus::set(s, 2, 92);
      Campus::set(s, 3, 40);
      Campus::set(s, 6, 30);
      c.engine.apply(s);
    }
  });
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kAp);
  EXPECT_EQ(v.blame[0].id, "ap1");
}

TEST(Heuristic, PortErrorsBlameTheSwitchAndNameThePort) {
  // Counter readings must come in time order to give rates: these go first,
  // between the healthy rows (which then arrive late and add no rate).
  const Verdict v = poor_verdict(
      [](Campus& c) {
    std::uint64_t fcs = 10;
    for (TimeMs t = kT0 + 15'000; t <= kT0 + 300'000; t += 30'000) {
      fcs += 150;
      auto s = Campus::sample(Family::kSwitchPort, t, c.ap1_port.value);
      Campus::set_counter(s, 4, fcs);
      Campus::set_counter(s, 8, fcs);
      c.engine.apply(s);
    }
      },
      true, /*fault_first=*/true);
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kSwitch);
  EXPECT_EQ(v.blame[0].id, "acc1");
  bool names_port = false;
  for (const auto& e : v.blame[0].evidence) names_port |= e.text.find("port ge-0/0/10") != std::string::npos;
  EXPECT_TRUE(names_port);
}

// A switch polled every 5 minutes, as SNMP often is: a sample describes the
// five minutes before it, so the segment is read one polling interval wider
// on each side. The sample after its end covers its last minutes, and the
// samples around it show the errors are persistent.
TEST(Heuristic, PortErrorsPolledEveryFiveMinutesAreRead) {
  Campus campus(tolerant());
  std::uint64_t octets = 0, errors = 0;
  for (TimeMs t = kT0; t <= kT0 + 3'600'000; t += 300'000) {
    octets += 300ull * 1'000'000;  // 8 Mb/s
    errors += 300ull * 50;         // 50 frames a second
    auto s = Campus::sample(Family::kSwitchPort, t, campus.ap1_port.value);
    Campus::set(s, 0, 1000);
    Campus::set(s, 1, 1);
    Campus::set_counter(s, 2, octets);
    Campus::set_counter(s, 3, octets);
    Campus::set_counter(s, 4, errors);
    Campus::set_counter(s, 8, errors);
    campus.engine.apply(s);
  }
  auto seg = Campus::segment("s1", kT0 + 1'260'000, kT0 + 1'500'000);  // 21 to 25 minutes
  seg.streams.push_back(Campus::audio(Side::kCaller, 45, 12, 80));
  seg.streams.push_back(Campus::audio(Side::kCallee, 40, 11, 80));
  campus.engine.apply(std::move(seg));
  campus.engine.flush();
  ASSERT_EQ(campus.sink.verdicts.size(), 1u);
  const Verdict& v = campus.sink.verdicts[0];
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kSwitch);
  EXPECT_EQ(v.blame[0].id, "acc1");
}

TEST(Heuristic, CongestedWanBlamesTheLinkTheMediaUsed) {
  const Verdict v = poor_verdict([](Campus& c) {
    for (TimeMs t = kT0; t <= kT0 + 300'000; t += 30'000) {
      auto s = Campus::sample(Family::kWanLink, t, c.wan1.value);
      Campus::set(s, 0, 120);
      Campus::set(s, 1, 38);
      Campus::set(s, 2, 4);
      Campus::set(s, 3, 98);
      c.engine.apply(s);
    }
  });
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kWan);
  EXPECT_EQ(v.blame[0].id, "wan1");
  for (const auto& b : v.blame) EXPECT_NE(b.id, "wan2");
}

TEST(Heuristic, RemoteWhenOnlyTheFarSideSendsPoorly) {
  Campus campus;
  campus.healthy(kT0, kT0 + 300'000);
  auto seg = Campus::segment("s1", kT0 + 60'000, kT0 + 240'000);
  seg.streams.push_back(Campus::audio(Side::kCaller, 4, 0.1, 60));   // ours: fine
  seg.streams.push_back(Campus::audio(Side::kCallee, 48, 14, 60));   // theirs: poor
  campus.engine.apply(std::move(seg));
  campus.engine.flush();
  const Verdict& v = campus.sink.verdicts.at(0);
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kRemote);
  EXPECT_TRUE(v.blame[0].id.empty());  // the far side is never named
}

TEST(Heuristic, UnknownWithAmbiguityWhenNothingDeparts) {
  const Verdict v = poor_verdict([](Campus&) {});
  ASSERT_EQ(v.blame.size(), 1u);
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kUnknown);
  EXPECT_EQ(v.blame[0].evidence.at(0).id, "heuristic.ambiguous");
}

TEST(Heuristic, UnknownWithInsufficientDataWithoutTelemetry) {
  Campus campus;  // no telemetry at all
  auto seg = Campus::segment("s1", kT0 + 60'000, kT0 + 240'000);
  seg.streams.push_back(Campus::audio(Side::kCaller, 45, 12, 80));
  campus.engine.apply(std::move(seg));
  campus.engine.flush();
  const Verdict& v = campus.sink.verdicts.at(0);
  ASSERT_EQ(v.blame.size(), 1u);
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kUnknown);
  EXPECT_EQ(v.blame[0].evidence.at(0).id, "heuristic.insufficient");
}

TEST(Heuristic, RoomPeripheralBlamesTheRoomSystem) {
  const Verdict v = poor_verdict([](Campus& c) {
    RoomHealth r;
    r.ts = kT0;
    r.device = *c.dir.device("room-1");
    r.client = c.c1;
    r.health = RoomHealthState::kCritical;
    r.peripherals.push_back({*c.dir.name("microphone"), PeripheralState::kUnhealthy});
    r.peripherals.push_back({*c.dir.name("speaker"), PeripheralState::kConnected});
    c.engine.apply(r);
  });
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kClient);
  EXPECT_NE(v.blame[0].evidence.at(0).text.find("microphone is unhealthy"), std::string::npos);
}

TEST(Heuristic, RoamingUsesTheApAtTheTimeOfTheCall) {
  Campus campus(tolerant());
  campus.healthy(kT0, kT0 + 900'000);
  ClientAssoc roam;
  roam.ts = kT0 + 400'000;
  roam.client = campus.c1;
  roam.ap = campus.ap2;
  campus.engine.apply(roam);
  for (TimeMs t = kT0; t <= kT0 + 900'000; t += 30'000) {  // ap2 congested all along
    auto s = Campus::sample(Family::kWifiAp, t, campus.ap2.value);
    Campus::set(s, 2, 93);
    campus.engine.apply(s);
  }
  auto before = Campus::segment("before", kT0 + 60'000, kT0 + 240'000);
  before.streams.push_back(Campus::audio(Side::kCaller, 45, 12, 80));
  auto after = Campus::segment("after", kT0 + 500'000, kT0 + 700'000);
  after.streams.push_back(Campus::audio(Side::kCaller, 45, 12, 80));
  campus.engine.apply(std::move(before));
  campus.engine.apply(std::move(after));
  campus.engine.flush();
  ASSERT_EQ(campus.sink.verdicts.size(), 2u);
  EXPECT_EQ(campus.sink.verdicts[0].blame.at(0).kind, ComponentKind::kUnknown);  // on ap1: clean
  EXPECT_EQ(campus.sink.verdicts[1].blame.at(0).kind, ComponentKind::kAp);
  EXPECT_EQ(campus.sink.verdicts[1].blame.at(0).id, "ap2");
}

}  // namespace
}  // namespace callroot::engine::testing

namespace callroot::engine::testing {
namespace {

/// The 2.4 and 5 GHz radios of ap1 report at the same instants; only the
/// 2.4 GHz one is congested. A client on 2.4 GHz blames the AP (naming the
/// radio); a client on 5 GHz finds nothing wrong with it.
Verdict radio_verdict(double client_band) {
  Campus campus(tolerant());
  ClientAssoc a;
  a.ts = kT0;
  a.client = campus.c1;
  a.ap = campus.ap1;
  a.band = client_band;
  campus.engine.apply(a);
  campus.healthy(kT0, kT0 + 300'000);
  for (TimeMs t = kT0; t <= kT0 + 300'000; t += 30'000) {
    for (const double band : {2.4, 5.0}) {
      auto s = Campus::sample(Family::kWifiAp, t, campus.ap1.value);
      Campus::set(s, 0, band);
      Campus::set(s, 2, band < 3 ? 94 : 12);
      campus.engine.apply(s);
    }
  }
  auto seg = Campus::segment("s1", kT0 + 60'000, kT0 + 240'000);
  seg.streams.push_back(Campus::audio(Side::kCaller, 45, 12, 80));
  campus.engine.apply(std::move(seg));
  campus.engine.flush();
  return campus.sink.verdicts.at(0);
}

TEST(Heuristic, ApTelemetryIsPerRadioAndTheClientsBandCounts) {
  const Verdict on_24 = radio_verdict(2.4);
  ASSERT_FALSE(on_24.blame.empty());
  EXPECT_EQ(on_24.blame[0].kind, ComponentKind::kAp);
  EXPECT_EQ(on_24.blame[0].id, "ap1");
  EXPECT_EQ(on_24.blame[0].evidence.at(0).text.rfind("2.4 GHz radio channel_util_pct avg 94%", 0), 0u)
      << on_24.blame[0].evidence.at(0).text;

  const Verdict on_5 = radio_verdict(5.0);
  ASSERT_FALSE(on_5.blame.empty());
  EXPECT_NE(on_5.blame[0].kind, ComponentKind::kAp);
  for (const auto& hop : on_5.paths.at(0).hops) {
    if (hop.kind == ComponentKind::kAp) {
      EXPECT_EQ(hop.detail, "5 GHz");  // this association named no BSSID
    }
  }
}

}  // namespace
}  // namespace callroot::engine::testing
