#include "engine/published_targets.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "models/ascii.h"
#include "models/json_writer.h"
#include "rules/published_targets.h"

namespace callroot::engine {
namespace {

/// A published target on one column of a telemetry family.
struct Target {
  Family family;
  std::uint8_t column;
  Aggregate aggregate;
  /// kPerFrame: a counter's rate as a share of the frames the port moves in
  /// the counter's direction, persistent over the window (port_fault_share).
  enum class Bound : std::uint8_t { kMin, kMax, kPerFrame } bound;
  /// The published target it reads (rules/published_targets.rules); empty
  /// for a state rather than a threshold (a port that is down).
  std::string_view param;
  double limit;  ///< read from `param` when it names one (targets())
  double scale;  ///< how far past the limit counts as one unit of departure
  const char* id;
  const char* source;
};

constexpr const char* kWifiGuide = "voice Wi-Fi design guidance";
constexpr const char* kTeamsNet = "Teams network requirements";
constexpr const char* kPortHealth = "switch port health";
constexpr const char* kDeviceHealth = "client device health";
constexpr const char* kApHealth = "AP health";

using B = Target::Bound;
constexpr Target kTargetSpecs[] = {
    {Family::kWifiClient, col::kRssi, Aggregate::kAvg, B::kMin, "wifi_rssi_design", 0, 8, "heuristic.client.rssi",
     kWifiGuide},
    {Family::kWifiClient, col::kSnr, Aggregate::kAvg, B::kMin, "wifi_snr_min", 0, 8, "heuristic.client.snr",
     kWifiGuide},
    {Family::kWifiClient, col::kTxRetry, Aggregate::kAvg, B::kMax, "wifi_retry_design", 0, 15,
     "heuristic.client.tx_retry", kWifiGuide},
    {Family::kWifiClient, col::kRxRetry, Aggregate::kAvg, B::kMax, "wifi_retry_design", 0, 15,
     "heuristic.client.rx_retry", kWifiGuide},
    {Family::kClientDevice, col::kCpu, Aggregate::kAvg, B::kMax, "device_cpu_max", 0, 10, "heuristic.client.cpu",
     kDeviceHealth},
    {Family::kWifiAp, col::kChannelUtil, Aggregate::kAvg, B::kMax, "ap_channel_util_max", 0, 20,
     "heuristic.ap.channel_util", kWifiGuide},
    {Family::kWifiAp, col::kInterference, Aggregate::kAvg, B::kMax, "ap_interference_max", 0, 20,
     "heuristic.ap.interference", kWifiGuide},
    {Family::kWifiAp, col::kApTxRetry, Aggregate::kAvg, B::kMax, "ap_retry_max", 0, 15, "heuristic.ap.tx_retry",
     kWifiGuide},
    {Family::kWifiAp, col::kApCpu, Aggregate::kAvg, B::kMax, "ap_cpu_max", 0, 10, "heuristic.ap.cpu", kApHealth},
    {Family::kSwitchPort, col::kInErrors, Aggregate::kAvg, B::kPerFrame, "port_fault_share_max", 0, 0,
     "heuristic.port.in_errors", kPortHealth},
    {Family::kSwitchPort, col::kOutErrors, Aggregate::kAvg, B::kPerFrame, "port_fault_share_max", 0, 0,
     "heuristic.port.out_errors", kPortHealth},
    {Family::kSwitchPort, col::kInFcsErrors, Aggregate::kAvg, B::kPerFrame, "port_fault_share_max", 0, 0,
     "heuristic.port.fcs_errors", kPortHealth},
    {Family::kSwitchPort, col::kInDiscards, Aggregate::kAvg, B::kPerFrame, "port_fault_share_max", 0, 0,
     "heuristic.port.in_discards", kPortHealth},
    {Family::kSwitchPort, col::kOutDiscards, Aggregate::kAvg, B::kPerFrame, "port_fault_share_max", 0, 0,
     "heuristic.port.out_discards", kPortHealth},
    {Family::kSwitchPort, col::kInUtil, Aggregate::kAvg, B::kMax, "port_util_max", 0, 10, "heuristic.port.in_util",
     kPortHealth},
    {Family::kSwitchPort, col::kOutUtil, Aggregate::kAvg, B::kMax, "port_util_max", 0, 10, "heuristic.port.out_util",
     kPortHealth},
    {Family::kSwitchPort, col::kOperUp, Aggregate::kMin, B::kMin, {}, 1, 0.25, "heuristic.port.down", kPortHealth},
    {Family::kWanLink, col::kLoss, Aggregate::kAvg, B::kMax, "teams_client_loss_max", 0, 2, "heuristic.wan.loss",
     kTeamsNet},
    {Family::kWanLink, col::kJitter, Aggregate::kAvg, B::kMax, "teams_client_jitter_max", 0, 15, "heuristic.wan.jitter",
     kTeamsNet},
    {Family::kWanLink, col::kLatency, Aggregate::kAvg, B::kMax, "teams_client_rtt_max", 0, 100, "heuristic.wan.latency",
     kTeamsNet},
    {Family::kWanLink, col::kUtilIn, Aggregate::kAvg, B::kMax, "teams_wan_util_max", 0, 10, "heuristic.wan.util_in",
     kTeamsNet},
    {Family::kWanLink, col::kUtilOut, Aggregate::kAvg, B::kMax, "teams_wan_util_max", 0, 10, "heuristic.wan.util_out",
     kTeamsNet},
};

using Targets = std::array<Target, std::size(kTargetSpecs)>;

/// The table with each limit read from the published targets, once.
const Targets& targets() {
  static const Targets resolved = [] {
    Targets t;
    std::copy(std::begin(kTargetSpecs), std::end(kTargetSpecs), t.begin());
    for (Target& x : t) {
      if (x.param.empty()) continue;
      // A per-frame limit is a fraction here (port_limits); `.share` reads in percent.
      x.limit = x.bound == Target::Bound::kPerFrame ? port_limits().fault_share : rules::published_target(x.param);
      if (std::isnan(x.limit)) {
        // The file is part of the build: a missing name is a bug, not input.
        std::fprintf(stderr, "callroot: the published targets do not define %.*s\n", static_cast<int>(x.param.size()),
                     x.param.data());
        std::abort();
      }
    }
    return t;
  }();
  return resolved;
}

constexpr double kBase = 0.25;  // crossing a target at all counts this much
// A user's word about sound on clean packets: as much as a clear departure
// from a published target (a device fault shows nowhere else).
constexpr double kFeedbackDeparture = 1.5;
constexpr double kMaxDeparture = 3.0;  // one metric cannot dominate without bound

/// How far `value` departs from `t`; 0 when within target.
double departure(const Target& t, double value) {
  switch (t.bound) {
    case B::kMin: return value < t.limit ? std::min(kMaxDeparture, kBase + (t.limit - value) / t.scale) : 0.0;
    case B::kMax: return value > t.limit ? std::min(kMaxDeparture, kBase + (value - t.limit) / t.scale) : 0.0;
    case B::kPerFrame:
      // Each tenfold beyond the limit counts a unit more: one frame in a
      // thousand lost on a link is a failing cable, not a nuisance.
      return value > t.limit ? std::min(kMaxDeparture, 0.5 + std::log10(value / t.limit)) : 0.0;
  }
  return 0.0;
}

/// The heuristic's own accumulation: the strongest departure of a component
/// counts fully, the others a quarter (they are usually symptoms of one cause).
struct Departures {
  ComponentKind kind = ComponentKind::kUnknown;
  std::uint32_t component = 0;
  SiteId site;
  double max_departure = 0;
  double other_departures = 0;
  std::vector<Evidence> evidence;
  const HopEvidence* link_hop = nullptr;  // the switch port that departed most
  double link_departure = 0;
  // The same sum without the client's Wi-Fi symptoms.
  double rest_max = 0;
  double rest_other = 0;

