#include "engine/rule_source.h"

#include <algorithm>
#include <cmath>

namespace callroot::engine {

namespace {

/// The hop of `side` a slot reads: the candidate itself when the slot is about
/// the target's kind, else the side's first hop of that kind and family.
const HopEvidence* hop_for(const SideEvidence& side, const HopEvidence* candidate, ComponentKind hop, Family family) {
  if (candidate != nullptr && candidate->kind == hop && candidate->family == family) return candidate;
  for (const HopEvidence& h : side.hops) {
    if (h.kind == hop && h.family == family) return &h;
  }
  return nullptr;
}

double rate_of_change(const WindowStats& st) {
  if (st.count < 2 || st.last_ts <= st.first_ts) return kMissing;
  return (st.last - st.first) / (static_cast<double>(st.last_ts - st.first_ts) / 1000.0);
}

}  // namespace

/// Samples of hop columns for `fraction` and `for`, read from the store on
/// first use per candidate and kept until the evaluation is over.
class RuleSource::Samples final : public rules::SampleSource {
 public:
  Samples(const MetricStore& store, std::size_t slots) : store_(store), cache_(slots), filled_(slots, false) {}

  void reset(const SideEvidence* side, const HopEvidence* candidate, TimeWindow window) {
    side_ = side;
    candidate_ = candidate;
    window_ = window;
    std::fill(filled_.begin(), filled_.end(), false);
  }

  std::span<const rules::Sample> samples(const rules::Slot& slot, std::uint32_t index) const override {
    auto& out = cache_[index];
    if (!filled_[index]) {
      filled_[index] = true;
      out.clear();
      if (const HopEvidence* hop = hop_for(*side_, candidate_, slot.hop, slot.family)) {
        pairs_.clear();
        // Rows kept even where this column is unmeasured: the evaluator pairs
        // the columns of one family row by row.
        store_.samples(slot.family, hop->entity, path_column(*hop, slot.column), window_, pairs_,
                       /*keep_unmeasured=*/true);
        for (const auto& [ts, v] : pairs_) out.push_back(rules::Sample{ts, v});
      }
    }
    return out;
  }

