// The compiled program: slots, units, Kleene logic, enums, lists, params per
// site, macros, fraction/for over samples, explanations and traces.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "rules/loader.h"

namespace callroot::rules {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Samples per slot name, for fraction() and for().
class FakeSamples final : public SampleSource {
 public:
  std::map<std::string, std::vector<Sample>> series;
  mutable int calls = 0;
  std::span<const Sample> samples(const Slot& slot, std::uint32_t) const override {
    ++calls;
    auto it = series.find(slot.name);
    return it == series.end() ? std::span<const Sample>() : std::span<const Sample>(it->second);
  }
};

/// A loaded program and a candidate whose slots are set by name.
struct Env {
  LoadResult loaded;
  std::shared_ptr<const Program> program;
  std::vector<double> values;
  Candidate cand;

  explicit Env(const std::string& text) {
    const std::vector<std::pair<std::string, std::string>> src{{"t.rules", text}};
    loaded = load_rules_from_text(src);
    for (const Diagnostic& d : loaded.diagnostics) {
      if (d.severity() == DiagnosticSeverity::kError) ADD_FAILURE() << render_text(d);
    }
    program = loaded.program;
    if (program) values.assign(program->slots().size(), kNaN);
    cand.media_mask = media_bit(Media::kAudio);
    cand.direction_mask = kDirectionSent;
  }

  void set(std::string_view name, double v) {
    const auto slots = program->slots();
    for (std::size_t i = 0; i < slots.size(); ++i) {
      if (slots[i].name == name) {
        values[i] = v;
        return;
      }
    }
    ADD_FAILURE() << "no slot " << name;
  }

  std::vector<Firing> run(ComponentKind k = ComponentKind::kClient, Trace* trace = nullptr, RuleStats* stats = nullptr) {
    cand.values = values;
    std::vector<Firing> out;
    program->evaluate(k, cand, out, trace, stats);
    return out;
  }

  std::vector<std::string> fired(ComponentKind k = ComponentKind::kClient) {
    std::vector<std::string> ids;
    for (const Firing& f : run(k)) ids.push_back(program->rules()[f.rule].id);
    return ids;
  }
};

using Ids = std::vector<std::string>;

TEST(Eval, UnitsAreNormalized) {
  Env env(R"(
rule a { blame: client  when: sent.rtt_avg_ms > 1.5s }
rule b { blame: client  when: sent.rtt_avg_ms > 1500ms }
rule c { blame: client  when: client.wifi.tx_rate_mbps.avg < 12Mbps  explain: "rate {client.wifi.tx_rate_mbps.avg}" }
rule d { blame: client  when: client.wifi.tx_rate_mbps.avg < 11000kbps }
)");
  ASSERT_TRUE(env.program);
  env.set("sent.rtt_avg_ms", 1600);
  env.set("client.wifi.tx_rate_mbps.avg", 10);  // the catalog's unit: Mbps
  const auto out = env.run();
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[2].text, "rate 10 Mbps");
  env.set("sent.rtt_avg_ms", 1400);
  env.set("client.wifi.tx_rate_mbps.avg", 11.5);
  EXPECT_EQ(env.fired(), Ids{"c"});
}

