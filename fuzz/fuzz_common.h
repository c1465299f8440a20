#pragma once
/// Checks shared by the fuzz targets: what every accepted document must satisfy.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "ingest/cloud_decoder.h"
#include "models/segment.h"

namespace callroot::fuzz {

inline void check(bool ok) {
  if (!ok) std::abort();
}

/// Invariants of a decoded segment: named, ordered in time, metrics either
/// not measured (NaN) or finite and non-negative.
inline void check_segment(const CallSegment& s) {
  check(!s.call_id.empty());
  check(!s.segment_id.empty());
  check(s.end >= s.start);
  for (const Stream& st : s.streams) {
    for (double v : st.values) check(!measured(v) || (std::isfinite(v) && v >= 0));
  }
  for (const Endpoint* e : {&s.caller, &s.callee}) {
    check(!e->client || !e->client->is_placeholder());
    check(!measured(e->wifi_signal_pct) || (e->wifi_signal_pct >= 0 && e->wifi_signal_pct <= 100));
    check(!measured(e->cpu_insufficient_ratio) || (e->cpu_insufficient_ratio >= 0 && e->cpu_insufficient_ratio <= 1));
    check(!measured(e->feedback_rating) || (e->feedback_rating >= 1 && e->feedback_rating <= 5));
    check(!measured(e->capture_not_functioning_ratio) || (e->capture_not_functioning_ratio >= 0 && e->capture_not_functioning_ratio <= 1));
    check(!measured(e->render_not_functioning_ratio) || (e->render_not_functioning_ratio >= 0 && e->render_not_functioning_ratio <= 1));
    check(!measured(e->device_glitch_ratio) || (e->device_glitch_ratio >= 0 && e->device_glitch_ratio <= 1));
    check(!measured(e->device_clipping_ratio) || (e->device_clipping_ratio >= 0 && e->device_clipping_ratio <= 1));
    check(!measured(e->low_speech_level_ratio) || (e->low_speech_level_ratio >= 0 && e->low_speech_level_ratio <= 1));
    check(!measured(e->low_speech_to_noise_ratio) || (e->low_speech_to_noise_ratio >= 0 && e->low_speech_to_noise_ratio <= 1));
    check(!measured(e->mic_glitch_rate) || e->mic_glitch_rate >= 0);
    check(!measured(e->speaker_glitch_rate) || e->speaker_glitch_rate >= 0);
    check(!measured(e->howling_event_count) || e->howling_event_count >= 0);
    // Every number within the range the native decoder accepts, so that a
    // decoded segment can always be written and read back.
    for (const EndpointNumber& n : kEndpointNumbers) {
      const double v = e->*n.member;
      check(!measured(v) || (v >= n.min && v <= n.max));
    }
    check(!measured(e->wifi_band) || e->wifi_band == 2.4 || e->wifi_band == 5 || e->wifi_band == 6);
  }
  for (const Stream& st : s.streams) {
    check(!measured(st.width) || (st.width >= 0 && st.width <= 100'000));
    check(!measured(st.height) || (st.height >= 0 && st.height <= 100'000));
  }
}

/// The cloud decoders' property: any bytes in; an accepted document yields
/// only well-formed segments, a rejected one leaves the output untouched and
/// says why. One decoder per process, as each target fuzzes one format.
inline int fuzz_cloud(ingest::CloudFormat format, const std::uint8_t* data, std::size_t size) {
  static ingest::CloudDecoder dec(ingest::CloudDecoderOptions{1 << 20, 16});
  // The same documents read piece by piece, as pages over a MiB are.
  static ingest::CloudDecoder pieces(ingest::CloudDecoderOptions{1 << 20, 16, 0});
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  std::vector<CallSegment> out, in_pieces;
  std::vector<ingest::CloudClientSample> samples;
  const bool whole = dec.decode(format, json, out, false, &samples);
  if (whole) {
    for (const CallSegment& s : out) check_segment(s);
    for (const ingest::CloudClientSample& c : samples) check(!c.client.is_placeholder());
    check(dec.warnings().size() <= 16);
  } else {
    check(out.empty() && samples.empty());
    check(!dec.error().detail.empty());
  }
  if (pieces.decode(format, json, in_pieces)) {
    // Accepted in pieces: every piece parsed as JSON, so the whole did too,
    // unless a key written with escapes hid the array from the scan.
    if (whole) check(in_pieces.size() == out.size());
    for (const CallSegment& s : in_pieces) check_segment(s);
  } else {
    check(in_pieces.empty() && !pieces.error().detail.empty());
  }
  return 0;
}

}  // namespace callroot::fuzz
