// Attribution as a network engineer reasons, one principle per test, on a
// small hand-built site with two access switches under one core:
//
//   ap1 -> acc1 Gi1/0/1, ap2 -> acc2 Gi1/0/1
//   acc1 Te1/1/1 -> core1 Te1/0/1, acc2 Te1/1/1 -> core1 Te1/0/2
//   core1 Te1/1/1 -> edge1 -> wan1 (198.51.100.1)
//
// c1 and c3 on ap1, c2 and c4 on ap2. The inventory names the core's end of
// each access uplink; the access switch's own end (Te1/1/1, the fastest port
// it reports) is inferred from telemetry. Every test runs the engine's
// default attribution: the heuristic plus statistics.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>

#include "engine/attributors.h"
#include "engine/engine.h"
#include "engine/uplink_ports.h"
#include "scene.h"

namespace callroot::engine::testing {
namespace {

const Mac kM1 = *Mac::parse("aa:00:00:00:01:01");
const Mac kM2 = *Mac::parse("aa:00:00:00:01:02");
const Mac kM3 = *Mac::parse("aa:00:00:00:01:03");
const Mac kM4 = *Mac::parse("aa:00:00:00:01:04");

struct PortState {
  PortId id;
  std::uint64_t in_octets = 0, out_octets = 0;
  std::array<std::uint64_t, 5> counters{};  // in/out errors, in/out discards, in FCS
  double speed = 1000;
};

/// Two access switches under a core; telemetry is written tick by tick so
/// that each test can spoil one thing.
struct Site {
  Directory dir;
  RecordingSink sink;
  Engine engine;
  SiteId hq;
  ApId ap1, ap2;
  SwitchId acc1, acc2, core1;
  LinkId wan1;
  std::array<ClientId, 4> clients{};
  PortState ap1_port, ap2_port, acc1_up, acc2_up, core_to_acc1, core_to_acc2, core_up, acc1_idle;

  Site()
      : engine(tolerant(), dir, sink,
               make_combined()) {
    hq = *dir.site("hq");
    ap1 = *dir.ap("ap1");
    ap2 = *dir.ap("ap2");
    acc1 = *dir.switch_("acc1");
    acc2 = *dir.switch_("acc2");
    core1 = *dir.switch_("core1");
    wan1 = *dir.link("wan1");
    const EdgeId edge1 = *dir.edge("edge1");
    ap1_port.id = *dir.port(acc1, "Gi1/0/1");
    ap2_port.id = *dir.port(acc2, "Gi1/0/1");
    acc1_idle.id = *dir.port(acc1, "Gi1/0/9");  // a printer's port, all but idle
    acc1_up = PortState{*dir.port(acc1, "Te1/1/1"), 0, 0, {}, 10000};
    acc2_up = PortState{*dir.port(acc2, "Te1/1/1"), 0, 0, {}, 10000};
    core_to_acc1 = PortState{*dir.port(core1, "Te1/0/1"), 0, 0, {}, 10000};
    core_to_acc2 = PortState{*dir.port(core1, "Te1/0/2"), 0, 0, {}, 10000};
    core_up = PortState{*dir.port(core1, "Te1/1/1"), 0, 0, {}, 10000};
    engine.apply(SiteInventory{hq, "HQ", {*Cidr::parse("10.1.0.0/16")}});
    engine.apply(SwitchInventory{core1, hq, "core", SwitchId{}, PortId{}, edge1});
    engine.apply(SwitchInventory{acc1, hq, "access 1", core1, core_to_acc1.id, EdgeId{}});
    engine.apply(SwitchInventory{acc2, hq, "access 2", core1, core_to_acc2.id, EdgeId{}});
    engine.apply(ApInventory{ap1, hq, "", {}, acc1, ap1_port.id});
    engine.apply(ApInventory{ap2, hq, "", {}, acc2, ap2_port.id});
    engine.apply(WanInventory{wan1, hq, edge1, "isp-a", 1000, {*IpAddr::parse("198.51.100.1")}});
    const std::array<Mac, 4> macs{kM1, kM2, kM3, kM4};
    for (std::size_t i = 0; i < macs.size(); ++i) {
      clients[i] = *dir.client(macs[i]);
      ClientAssoc a;
      a.ts = kT0;
      a.client = clients[i];
      a.ap = i % 2 == 0 ? ap1 : ap2;  // c1, c3 on ap1; c2, c4 on ap2
      engine.apply(a);
    }
  }

