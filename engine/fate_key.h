#pragma once
/// Components as the statistics see them: the keys that shared fate and
/// tomography count segments against.

#include <cstdint>
#include <vector>

#include "engine/evidence.h"
#include "models/ids.h"

namespace callroot::engine {

/// A component as the statistics see it. Switch hops are keyed by the port
/// the path enters each switch by (PortId): one key per link, which is finer
/// than the switch (two APs on one switch share its uplink but not their
/// access ports) and stands for the link's downstream owner (fate_owner).
struct FateKey {
  enum class Kind : std::uint8_t { kClient, kAp, kPort, kLink };
  Kind kind = Kind::kClient;
  std::uint32_t id = 0;

  static constexpr FateKey client(ClientId c) noexcept { return {Kind::kClient, c.value}; }
  static constexpr FateKey ap(ApId a) noexcept { return {Kind::kAp, a.value}; }
  static constexpr FateKey port(PortId p) noexcept { return {Kind::kPort, p.value}; }
  static constexpr FateKey link(LinkId l) noexcept { return {Kind::kLink, l.value}; }

  friend constexpr bool operator==(FateKey, FateKey) = default;
};
inline constexpr std::size_t kFateKinds = 4;

/// Ids must fit in 30 bits: the window stores a key as kind (2 bits) and id.
/// The Directory's caps (4 M names per kind by default) keep them far below.
inline constexpr std::uint32_t kMaxFateId = (1u << 30) - 1;

/// The keys of one organization endpoint's path, most specific first (client,
/// AP, ports upward, WAN links), APPENDED to `out` (which is not cleared), a
/// key already in `out` being skipped: call it for both sides of a segment to
/// get the segment's keys once each. A remote side adds nothing.
///
/// The keys come from the resolved path (the same one the hops are built
/// from): the client (resolution.path.client), the AP, every switch hop's port,
/// and the WAN link. Two choices differ from reading `side.hops`:
/// - an AP counts even when none of its radios has telemetry (it has no hop);
/// - WAN links count only when the media's link is known (pinned by the
///   reflexive IP) or the site has a single link. Candidate links are not
///   keys: a segment that may have used either link is evidence about neither,
///   and counting it on both would make a bad link's sibling look bad too.
void path_keys(const SideEvidence& side, std::vector<FateKey>& out);

/// The blameable component a key stands for: a port stands for the switch
/// that owns its link (Topology::link_owner), else for its own switch.
ComponentRef fate_owner(const Directory& directory, const Topology& topology, FateKey key) noexcept;

}  // namespace callroot::engine
