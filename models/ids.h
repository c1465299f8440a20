#pragma once
/// Interned entity ids. Names (APs, switches, links, ...) are opaque strings
/// chosen by the inventory; inside the engine each is a dense 32-bit index into
/// flat arrays, so hot loops never hash or compare strings.

#include <compare>
#include <cstdint>
#include <functional>
#include <limits>

namespace callroot {

template <class Tag>
struct Id {
  static constexpr std::uint32_t kInvalid = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t value = kInvalid;

  constexpr Id() = default;
  constexpr explicit Id(std::uint32_t v) : value(v) {}
  [[nodiscard]] constexpr bool valid() const noexcept { return value != kInvalid; }
  constexpr explicit operator bool() const noexcept { return valid(); }
  friend constexpr auto operator<=>(Id, Id) = default;
};

struct SiteTag {};
struct ApTag {};
struct SwitchTag {};
struct PortTag {};
struct EdgeTag {};
struct LinkTag {};
struct ClientTag {};
struct DeviceTag {};
struct NameTag {};

using SiteId = Id<SiteTag>;
using ApId = Id<ApTag>;
using SwitchId = Id<SwitchTag>;
using PortId = Id<PortTag>;      ///< a (switch, port name) pair
using EdgeId = Id<EdgeTag>;      ///< a WAN edge router / SD-WAN appliance
using LinkId = Id<LinkTag>;      ///< a WAN link
using ClientId = Id<ClientTag>;  ///< a client device, keyed by MAC
using DeviceId = Id<DeviceTag>;  ///< a Teams Rooms (or other managed) device
using NameId = Id<NameTag>;      ///< any other interned string (port names)

/// The component kinds a verdict can blame.
enum class ComponentKind : std::uint8_t { kClient, kAp, kSwitch, kWan, kRemote, kUnknown };

/// A reference to one blameable component; `index` is the id of the kind's table
/// (ClientId for kClient, ApId for kAp, SwitchId for kSwitch, LinkId for kWan).
struct ComponentRef {
  ComponentKind kind = ComponentKind::kUnknown;
  std::uint32_t index = std::numeric_limits<std::uint32_t>::max();
  friend constexpr bool operator==(ComponentRef, ComponentRef) = default;
};

const char* to_string(ComponentKind kind) noexcept;

}  // namespace callroot

template <class Tag>
struct std::hash<callroot::Id<Tag>> {
  std::size_t operator()(callroot::Id<Tag> id) const noexcept { return std::hash<std::uint32_t>{}(id.value); }
};
