#pragma once
/// `callroot route`: records partitioned by site into a NATS JetStream
/// stream (docs/scale-out.md). Each record goes, as it was read, to
///   callroot.inventory.<type>          inventory (every instance reads it)
///   callroot.site.<site>.<type>        each site it concerns (SiteRouter)
///   callroot.unrouted.<type>           nothing places it yet (kept, not lost)
/// with <site> a subject token (subject_token). Site subjects sit under
/// `site.` so that no site name can take the inventory's or the verdicts'.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "runtime/jetstream.h"
#include "runtime/site_router.h"

namespace callroot::runtime {

/// The subjects of the records stream and the verdicts, in one place.
struct NatsSubjects {
  static constexpr const char* kRecordsStream = "CALLROOT";
  static constexpr const char* kVerdictsStream = "CALLROOT_VERDICTS";
  static std::string inventory(std::string_view type) { return "callroot.inventory." + std::string(type); }
  static std::string site(std::string_view site, std::string_view type) {
    return "callroot.site." + subject_token(site) + "." + std::string(type);
  }
  static std::string unrouted(std::string_view type) { return "callroot.unrouted." + std::string(type); }
  static std::string site_filter(std::string_view site) { return "callroot.site." + subject_token(site) + ".>"; }
  static std::string verdicts(std::string_view site) { return "callroot.verdicts." + subject_token(site); }
  static std::string incidents(std::string_view site) { return "callroot.incidents." + subject_token(site); }
  /// The record type a site subject carries (what follows `callroot.site.<site>.`; a token holds no dot).
  static std::string_view site_record_type(std::string_view subject) {
    std::size_t at = std::string_view::npos;
    for (int dots = 0; dots < 3; ++dots) {
      at = subject.find('.', at == std::string_view::npos ? 0 : at + 1);
      if (at == std::string_view::npos) return {};
    }
    return subject.substr(at + 1);
  }
  static std::vector<std::string> record_subjects() {
    return {"callroot.inventory.>", "callroot.site.>", "callroot.unrouted.>"};
  }
};

/// The records stream: its subjects, kept for `retention` (replays of an
/// incident window read it from a time).
StreamSpec records_stream(std::chrono::seconds retention);
/// The verdicts stream (`callroot.verdicts.>`, `callroot.incidents.>`): a
/// message id is remembered for `duplicate_window`, longer than a takeover
/// takes, so what a takeover scores again is dropped.
StreamSpec verdicts_stream(std::chrono::seconds duplicate_window);

struct RouteOptions {
  std::string url = "nats://127.0.0.1:4222";
  std::chrono::seconds retention{2 * 3600};
  /// JSON Lines files, merged by event time (records without a time, such
  /// as inventory, first), as replay merges them; "-" is standard input.
  std::vector<std::string> files;
};

struct RouteStats {
  SiteRouterStats router;
  std::uint64_t published = 0;  ///< messages: a record for two sites counts twice
  std::uint64_t read = 0;
};

/// Publishes records to the subjects of the sites they concern, one by one
/// in the order given (the live router's loop; route_files merges files into it).
class StreamRouter {
 public:
  /// `js` must outlive the router; the records stream must exist.
  explicit StreamRouter(JetStream& js) : js_(js) {}
  /// Routes and publishes one record (without waiting for the stream's
  /// acknowledgement: JetStream::wait_published). False when it does not
  /// decode (error() says why; counted, nothing published).
  bool route(std::string_view record, bool padded = false);
  [[nodiscard]] const SiteRoute& last() const noexcept { return last_; }
  [[nodiscard]] const ingest::DecodeError& error() const noexcept { return router_.error(); }
  [[nodiscard]] RouteStats stats() const;

 private:
  JetStream& js_;
  SiteRouter router_;
  SiteRoute last_;
  std::uint64_t published_ = 0, read_ = 0;
};

/// Routes `files` into the stream; throws JetStreamError when the server
/// cannot be reached or refuses, std::runtime_error when a file cannot be read.
RouteStats route_files(const RouteOptions& options, spdlog::logger& log);

}  // namespace callroot::runtime