TEST(Eval, KleeneLogicWithUnknowns) {
  Env env(R"(
rule or_true   { blame: client  when: sent.rtt_avg_ms > 1ms or sent.jitter_avg_ms > 1ms }
rule and_false { blame: client  when: sent.rtt_avg_ms > 1ms and sent.jitter_avg_ms > 100ms }
rule and_unk   { blame: client  when: sent.rtt_avg_ms > 1ms and sent.jitter_avg_ms > 1ms }
rule not_unk   { blame: client  when: not (sent.rtt_avg_ms > 1ms) }
rule cmp_unk   { blame: client  when: sent.rtt_avg_ms != 5ms }
rule arith_unk { blame: client  when: sent.rtt_avg_ms + sent.jitter_avg_ms > 1ms or true }
)");
  ASSERT_TRUE(env.program);
  env.set("sent.jitter_avg_ms", 50);  // rtt unknown
  Trace trace;
  const auto out = env.run(ComponentKind::kClient, &trace);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(env.program->rules()[out[0].rule].id, "or_true");   // unknown or true = true
  EXPECT_EQ(env.program->rules()[out[1].rule].id, "arith_unk");  // unknown or true = true
  ASSERT_EQ(trace.rules.size(), 6u);
  EXPECT_EQ(trace.rules[1].when, 0);               // unknown and false = false
  EXPECT_TRUE(std::isnan(trace.rules[2].when));    // unknown and true = unknown
  EXPECT_TRUE(std::isnan(trace.rules[3].when));    // not unknown = unknown
  EXPECT_TRUE(std::isnan(trace.rules[4].when));    // unknown != 5 = unknown
  env.set("sent.rtt_avg_ms", 5);
  EXPECT_EQ(env.fired(), (Ids{"or_true", "and_unk", "arith_unk"}));
}

TEST(Eval, EnumsAndInLists) {
  Env env(R"(
list rooms = [room_system, phone]
rule wifi  { blame: client  when: endpoint.connection == wifi }
rule wired { blame: client  when: endpoint.connection != wifi }
rule dev   { blame: client  when: endpoint.device_type in [pc, mobile] }
rule room  { blame: client  when: endpoint.device_type in rooms }
rule notin { blame: client  when: endpoint.device_type not in rooms }
rule num   { blame: client  when: sent.rtt_avg_ms in [10ms, 20ms] }
rule mic   { blame: client  when: peripheral("microphone") != connected and room_health() == critical }
)");
  ASSERT_TRUE(env.program);
  env.set("endpoint.connection", connection_value(Connection::kWifi));
  env.set("endpoint.device_type", device_type_value(DeviceType::kRoomSystem));
  env.set("sent.rtt_avg_ms", 20);
  env.set("peripheral(\"microphone\")", kPeripheralAbsent);
  env.set("room_health()", room_health_value(RoomHealthState::kCritical));
  EXPECT_EQ(env.fired(), (Ids{"wifi", "room", "num", "mic"}));
  env.set("endpoint.connection", connection_value(Connection::kWired));
  env.set("endpoint.device_type", device_type_value(DeviceType::kPc));
  env.set("sent.rtt_avg_ms", 15);
  env.set("peripheral(\"microphone\")", peripheral_value(PeripheralState::kConnected));
  EXPECT_EQ(env.fired(), (Ids{"wired", "dev", "notin"}));
}

TEST(Eval, ParamsAndSitesAndDisabledRules) {
  Env env(R"(
param floor = -72dBm
rule weak { blame: client  when: client.wifi.rssi_dbm.avg < floor  explain: "{client.wifi.rssi_dbm.avg} < {floor}" }
rule off  { blame: client  enabled: false  when: client.wifi.rssi_dbm.avg < 0dBm }
rule hq_only { blame: client  when: endpoint.site == "hq" }
site "branch" {
  floor = -75dBm
  enable off
}
site "lab" {
  disable weak
}
)");
  ASSERT_TRUE(env.program);
  const Program& p = *env.program;
  EXPECT_EQ(p.site_index("nowhere"), Program::kDefaultSite);
  EXPECT_EQ(p.site_index(""), Program::kDefaultSite);
  const std::uint32_t branch = p.site_index("branch");
  const std::uint32_t lab = p.site_index("lab");
  const std::uint32_t hq = p.site_index("hq");  // named in a condition
  EXPECT_NE(branch, Program::kDefaultSite);
  EXPECT_NE(hq, Program::kDefaultSite);
  EXPECT_EQ(p.param("floor"), -72);
  EXPECT_EQ(p.param("floor", branch), -75);
  EXPECT_FALSE(p.enabled(1, Program::kDefaultSite));
  EXPECT_TRUE(p.enabled(1, branch));

  env.set("client.wifi.rssi_dbm.avg", -74);
  EXPECT_EQ(env.fired(), Ids{"weak"});
  EXPECT_EQ(env.run()[0].text, "-74 dBm < -72 dBm");
  env.cand.site = branch;
  EXPECT_EQ(env.fired(), Ids{"off"});  // -74 is above the branch's floor
  env.cand.site = lab;
  EXPECT_EQ(env.fired(), Ids{});
  env.cand.site = hq;
  EXPECT_EQ(env.fired(), (Ids{"weak", "hq_only"}));
}

