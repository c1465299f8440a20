#pragma once
/// Just enough SIP/SDP to learn where media will flow and at which clock rate:
/// the `c=` address, `m=` port and `a=rtpmap` lines of SDP bodies carried in
/// SIP messages over UDP (SIP over TCP/TLS is not reassembled).

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/net.h"

namespace callroot::ingest {

/// Dynamic payload types 96-127 of one SDP media description: encoding name and clock rate.
struct SdpPayloadMap {
  struct Entry {
    std::string name;        ///< e.g. "telephone-event", "opus"; empty when not mapped
    std::uint32_t rate = 0;  ///< the rtpmap clock rate; 0 when not given
  };
  std::array<Entry, 32> dynamic;  ///< index PT - 96
  std::string media;              ///< the `m=` line's media: "audio", "video", "application", ...
  [[nodiscard]] const Entry* find(std::uint8_t pt) const noexcept {
    if (pt < 96 || pt > 127 || dynamic[pt - 96].name.empty()) return nullptr;
    return &dynamic[pt - 96];
  }
};

/// One `m=` line with a non-zero port: the RTP endpoint it announces (and its RTCP port).
struct SdpMedia {
  IpAddr addr;
  std::uint16_t rtp_port = 0;
  std::uint16_t rtcp_port = 0;  ///< `a=rtcp:` or rtp_port + 1
  std::shared_ptr<const SdpPayloadMap> payloads;
};

/// True when a UDP payload starts like a SIP request or response.
bool looks_like_sip(std::string_view payload) noexcept;

/// Appends the media of the SDP body (if any) of a SIP message to `out`.
/// Never throws on malformed input: unreadable lines are skipped. Returns the
/// number of media appended.
std::size_t parse_sip_sdp(std::string_view message, std::vector<SdpMedia>& out);

}  // namespace callroot::ingest
