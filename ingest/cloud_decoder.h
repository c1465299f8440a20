#pragma once
/// Decodes raw cloud call-quality documents into call segments: a Microsoft
/// Graph `callRecord` (sessions -> segments -> media -> streams) and a Zoom
/// `GET /metrics/meetings/{id}/participants/qos` page (participants -> one
/// segment per `user_qos` sample). One document yields many segments.
///
/// The decoders are pure functions of their input bytes (the parser buffers
/// are reused between calls, nothing else is kept) and never throw on
/// untrusted input: a document that is not usable as a whole is rejected with
/// a DecodeError; a single leaf value that cannot be read (a MAC such as
/// `00-00-00-00-00-00-00-00`, a number that is a word, a loss fraction above 1)
/// becomes "not measured" and is reported in warnings(), never as zero.
/// The mapping is documented field by field in docs/contract.md §5.1.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/reject.h"
#include "models/net.h"
#include "models/segment.h"
#include "models/time.h"

namespace callroot::ingest {

enum class CloudFormat : std::uint8_t {
  kGraphCallRecord,  ///< `graph.callRecord`
  kZoomQos,          ///< `zoom.qos`
};

struct CloudDecoderOptions {
  /// Documents are rare and can be large (a group call with hundreds of sessions).
  std::size_t max_document_bytes = 64 << 20;
  /// At most this many warnings are kept per document; the rest are counted.
  std::size_t max_warnings = 64;
  /// A Zoom page larger than this is read one participant at a time: the same
  /// segments, in the memory of its largest participant rather than ~13 bytes
  /// per byte of page (simdjson's DOM of the whole).
  std::size_t split_documents_over = 1 << 20;
};

/// Per-client device readings a Zoom page carries besides the call metrics
/// (`cpu_usage`, `wifi_rssi`). They are not segment fields; RecordDecoder::
/// decode_many turns them into `client.device` / `wifi.client` telemetry.
struct CloudClientSample {
  Mac client;
  TimeMs ts = 0;
  double cpu_pct = kMissing;   ///< `cpu_usage.system_max_cpu_usage`
  double rssi_dbm = kMissing;  ///< `wifi_rssi.avg_rssi` when its unit is dBm
};

class CloudDecoder {
 public:
  explicit CloudDecoder(CloudDecoderOptions options = {});
  ~CloudDecoder();
  CloudDecoder(const CloudDecoder&) = delete;
  CloudDecoder& operator=(const CloudDecoder&) = delete;

  /// Decodes one document and appends its segments to `out` (and its device
  /// readings to `samples`, when given). `json` is either the document itself
  /// (ZeroMQ frame 2) or the JSON Lines envelope `{"type":"graph.callRecord"|
  /// "zoom.qos","body":{...}}`. `padded`: the caller guarantees
  /// simdjson::SIMDJSON_PADDING readable bytes after `json`.
  /// Returns false and fills error() when the document is rejected; `out` and
  /// `samples` are then left exactly as they were.
  bool decode(CloudFormat format, std::string_view json, std::vector<CallSegment>& out, bool padded = false,
              std::vector<CloudClientSample>* samples = nullptr);

  [[nodiscard]] const DecodeError& error() const noexcept { return error_; }
  /// Values of the last document that could not be read and were taken as not
  /// measured, e.g. ``sessions[0].segments[0].media[0].callerNetwork.macAddress:
  /// "00-00-00-00-00-00-00-00" is not a MAC address``. Cleared by decode().
  [[nodiscard]] const std::vector<std::string>& warnings() const noexcept { return warnings_; }
  /// Warnings of the last document beyond max_warnings (counted, not kept).
  [[nodiscard]] std::size_t warnings_dropped() const noexcept { return warnings_dropped_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  DecodeError error_;
  std::vector<std::string> warnings_;
  std::size_t warnings_dropped_ = 0;
};

/// Value readers, exposed for tests.
namespace cloud {

/// A Graph Double: a JSON number's text or a numeric string. `NaN`, `INF`,
/// `-INF` (and `""`) are "not measured" (nullopt with ok = true); anything
/// else that is not a number is nullopt with ok = false.
std::optional<double> parse_graph_double(std::string_view text, bool& ok) noexcept;

/// A Zoom quantity such as `"0.03%"`, `"126 ms"`, `"27.15kbps"`, `"70 kbps"`,
/// `"12 fps"`: a number, optional blanks, then `unit` (matched without regard
/// to case; the unit may also be absent). `""` and `"-"` are not measured
/// (nullopt, ok = true); text that is not a number with that unit is nullopt
/// with ok = false. Bit rates also accept `bps` and `Mbps` and are converted
/// to kbps when `unit` is "kbps".
std::optional<double> parse_zoom_quantity(std::string_view text, std::string_view unit, bool& ok) noexcept;

/// Windows' Wi-Fi signal quality from RSSI: 0 % at -100 dBm, 100 % at -50 dBm,
/// linear in between (WLAN_ASSOCIATION_ATTRIBUTES.wlanSignalQuality, which is
/// what Graph's `wifiSignalStrength` reports).
double rssi_to_signal_pct(double rssi_dbm) noexcept;

/// RFC 1918, RFC 4193 (fc00::/7) and link-local addresses: never what a
/// cloud service sees a client from.
bool is_private(const IpAddr& ip) noexcept;

}  // namespace cloud

}  // namespace callroot::ingest
