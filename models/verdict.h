#pragma once
/// What the engine says about a segment: its quality, why, and who is to blame.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/ids.h"
#include "models/segment.h"
#include "models/time.h"

namespace callroot {

enum class Quality : std::uint8_t { kGood, kPoor, kUnclassified };
std::string_view to_string(Quality q) noexcept;

struct PoorStream {
  Side from = Side::kCaller;
  Media media = Media::kAudio;
  std::vector<std::string> why;  ///< e.g. "jitter_avg_ms 41 > 30"
};

enum class EvidenceSource : std::uint8_t { kRule, kStats };

struct Evidence {
  EvidenceSource source = EvidenceSource::kRule;
  std::string id;    ///< the rule or statistic that produced it
  std::string text;  ///< human-readable, with the observed values
};

/// One end of a cable: a switch port, or the device at the other end (`kind`
/// is "switch", "ap", "client" or "edge"; `port` empty when not known).
struct LinkEnd {
  std::string kind;
  std::string id;
  std::string port;
};

/// The link behind a switch's blame, both ends named: `a` the switch end
/// (the upstream switch of a switch-to-switch link), `b` the device at the
/// other end. The blamed switch owns the link as its downstream device.
struct BlamedLink {
  LinkEnd a, b;
};

struct Blame {
  ComponentKind kind = ComponentKind::kUnknown;
  std::string id;    ///< inventory id; the MAC for clients, the link for wan
  std::string site;  ///< empty when not known
  double confidence = 0;
  std::vector<Evidence> evidence;
  std::optional<BlamedLink> link;  ///< switches blamed on a port's evidence (contract extension)
};

/// One aggregate of one telemetry column, written as `"rssi_dbm.avg": -74.2`.
/// The names point at static storage (the catalog), so building a verdict
/// does not allocate a string per metric.
struct HopMetric {
  std::string_view column;
  std::string_view aggregate;
  double value = kMissing;
};

/// One hop of an endpoint's path with the telemetry seen on it over the
/// segment window: the raw material of attribution, kept for explanation.
struct HopReport {
  ComponentKind kind = ComponentKind::kUnknown;
  std::string id;
  std::string detail;  ///< e.g. the switch port ("ge-0/0/12"), the BSSID
  std::vector<HopMetric> metrics;
};

struct PathReport {
  Side side = Side::kCaller;
  std::string site;
  /// What the endpoint is (the segment's `device_type`, else the client's
  /// `client.info`); written only when known, so calls from room systems
  /// can be told apart (contract extension).
  DeviceType device_type = DeviceType::kUnknown;
  std::vector<HopReport> hops;
};

struct Verdict {
  std::string call_id;
  std::string segment_id;
  std::uint64_t version = 0;  ///< the segment's source version; 0: not given
  /// This verdict replaces one given earlier for the same segment (a newer
  /// version, or corrected content): consumers replace, never add.
  bool reissued = false;
  TimeMs start = 0;
  TimeMs end = 0;
  Quality quality = Quality::kUnclassified;
  std::vector<PoorStream> poor_streams;
  double mos = kMissing;
  std::vector<Blame> blame;  ///< ranked, highest confidence first; empty for good segments
  std::vector<PathReport> paths;  ///< the organization endpoints' paths (contract extension)
};

/// Serializes as the SPEC.md `verdict` record: one line of JSON, no newline.
std::string to_json(const Verdict& v);
void append_json(std::string& out, const Verdict& v);

}  // namespace callroot
