#pragma once
/// Decodes Microsoft Graph Teams devices (beta `/teamwork/devices`) into
/// inventory and room health:
/// - `graph.teamworkDevice`: a teamworkDevice, or a list page `{"value":[...]}`
///   -> one `client.info` per MAC in `hardwareDetail.macAddresses` (with its
///   device type) and one `room.health` per MAC (device = the teamworkDevice
///   `id`, health = `healthStatus`), so that the device is tied to every
///   network identity it calls from;
/// - `graph.teamworkDeviceHealth`: a teamworkDeviceHealth (`GET
///   /teamwork/devices/{id}/health`) -> one `room.health` with the
///   connection and the peripherals, naming the device only (the engine's
///   RoomHealthBook knows which client it is from a teamworkDevice).
///
/// Like CloudDecoder, a pure function of the input bytes (the parser's
/// buffers are reused, nothing else is kept) that never throws on untrusted
/// input: a document that cannot be used as a whole is rejected with a
/// DecodeError naming the field; an unreadable leaf value (a MAC that is not
/// one, an enumeration value we do not know) is left out and reported in
/// warnings(). The mapping is documented in docs/contract.md §5.5.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ingest/reject.h"
#include "models/directory.h"
#include "models/events.h"
#include "models/net.h"
#include "models/segment.h"
#include "models/time.h"

namespace callroot::ingest {

enum class TeamworkFormat : std::uint8_t {
  kDevice,        ///< `graph.teamworkDevice`
  kDeviceHealth,  ///< `graph.teamworkDeviceHealth`
};

struct TeamworkDecoderOptions {
  std::size_t max_document_bytes = 64 << 20;
  std::size_t max_warnings = 64;
};

/// A network identity of a Teams device (before interning).
struct TeamworkClient {
  Mac mac;
  std::optional<DeviceType> device_type;  ///< nullopt: `unknown` or a value we do not place
};

/// A `room.health` reading (before interning).
struct TeamworkHealth {
  std::string device;         ///< the teamworkDevice `id`
  std::optional<Mac> client;  ///< a teamworkDevice's MAC; the health document has none
  TimeMs ts = 0;
  RoomHealthState health = RoomHealthState::kUnknown;
  bool health_reported = false;
  std::optional<bool> connected;
  bool peripherals_reported = false;
  std::vector<std::pair<std::string, PeripheralState>> peripherals;
};

struct TeamworkRecords {
  std::vector<TeamworkClient> clients;
  std::vector<TeamworkHealth> health;
  void clear() noexcept {
    clients.clear();
    health.clear();
  }
};

class TeamworkDecoder {
 public:
  explicit TeamworkDecoder(TeamworkDecoderOptions options = {});
  ~TeamworkDecoder();
  TeamworkDecoder(const TeamworkDecoder&) = delete;
  TeamworkDecoder& operator=(const TeamworkDecoder&) = delete;

  /// Decodes one document into `out` (cleared first). `json` is the document
  /// itself (ZeroMQ frame 2) or the JSON Lines envelope
  /// `{"type":"graph.teamworkDevice"|"graph.teamworkDeviceHealth","body":{...}}`,
  /// which may add `ts` (when the document has no `lastModifiedDateTime`)
  /// and, for a health document, `device` (the teamworkDevice id).
  /// Returns false and fills error() when the document is rejected; `out` is
  /// then empty.
  bool decode(TeamworkFormat format, std::string_view json, TeamworkRecords& out, bool padded = false);

  [[nodiscard]] const DecodeError& error() const noexcept { return error_; }
  /// Values of the last document that could not be read and were left out.
  [[nodiscard]] const std::vector<std::string>& warnings() const noexcept { return warnings_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  DecodeError error_;
  std::vector<std::string> warnings_;
};

/// Interns `records` into `directory` and appends the events: the
/// `client.info`s first, then the `room.health`s. Fails (too_many_entities)
/// only when a directory table is full.
bool append_teamwork_events(const TeamworkRecords& records, Directory& directory, std::vector<Event>& out,
                            DecodeError& error);

namespace teamwork {

/// A teamworkDeviceType -> device type (any case: Microsoft's own examples
/// write `CollaborationBar`); nullopt for `unknown` and values we do not place.
std::optional<DeviceType> device_type(std::string_view s) noexcept;

/// The device id in an OData URL or context that names `devices('ID')`.
std::string_view device_id_from_odata(std::string_view url) noexcept;

}  // namespace teamwork

}  // namespace callroot::ingest
