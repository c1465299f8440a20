#pragma once
/// Which sites a record concerns, for partitioning records by site over a
/// message broker (docs/scale-out.md). The router keeps what the engine keeps
/// to place things (the inventory, client attachments and addresses: the same
/// Directory and Topology, fed by the same decoder) and asks it the engine's
/// questions: the site of an AP, a switch port or a WAN link, where a client
/// was attached at a sample's time, and where each end of a call segment sat.
/// A cloud call record (Graph, Zoom) names no site: it concerns every site one
/// of its segments' endpoints resolves to, so a call between two sites goes
/// to both.

#include <string>
#include <string_view>
#include <vector>

#include "ingest/decoder.h"
#include "models/directory.h"
#include "models/topology.h"

namespace callroot::runtime {

struct SiteRoute {
  enum class Kind : std::uint8_t {
    kInventory,  ///< inventory: every instance needs it
    kSites,      ///< `sites` (one, or two for a call between sites)
    kUnrouted,   ///< valid, but nothing places it yet (a client's sample before its association)
    kRejected,   ///< does not decode: SiteRouter::error() says why
  };
  Kind kind = Kind::kUnrouted;
  std::vector<std::string> sites;  ///< site names, in the order first met
};

struct SiteRouterStats {
  std::uint64_t inventory = 0;
  std::uint64_t routed = 0;
  std::uint64_t multi_site = 0;  ///< of `routed`, records sent to more than one site
  std::uint64_t unrouted = 0;
  std::uint64_t rejected = 0;
};

class SiteRouter {
 public:
  SiteRouter();
  SiteRouter(const SiteRouter&) = delete;
  SiteRouter& operator=(const SiteRouter&) = delete;

  /// Routes one record (arguments as RecordDecoder::decode_many); the
  /// inventory and attachments it carries are taken first, so a record
  /// routes by what came before it and itself.
  SiteRoute route(std::string_view record, bool padded = false, std::string_view type_hint = {});

  [[nodiscard]] const ingest::DecodeError& error() const noexcept { return decoder_.error(); }
  [[nodiscard]] const SiteRouterStats& stats() const noexcept { return stats_; }

 private:
  void add_site(SiteRoute& route, SiteId site) const;

  Directory directory_;
  Topology topology_;
  ingest::RecordDecoder decoder_;
  std::vector<Event> events_;
  SiteRouterStats stats_;
};

/// FNV-1a of a name: the same in every process and build, so that every
/// instance and router places a site in the same partition.
std::uint64_t stable_hash(std::string_view name) noexcept;

/// A site name as one token of a NATS subject: letters, digits, `-` and `_`
/// as they are; every other byte (`.`, `*`, `>`, spaces, `%`, UTF-8) as `%XX`.
std::string subject_token(std::string_view name);
/// The inverse of subject_token(); nullopt when `token` is not one it makes.
std::optional<std::string> from_subject_token(std::string_view token);

}  // namespace callroot::runtime