  [[nodiscard]] static double sum(double max, double other) noexcept {
    return std::min(2 * kMaxDeparture, max + 0.25 * other);
  }
  [[nodiscard]] double score() const noexcept { return sum(max_departure, other_departures); }
  /// What the Wi-Fi symptoms add to score().
  [[nodiscard]] double symptoms() const noexcept { return score() - sum(rest_max, rest_other); }
  void add(double d, Evidence e, bool symptom = false) {
    accumulate(max_departure, other_departures, d);
    if (!symptom) accumulate(rest_max, rest_other, d);
    evidence.push_back(std::move(e));
  }

 private:
  static void accumulate(double& max, double& other, double d) noexcept {
    if (d > max) {
      other += max;
      max = d;
    } else {
      other += d;
    }
  }
};

Departures& candidate(std::vector<Departures>& list, ComponentKind kind, std::uint32_t component, SiteId site) {
  for (auto& c : list) {
    if (c.kind == kind && c.component == component) return c;
  }
  Departures& c = list.emplace_back();
  c.kind = kind;
  c.component = component;
  c.site = site;
  return c;
}

std::string describe(const ScoringContext& ctx, const HopEvidence& hop, const Target& t, double value) {
  const ColumnSpec& spec = family_columns(t.family)[t.column];
  std::string text;
  if (hop.kind == ComponentKind::kSwitch) {
    text += describe_port(*ctx.directory, hop);
    text += ' ';
  } else if (hop.family == Family::kWifiAp && ctx.directory->radio_band(hop.entity) != 0) {
    text += Directory::band_name(ctx.directory->radio_band(hop.entity));
    text += " radio ";
  }
  text += spec.name;
  text += ' ';
  text += to_string(t.aggregate);
  text += ' ';
  // A per-frame target reads the counter's rate; `value` is its share.
  text += format_number(t.bound == B::kPerFrame ? hop.column(t.column).avg : value, 2);
  text += unit_suffix(spec.unit);
  switch (t.bound) {
    case B::kMin: text += " below "; break;
    case B::kMax: text += " above "; break;
    case B::kPerFrame: {
      const PortFaultShare share = port_fault_share(hop, t.column);
      text += ": ";
      text += format_number(100.0 * share.share, 3);
      text += "% of the frames, in ";
      text += format_number(share.samples, 1);
      text += " samples' worth (target: under ";
      text += format_number(100.0 * t.limit, 3);
      text += "% and in more than one sample; ";
      text += t.source;
      text += ')';
      return text;
    }
  }
  text += format_number(t.limit, 2);
  text += unit_suffix(spec.unit);
  text += " (";
  text += t.source;
  text += ')';
  return text;
}

/// How far `hop` departs from target `t` over the window, and the value read.
std::pair<double, double> hop_departure(const HopEvidence& hop, const Target& t) {
  const WindowStats& st = hop.column(t.column);
  if (st.count == 0) return {0.0, kMissing};
  double value = pick(st, t.aggregate);
  if (t.bound == B::kPerFrame) {
    const PortFaultShare share = port_fault_share(hop, t.column);
    value = share.persistent() ? share.share : 0.0;
    // A counter that grew in a sample or two of the window is weak evidence;
    // one that grew throughout it is a failing link.
    return {departure(t, value) * std::min(1.0, share.samples / port_limits().steady_samples), value};
  }
  return {departure(t, value), value};
}

bool is_retry(const Target& t) {
  return t.family == Family::kWifiClient && (t.column == col::kTxRetry || t.column == col::kRxRetry);
}
bool is_signal(const Target& t) {
  return t.family == Family::kWifiClient && (t.column == col::kRssi || t.column == col::kSnr);
}
bool is_radio_condition(const Target& t) { return t.family == Family::kWifiAp && t.column != col::kApCpu; }

/// A weak signal without retries counts this share of its departure.
constexpr double kHarmlessSignalShare = 0.25;

void score_hops(const ScoringContext& ctx, const SideEvidence& side, std::vector<Departures>& out) {
  const bool endpoint_trouble = poor_without_network_impairment(ctx);
  const WifiReading wifi = read_wifi(side);
  const bool retries_are_radios = wifi.retries_are_radios() && side.resolution.path.ap.valid();
  for (const HopEvidence& hop : side.hops) {
    // A busy CPU explains media spoiled on clean packets, not a lossy path.
    if (hop.family == Family::kClientDevice && !endpoint_trouble) continue;
    for (const Target& t : targets()) {
      if (t.family != hop.family) continue;
      auto [d, value] = hop_departure(hop, t);
      if (d <= 0) continue;
      ComponentKind kind = hop.kind;
      std::uint32_t component = hop.component;
      std::string text = describe(ctx, hop, t, value);
      if (is_retry(t) && retries_are_radios) {
        kind = ComponentKind::kAp;
        component = side.resolution.path.ap.value;
        text += "; with a good signal, the client's retries are its AP radio's doing";
      } else if (is_signal(t) && wifi.retries_low()) {
        d *= kHarmlessSignalShare;
        text += "; its retries are within target, so the weak signal is not what hurts";
      }
      Departures& c = candidate(out, kind, component, component_site(*ctx.topology, side, kind, component));
      const bool symptom = hop.family == Family::kWifiClient && kind == ComponentKind::kClient;
      c.add(d, Evidence{EvidenceSource::kRule, t.id, std::move(text)}, symptom);
      if (hop.family == Family::kSwitchPort && d > c.link_departure) {
        c.link_hop = &hop;
        c.link_departure = d;
      }
    }
  }
}

/// The poor streams a Teams Rooms peripheral's fault can explain, by the name
/// it is reported under. What the room captures (microphone, cameras, HDMI
/// ingest) explains poor media the room sent; what it renders (speakers,
/// displays) poor media it received, as device.rules ties them. A faulty
/// peripheral does not damage packets, but it is what the room's users hear
/// and see, and a camera says nothing about audio. The compute module and
/// names we do not know explain any poor stream of the room.
bool peripheral_explains(const ScoringContext& ctx, Side room, std::string_view name) {
  constexpr auto bit = [](Media m) { return 1u << static_cast<unsigned>(m); };
  enum class Way : std::uint8_t { kSent, kReceived, kEither };
  struct Feed {
    unsigned media;
    Way way;
  };
  const Feed feed = [&]() -> Feed {
    if (name == "microphone") return {bit(Media::kAudio), Way::kSent};
    if (name == "speaker" || name == "communicationSpeaker") return {bit(Media::kAudio), Way::kReceived};
    if (name == "roomCamera") return {bit(Media::kVideo), Way::kSent};
    if (name == "contentCamera" || name == "hdmiIngest") return {bit(Media::kScreen), Way::kSent};
    if (name.starts_with("display")) return {bit(Media::kVideo) | bit(Media::kScreen), Way::kReceived};
    return {bit(Media::kAudio) | bit(Media::kVideo) | bit(Media::kScreen), Way::kEither};
  }();
  const auto& streams = ctx.segment->streams;
  for (std::size_t i = 0; i < streams.size(); ++i) {
    if (ctx.streams[i].quality != Quality::kPoor || (feed.media & bit(streams[i].media)) == 0) continue;
    const bool sent = streams[i].from == room;
    if (feed.way == Way::kEither || (feed.way == Way::kSent) == sent) return true;
  }
  return false;
}

/// What a user's feedback tokens say about a device. The token names are
/// Graph's open set (they change with what Teams offers); these are the ones
/// that describe sound, matched without regard to case. What a user hears
/// badly comes from the other end's capture (echo, distortion, noise) or
/// from their own playback (no sound, low volume).
enum class TokenPoints : std::uint8_t { kNone, kOtherCapture, kOwnPlayback };
TokenPoints token_points(std::string_view token) noexcept {
  for (const std::string_view t : {"echo", "distortedspeech", "distortedsound", "muffledspeech", "electronicfeedback",
                                   "backgroundnoise", "noisy"}) {
    if (ascii_iequals(token, t)) return TokenPoints::kOtherCapture;
  }
  for (const std::string_view t : {"nosound", "lowvolume"}) {
    if (ascii_iequals(token, t)) return TokenPoints::kOwnPlayback;
  }
  return TokenPoints::kNone;
}

/// Feedback of the user at `rater` about sound, on a call whose packets
/// arrived clean both ways: the device, not the network, is what they heard.
void score_feedback(const ScoringContext& ctx, const SideEvidence& rater, std::vector<Departures>& out) {
  const Endpoint& ep = ctx.segment->endpoint(rater.side);
  if (ep.feedback_tokens.empty()) return;
  const auto& streams = ctx.segment->streams;
  for (const Stream& s : streams) {
    if (shows_network_impairment(s)) return;
  }
  for (const std::string& token : ep.feedback_tokens) {
    const TokenPoints points = token_points(token);
    if (points == TokenPoints::kNone) continue;
    const SideEvidence& device = points == TokenPoints::kOwnPlayback ? rater : ctx.side(other(rater.side));
    if (!device.resolution.organization || !device.resolution.path.client.valid()) continue;
    const Path& path = device.resolution.path;
    candidate(out, ComponentKind::kClient, path.client.value, path.site)
        .add(kFeedbackDeparture,
             Evidence{EvidenceSource::kRule, "heuristic.client.feedback",
                      "the " + std::string(to_string(rater.side)) + "'s user reported " + token +
                          (points == TokenPoints::kOwnPlayback ? " from their own device" : " from this device") +
                          " while every stream arrived without loss or jitter"});
  }
}

/// What the endpoint itself reported (Graph/Zoom device signals, Teams Rooms health).
void score_endpoint(const ScoringContext& ctx, const SideEvidence& side, std::vector<Departures>& out) {
  const Path& path = side.resolution.path;
  if (!path.client.valid()) return;
  const Endpoint& ep = ctx.segment->endpoint(side.side);
  auto client = [&]() -> Departures& { return candidate(out, ComponentKind::kClient, path.client.value, path.site); };
  static const double cpu_limit = rules::published_target("device_cpu_insufficient_max");
  static const double signal_limit = rules::published_target("wifi_app_signal_min");
  if (measured(ep.cpu_insufficient_ratio) && ep.cpu_insufficient_ratio > cpu_limit &&
      poor_without_network_impairment(ctx)) {
    client().add(std::min(kMaxDeparture, kBase + (ep.cpu_insufficient_ratio - cpu_limit) * 5),
                 Evidence{EvidenceSource::kRule, "heuristic.client.cpu_insufficient",
                          "cpu_insufficient_ratio " + format_number(ep.cpu_insufficient_ratio, 2) + " above " +
                              format_number(cpu_limit, 2) + " (the client could not keep up with media processing)"});
  }
  if (measured(ep.wifi_signal_pct) && ep.wifi_signal_pct < signal_limit) {
    client().add(kBase + (signal_limit - ep.wifi_signal_pct) / 30,
                 Evidence{EvidenceSource::kRule, "heuristic.client.wifi_signal",
                          "wifi_signal_pct " + format_number(ep.wifi_signal_pct, 0) + "% below " +
                              format_number(signal_limit, 0) + "% (as reported by the call client)"},
                 /*symptom=*/true);
  }
  if (side.room != nullptr) {
    for (const auto& p : side.room->peripherals) {
      if (p.state == PeripheralState::kConnected) continue;
      const std::string_view name = ctx.directory->text(p.name);
      if (!peripheral_explains(ctx, side.side, name)) continue;
      client().add(2.0,
                   Evidence{EvidenceSource::kRule, "heuristic.room.peripheral",
                            "Teams Rooms peripheral " + std::string(name) + " is " + std::string(to_string(p.state)) +
                                " (device " + std::string(ctx.directory->device_name(side.room->device)) + ")"});
    }
  }
}

}  // namespace

WifiReading read_wifi(const SideEvidence& side) {
  WifiReading r;
  for (const HopEvidence& hop : side.hops) {
    if (hop.family != Family::kWifiClient && hop.family != Family::kWifiAp) continue;
    for (const Target& t : targets()) {
      if (t.family != hop.family) continue;
      const auto [d, value] = hop_departure(hop, t);
      if (is_signal(t) && measured(value)) {
        r.signal_measured = true;
        r.signal_weak |= d > 0;
      }
      if (is_retry(t) && measured(value)) {
        r.retries_measured = true;
        r.retries_high |= d > 0;
      }
      if (is_radio_condition(t) && measured(value)) {
        r.radio_measured = true;
        r.radio_bad |= d > 0;
      }
    }
  }
  return r;
}

bool within_published_target(Family family, std::size_t column, double value) {
  for (const Target& t : targets()) {
    if (t.family != family || t.column != column || t.bound == B::kPerFrame) continue;
    if (departure(t, value) > 0) return false;
  }
  return true;
}

bool within_targets(const HopEvidence& hop) {
  if (!hop.any_samples()) return false;
  for (const Target& t : targets()) {
    if (t.family == hop.family && hop_departure(hop, t).first > 0) return false;
  }
  return true;
}

void PublishedTargets::weigh(const ScoringContext& ctx, Candidates& out) {
  std::vector<Departures> departures;
  for (const SideEvidence& side : ctx.sides) {
    if (!side.resolution.organization) continue;
    score_hops(ctx, side, departures);
    score_endpoint(ctx, side, departures);
    score_feedback(ctx, side, departures);
  }
  for (Departures& d : departures) {
    CandidateScore& c = out.at(d.kind, d.component, d.site);
    c.log_odds += kDepartureScale * d.score();
    if (d.kind == ComponentKind::kClient) c.wifi_symptoms += kDepartureScale * d.symptoms();
    if (d.link_hop != nullptr) c.note_link(*d.link_hop, kDepartureScale * d.link_departure);
    for (auto& e : d.evidence) c.evidence.push_back(std::move(e));
  }
  weigh_remote(ctx, kDepartureScale * 1.0, "heuristic.remote", out);
}

}  // namespace callroot::engine
