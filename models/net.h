#pragma once
/// MAC and IP addresses as fixed-size values: parsed once at ingest, compared
/// and hashed as integers afterwards.

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace callroot {

/// A 48-bit MAC in the low bits of a u64.
struct Mac {
  std::uint64_t bits = 0;
  friend constexpr bool operator==(Mac, Mac) = default;
  /// Accepts `aa:bb:cc:dd:ee:ff`, `aa-bb-cc-dd-ee-ff`, Zoom's `aabb-ccdd-eeff`,
  /// Cisco's `aabb.ccdd.eeff` and bare `aabbccddeeff`, any case.
  static std::optional<Mac> parse(std::string_view text) noexcept;
  /// Lower case with colons.
  [[nodiscard]] std::string str() const;
  void append_to(std::string& out) const;
  /// The locally administered placeholder some clients report for privacy
  /// (Graph: `02:00:00:00:00:00`); it identifies nobody.
  [[nodiscard]] bool is_placeholder() const noexcept { return bits == 0x020000000000ULL || bits == 0; }
};

/// An IPv4 or IPv6 address; IPv4 is stored v4-mapped (::ffff:a.b.c.d).
struct IpAddr {
  std::array<std::uint8_t, 16> bytes{};
  friend constexpr bool operator==(const IpAddr&, const IpAddr&) = default;
  static std::optional<IpAddr> parse(std::string_view text) noexcept;
  [[nodiscard]] bool is_v4() const noexcept;
  [[nodiscard]] std::string str() const;
};

/// An address prefix such as `10.1.0.0/16` or `2001:db8::/32`.
struct Cidr {
  IpAddr base;
  std::uint8_t bits = 0;  ///< prefix length counted on the 128-bit form
  static std::optional<Cidr> parse(std::string_view text) noexcept;
  [[nodiscard]] bool contains(const IpAddr& ip) const noexcept;
  [[nodiscard]] std::string str() const;
};

}  // namespace callroot

template <>
struct std::hash<callroot::Mac> {
  std::size_t operator()(callroot::Mac m) const noexcept { return std::hash<std::uint64_t>{}(m.bits); }
};

template <>
struct std::hash<callroot::IpAddr> {
  std::size_t operator()(const callroot::IpAddr& ip) const noexcept {
    std::uint64_t a = 0, b = 0;
    for (int i = 0; i < 8; ++i) a = (a << 8) | ip.bytes[i];
    for (int i = 8; i < 16; ++i) b = (b << 8) | ip.bytes[i];
    return std::hash<std::uint64_t>{}(a * 0x9E3779B97F4A7C15ULL ^ b);
  }
};