TEST(Eval, MacrosAreInlined) {
  Env env(R"(
param floor = -72dBm
macro weak = client.wifi.rssi_dbm.avg < floor
macro busy = ap.radio.channel_util_pct.p95 > 50%
macro both = weak and busy
rule a { blame: ap  when: both }
rule b { blame: client  when: weak and not busy }
)");
  ASSERT_TRUE(env.program);
  env.set("client.wifi.rssi_dbm.avg", -80);
  env.set("ap.radio.channel_util_pct.p95", 70);
  EXPECT_EQ(env.fired(ComponentKind::kAp), Ids{"a"});
  EXPECT_EQ(env.fired(ComponentKind::kClient), Ids{});
  env.set("ap.radio.channel_util_pct.p95", 10);
  EXPECT_EQ(env.fired(ComponentKind::kAp), Ids{});
  EXPECT_EQ(env.fired(ComponentKind::kClient), Ids{"b"});
  // Each field is one slot, however many rules and macros read it.
  EXPECT_EQ(env.program->slots().size(), 2u);
}

TEST(Eval, ScopeMediaDirectionAndStreams) {
  Env env(R"(
rule audio { blame: client  scope: media == audio and direction == sent  when: sent.jitter_avg_ms > 30ms }
rule video { blame: client  scope: media in [video, screen]  when: received.frame_rate_avg < 15fps }
rule any   { blame: client  when: sent.poor }
)");
  ASSERT_TRUE(env.program);
  // The stream slots carry the scope's media.
  env.set("sent.jitter_avg_ms[audio]", 40);
  env.set("received.frame_rate_avg[video,screen]", 10);
  env.set("sent.poor", 1);
  env.cand.media_mask = media_bit(Media::kAudio);
  env.cand.direction_mask = kDirectionSent;
  EXPECT_EQ(env.fired(), (Ids{"audio", "any"}));
  env.cand.direction_mask = kDirectionReceived;
  EXPECT_EQ(env.fired(), Ids{"any"});
  env.cand.media_mask = media_bit(Media::kScreen);
  EXPECT_EQ(env.fired(), (Ids{"video", "any"}));
}

TEST(Eval, FractionAndForOverSamples) {
  Env env(R"(
rule frac { blame: client  when: fraction(client.wifi.rssi_dbm < -75dBm) > 50%  explain: "{fraction(client.wifi.rssi_dbm < -75dBm)} of samples" }
rule held { blame: client  when: for(client.wifi.rssi_dbm < -75dBm and client.wifi.snr_db < 20dB, 1min) }
)");
  ASSERT_TRUE(env.program);
  FakeSamples fake;
  auto series = [](std::vector<double> vs) {
    std::vector<Sample> out;
    for (std::size_t i = 0; i < vs.size(); ++i) out.push_back(Sample{static_cast<TimeMs>(i) * 30000, vs[i]});
    return out;
  };
  // 4 of 6 known samples weak; one unknown row ignored.
  fake.series["client.wifi.rssi_dbm"] = series({-80, -80, -80, kNaN, -60, -60, -80});
  fake.series["client.wifi.snr_db"] = series({10, 10, 30, 10, 10, 10, 10});
  env.cand.samples = &fake;
  auto out = env.run();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(env.program->rules()[out[0].rule].id, "frac");
  EXPECT_EQ(out[0].text, "66.67% of samples");
  // Two weak-and-noisy rows 30 s apart span 30 s: not a minute. Make it three.
  fake.series["client.wifi.snr_db"] = series({10, 10, 10, 10, 10, 10, 10});
  EXPECT_EQ(env.fired(), (Ids{"frac", "held"}));
  // No samples at all: unknown, so neither fires.
  fake.series.clear();
  EXPECT_EQ(env.fired(), Ids{});
  env.cand.samples = nullptr;
  EXPECT_EQ(env.fired(), Ids{});
}

