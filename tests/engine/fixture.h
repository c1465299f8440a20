#pragma once
// A small campus built from events, shared by the engine tests:
// site hq (10.1.0.0/16): ap1 -> acc1 ge-0/0/10, ap2 -> acc1 ge-0/0/11,
// acc1 -> core1 ge-0/0/1, core1 -> edge1, links wan1 (198.51.100.1) and wan2 (198.51.100.2).
// Clients: c1 on ap1, c2 on ap2, both from t0.

#include <gtest/gtest.h>

#include "engine/attributors.h"
#include "engine/engine.h"
#include "models/directory.h"

namespace callroot::engine::testing {

inline constexpr TimeMs kT0 = 1'772'442'000'000;  // 2026-03-02T09:00:00Z
inline const Mac kC1 = *Mac::parse("aa:00:00:00:00:01");
inline const Mac kC2 = *Mac::parse("aa:00:00:00:00:02");
inline const Mac kBssid1 = *Mac::parse("bb:00:00:00:01:01");

class RecordingSink final : public VerdictSink {
 public:
  void on_verdict(const Verdict& v) override { verdicts.push_back(v); }
  std::vector<Verdict> verdicts;
};

struct Campus {
  Directory dir;
  RecordingSink sink;
  Engine engine;
  SiteId hq;
  ApId ap1, ap2;
  SwitchId acc1, core1;
  PortId ap1_port, ap2_port, acc1_uplink;
  LinkId wan1, wan2;
  ClientId c1, c2;

  /// The heuristic alone unless told otherwise: the tests of one attributor
  /// must not move when another (the engine's default) is tuned.
  explicit Campus(EngineConfig cfg = {}, AttributorPtr attributor = make_heuristic())
      : engine(cfg, dir, sink, std::move(attributor)) {
    hq = *dir.site("hq");
    ap1 = *dir.ap("ap1");
    ap2 = *dir.ap("ap2");
    acc1 = *dir.switch_("acc1");
    core1 = *dir.switch_("core1");
    ap1_port = *dir.port(acc1, "ge-0/0/10");
    ap2_port = *dir.port(acc1, "ge-0/0/11");
    acc1_uplink = *dir.port(core1, "ge-0/0/1");
    wan1 = *dir.link("wan1");
    wan2 = *dir.link("wan2");
    const EdgeId edge1 = *dir.edge("edge1");
    c1 = *dir.client(kC1);
    c2 = *dir.client(kC2);
    engine.apply(SiteInventory{hq, "HQ", {*Cidr::parse("10.1.0.0/16")}});
    engine.apply(SwitchInventory{core1, hq, "core", SwitchId{}, PortId{}, edge1});
    engine.apply(SwitchInventory{acc1, hq, "access", core1, acc1_uplink, EdgeId{}});
    engine.apply(ApInventory{ap1, hq, "", {kBssid1}, acc1, ap1_port});
    engine.apply(ApInventory{ap2, hq, "", {}, acc1, ap2_port});
    engine.apply(WanInventory{wan1, hq, edge1, "isp-a", 1000, {*IpAddr::parse("198.51.100.1")}});
    engine.apply(WanInventory{wan2, hq, edge1, "isp-b", 1000, {*IpAddr::parse("198.51.100.2")}});
    ClientAssoc a1;
    a1.ts = kT0;
    a1.client = c1;
    a1.ap = ap1;
    a1.bssid = kBssid1;
    engine.apply(a1);
    ClientAssoc a2 = a1;
    a2.client = c2;
    a2.ap = ap2;
    a2.bssid.reset();
    engine.apply(a2);
  }

  static TelemetrySample sample(Family f, TimeMs ts, std::uint32_t entity) {
    TelemetrySample s;
    s.family = f;
    s.ts = ts;
    s.entity = entity;
    return s;
  }
  static void set(TelemetrySample& s, std::size_t field, double v) {
    s.values[field] = v;
    s.present |= 1u << field;
  }
  static void set_counter(TelemetrySample& s, std::size_t field, std::uint64_t v) {
    s.counters[field] = v;
    s.present |= 1u << field;
  }

  /// Healthy telemetry for every hop every 30 s over [from, to], from `source`.
  void healthy(TimeMs from, TimeMs to, SourceId source = kAnySource) {
    std::uint64_t octets = 0;
    for (TimeMs t = from; t <= to; t += 30'000) {
      for (const ClientId c : {c1, c2}) {
        auto s = sample(Family::kWifiClient, t, c.value);
        set(s, 0, -55);
        set(s, 1, 38);
        set(s, 2, 4);
        set(s, 3, 3);
        engine.apply(s, source);
      }
      for (const ApId a : {ap1, ap2}) {
        auto s = sample(Family::kWifiAp, t, a.value);
        set(s, 2, 20);
        set(s, 3, 5);
        set(s, 6, 6);
        engine.apply(s, source);
      }
      octets += 30 * 1'000'000;
      for (const PortId p : {ap1_port, ap2_port, acc1_uplink}) {
        auto s = sample(Family::kSwitchPort, t, p.value);
        set(s, 0, 1000);
        set(s, 1, 1);
        set_counter(s, 2, octets);
        set_counter(s, 3, octets);
        for (std::size_t f = 4; f <= 8; ++f) set_counter(s, f, 10);
        engine.apply(s, source);
      }
      for (const LinkId l : {wan1, wan2}) {
        auto s = sample(Family::kWanLink, t, l.value);
        set(s, 0, 20);
        set(s, 1, 3);
        set(s, 2, 0.1);
        set(s, 3, 40);
        set(s, 4, 40);
        engine.apply(s, source);
      }
    }
  }

  /// A segment from c1 (wifi, via wan1) to an external party.
  static CallSegment segment(std::string id, TimeMs start, TimeMs end) {
    CallSegment seg;
    seg.call_id = "call-" + id;
    seg.segment_id = std::move(id);
    seg.start = start;
    seg.end = end;
    seg.caller.present = true;
    seg.caller.client = kC1;
    seg.caller.ip = IpAddr::parse("10.1.5.20");
    seg.caller.connection = Connection::kWifi;
    seg.caller.reflexive_ip = IpAddr::parse("198.51.100.1");
    seg.callee.present = true;
    seg.callee.ip = IpAddr::parse("192.0.2.77");
    seg.callee.user = "guest@partner.example";
    return seg;
  }
  static Stream audio(Side from, double jitter, double loss, double rtt) {
    Stream s;
    s.from = from;
    s.media = Media::kAudio;
    s.set(StreamMetric::kJitterAvg, jitter);
    s.set(StreamMetric::kLossAvg, loss);
    s.set(StreamMetric::kRttAvg, rtt);
    return s;
  }
};

}  // namespace callroot::engine::testing
