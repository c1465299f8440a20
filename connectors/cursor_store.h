#pragma once
/// Where a connector resumes: the newest start time among the records it
/// delivered, and the (id, version) of every record delivered within the
/// overlap window before it. A poll lists the window again (records appear
/// late, versions are reissued); the set says which of those were already
/// delivered as they are. Saved after every delivered record, atomically
/// (temporary file, fsync, rename, fsync of the folder): a restart neither
/// sends a record again nor skips one.

#include <cstdint>
#include <map>
#include <string>

#include "models/time.h"

namespace callroot::connectors {

struct DeliveredRecord {
  std::int64_t version = 0;
  TimeMs start = kNoTime;  ///< its startDateTime: the window it falls out of
};

struct Cursor {
  TimeMs newest_start = kNoTime;          ///< of the records delivered
  TimeMs newest_last_modified = kNoTime;  ///< of the records delivered
  std::map<std::string, DeliveredRecord> delivered;
  /// A daily request quota's count (Zoom's): the UTC day number and the
  /// requests made on it, so a restart knows its own.
  std::int64_t quota_day = 0;
  std::uint32_t quota_spent = 0;

  /// Whether `id` at `version` still needs delivering (new, or a later version).
  [[nodiscard]] bool wants(const std::string& id, std::int64_t version) const;
  void mark_delivered(const std::string& id, std::int64_t version, TimeMs start, TimeMs last_modified);
  /// Forgets records that started before `begin`: no poll lists them again.
  void forget_before(TimeMs begin);
};

class CursorStore {
 public:
  /// Empty path: nothing is kept (every start is a first start).
  explicit CursorStore(std::string path) : path_(std::move(path)) {}

  /// The saved cursor, or an empty one when there is no file. Throws
  /// ConfigError when the file exists but is not a cursor (it is left as it is).
  [[nodiscard]] Cursor load() const;
  /// Replaces the file atomically. Returns the error (empty: saved).
  [[nodiscard]] std::string save(const Cursor& cursor) const;

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

}  // namespace callroot::connectors