  /// One 30 s tick of healthy telemetry; the hooks spoil what a test needs.
  struct Tick {
    std::array<double, 4> rssi{-55, -55, -55, -55};
    std::array<double, 4> retry{4, 4, 4, 4};
    double ap1_util = 20, ap1_interference = 5, ap1_retry = 6;
    double c1_cpu = 20;
    std::uint64_t acc1_link_errors = 0;  // new CRC errors at both ends of acc1's uplink
    std::uint64_t idle_discards = 0;     // new discards on acc1's idle port
    bool idle_reset = false;             // acc1's idle port counters restart from zero (a reboot)
  };

  void port(PortState& p, TimeMs t, double util_pct, std::uint64_t new_errors, std::uint64_t new_discards) {
    const auto octets = static_cast<std::uint64_t>(util_pct / 100.0 * p.speed * 1e6 / 8 * 30);
    p.in_octets += octets;
    p.out_octets += octets;
    p.counters[0] += new_errors;
    p.counters[4] += new_errors;
    p.counters[2] += new_discards;
    auto s = Campus::sample(Family::kSwitchPort, t, p.id.value);
    Campus::set(s, 0, p.speed);
    Campus::set(s, 1, 1);
    Campus::set_counter(s, 2, p.in_octets);
    Campus::set_counter(s, 3, p.out_octets);
    for (std::size_t f = 0; f < p.counters.size(); ++f) Campus::set_counter(s, 4 + f, p.counters[f]);
    engine.apply(s);
  }

  void tick(TimeMs t, const Tick& k) {
    for (std::size_t i = 0; i < clients.size(); ++i) {
      auto s = Campus::sample(Family::kWifiClient, t, clients[i].value);
      Campus::set(s, 0, k.rssi[i]);
      Campus::set(s, 1, k.rssi[i] + 93);  // SNR over a -93 dBm floor
      Campus::set(s, 2, k.retry[i]);
      Campus::set(s, 3, k.retry[i]);
      engine.apply(s);
      auto d = Campus::sample(Family::kClientDevice, t, clients[i].value);
      Campus::set(d, 0, i == 0 ? k.c1_cpu : 20);
      engine.apply(d);
    }
    for (const ApId a : {ap1, ap2}) {
      auto s = Campus::sample(Family::kWifiAp, t, a.value);
      Campus::set(s, 2, a == ap1 ? k.ap1_util : 20);
      Campus::set(s, 3, a == ap1 ? k.ap1_interference : 5);
      Campus::set(s, 6, a == ap1 ? k.ap1_retry : 6);
      engine.apply(s);
    }
    port(ap1_port, t, 5, 0, 0);
    port(ap2_port, t, 5, 0, 0);
    port(acc1_up, t, 3, k.acc1_link_errors, 0);
    port(core_to_acc1, t, 3, k.acc1_link_errors, 0);
    port(acc2_up, t, 3, 0, 0);
    port(core_to_acc2, t, 3, 0, 0);
    port(core_up, t, 6, 0, 0);
    if (k.idle_reset) acc1_idle.counters = {};
    port(acc1_idle, t, 0.001, 0, k.idle_discards);
    auto w = Campus::sample(Family::kWanLink, t, wan1.value);
    Campus::set(w, 0, 20);
    Campus::set(w, 1, 3);
    Campus::set(w, 2, 0.1);
    Campus::set(w, 3, 40);
    Campus::set(w, 4, 40);
    engine.apply(w);
  }

