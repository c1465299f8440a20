#pragma once
/// Decodes native callroot records (SPEC.md) from JSON into events.
///
/// The hot ingest path: simdjson On Demand over the record's bytes, names
/// interned straight into the Directory, telemetry written into a fixed-size
/// TelemetrySample. Untrusted input never throws out of here: a bad record
/// yields a DecodeError (reason + detail) and the decoder is ready for the next.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/reject.h"
#include "models/directory.h"
#include "models/events.h"
#include "models/pseudonym.h"

namespace callroot::ingest {

/// The record types of SPEC.md, by their `type` string.
enum class RecordType : std::uint8_t {
  kInventorySite, kInventoryAp, kInventorySwitch, kInventoryWan,
  kClientAssoc, kClientDisassoc, kClientInfo,
  kWifiClient, kWifiAp, kSwitchPort, kWanLink, kClientDevice, kRoomHealth,
  kCallSegment, kGraphCallRecord, kZoomQos,
  kInventoryOrg,
  kGraphTeamworkDevice, kGraphTeamworkDeviceHealth,  ///< ingest/teamwork_decoder.h
};
std::optional<RecordType> parse_record_type(std::string_view type) noexcept;
std::string_view to_string(RecordType t) noexcept;

struct DecoderOptions {
  std::size_t max_record_bytes = 4 << 20;
  /// Limit for `graph.callRecord` / `zoom.qos` documents (decode_many), which
  /// can be much larger than a native record (a group call with hundreds of sessions).
  std::size_t max_document_bytes = 64 << 20;
  /// Privacy mode (docs/privacy.md): when set, every MAC read (clients,
  /// BSSIDs, AP inventory) becomes its keyed pseudonym as it is parsed, and
  /// every user and hostname (client.info, segment endpoints, Graph and Zoom
  /// documents) before it reaches an event, so nothing downstream holds them
  /// raw. IP addresses are kept: subnets and WAN public IPs are matched
  /// against them. Not owned; it must outlive the decoder.
  const Pseudonymizer* pseudonymizer = nullptr;
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

  /// Decodes one record of any type and appends its events to `out`: one
  /// event for a native record, and for `graph.callRecord` / `zoom.qos` (see
  /// CloudDecoder in ingest/cloud_decoder.h) one CallSegment per Graph segment
  /// or per Zoom participant and minute, preceded by the `client.device`
  /// (cpu_pct) and `wifi.client` (rssi_dbm) samples a Zoom page carries for
  /// participants with a MAC; for `graph.teamworkDevice` /
  /// `graph.teamworkDeviceHealth` (TeamworkDecoder in
  /// ingest/teamwork_decoder.h) the `client.info` and `room.health` events
  /// they map to. Arguments as for decode(); without a hint a
  /// cloud record is the JSON Lines envelope `{"type":...,"body":{...}}`, with
  /// one (ZeroMQ) the document itself. Returns false and fills error() when
  /// the record is rejected; `out` is then left as it was. A cloud document
  /// over `max_record_bytes` is recognised when its envelope's `type` comes
  /// first, and is limited by `max_document_bytes` instead.
  bool decode_many(std::string_view json, std::vector<Event>& out, bool padded = false,
                   std::string_view type_hint = {});

  [[nodiscard]] const DecodeError& error() const noexcept { return error_; }
  /// Values of the last decode_many() cloud document that could not be read
  /// and were taken as not measured (empty after a native record): for the log.
  [[nodiscard]] const std::vector<std::string>& warnings() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  DecodeError error_;
};

}  // namespace callroot::ingest
