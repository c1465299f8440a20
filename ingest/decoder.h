#pragma once
/// Decodes native callroot records (SPEC.md) from JSON into events.
///
/// The hot ingest path: simdjson On Demand over the record's bytes, names
/// interned straight into the Directory, telemetry written into a fixed-size
/// TelemetrySample. Untrusted input never throws out of here: a bad record
/// yields a DecodeError (reason + detail) and the decoder is ready for the next.

#include <memory>
#include <optional>
#include <string_view>

#include "ingest/reject.h"
#include "models/directory.h"
#include "models/events.h"

namespace callroot::ingest {

/// The record types of SPEC.md, by their `type` string.
enum class RecordType : std::uint8_t {
  kInventorySite, kInventoryAp, kInventorySwitch, kInventoryWan,
  kClientAssoc, kClientDisassoc, kClientInfo,
  kWifiClient, kWifiAp, kSwitchPort, kWanLink, kClientDevice, kRoomHealth,
  kCallSegment, kGraphCallRecord, kZoomQos,
};
std::optional<RecordType> parse_record_type(std::string_view type) noexcept;
std::string_view to_string(RecordType t) noexcept;

struct DecoderOptions {
  std::size_t max_record_bytes = 4 << 20;
};

class RecordDecoder {
 public:
  explicit RecordDecoder(Directory& directory, DecoderOptions options = {});
  ~RecordDecoder();
  RecordDecoder(const RecordDecoder&) = delete;
  RecordDecoder& operator=(const RecordDecoder&) = delete;

  /// Decodes one record. `json` is one JSON object; when `padded` is true the
  /// caller guarantees simdjson::SIMDJSON_PADDING readable bytes after it
  /// (JsonlReader does), otherwise the bytes are copied into an internal
  /// buffer first. `type_hint` is the ZeroMQ frame-1 type, used when the
  /// object has no `type` field (and checked against it when it has).
  /// Returns false and fills error() when the record is rejected; `out` is
  /// then unspecified.
  bool decode(std::string_view json, Event& out, bool padded = false, std::string_view type_hint = {});

  [[nodiscard]] const DecodeError& error() const noexcept { return error_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  DecodeError error_;
};

}  // namespace callroot::ingest
