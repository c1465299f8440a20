#include "models/segment.h"

#include <array>

namespace callroot {
namespace {

constexpr std::array<std::string_view, kStreamMetricCount> kStreamMetricNames{
#define CALLROOT_X(id, json) json,
    CALLROOT_STREAM_METRICS(CALLROOT_X)
#undef CALLROOT_X
};

}  // namespace

std::string_view to_string(Connection c) noexcept {
  switch (c) {
    case Connection::kWifi: return "wifi";
    case Connection::kWired: return "wired";
    case Connection::kMobile: return "mobile";
    case Connection::kTunnel: return "tunnel";
    case Connection::kUnknown: break;
  }
  return "unknown";
}

std::string_view to_string(DeviceType d) noexcept {
  switch (d) {
    case DeviceType::kPc: return "pc";
    case DeviceType::kMobile: return "mobile";
    case DeviceType::kRoomSystem: return "room_system";
    case DeviceType::kPhone: return "phone";
    case DeviceType::kUnknown: break;
  }
  return "unknown";
}

std::string_view to_string(Media m) noexcept {
  switch (m) {
    case Media::kAudio: return "audio";
    case Media::kVideo: return "video";
    case Media::kScreen: return "screen";
  }
  return "audio";
}

std::string_view to_string(Side s) noexcept { return s == Side::kCaller ? "caller" : "callee"; }

std::optional<Connection> parse_connection(std::string_view s) noexcept {
  if (s == "wifi") return Connection::kWifi;
  if (s == "wired") return Connection::kWired;
  if (s == "mobile") return Connection::kMobile;
  if (s == "tunnel") return Connection::kTunnel;
  if (s == "unknown") return Connection::kUnknown;
  return std::nullopt;
}

std::optional<DeviceType> parse_device_type(std::string_view s) noexcept {
  if (s == "pc") return DeviceType::kPc;
  if (s == "mobile") return DeviceType::kMobile;
  if (s == "room_system") return DeviceType::kRoomSystem;
  if (s == "phone") return DeviceType::kPhone;
  if (s == "unknown") return DeviceType::kUnknown;
  return std::nullopt;
}

std::optional<Media> parse_media(std::string_view s) noexcept {
  if (s == "audio") return Media::kAudio;
  if (s == "video") return Media::kVideo;
  if (s == "screen") return Media::kScreen;
  return std::nullopt;
}

std::optional<Side> parse_side(std::string_view s) noexcept {
  if (s == "caller") return Side::kCaller;
  if (s == "callee") return Side::kCallee;
  return std::nullopt;
}

std::uint8_t parse_modality(std::string_view s) noexcept {
  for (std::size_t i = 0; i < kModalityNames.size(); ++i) {
    if (kModalityNames[i] == s) return static_cast<std::uint8_t>(1u << i);
  }
  return 0;
}

std::string_view stream_metric_name(StreamMetric m) noexcept { return kStreamMetricNames[static_cast<std::size_t>(m)]; }

namespace {

constexpr bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

constexpr double max_of(std::string_view name) {
  if (ends_with(name, "_pct")) return 100;
  if (name.find("ratio") != std::string_view::npos) return 1;
  if (ends_with(name, "_ms")) return 3'600'000;
  if (name == "degradation_avg") return 5;
  if (name == "frame_rate_avg") return 1'000;
  if (name == "bitrate_kbps") return 10'000'000;
  return 9.2e18;  // a count: what fits a signed 64-bit counter
}

constexpr std::array<double, kStreamMetricCount> kStreamMetricMax{
#define CALLROOT_X(id, json) max_of(json),
    CALLROOT_STREAM_METRICS(CALLROOT_X)
#undef CALLROOT_X
};

}  // namespace

double stream_metric_max(StreamMetric m) noexcept { return kStreamMetricMax[static_cast<std::size_t>(m)]; }

int find_stream_metric(std::string_view json) noexcept {
  for (std::size_t i = 0; i < kStreamMetricNames.size(); ++i) {
    if (kStreamMetricNames[i] == json) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace callroot