  /// Telemetry over [from, to], `spoil` deciding each tick.
  template <class F>
  void run(TimeMs from, TimeMs to, F&& spoil) {
    for (TimeMs t = from; t <= to; t += 30'000) {
      Tick k;
      spoil(t, k);
      tick(t, k);
    }
  }

  /// A call of client `i` with an outside party, 3 minutes from `start`.
  void call(const std::string& id, std::size_t i, TimeMs start, Stream sent, Stream received,
            double cpu_insufficient = kMissing) {
    CallSegment seg = Campus::segment(id, start, start + 180'000);
    seg.caller.client = std::array<Mac, 4>{kM1, kM2, kM3, kM4}[i];
    seg.caller.ip = IpAddr::parse("10.1.5." + std::to_string(20 + i));
    seg.caller.cpu_insufficient_ratio = cpu_insufficient;
    sent.from = Side::kCaller;
    received.from = Side::kCallee;
    seg.streams = {sent, received};
    engine.apply(std::move(seg));
  }
  static Stream good() { return Campus::audio(Side::kCaller, 4, 0.1, 60); }
  static Stream lossy() { return Campus::audio(Side::kCaller, 38, 12, 90); }

  const Verdict& verdict(const std::string& id) const {
    for (const Verdict& v : sink.verdicts) {
      if (v.segment_id == id) return v;
    }
    ADD_FAILURE() << "no verdict for " << id;
    static const Verdict none;
    return none;
  }
};

bool names(const Verdict& v, ComponentKind kind, std::string_view id) {
  return std::any_of(v.blame.begin(), v.blame.end(), [&](const Blame& b) { return b.kind == kind && b.id == id; });
}

std::string top(const Verdict& v) {
  if (v.blame.empty()) return "none";
  return std::string(to_string(v.blame[0].kind)) + " " + v.blame[0].id;
}

TEST(UplinkPorts, TheFastestPortNotLeadingDownIsTheUplink) {
  Site s;
  s.run(kT0, kT0 + 300'000, [](TimeMs, Site::Tick&) {});
  UplinkPorts up;
  up.refresh(s.dir, s.engine.topology(), s.engine.store(), kT0 + 300'000);
  // acc1 reports Gi1/0/1 (its AP: leads down), Gi1/0/9 (1 Gb/s) and Te1/1/1 (10 Gb/s).
  EXPECT_EQ(up.of(s.acc1), s.acc1_up.id);
  EXPECT_EQ(up.of(s.acc2), s.acc2_up.id);
  // The core's Te1/0/1 and Te1/0/2 lead down to the access switches.
  EXPECT_EQ(up.of(s.core1), s.core_up.id);
}

TEST(UplinkPorts, NoUplinkWhenNothingSinglesOneOut) {
  Site s;
  // A second 10 Gb/s port on acc2, as busy as Te1/1/1: either could lead up.
  PortState twin{*s.dir.port(s.acc2, "Te1/1/2"), 0, 0, {}, 10000};
  for (TimeMs t = kT0; t <= kT0 + 300'000; t += 30'000) {
    s.tick(t, Site::Tick{});
    s.port(twin, t, 3, 0, 0);
  }
  UplinkPorts up;
  up.refresh(s.dir, s.engine.topology(), s.engine.store(), kT0 + 300'000);
  EXPECT_FALSE(up.of(s.acc2).valid());
  EXPECT_EQ(up.of(s.acc1), s.acc1_up.id);
}

TEST(FaultDomain, ADamagedUplinkIsTheDownstreamSwitchsNotTheCores) {
  // CRC errors at both ends of acc1's uplink from 10 minutes in: the calls
  // below acc1 suffer, those below acc2 (through the same core) do not.
  Site s;
  const TimeMs fault = kT0 + 600'000;
  s.run(kT0, kT0 + 1'800'000, [&](TimeMs t, Site::Tick& k) { k.acc1_link_errors = t >= fault ? 600 : 0; });
  for (int i = 0; i < 6; ++i) {
    const TimeMs t = fault + 60'000 * i;
    s.call("acc2-" + std::to_string(i), 1 + 2 * (i % 2), t, Site::good(), Site::good());
    s.call("acc1-" + std::to_string(i), 2 * (i % 2), t + 20'000, Site::lossy(), Site::lossy());
  }
  s.engine.flush();
  const Verdict& v = s.verdict("acc1-5");
  ASSERT_EQ(v.quality, Quality::kPoor);
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(top(v), "switch acc1");
  EXPECT_FALSE(names(v, ComponentKind::kSwitch, "core1")) << "the core's other ports carry clean calls";
  // Both ends of the link are read, and the evidence says which link.
  bool core_end = false, access_end = false;
  for (const Evidence& e : v.blame[0].evidence) {
    core_end |= e.text.find("port Te1/0/1 of core1 (link to acc1 Te1/1/1)") != std::string::npos;
    access_end |= e.text.find("port Te1/1/1 of acc1 (link to core1 Te1/0/1)") != std::string::npos;
  }
  EXPECT_TRUE(core_end);
  EXPECT_TRUE(access_end);
  // The verdict names the link: the core's end first, the owner's below it.
  ASSERT_TRUE(v.blame[0].link.has_value());
  EXPECT_EQ(v.blame[0].link->a.kind, "switch");
  EXPECT_EQ(v.blame[0].link->a.id, "core1");
  EXPECT_EQ(v.blame[0].link->a.port, "Te1/0/1");
  EXPECT_EQ(v.blame[0].link->b.kind, "switch");
  EXPECT_EQ(v.blame[0].link->b.id, "acc1");
  EXPECT_EQ(v.blame[0].link->b.port, "Te1/1/1");
  EXPECT_NE(to_json(v).find(R"("link":{"a":{"switch":"core1","port":"Te1/0/1"},"b":{"switch":"acc1","port":"Te1/1/1"}})"),
            std::string::npos);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(s.verdict("acc2-" + std::to_string(i)).quality, Quality::kGood);
}

TEST(FaultDomain, AFarSideThatHarmsBothWaysIsRemoteWhenEveryLocalHopIsClean) {
  // Every local hop is clean and the other calls through them are fine; the
  // calls with one partner are poor both ways, with a long round trip.
  Site s;
  s.run(kT0, kT0 + 1'800'000, [](TimeMs, Site::Tick&) {});
  for (int i = 0; i < 12; ++i) s.call("ok-" + std::to_string(i), i % 4, kT0 + 40'000 * i, Site::good(), Site::good());
  Stream far = Campus::audio(Side::kCaller, 45, 13, 260);
  s.call("far", 0, kT0 + 600'000, far, far);
  s.engine.flush();
  const Verdict& v = s.verdict("far");
  ASSERT_EQ(v.quality, Quality::kPoor);
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kRemote) << top(v);
  const auto has = [&](std::string_view id) {
    return std::any_of(v.blame[0].evidence.begin(), v.blame[0].evidence.end(),
                       [&](const Evidence& e) { return e.id == id; });
  };
  EXPECT_TRUE(has("stats.remote.elimination"));
  EXPECT_TRUE(has("stats.remote.far_rtt"));
}

TEST(FaultDomain, AFarPartyRecurringThroughSeveralApsIsRemoteEvenWithoutOtherCalls) {
  // No calls but the partner's: nothing else vouches for ap1 and ap2, but
  // the partner's poor calls come through both, so it is what they share.
  Site s;
  s.run(kT0, kT0 + 1'800'000, [](TimeMs, Site::Tick&) {});
  Stream far = Campus::audio(Side::kCaller, 45, 13, 260);
  for (int i = 0; i < 4; ++i) s.call("far-" + std::to_string(i), i % 2, kT0 + 60'000 * i, far, far);
  s.engine.flush();
  const Verdict& v = s.verdict("far-3");
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kRemote) << top(v);
  EXPECT_TRUE(std::any_of(v.blame[0].evidence.begin(), v.blame[0].evidence.end(),
                          [](const Evidence& e) { return e.id == "stats.remote.recurrence"; }));
}

/// A call of c1 that its weak Wi-Fi spoils from 9 minutes in, while `idle`
/// does something odd to acc1's all but idle port; the verdict.
template <class F>
Verdict weak_call_while(Site& s, F&& idle) {
  s.run(kT0, kT0 + 1'800'000, [&](TimeMs t, Site::Tick& k) {
    idle(t, k);
    if (t >= kT0 + 540'000) {
      k.rssi[0] = -80;
      k.retry[0] = 35;
    }
  });
  s.call("weak", 0, kT0 + 600'000, Site::lossy(), Site::lossy());
  s.engine.flush();
  return s.verdict("weak");
}

TEST(FaultDomain, AMicroBurstOfDiscardsOnAnIdlePortIsNotAFault) {
  Site s;
  // One sample of 200 discards.
  const Verdict v = weak_call_while(s, [](TimeMs t, Site::Tick& k) { k.idle_discards = t == kT0 + 630'000 ? 200 : 0; });
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kClient) << top(v);
  EXPECT_FALSE(names(v, ComponentKind::kSwitch, "acc1"));
}

TEST(FaultDomain, ACounterResetAfterARebootIsNotAFault) {
  Site s;
  // The port had counted errors and discards for months; a reboot restarts them.
  s.acc1_idle.counters = {900'000, 0, 700'000, 0, 800'000};
  const Verdict v = weak_call_while(s, [](TimeMs t, Site::Tick& k) { k.idle_reset = t == kT0 + 630'000; });
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kClient) << top(v);
  EXPECT_FALSE(names(v, ComponentKind::kSwitch, "acc1"));
  EXPECT_GE(s.engine.store().stats().counter_resets, 1u);
}

TEST(FaultDomain, RetriesWithAGoodSignalOnAnInterferedRadioAreTheRadios) {
  // ap1's channel is interfered; c1's signal is strong, yet its retries climb.
  Site s;
  s.run(kT0, kT0 + 1'800'000, [](TimeMs t, Site::Tick& k) {
    if (t < kT0 + 540'000) return;
    k.ap1_interference = 45;
    k.ap1_util = 75;
    k.ap1_retry = 28;
    k.retry[0] = 30;
  });
  s.call("interfered", 0, kT0 + 600'000, Site::lossy(), Site::lossy());
  s.engine.flush();
  const Verdict& v = s.verdict("interfered");
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(top(v), "ap ap1");
  EXPECT_FALSE(names(v, ComponentKind::kClient, "aa:00:00:00:01:01"));
}

TEST(FaultDomain, AStarvedCpuIsTheReceivingClientNotTheFarSide) {
  // What c1 receives is concealed on clean packets; its CPU is pegged and
  // the call client says it could not keep up.
  Site s;
  s.run(kT0, kT0 + 1'800'000, [](TimeMs t, Site::Tick& k) { k.c1_cpu = t >= kT0 + 540'000 ? 98 : 20; });
  Stream concealed = Campus::audio(Side::kCallee, 6, 0.05, 60);
  concealed.set(StreamMetric::kConcealedRatioAvg, 0.2);
  s.call("starved", 0, kT0 + 600'000, Site::good(), concealed, 0.45);
  s.engine.flush();
  const Verdict& v = s.verdict("starved");
  ASSERT_EQ(v.quality, Quality::kPoor);
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(top(v), "client aa:00:00:00:01:01");
  EXPECT_NE(v.blame[0].kind, ComponentKind::kRemote);
}

TEST(FaultDomain, ABusyCpuDoesNotExplainALossyPath) {
  // The same pegged CPU, but the media was lost on the wire both ways with a
  // long round trip: the CPU is not what spoiled it.
  Site s;
  s.run(kT0, kT0 + 1'800'000, [](TimeMs t, Site::Tick& k) { k.c1_cpu = t >= kT0 + 540'000 ? 98 : 20; });
  for (int i = 0; i < 8; ++i) s.call("ok-" + std::to_string(i), i % 4, kT0 + 60'000 * i, Site::good(), Site::good());
  Stream far = Campus::audio(Side::kCaller, 45, 13, 260);
  s.call("far", 0, kT0 + 600'000, far, far, 0.45);
  s.engine.flush();
  const Verdict& v = s.verdict("far");
  ASSERT_FALSE(v.blame.empty());
  EXPECT_FALSE(names(v, ComponentKind::kClient, "aa:00:00:00:01:01")) << top(v);
}

TEST(Feedback, APoorRatingMakesABorderlineStreamPoor) {
  Site s;
  s.run(kT0, kT0 + 900'000, [](TimeMs, Site::Tick&) {});
  // Jitter at 25 ms: within CQD's 30 ms, but near it.
  const Stream borderline = Campus::audio(Side::kCallee, 25, 0.5, 60);
  for (const double rating : {2.0, 5.0}) {
    CallSegment seg = Campus::segment(rating < 3 ? "rated-poor" : "rated-good", kT0 + 300'000, kT0 + 480'000);
    seg.caller.client = kM1;
    seg.caller.feedback_rating = rating;
    seg.streams = {Site::good(), borderline};
    seg.streams[0].from = Side::kCaller;
    s.engine.apply(std::move(seg));
  }
  s.engine.flush();
  const Verdict& poor = s.verdict("rated-poor");
  EXPECT_EQ(poor.quality, Quality::kPoor);
  ASSERT_EQ(poor.poor_streams.size(), 1u);
  EXPECT_EQ(poor.poor_streams[0].from, Side::kCallee) << "what the rater heard";
  EXPECT_NE(poor.poor_streams[0].why.at(0).find("rated the call 2/5"), std::string::npos);
  EXPECT_EQ(s.verdict("rated-good").quality, Quality::kGood);
}

TEST(Feedback, EchoHeardOnCleanPacketsPointsAtTheOtherEndsDevice) {
  // c1 hears echo from c2 (both in the organization); every packet arrived
  // clean, concealment aside: c2's speakers feed its microphone.
  Site s;
  s.run(kT0, kT0 + 900'000, [](TimeMs, Site::Tick&) {});
  CallSegment seg = Campus::segment("echo", kT0 + 300'000, kT0 + 480'000);
  seg.caller.client = kM1;
  seg.caller.feedback_rating = 1;
  seg.caller.feedback_tokens = {"Echo"};
  seg.callee = seg.caller;
  seg.callee.client = kM2;
  seg.callee.ip = IpAddr::parse("10.1.5.22");
  seg.callee.user = "c2@contoso.example";
  seg.callee.feedback_tokens.clear();
  seg.callee.feedback_rating = kMissing;
  Stream heard = Campus::audio(Side::kCallee, 5, 0.1, 40);
  heard.set(StreamMetric::kDegradationAvg, 1.3);
  seg.streams = {Site::good(), heard};
  seg.streams[0].from = Side::kCaller;
  s.engine.apply(std::move(seg));
  s.engine.flush();
  const Verdict& v = s.verdict("echo");
  ASSERT_EQ(v.quality, Quality::kPoor);
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(top(v), "client aa:00:00:00:01:02");
  EXPECT_TRUE(std::any_of(v.blame[0].evidence.begin(), v.blame[0].evidence.end(),
                          [](const Evidence& e) { return e.id == "heuristic.client.feedback"; }));
}

}  // namespace
}  // namespace callroot::engine::testing
