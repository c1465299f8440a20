#pragma once
/// `callroot run --nats`: one instance scoring the sites it holds from the
/// JetStream stream `callroot route` fills (docs/scale-out.md).
///
/// A site is held by one instance at a time: a lease in the key-value bucket
/// `callroot_leases` (the key is the site's key_value_key, the value the
/// instance's name), created when free and renewed every third of its time
/// to live; the bucket's time to live drops the lease of an instance that
/// died. Each site held has an engine of its own, fed from a pull consumer
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
#include <stop_token>
#include <string>

#include <spdlog/logger.h>

#include "runtime/config.h"

namespace callroot::runtime {

struct NatsRunOptions {
  std::string url = "nats://127.0.0.1:4222";
  /// The sites this instance may hold: a shell pattern over site names
  /// (`--sites`), or the hash partition `partition` of `partitions`
  /// (`--partition i/N`) when `partitions` is not 0.
  std::string sites = "*";
  unsigned partition = 0, partitions = 0;
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

/// Whether `site` is among the sites `options` selects.
bool selects(const NatsRunOptions& options, std::string_view site);

/// Runs until SIGINT or SIGTERM or `stop`: every held site's pending
/// segments are scored, its checkpoint saved and its lease given up, so
/// another instance can take it at once. Returns the exit code (2: the
/// server could not be reached or refused).
int run_nats(const NatsRunOptions& options, std::shared_ptr<spdlog::logger> log, std::stop_token stop = {});

}  // namespace callroot::runtime