TEST(Eval, ExplanationsShowUnitsAndNotMeasured) {
  Env env(R"(
rule a {
  blame: client
  when: sent.poor or client.wifi.rssi_dbm.avg < -70dBm
  explain: "RSSI {client.wifi.rssi_dbm.avg}, retries {client.wifi.tx_retry_pct.avg}, jitter {sent.jitter_avg_ms}, long {sent.rtt_max_ms}, via {endpoint.connection}, poor {sent.poor}, ratio {endpoint.cpu_insufficient_ratio}, n {client.wifi.rssi_dbm.count}"
}
)");
  ASSERT_TRUE(env.program);
  env.set("client.wifi.rssi_dbm.avg", -78.4);
  env.set("client.wifi.tx_retry_pct.avg", 31);
  env.set("sent.rtt_max_ms", 12500);
  env.set("endpoint.connection", connection_value(Connection::kWifi));
  env.set("sent.poor", 0);
  env.set("endpoint.cpu_insufficient_ratio", 0.0734);
  env.set("client.wifi.rssi_dbm.count", 12);
  const auto out = env.run();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].text,
            "RSSI -78.4 dBm, retries 31%, jitter not measured, long 12.5 s, via wifi, poor false, ratio 0.0734, n 12");
}

TEST(Eval, TraceRecordsComparisons) {
  Env env(R"(
param floor = -72dBm
rule a {
  blame: client
  scope: media in [audio, video]
  when: client.wifi.rssi_dbm.avg < floor and client.wifi.tx_retry_pct.avg > 20%
  explain: "RSSI {client.wifi.rssi_dbm.avg}, retries {client.wifi.tx_retry_pct.avg}"
}
rule b { blame: client  enabled: false  when: sent.poor }
rule c { blame: ap  when: sent.poor }
)");
  ASSERT_TRUE(env.program);
  env.set("client.wifi.rssi_dbm.avg", -80);
  Trace trace;
  EXPECT_TRUE(env.run(ComponentKind::kClient, &trace).empty());
  ASSERT_EQ(trace.rules.size(), 2u);  // only rules blaming the client
  const RuleTrace& a = trace.rules[0];
  EXPECT_EQ(a.scope, 1);
  EXPECT_TRUE(std::isnan(a.when));
  EXPECT_FALSE(a.fired);
  ASSERT_EQ(a.comparisons.size(), 3u);
  EXPECT_EQ(a.comparisons[0].text, "media in [audio, video]");
  EXPECT_EQ(a.comparisons[0].observed, "[audio]");
  EXPECT_EQ(a.comparisons[0].threshold, "[audio, video]");
  EXPECT_EQ(a.comparisons[1].text, "client.wifi.rssi_dbm.avg < floor");
  EXPECT_EQ(a.comparisons[1].observed, "-80 dBm");
  EXPECT_EQ(a.comparisons[1].threshold, "-72 dBm");
  EXPECT_EQ(a.comparisons[1].result, 1);
  EXPECT_EQ(a.comparisons[2].text, "client.wifi.tx_retry_pct.avg > 20%");
  EXPECT_EQ(a.comparisons[2].observed, "not measured");
  EXPECT_EQ(a.comparisons[2].threshold, "20%");
  EXPECT_TRUE(std::isnan(a.comparisons[2].result));
  EXPECT_EQ(a.explanation, "RSSI -80 dBm, retries not measured");
  EXPECT_FALSE(trace.rules[1].enabled);
  EXPECT_TRUE(trace.rules[1].comparisons.empty());
}