 private:
  const MetricStore& store_;
  const SideEvidence* side_ = nullptr;
  const HopEvidence* candidate_ = nullptr;
  TimeWindow window_;
  mutable std::vector<std::vector<rules::Sample>> cache_;
  mutable std::vector<bool> filled_;
  mutable std::vector<std::pair<TimeMs, double>> pairs_;
};

RuleSource::RuleSource(std::shared_ptr<const rules::Program> program)
    : program_(std::move(program)), values_(program_->slots().size(), kMissing) {
  for (const rules::Slot& s : program_->slots()) {
    if (s.kind != rules::SlotKind::kHopColumn) continue;
    const auto agg = rules::store_aggregate(s.agg);
    needs_quantiles_ |= agg && (*agg == Aggregate::kP50 || *agg == Aggregate::kP95);
  }
}

void RuleSource::fill(const ScoringContext& ctx, const SideEvidence& side, ComponentKind target,
                      const HopEvidence* candidate) {
  using rules::SlotKind;
  const CallSegment& seg = *ctx.segment;
  const Endpoint& ep = seg.endpoint(side.side);
  const auto slots = program_->slots();
  for (const std::uint32_t i : program_->slots_for(target)) {
    const rules::Slot& slot = slots[i];
    double v = kMissing;
    switch (slot.kind) {
      case SlotKind::kHopColumn: {
        if (const HopEvidence* hop = hop_for(side, candidate, slot.hop, slot.family)) {
          // Ports read in the path's direction, whichever way they face.
          const std::uint8_t column = path_column(*hop, slot.column);
          const WindowStats& st = hop->column(column);
          const auto agg = rules::store_aggregate(slot.agg);
          // A port without samples is unknown, not clean.
          if (rules::counter_only(slot.agg) && st.count == 0) {
            v = kMissing;
          } else if (slot.agg == rules::Agg::kShare) {
            v = 100.0 * port_fault_share(*hop, column).share;
          } else if (slot.agg == rules::Agg::kSamples) {
            v = port_fault_share(*hop, column).samples;
          } else {
            v = agg ? pick(st, *agg) : rate_of_change(st);
          }
        }
        break;
      }
      case SlotKind::kSeries: break;  // read through the SampleSource
      case SlotKind::kEndpoint:
        switch (slot.endpoint) {
          case rules::EndpointField::kConnection: v = rules::connection_value(ep.connection); break;
          case rules::EndpointField::kDeviceType: {
            // What the call record says, else what client.info said about the client.
            DeviceType d = ep.device_type;
            if (d == DeviceType::kUnknown && side.resolution.path.client.valid()) {
              if (const ClientProfile* p = ctx.topology->profile(side.resolution.path.client)) d = p->device_type;
            }
            v = rules::device_type_value(d);
            break;
          }
          case rules::EndpointField::kWifiSignalPct: v = ep.wifi_signal_pct; break;
          case rules::EndpointField::kCpuInsufficientRatio: v = ep.cpu_insufficient_ratio; break;
          case rules::EndpointField::kFeedbackRating: v = ep.feedback_rating; break;
          case rules::EndpointField::kMicGlitchRate: v = ep.mic_glitch_rate; break;
          case rules::EndpointField::kSpeakerGlitchRate: v = ep.speaker_glitch_rate; break;
          case rules::EndpointField::kCaptureNotFunctioningRatio: v = ep.capture_not_functioning_ratio; break;
          case rules::EndpointField::kRenderNotFunctioningRatio: v = ep.render_not_functioning_ratio; break;
          case rules::EndpointField::kDeviceGlitchRatio: v = ep.device_glitch_ratio; break;
          case rules::EndpointField::kDeviceClippingRatio: v = ep.device_clipping_ratio; break;
          case rules::EndpointField::kLowSpeechLevelRatio: v = ep.low_speech_level_ratio; break;
          case rules::EndpointField::kLowSpeechToNoiseRatio: v = ep.low_speech_to_noise_ratio; break;
          case rules::EndpointField::kHowlingEventCount: v = ep.howling_event_count; break;
          case rules::EndpointField::kWifiChannel: v = ep.wifi_channel; break;
          case rules::EndpointField::kWifiBand: v = ep.wifi_band; break;
          case rules::EndpointField::kLinkSpeedMbps: v = ep.link_speed_mbps; break;
          case rules::EndpointField::kDelayEventRatio: v = ep.delay_event_ratio; break;
          case rules::EndpointField::kBandwidthLowEventRatio: v = ep.bandwidth_low_event_ratio; break;
          case rules::EndpointField::kSentQualityEventRatio: v = ep.sent_quality_event_ratio; break;
          case rules::EndpointField::kReceivedQualityEventRatio: v = ep.received_quality_event_ratio; break;
          case rules::EndpointField::kWifiBatteryPct: v = ep.wifi_battery_pct; break;
          case rules::EndpointField::kRenderMuteRatio: v = ep.render_mute_ratio; break;
          case rules::EndpointField::kRenderZeroVolumeRatio: v = ep.render_zero_volume_ratio; break;
          case rules::EndpointField::kSentSignalLevel: v = ep.sent_signal_level; break;
          case rules::EndpointField::kSentNoiseLevel: v = ep.sent_noise_level; break;
          case rules::EndpointField::kReceivedSignalLevel: v = ep.received_signal_level; break;
          case rules::EndpointField::kReceivedNoiseLevel: v = ep.received_noise_level; break;
          case rules::EndpointField::kInitialSignalLevelRms: v = ep.initial_signal_level_rms; break;
          case rules::EndpointField::kCpuCores: v = ep.cpu_cores; break;
          case rules::EndpointField::kCpuSpeedMhz: v = ep.cpu_speed_mhz; break;
        }
        break;
      case SlotKind::kStream:
      case SlotKind::kStreamPoor: {
        const Side from = slot.direction == rules::StreamDirection::kSent ? side.side : other(side.side);
        bool any = false, poor = false;
        double worst = kMissing;
        const bool lowest_is_worst = slot.metric == StreamMetric::kFrameRateAvg;
        for (std::size_t s = 0; s < seg.streams.size(); ++s) {
          const Stream& stream = seg.streams[s];
          if (stream.from != from || (slot.media_mask & rules::media_bit(stream.media)) == 0) continue;
          any = true;
          poor |= ctx.streams[s].quality == Quality::kPoor;
          const double x = stream.get(slot.metric);
          if (!measured(x)) continue;
          if (!measured(worst) || (lowest_is_worst ? x < worst : x > worst)) worst = x;
        }
        v = slot.kind == SlotKind::kStream ? worst : (any ? (poor ? 1.0 : 0.0) : kMissing);
        break;
      }
      case SlotKind::kPeerOrganization: v = ctx.side(other(side.side)).resolution.organization ? 1.0 : 0.0; break;
      case SlotKind::kPeripheral:
        if (side.room != nullptr) {
          v = rules::kPeripheralAbsent;
          for (const auto& p : side.room->peripherals) {
            if (ctx.directory->text(p.name) == slot.peripheral) v = rules::peripheral_value(p.state);
          }
        }
        break;
      case SlotKind::kRoomHealth:
        if (side.room != nullptr) v = rules::room_health_value(side.room->health);
        break;
    }
    values_[i] = v;
  }
}

void RuleSource::evaluate_side(const ScoringContext& ctx, const SideEvidence& side, Candidates& scored) {
  const CallSegment& seg = *ctx.segment;
  rules::Candidate in;
  in.values = values_;
  const Path& path = side.resolution.path;
  in.site =
      path.site.valid() ? program_->site_index(ctx.directory->site_name(path.site)) : rules::Program::kDefaultSite;
  for (std::size_t s = 0; s < seg.streams.size(); ++s) {
    if (ctx.streams[s].quality != Quality::kPoor) continue;
    in.media_mask |= rules::media_bit(seg.streams[s].media);
    in.direction_mask |= seg.streams[s].from == side.side ? rules::kDirectionSent : rules::kDirectionReceived;
  }
  // fraction() and for() read raw samples from the store the engine scores from.
  Samples samples(*ctx.store, values_.size());
  in.samples = &samples;

  auto run = [&](ComponentKind target, const HopEvidence* candidate, std::uint32_t component) {
    if (program_->rules_for(target).empty()) return;
    std::fill(values_.begin(), values_.end(), kMissing);
    fill(ctx, side, target, candidate);
    samples.reset(&side, candidate, ctx.telemetry_window);
    firings_.clear();
    rules::Trace trace;
    const bool tracing = tracing_;
    program_->evaluate(target, in, firings_, tracing ? &trace : nullptr, &stats_);
    if (tracing) {
      CandidateTrace& t = trace_sink_->emplace_back();
      t.side = side.side;
      t.target = target;
      if (target != ComponentKind::kRemote) t.id = ctx.directory->component_name({target, component});
      t.trace = std::move(trace);
    }
    if (firings_.empty()) return;
    CandidateScore* it = &scored.at(
        target, component,
        target == ComponentKind::kRemote ? SiteId{} : component_site(*ctx.topology, side, target, component));
    double fired = 0;
    for (const rules::Firing& f : firings_) fired += f.weight;
    if (candidate != nullptr) it->note_link(*candidate, fired);
    for (rules::Firing& f : firings_) {
      const rules::RuleInfo& rule = program_->rules()[f.rule];
      // One rule counts once per component, even when two radios or both
      // parties of the call reach it.
      const bool seen =
          std::any_of(it->evidence.begin(), it->evidence.end(), [&](const Evidence& e) { return e.id == rule.id; });
      if (seen) continue;
      it->log_odds += f.weight;
      it->evidence.push_back(
          Evidence{EvidenceSource::kRule, rule.id, f.text.empty() ? rule.description : std::move(f.text)});
    }
  };

  if (path.client.valid()) run(ComponentKind::kClient, nullptr, path.client.value);
  for (const HopEvidence& hop : side.hops) {
    if (hop.kind == ComponentKind::kAp || hop.kind == ComponentKind::kSwitch || hop.kind == ComponentKind::kWan) {
      run(hop.kind, &hop, hop.component);
    }
  }
  const SideEvidence& peer = ctx.side(other(side.side));
  if (seg.endpoint(peer.side).present && !peer.resolution.organization) run(ComponentKind::kRemote, nullptr, 0);
}

void RuleSource::weigh(const ScoringContext& ctx, Candidates& out) {
  tracing_ = trace_sink_ != nullptr && ctx.segment->segment_id == trace_segment_;
  for (const SideEvidence& side : ctx.sides) {
    if (!side.resolution.organization) continue;
    evaluate_side(ctx, side, out);
  }
}

}  // namespace callroot::engine
