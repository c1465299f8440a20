#pragma once
/// Reads JSON Lines files, plain or gzip-compressed (by content, not by name),
/// handing out one line at a time with its line number. Lines point into a
/// buffer that keeps simdjson's padding after every line, so the decoder can
/// parse in place.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace callroot::ingest {

class JsonlReader {
 public:
  /// Opens `path`; throws std::runtime_error (with the path and errno text) if it cannot.
  explicit JsonlReader(std::string path);
  ~JsonlReader();
  JsonlReader(const JsonlReader&) = delete;
  JsonlReader& operator=(const JsonlReader&) = delete;

  /// The next non-empty line (without its newline); false at end of file.
  /// The view stays valid until the next call. A gzip stream that is cut
  /// short ends the file and sets error().
  bool next(std::string_view& line);

  [[nodiscard]] std::uint64_t line_number() const noexcept { return line_number_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] std::uint64_t bytes_read() const noexcept;
  [[nodiscard]] const std::string& error() const noexcept { return error_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
  std::uint64_t line_number_ = 0;
  std::string error_;
};

}  // namespace callroot::ingest