TEST(Eval, StatsAndSlotsPerTarget) {
  Env env(R"(
rule a { blame: client  when: client.wifi.rssi_dbm.avg < -70dBm }
rule b { blame: switch  when: switch.port.in_errors_per_s.max > 1/s and client.wifi.rssi_dbm.avg < 0dBm }
rule c { blame: wan     when: wan.link.loss_pct.p95 > 1% or wan.link.latency_ms.rate > 2ms/s }
)");
  ASSERT_TRUE(env.program);
  const Program& p = *env.program;
  EXPECT_EQ(p.slots_for(ComponentKind::kClient).size(), 1u);
  EXPECT_EQ(p.slots_for(ComponentKind::kSwitch).size(), 2u);
  EXPECT_EQ(p.slots_for(ComponentKind::kWan).size(), 2u);
  EXPECT_EQ(p.rules_for(ComponentKind::kWan).size(), 1u);
  env.set("client.wifi.rssi_dbm.avg", -80);
  env.set("switch.port.in_errors_per_s.max", 3);
  RuleStats stats;
  stats.timing = true;
  env.run(ComponentKind::kClient, nullptr, &stats);
  env.run(ComponentKind::kSwitch, nullptr, &stats);
  env.run(ComponentKind::kSwitch, nullptr, &stats);
  ASSERT_EQ(stats.per_rule.size(), 3u);
  EXPECT_EQ(stats.per_rule[0].evaluations, 1u);
  EXPECT_EQ(stats.per_rule[0].matches, 1u);
  EXPECT_EQ(stats.per_rule[1].evaluations, 2u);
  EXPECT_EQ(stats.per_rule[1].matches, 2u);
  EXPECT_EQ(stats.per_rule[2].evaluations, 0u);
  RuleStats total;
  total.merge(stats);
  total.merge(stats);
  EXPECT_EQ(total.per_rule[1].matches, 4u);
  // The `rate` aggregate is per second; the program knows which store figure each slot wants.
  for (const Slot& s : p.slots()) {
    if (s.name == "wan.link.latency_ms.rate") {
      EXPECT_FALSE(store_aggregate(s.agg).has_value());
    }
    if (s.name == "wan.link.loss_pct.p95") {
      EXPECT_EQ(store_aggregate(s.agg), Aggregate::kP95);
    }
  }
}

TEST(Eval, ProgramIsSharedAndConst) {
  Env env("rule a { blame: client  when: sent.poor }\n");
  ASSERT_TRUE(env.program);
  std::shared_ptr<const Program> copy = env.program;
  env.set("sent.poor", 1);  // all media: no suffix
  EXPECT_EQ(env.fired(), Ids{"a"});
  // The program outlives its loader (it owns what it needs: no pointer into the sources).
  env.program.reset();
  env.loaded = LoadResult{};
  EXPECT_EQ(copy.use_count(), 1);
  std::vector<Firing> out;
  Candidate c;
  c.values = env.values;
  copy->evaluate(ComponentKind::kClient, c, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(copy->rules()[out[0].rule].id, "a");
}

TEST(Fields, RegistryAndReference) {
  const FieldLookup f = lookup_field("client.wifi.rssi_dbm.p95");
  ASSERT_NE(f.def, nullptr);
  EXPECT_EQ(f.def->family, Family::kWifiClient);
  EXPECT_EQ(f.agg, Agg::kP95);
  EXPECT_EQ(lookup_field("switch.port.speed_mbps.avg").def->scale, 1000);
  EXPECT_EQ(lookup_field("sent.frame_rate_avg").def->dim, (Dim{BaseUnit::kFps, 0}));
  EXPECT_EQ(lookup_field("received.loss_max_pct").def->dim, (Dim{BaseUnit::kPct, 0}));
  EXPECT_EQ(lookup_field("client.wifi.nope.avg").def, nullptr);
  EXPECT_EQ(suggest_field("ap.radio.chanel_util_pct.max"), "ap.radio.channel_util_pct.max");
  const std::string md = fields_reference_markdown();
  EXPECT_NE(md.find("| `wan.link.jitter_ms` | number | ms |"), std::string::npos);
  EXPECT_NE(md.find("`for(cond, duration)`"), std::string::npos);
}

}  // namespace
}  // namespace callroot::rules
