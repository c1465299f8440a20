#pragma once
/// Why a record was rejected: one X-macro list of stable codes (the ClickHouse
/// ErrorCodes model), so counters, logs and the replay summary agree on names.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace callroot::ingest {

#define CALLROOT_REJECT_REASONS(X)                                                   \
  X(kBadJson, "bad_json", "the record is not valid JSON")                            \
  X(kNotObject, "not_object", "the record is not a JSON object")                     \
  X(kMissingType, "missing_type", "the record has no \"type\"")                      \
  X(kUnknownType, "unknown_type", "the record type is not known")                    \
  X(kUnsupportedType, "unsupported_type", "the record type is not decoded yet")      \
  X(kMissingField, "missing_field", "a required field is missing")                   \
  X(kWrongType, "wrong_type", "a field has the wrong JSON type")                     \
  X(kBadTimestamp, "bad_timestamp", "a timestamp is not RFC 3339 or epoch ms")       \
  X(kBadMac, "bad_mac", "a MAC address cannot be read")                              \
  X(kBadIp, "bad_ip", "an IP address cannot be read")                                \
  X(kBadCidr, "bad_cidr", "a subnet is not CIDR")                                    \
  X(kBadEnum, "bad_enum", "a field has a value outside its enumeration")             \
  X(kOutOfRange, "out_of_range", "a number is outside its valid range")              \
  X(kBadValue, "bad_value", "the values contradict each other")                      \
  X(kTooManyEntities, "too_many_entities", "an entity table is full")                \
  X(kTooLarge, "too_large", "the record exceeds the maximum size")                   \
  X(kBadFrames, "bad_frames", "a ZeroMQ message is not two frames (type, JSON)")    \
  X(kTruncated, "truncated", "the record was cut short by the capture (snaplen)")

enum class RejectReason : std::uint8_t {
#define CALLROOT_X(id, code, text) id,
  CALLROOT_REJECT_REASONS(CALLROOT_X)
#undef CALLROOT_X
};

inline constexpr std::size_t kRejectReasonCount = 0
#define CALLROOT_X(id, code, text) +1
    CALLROOT_REJECT_REASONS(CALLROOT_X)
#undef CALLROOT_X
    ;

/// The stable code, e.g. "bad_timestamp".
std::string_view code(RejectReason r) noexcept;
/// A short sentence, e.g. "a timestamp is not RFC 3339 or epoch ms".
std::string_view description(RejectReason r) noexcept;
/// The reason of a stable code; false when `code` names none.
bool parse_reject_code(std::string_view code, RejectReason& out) noexcept;

/// A rejection: the reason and what exactly was wrong ("field `ts`: ...").
struct DecodeError {
  RejectReason reason = RejectReason::kBadJson;
  std::string detail;
};

/// Where a record came from, for messages: "demo/wifi.jsonl:42" or "tcp://...#1207",
/// or with a unit, "cap.pcap frame 17" and "cap.pcap tcp 10.0.0.1:40000->10.0.0.2:7711 message 3".
struct Position {
  std::string_view source;
  std::uint64_t index = 0;  ///< line number (1-based) or message sequence number
  std::string_view unit = {};  ///< when set: `source unit index`
  [[nodiscard]] std::string str() const;
};

/// Privacy mode: `text` (a rejection detail, a decoder warning, a position)
/// without the input values it may quote, for the log. Keeps the field path
/// and the reason, e.g. ``field `client`: "<redacted>" is not a MAC address``:
/// - everything from the first double quote to the last is one `"<redacted>"`
///   (values are echoed in quotes, and a quote inside a value cannot end it early);
/// - outside quotes, a word that reads as a MAC, an IP address (with or
///   without a port) or a subnet becomes `<mac>` / `<ip>`, one with an `@`
///   (an e-mail address) `<redacted>`.
std::string redact_values(std::string_view text);

/// Rejections counted per reason.
class RejectCounters {
 public:
  void add(RejectReason r) noexcept { ++counts_[static_cast<std::size_t>(r)]; }
  [[nodiscard]] std::uint64_t count(RejectReason r) const noexcept { return counts_[static_cast<std::size_t>(r)]; }
  [[nodiscard]] std::uint64_t total() const noexcept;

 private:
  std::array<std::uint64_t, kRejectReasonCount> counts_{};
};

}  // namespace callroot::ingest
