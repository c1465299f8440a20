#pragma once
/// `callroot run --nats`: one instance scoring the sites it holds from the
/// JetStream stream `callroot route` fills (docs/scale-out.md).
///
/// A site is held by one instance at a time: a lease in the key-value bucket
/// `callroot_leases` (the key is the site's key_value_key, the value the
/// instance's name), created when free and renewed every third of its time
/// to live; the bucket's time to live drops the lease of an instance that
/// died. Instances announce themselves (name and selection) in the bucket
/// `callroot_members`, with the same time to live, and each site goes to its
/// preferred holder among them (preferred_holder): an instance takes a free
/// site it is preferred for (or any free site it selects that stayed free for
/// a whole lease), and hands a site back, checkpointed, when another live
/// instance is preferred for it. Each site held has an engine of its own, fed from a pull consumer
/// on `callroot.site.<site>.>` with the inventory applied in stream order
/// before the records that follow it. Every `checkpoint_every` the site's
/// checkpoint goes to the bucket `callroot_checkpoints` (in pieces: it can
/// outgrow a message) with the stream
/// sequence it covers, and only then are the records it covers
/// acknowledged. An instance that takes a site over restores that
/// checkpoint and reads the stream from the sequence after it. Verdicts go
/// to `callroot.verdicts.<site>` and incident records to
/// `callroot.incidents.<site>` with the segment (incident record) as the
/// message id, so what a takeover scores again is dropped by the stream as a
/// duplicate: no verdict twice.

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/logger.h>

#include "runtime/config.h"

namespace callroot::runtime {

/// The sites an instance may hold: a shell pattern over site names
/// (`--sites`), or hash partition `partition` of `partitions` (`--partition
/// I/N`) when `partitions` is not 0.
struct SiteSelection {
  std::string pattern = "*";
  unsigned partition = 0, partitions = 0;

  [[nodiscard]] bool selects(std::string_view site) const;
  /// `sites <pattern>` or `partition I/N`: what an instance announces of itself.
  [[nodiscard]] std::string to_string() const;
  /// The inverse of to_string(); nullopt when `text` is not one it makes.
  static std::optional<SiteSelection> parse(std::string_view text);
  /// `I/N` with I < N, as `--partition` takes it; nullopt otherwise.
  static std::optional<SiteSelection> parse_partition(std::string_view text);
};

/// A live instance, as it announces itself in the bucket `callroot_members`.
struct Member {
  std::string name;
  SiteSelection selection;
};

/// Which of `members` should hold `site`: of those whose selection includes
/// it, the one with the highest rendezvous hash of (name, site); nullptr when
/// none selects it. Every instance computes the same answer from the same
/// members, and a member joining or leaving moves only the sites it wins or
/// held.
const Member* preferred_holder(std::string_view site, const std::vector<Member>& members);

struct NatsRunOptions {
  std::string url = "nats://127.0.0.1:4222";
  SiteSelection selection;
  /// This instance's name in the leases; empty: host name and process id.
  std::string instance;
  std::chrono::milliseconds lease{10'000};
  std::chrono::milliseconds checkpoint_every{10'000};
  /// With no record for this long, a site's pending segments are scored.
  std::chrono::milliseconds idle_flush{2'000};
  /// How long verdict ids are remembered by the verdicts stream.
  std::chrono::seconds duplicate_window{20 * 60};
  Config config;
};

/// Runs until SIGINT or SIGTERM or `stop`: every held site's pending
/// segments are scored, its checkpoint saved and its lease given up, so
/// another instance can take it at once. Returns the exit code (2: the
/// server could not be reached or refused).
int run_nats(const NatsRunOptions& options, std::shared_ptr<spdlog::logger> log, std::stop_token stop = {});

}  // namespace callroot::runtime
