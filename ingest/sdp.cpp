#include "ingest/sdp.h"

#include <charconv>

namespace callroot::ingest {

namespace {

constexpr std::string_view kMethods[] = {"INVITE ", "ACK ", "BYE ", "CANCEL ", "OPTIONS ", "REGISTER ", "PRACK ",
                                         "UPDATE ", "INFO ", "SUBSCRIBE ", "NOTIFY ", "REFER ", "MESSAGE ", "PUBLISH "};

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

template <typename T>
bool to_uint(std::string_view s, T& v) noexcept {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p != s.data();
}

/// `IN IP4 192.0.2.1` (a multicast `/ttl` suffix is dropped).
bool parse_connection(std::string_view v, IpAddr& addr) noexcept {
  if (v.substr(0, 3) != "IN ") return false;
  v.remove_prefix(3);
  if (v.size() < 5 || (v.substr(0, 4) != "IP4 " && v.substr(0, 4) != "IP6 ")) return false;
  v = trim(v.substr(4));
  v = v.substr(0, v.find('/'));
  auto ip = IpAddr::parse(v);
  if (!ip) return false;
  addr = *ip;
  return true;
}

}  // namespace

bool looks_like_sip(std::string_view p) noexcept {
  if (p.size() < 8 || p[0] < 'A' || p[0] > 'Z') return false;
  if (p.substr(0, 8) == "SIP/2.0 ") return true;
  for (auto m : kMethods) {
    if (p.substr(0, m.size()) == m) return true;
  }
  return false;
}

std::size_t parse_sip_sdp(std::string_view message, std::vector<SdpMedia>& out) {
  auto body_at = message.find("\r\n\r\n");
  std::size_t skip = 4;
  if (body_at == std::string_view::npos) {
    body_at = message.find("\n\n");
    skip = 2;
  }
  if (body_at == std::string_view::npos) return 0;
  std::string_view body = message.substr(body_at + skip);
  // A multipart body: the SDP part starts at its "v=0" line.
  const auto v0 = body.find("v=0");
  if (v0 == std::string_view::npos) return 0;
  body.remove_prefix(v0);

  const std::size_t before = out.size();
  IpAddr session_addr;
  bool have_session_addr = false;
  struct Pending {
    SdpMedia media;
    bool have_addr = false;
    std::shared_ptr<SdpPayloadMap> map;
  };
  std::vector<Pending> media;
  while (!body.empty()) {
    const auto eol = body.find('\n');
    std::string_view line = trim(body.substr(0, eol));
    body = eol == std::string_view::npos ? std::string_view{} : body.substr(eol + 1);
    if (line.size() < 2 || line[1] != '=') {
      if (line.substr(0, 2) == "--") break;  // the next multipart boundary
      continue;
    }
    const char type = line[0];
    const std::string_view value = line.substr(2);
    if (type == 'c') {
      IpAddr a;
      if (!parse_connection(value, a)) continue;
      if (media.empty()) {
        session_addr = a;
        have_session_addr = true;
      } else {
        media.back().media.addr = a;
        media.back().have_addr = true;
      }
    } else if (type == 'm') {
      // m=<media> <port>[/<n>] <proto> <fmt> ...
      const auto sp = value.find(' ');
      if (sp == std::string_view::npos) continue;
      std::string_view rest = value.substr(sp + 1);
      std::uint16_t port = 0;
      const auto sp2 = rest.find_first_of(" /");
      if (!to_uint(rest.substr(0, sp2), port)) continue;
      Pending p;
      p.media.rtp_port = port;
      p.media.rtcp_port = static_cast<std::uint16_t>(port + 1);
      p.map = std::make_shared<SdpPayloadMap>();
      p.map->media = std::string(value.substr(0, sp));
      media.push_back(std::move(p));
    } else if (type == 'a' && !media.empty()) {
      if (value.substr(0, 7) == "rtpmap:") {
        // a=rtpmap:<pt> <name>/<rate>[/<channels>]
        std::string_view v = value.substr(7);
        const auto sp = v.find(' ');
        unsigned pt = 0;
        if (sp == std::string_view::npos || !to_uint(v.substr(0, sp), pt) || pt < 96 || pt > 127) continue;
        v = trim(v.substr(sp + 1));
        const auto slash = v.find('/');
        auto& e = media.back().map->dynamic[pt - 96];
        e.name = std::string(v.substr(0, slash));
        e.rate = 0;
        if (slash != std::string_view::npos) {
          std::string_view r = v.substr(slash + 1);
          to_uint(r.substr(0, r.find('/')), e.rate);
        }
      } else if (value.substr(0, 5) == "rtcp:") {
        std::uint16_t port = 0;
        std::string_view v = value.substr(5);
        if (to_uint(v.substr(0, v.find(' ')), port)) media.back().media.rtcp_port = port;
      }
    }
  }
  for (auto& p : media) {
    if (p.media.rtp_port == 0) continue;  // a rejected stream
    if (!p.have_addr) {
      if (!have_session_addr) continue;
      p.media.addr = session_addr;
    }
    p.media.payloads = std::move(p.map);
    out.push_back(std::move(p.media));
  }
  return out.size() - before;
}

}  // namespace callroot::ingest
