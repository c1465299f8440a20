#pragma once
/// `callroot route`: records partitioned by site into NATS JetStream streams
/// (docs/scale-out.md). Each record goes, as it was read, to
///   callroot.inventory.<type>               inventory, in the stream CALLROOT
///   callroot.p<k>.inventory.<type>          a copy of it in every partition stream
///   callroot.p<k>.site.<site>               each site it concerns (SiteRouter), in
///                                           the stream of the site's partition k,
///                                           in batches of JSON Lines
///   callroot.unrouted.<type>                nothing places it yet (kept, not lost), in CALLROOT
/// with <site> a subject token (subject_token). A site's records live in one
/// of `partitions` streams (CALLROOT_P<k>) so that reading a site costs the
/// server a scan of its partition rather than of every site's records; the
/// inventory's copy in each gives a site's records and the inventory one
/// order (stream sequences). A site's records travel in batches (a message
/// of up to 64 KiB of JSON Lines) because the broker's cost is per message:
/// on the machine of BENCHMARKS.md nats-server stores or delivers some 60 k
/// messages a second per core, whatever their size.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "runtime/jetstream.h"
#include "runtime/site_router.h"

namespace callroot::runtime {

/// The streams and subjects of records and verdicts, in one place.
class StreamLayout {
 public:
  static constexpr const char* kInventoryStream = "CALLROOT";
  static constexpr const char* kVerdictsStream = "CALLROOT_VERDICTS";
  static constexpr unsigned kDefaultPartitions = 8;

  explicit StreamLayout(unsigned partitions) : partitions_(partitions == 0 ? 1 : partitions) {}
  [[nodiscard]] unsigned partitions() const noexcept { return partitions_; }
  [[nodiscard]] unsigned partition_of(std::string_view site) const noexcept;

  [[nodiscard]] static std::string partition_stream(unsigned partition) {
    return std::string(kInventoryStream) + "_P" + std::to_string(partition);
  }
  [[nodiscard]] std::string stream_of(std::string_view site) const { return partition_stream(partition_of(site)); }

  [[nodiscard]] static std::string inventory(std::string_view type) { return "callroot.inventory." + std::string(type); }
  [[nodiscard]] static std::string inventory_copy(unsigned partition, std::string_view type) {
    return prefix(partition) + "inventory." + std::string(type);
  }
  [[nodiscard]] static std::string inventory_copies(unsigned partition) { return prefix(partition) + "inventory.>"; }
  /// The subject of a site's batches of records.
  [[nodiscard]] std::string site(std::string_view site) const {
    return prefix(partition_of(site)) + "site." + subject_token(site);
  }
  [[nodiscard]] static std::string unrouted(std::string_view type) { return "callroot.unrouted." + std::string(type); }
  [[nodiscard]] static std::string verdicts(std::string_view site) { return "callroot.verdicts." + subject_token(site); }
  [[nodiscard]] static std::string incidents(std::string_view site) { return "callroot.incidents." + subject_token(site); }

  /// The inventory stream and every partition's, keeping records for `retention`.
  [[nodiscard]] std::vector<StreamSpec> record_streams(std::chrono::seconds retention) const;

 private:
  static std::string prefix(unsigned partition) { return "callroot.p" + std::to_string(partition) + "."; }
  unsigned partitions_;
};

/// The verdicts stream (`callroot.verdicts.>`, `callroot.incidents.>`): a
/// message id is remembered for `duplicate_window`, longer than a takeover
/// takes, so what a takeover scores again is dropped.
StreamSpec verdicts_stream(std::chrono::seconds duplicate_window);

/// The layout the records were routed with, in the bucket `callroot_layout`;
/// nullopt until a router has written it (after making its streams).
std::optional<StreamLayout> read_layout(JetStream& js);
/// A router's: makes the streams of `partitions` partitions and writes the
/// layout, or finds it already written with as many. Throws
/// std::runtime_error when the streams were laid out with another number.
StreamLayout lay_out_streams(JetStream& js, unsigned partitions, std::chrono::seconds retention);

/// Calls `f` with each record (line) of a batch, without its newline.
template <typename F>
void for_each_record(std::string_view batch, F&& f) {
  while (!batch.empty()) {
    const std::size_t eol = batch.find('\n');
    const std::string_view line = batch.substr(0, eol);
    if (!line.empty()) f(line);
    if (eol == std::string_view::npos) break;
    batch.remove_prefix(eol + 1);
  }
}

/// A message kept in a stream.
struct KeptRecord {
  std::uint64_t seq = 0;
  std::string subject, body;
};
/// Every message of `filter` in `stream` up to sequence `last`, in order.
std::vector<KeptRecord> read_kept(JetStream& js, const std::string& stream, const std::string& filter, std::uint64_t last);

struct RouteOptions {
  std::string url = "nats://127.0.0.1:4222";
  std::chrono::seconds retention{2 * 3600};
  unsigned partitions = StreamLayout::kDefaultPartitions;
  /// JSON Lines files, merged by event time (records without a time, such
  /// as inventory, first), as replay merges them; "-" is standard input.
  std::vector<std::string> files;
};

struct RouteStats {
  SiteRouterStats router;
  std::uint64_t published = 0;  ///< records published: one for two sites counts twice; the partitions' copies of the inventory do not count
  std::uint64_t messages = 0;   ///< messages they went in (site records in batches)
  std::uint64_t read = 0;
};

/// How large a site's batch grows before it is published.
struct BatchLimits {
  std::size_t max_bytes = 64 * 1024;
  std::size_t max_records = 1024;
};

/// Publishes records to the subjects of the sites they concern, in the
/// order given (the live router's loop; route_files merges files into it).
/// A site's records wait in its batch until it is full, flush() is called,
/// or an inventory record comes (which follows every record before it).
class StreamRouter {
 public:
  /// `js` must outlive the router; the streams must exist (lay_out_streams).
  StreamRouter(JetStream& js, StreamLayout layout, BatchLimits limits = {}) : js_(js), layout_(layout), limits_(limits) {}
  /// Routes one record, publishing what it completes (without waiting for
  /// the stream's acknowledgement: JetStream::wait_published). False when it
  /// does not decode (error() says why; counted, nothing published).
  bool route(std::string_view record, bool padded = false);
  /// Publishes every site's batch.
  void flush();
  /// Publishes the batches whose first record has waited `age` or longer
  /// (a live router calls it every few milliseconds).
  void flush_older_than(std::chrono::steady_clock::duration age);
  [[nodiscard]] const SiteRoute& last() const noexcept { return last_; }
  [[nodiscard]] const ingest::DecodeError& error() const noexcept { return router_.error(); }
  [[nodiscard]] RouteStats stats() const;

 private:
  struct Batch {
    std::string subject;
    std::string lines;
    std::size_t records = 0;
    std::chrono::steady_clock::time_point first;
  };
  void publish(Batch& batch);

  JetStream& js_;
  StreamLayout layout_;
  BatchLimits limits_;
  SiteRouter router_;
  SiteRoute last_;
  std::map<std::string, Batch> batches_;  // by site
  std::uint64_t published_ = 0, messages_ = 0, read_ = 0;
};

/// Routes `files` into the stream; throws JetStreamError when the server
/// cannot be reached or refuses, std::runtime_error when a file cannot be read.
RouteStats route_files(const RouteOptions& options, spdlog::logger& log);

}  // namespace callroot::runtime
