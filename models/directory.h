#pragma once
/// The name <-> id tables of every entity kind. Decoders intern names here as
/// they read them; the engine and sinks turn ids back into names for output.
/// Owned by whoever wires a pipeline together and shared by reference.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "models/flat_map.h"
#include "models/ids.h"
#include "models/net.h"
#include "models/symbol_table.h"

namespace callroot {

class Directory {
 public:
  /// Caps each table, so that hostile or runaway input cannot grow memory
  /// without limit; an intern past the cap fails and the record is rejected.
  explicit Directory(std::size_t capacity_per_kind = 4'000'000);

  std::optional<SiteId> site(std::string_view name) { return as<SiteId>(sites_.intern(name)); }
  std::optional<ApId> ap(std::string_view name) { return as<ApId>(aps_.intern(name)); }
  std::optional<SwitchId> switch_(std::string_view name) { return as<SwitchId>(switches_.intern(name)); }
  std::optional<EdgeId> edge(std::string_view name) { return as<EdgeId>(edges_.intern(name)); }
  std::optional<LinkId> link(std::string_view name) { return as<LinkId>(links_.intern(name)); }
  std::optional<DeviceId> device(std::string_view name) { return as<DeviceId>(devices_.intern(name)); }
  std::optional<NameId> name(std::string_view text) { return as<NameId>(names_.intern(text)); }
  std::optional<ClientId> client(Mac mac);
  std::optional<PortId> port(SwitchId sw, std::string_view port_name);

  [[nodiscard]] std::optional<ClientId> find_client(Mac mac) const noexcept;

  /// A radio of an AP, by band: `wifi.ap` telemetry is per radio, and a
  /// client's call crosses the radio of its band. band_code 0 is "band not
  /// reported". Returns the radio's index (the metric-store entity of `wifi.ap`).
  std::optional<std::uint32_t> radio(ApId ap, std::uint8_t band_code);
  [[nodiscard]] std::optional<std::uint32_t> find_radio(ApId ap, std::uint8_t band_code) const noexcept;
  [[nodiscard]] std::span<const std::uint32_t> radios_of(ApId ap) const noexcept;
  [[nodiscard]] ApId radio_ap(std::uint32_t radio) const noexcept { return radios_[radio].ap; }
  [[nodiscard]] std::uint8_t radio_band(std::uint32_t radio) const noexcept { return radios_[radio].band; }
  /// 1 for 2.4 GHz, 2 for 5 GHz, 3 for 6 GHz, 0 for anything else (or NaN).
  static std::uint8_t band_code(double ghz) noexcept;
  static std::string_view band_name(std::uint8_t code) noexcept;  ///< "2.4 GHz", ...
  [[nodiscard]] std::optional<ApId> find_ap(std::string_view name) const noexcept {
    return as<ApId>(aps_.find(name));
  }

  [[nodiscard]] std::string_view site_name(SiteId id) const noexcept { return sites_.name(id.value); }
  [[nodiscard]] std::string_view ap_name(ApId id) const noexcept { return aps_.name(id.value); }
  [[nodiscard]] std::string_view switch_name(SwitchId id) const noexcept { return switches_.name(id.value); }
  [[nodiscard]] std::string_view edge_name(EdgeId id) const noexcept { return edges_.name(id.value); }
  [[nodiscard]] std::string_view link_name(LinkId id) const noexcept { return links_.name(id.value); }
  [[nodiscard]] std::string_view device_name(DeviceId id) const noexcept { return devices_.name(id.value); }
  [[nodiscard]] std::string_view text(NameId id) const noexcept { return names_.name(id.value); }
  [[nodiscard]] Mac client_mac(ClientId id) const noexcept { return client_macs_[id.value]; }
  [[nodiscard]] SwitchId port_switch(PortId id) const noexcept { return ports_[id.value].sw; }
  /// Every port of `sw` named so far, in the order first named.
  [[nodiscard]] std::span<const PortId> ports_of(SwitchId sw) const noexcept;
  [[nodiscard]] std::string_view port_name(PortId id) const noexcept { return names_.name(ports_[id.value].name.value); }

  [[nodiscard]] std::size_t site_count() const noexcept { return sites_.size(); }
  [[nodiscard]] std::size_t ap_count() const noexcept { return aps_.size(); }
  [[nodiscard]] std::size_t switch_count() const noexcept { return switches_.size(); }
  [[nodiscard]] std::size_t edge_count() const noexcept { return edges_.size(); }
  [[nodiscard]] std::size_t link_count() const noexcept { return links_.size(); }
  [[nodiscard]] std::size_t client_count() const noexcept { return client_macs_.size(); }
  [[nodiscard]] std::size_t port_count() const noexcept { return ports_.size(); }
  [[nodiscard]] std::size_t device_count() const noexcept { return devices_.size(); }

  /// The name of a blameable component, for output (`client` ids are MACs).
  [[nodiscard]] std::string component_name(ComponentRef ref) const;
  /// The same, assigned into `out` (which keeps its buffer).
  void component_name(ComponentRef ref, std::string& out) const;

 private:
  template <class IdT>
  static std::optional<IdT> as(std::optional<std::uint32_t> v) noexcept {
    if (!v) return std::nullopt;
    return IdT{*v};
  }
  struct PortKey {
    SwitchId sw;
    NameId name;
  };

  std::size_t capacity_;
  SymbolTable sites_, aps_, switches_, edges_, links_, devices_, names_;
  FlatMap64 clients_;  // MAC bits -> ClientId
  std::vector<Mac> client_macs_;
  std::unordered_map<std::uint64_t, PortId> port_index_;  // (switch << 32 | name) -> id
  std::vector<PortKey> ports_;
  std::vector<std::vector<PortId>> switch_ports_;  // by SwitchId
  struct Radio {
    ApId ap;
    std::uint8_t band = 0;
  };
  std::vector<Radio> radios_;
  std::vector<std::vector<std::uint32_t>> ap_radios_;  // by ApId
};

}  // namespace callroot
