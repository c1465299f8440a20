#include "connectors/cursor_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "connectors/secret.h"

namespace callroot::connectors {

namespace {

constexpr int kFormat = 1;

std::string time_text(TimeMs t) { return t == kNoTime ? std::string() : format_rfc3339(t); }

TimeMs time_of(const nlohmann::json& doc, const char* key) {
  if (!doc.contains(key) || !doc[key].is_string() || doc[key].get<std::string>().empty()) return kNoTime;
  const auto t = parse_rfc3339(doc[key].get<std::string>());
  if (!t) throw std::invalid_argument(std::string(key) + " is not an RFC 3339 time");
  return *t;
}

bool write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

bool Cursor::wants(const std::string& id, std::int64_t version) const {
  const auto it = delivered.find(id);
  return it == delivered.end() || version > it->second.version;
}

void Cursor::mark_delivered(const std::string& id, std::int64_t version, TimeMs start, TimeMs last_modified) {
  delivered[id] = {version, start};
  if (start != kNoTime && (newest_start == kNoTime || start > newest_start)) newest_start = start;
  if (last_modified != kNoTime && (newest_last_modified == kNoTime || last_modified > newest_last_modified)) {
    newest_last_modified = last_modified;
  }
}

void Cursor::forget_before(TimeMs begin) {
  std::erase_if(delivered, [begin](const auto& entry) {
    return entry.second.start != kNoTime && entry.second.start < begin;
  });
}

Cursor CursorStore::load() const {
  Cursor cursor;
  if (path_.empty() || !std::filesystem::exists(path_)) return cursor;
  std::ifstream in(path_);
  const auto doc = nlohmann::json::parse(in, nullptr, false);
  try {
    if (!doc.is_object() || doc.value("format", 0) != kFormat) throw std::invalid_argument("not a cursor file");
    cursor.newest_start = time_of(doc, "newest_start");
    cursor.newest_last_modified = time_of(doc, "newest_last_modified");
    cursor.quota_day = doc.value("quota_day", std::int64_t{0});
    cursor.quota_spent = doc.value("quota_spent", std::uint32_t{0});
    for (const auto& [id, entry] : doc.at("delivered").items()) {
      cursor.delivered[id] = {entry.at("version").get<std::int64_t>(), time_of(entry, "start")};
    }
  } catch (const std::exception& e) {
    throw ConfigError("cursor_file " + path_ + ": " + e.what() +
                      " (move it away to start over from the overlap window)");
  }
  return cursor;
}

std::string CursorStore::save(const Cursor& cursor) const {
  if (path_.empty()) return {};
  nlohmann::json doc = {{"format", kFormat},
                        {"newest_start", time_text(cursor.newest_start)},
                        {"newest_last_modified", time_text(cursor.newest_last_modified)},
                        {"delivered", nlohmann::json::object()}};
  if (cursor.quota_day != 0) {
    doc["quota_day"] = cursor.quota_day;
    doc["quota_spent"] = cursor.quota_spent;
  }
  for (const auto& [id, entry] : cursor.delivered) {
    doc["delivered"][id] = {{"version", entry.version}, {"start", time_text(entry.start)}};
  }
  const std::string text = doc.dump(1) + "\n";
  const std::string temp = path_ + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return "cursor_file " + temp + ": " + std::strerror(errno);
  const bool written = write_all(fd, text) && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!written) return "cursor_file " + temp + ": " + std::strerror(saved_errno);
  if (::rename(temp.c_str(), path_.c_str()) != 0) return "cursor_file " + path_ + ": " + std::strerror(errno);
  // The rename itself is durable only once the folder is synced.
  const auto folder = std::filesystem::path(path_).parent_path();
  const int dir = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

}  // namespace callroot::connectors
