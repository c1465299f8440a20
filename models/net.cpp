#include "models/net.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>
#include <cstring>

namespace callroot {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<Mac> Mac::parse(std::string_view s) noexcept {
  // Separators may come every 2 (aa:bb..), every 4 (aabb-ccdd-eeff, aabb.ccdd.eeff) or never.
  std::uint64_t bits = 0;
  int nibbles = 0;
  int since_sep = 0;
  int group = 0;  // the group width fixed by the first separator
  char sep = 0;
  for (const char c : s) {
    const int v = hex_value(c);
    if (v >= 0) {
      if (++nibbles > 12) return std::nullopt;
      bits = (bits << 4) | static_cast<unsigned>(v);
      ++since_sep;
      continue;
    }
    if (c != ':' && c != '-' && c != '.') return std::nullopt;
    if (sep == 0) {
      sep = c;
      group = since_sep;
      if (group != 2 && group != 4) return std::nullopt;
    } else if (c != sep || since_sep != group) {
      return std::nullopt;
    }
    since_sep = 0;
  }
  if (nibbles != 12 || (sep != 0 && since_sep != group)) return std::nullopt;
  return Mac{bits};
}

std::string Mac::str() const {
  std::string s;
  append_to(s);
  return s;
}

void Mac::append_to(std::string& out) const {
  static constexpr char kHex[] = "0123456789abcdef";
  char text[17];
  for (int i = 0; i < 6; ++i) {
    const auto byte = static_cast<unsigned>((bits >> (40 - 8 * i)) & 0xff);
    text[i * 3] = kHex[byte >> 4];
    text[i * 3 + 1] = kHex[byte & 0xf];
    if (i < 5) text[i * 3 + 2] = ':';
  }
  out.append(text, sizeof text);
}

std::optional<IpAddr> IpAddr::parse(std::string_view s) noexcept {
  char buf[64];
  if (s.empty() || s.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = 0;
  IpAddr ip;
  if (s.find(':') == std::string_view::npos) {
    in_addr v4{};
    if (inet_pton(AF_INET, buf, &v4) != 1) return std::nullopt;
    ip.bytes[10] = 0xff;
    ip.bytes[11] = 0xff;
    std::memcpy(&ip.bytes[12], &v4, 4);
    return ip;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, buf, &v6) != 1) return std::nullopt;
  std::memcpy(ip.bytes.data(), &v6, 16);
  return ip;
}

bool IpAddr::is_v4() const noexcept {
  for (int i = 0; i < 10; ++i) {
    if (bytes[i] != 0) return false;
  }
  return bytes[10] == 0xff && bytes[11] == 0xff;
}

std::string IpAddr::str() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    inet_ntop(AF_INET, &bytes[12], buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

std::optional<Cidr> Cidr::parse(std::string_view s) noexcept {
  const auto slash = s.find('/');
  auto ip = IpAddr::parse(s.substr(0, slash));
  if (!ip) return std::nullopt;
  const unsigned max_len = ip->is_v4() ? 32 : 128;
  unsigned len = max_len;
  if (slash != std::string_view::npos) {
    const auto digits = s.substr(slash + 1);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (ec != std::errc() || p != digits.data() + digits.size() || len > max_len || digits.empty()) {
      return std::nullopt;
    }
  }
  Cidr c;
  c.bits = static_cast<std::uint8_t>(ip->is_v4() ? len + 96 : len);
  c.base = *ip;
  // Clear host bits so contains() is a plain masked compare.
  for (unsigned i = 0; i < 16; ++i) {
    const unsigned keep = c.bits > i * 8 ? std::min(8u, c.bits - i * 8) : 0;
    c.base.bytes[i] &= static_cast<std::uint8_t>(keep == 8 ? 0xff : (0xff00 >> keep) & 0xff);
  }
  return c;
}

bool Cidr::contains(const IpAddr& ip) const noexcept {
  unsigned remaining = bits;
  for (unsigned i = 0; i < 16 && remaining > 0; ++i) {
    const unsigned take = std::min(8u, remaining);
    const auto mask = static_cast<std::uint8_t>((0xff00 >> take) & 0xff);
    if ((ip.bytes[i] & mask) != base.bytes[i]) return false;
    remaining -= take;
  }
  return true;
}

std::string Cidr::str() const {
  return base.str() + "/" + std::to_string(base.is_v4() ? bits - 96 : bits);
}

}  // namespace callroot
