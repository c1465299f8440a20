#pragma once
// The shared engine test campus (fixture.h) plus a third client, c3, on ap1,
// with calls to an outside party and a few ways to spoil telemetry: the
// scene of the attribution tests (engine's and the reference methods').

#include <string>

#include "fixture.h"

namespace callroot::engine::testing {

/// Late segments are accepted for an hour: the scenes apply calls and
/// telemetry in whatever order reads best.
inline EngineConfig tolerant() {
  EngineConfig cfg;
  cfg.allowed_lateness = 3'600'000;
  return cfg;
}

inline const Mac kC3 = *Mac::parse("aa:00:00:00:00:03");

struct Scene {
  Campus campus{tolerant()};
  ClientId c3;

  explicit Scene(AttributorPtr attributor) {
    c3 = *campus.dir.client(kC3);
    ClientAssoc a;
    a.ts = kT0;
    a.client = c3;
    a.ap = campus.ap1;
    campus.engine.apply(a);
    campus.engine.set_attributor(std::move(attributor));
  }

  /// A call of `client` to an outside party, from start for 3 minutes.
  void call(const std::string& id, const Mac& client, const char* ip, TimeMs start, bool poor) {
    auto seg = Campus::segment(id, start, start + 180'000);
    seg.caller.client = client;
    seg.caller.ip = IpAddr::parse(ip);
    seg.streams.push_back(poor ? Campus::audio(Side::kCaller, 45, 12, 80) : Campus::audio(Side::kCaller, 4, 0.1, 60));
    seg.streams.push_back(poor ? Campus::audio(Side::kCallee, 40, 11, 80) : Campus::audio(Side::kCallee, 4, 0.1, 60));
    campus.engine.apply(std::move(seg));
  }
  /// Far from its AP, as a weak client shows: low RSSI and SNR, and the
  /// retries they cost.
  void weak_client(ClientId c, TimeMs from, TimeMs to) {
    for (TimeMs t = from; t <= to; t += 30'000) {
      auto s = Campus::sample(Family::kWifiClient, t, c.value);
      Campus::set(s, 0, -76);
      Campus::set(s, 1, 14);
      Campus::set(s, 2, 35);
      Campus::set(s, 3, 30);
      campus.engine.apply(s);
    }
  }
  void busy_ap(ApId ap, TimeMs from, TimeMs to) {
    for (TimeMs t = from; t <= to; t += 30'000) {
      auto s = Campus::sample(Family::kWifiAp, t, ap.value);
      Campus::set(s, 2, 72);
      Campus::set(s, 3, 5);
      Campus::set(s, 6, 6);
      campus.engine.apply(s);
    }
  }
  const Verdict& verdict(const std::string& id) {
    for (const Verdict& v : campus.sink.verdicts) {
      if (v.segment_id == id) return v;
    }
    ADD_FAILURE() << "no verdict for " << id;
    static const Verdict none;
    return none;
  }
};

}  // namespace callroot::engine::testing
