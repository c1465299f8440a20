#include "ingest/jsonl_reader.h"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace callroot::ingest {
namespace {

constexpr std::size_t kInitialBuffer = 1 << 20;  // decoded bytes held at once; grows for longer lines
constexpr std::size_t kMaxLine = 64 << 20;       // past this a line is cut (and rejected as too large)
constexpr std::size_t kInputChunk = 256 << 10;   // compressed bytes read at once

bool blank(std::string_view line) noexcept {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t'; });
}

}  // namespace

/// The file and its decoding state. `buf` holds decoded bytes [pos, end) not
/// yet handed out, and always SIMDJSON_PADDING readable bytes past `capacity`.
struct JsonlReader::Impl {
  enum class Mode { kUnknown, kPlain, kGzip };

  Impl(const std::string& p, std::string& e) : path(p), error(e) {}
  ~Impl() {
    if (inflating) inflateEnd(&zs);
    if (fd >= 0) ::close(fd);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  const std::string& path;
  std::string& error;
  int fd = -1;
  Mode mode = Mode::kUnknown;
  std::uint64_t bytes_read = 0;

  std::vector<char> buf;
  std::size_t capacity = 0;
  std::size_t pos = 0, end = 0;
  bool eof = false;       // no more bytes will arrive in buf
  bool failed = false;    // the stream broke: the unterminated tail is not a record
  bool skipping = false;  // discarding the rest of an over-long line

  z_stream zs{};
  bool inflating = false;
  bool member_done = false;  // between two gzip members
  bool raw_eof = false;
  std::vector<char> in;

  void set_error(std::string what) {
    if (error.empty()) error = path + ": " + what;
    failed = true;
  }

  /// Reads up to n raw bytes; 0 at end of file or on error (then error is set).
  std::size_t read_raw(char* dst, std::size_t n) {
    for (;;) {
      const ssize_t got = ::read(fd, dst, n);
      if (got >= 0) {
        bytes_read += static_cast<std::uint64_t>(got);
        return static_cast<std::size_t>(got);
      }
      if (errno == EINTR) continue;
      set_error(std::string("read error: ") + std::strerror(errno));
      return 0;
    }
  }

  /// Makes at least `want` compressed bytes available at zs.next_in unless the file ends first.
  void ensure_input(std::size_t want) {
    while (zs.avail_in < want && !raw_eof) {
      if (zs.avail_in > 0 && zs.next_in != reinterpret_cast<Bytef*>(in.data())) {
        std::memmove(in.data(), zs.next_in, zs.avail_in);
      }
      zs.next_in = reinterpret_cast<Bytef*>(in.data());
      const std::size_t got = read_raw(in.data() + zs.avail_in, in.size() - zs.avail_in);
      if (got == 0) raw_eof = true;
      zs.avail_in += static_cast<uInt>(got);
    }
  }

  /// Decides plain or gzip from the first bytes (which sit in buf[0, end)).
  void detect() {
    while (end < 2) {
      const std::size_t got = read_raw(buf.data() + end, capacity - end);
      if (got == 0) break;
      end += got;
    }
    const auto* b = reinterpret_cast<const unsigned char*>(buf.data());
    if (end >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
      mode = Mode::kGzip;
      in.resize(std::max(kInputChunk, end));
      std::memcpy(in.data(), buf.data(), end);
      zs.next_in = reinterpret_cast<Bytef*>(in.data());
      zs.avail_in = static_cast<uInt>(end);
      end = 0;
      if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {  // 16: gzip wrapper only
        set_error("cannot initialise zlib");
        eof = true;
        return;
      }
      inflating = true;
    } else {
      mode = Mode::kPlain;
      if (end == 0) eof = true;
    }
  }

  /// Appends decoded bytes at buf[end, capacity); sets eof when none will come.
  void fill() {
    if (mode == Mode::kUnknown) {
      detect();
      return;
    }
    if (mode == Mode::kPlain) {
      const std::size_t got = read_raw(buf.data() + end, capacity - end);
      if (got == 0) eof = true;
      end += got;
      return;
    }
    inflate_some();
  }

  void inflate_some() {
    zs.next_out = reinterpret_cast<Bytef*>(buf.data() + end);
    zs.avail_out = static_cast<uInt>(capacity - end);
    while (zs.avail_out > 0 && !eof) {
      if (member_done) {
        // Concatenated members (cat a.gz b.gz, pigz, bgzip) are one stream.
        ensure_input(2);
        if (zs.avail_in == 0 && raw_eof) {
          eof = true;
          break;
        }
        if (zs.avail_in < 2 || zs.next_in[0] != 0x1f || zs.next_in[1] != 0x8b) {
          set_error("unexpected data after the end of the gzip stream");
          eof = true;
          break;
        }
        inflateReset(&zs);
        member_done = false;
      }
      ensure_input(1);
      if (zs.avail_in == 0) {
        if (error.empty()) set_error("gzip stream is truncated (unexpected end of file)");
        eof = true;
        break;
      }
      const int rc = inflate(&zs, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        member_done = true;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        set_error(std::string("corrupt gzip data: ") + (zs.msg != nullptr ? zs.msg : "inflate failed"));
        eof = true;
      }
    }
    end = capacity - zs.avail_out;
  }

  /// Moves the unread bytes to the front, making room to read more.
  void compact() {
    if (pos == 0) return;
    std::memmove(buf.data(), buf.data() + pos, end - pos);
    end -= pos;
    pos = 0;
  }

  void grow() {
    capacity = std::min(capacity * 2, kMaxLine);
    buf.resize(capacity + simdjson::SIMDJSON_PADDING);
  }
};

JsonlReader::JsonlReader(std::string path) : impl_(std::make_unique<Impl>(path_, error_)), path_(std::move(path)) {
  impl_->fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (impl_->fd < 0) throw std::runtime_error(path_ + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(impl_->fd, &st) == 0 && S_ISDIR(st.st_mode)) throw std::runtime_error(path_ + ": " + std::strerror(EISDIR));
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(impl_->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  impl_->capacity = kInitialBuffer;
  impl_->buf.resize(impl_->capacity + simdjson::SIMDJSON_PADDING);
}

JsonlReader::~JsonlReader() = default;

std::uint64_t JsonlReader::bytes_read() const noexcept { return impl_->bytes_read; }

bool JsonlReader::next(std::string_view& line) {
  Impl& r = *impl_;
  for (;;) {
    const char* start = r.buf.data() + r.pos;
    const auto* nl = static_cast<const char*>(std::memchr(start, '\n', r.end - r.pos));
    std::string_view candidate;
    if (nl != nullptr) {
      candidate = std::string_view(start, static_cast<std::size_t>(nl - start));
      r.pos += candidate.size() + 1;
      if (r.skipping) {  // the tail of a line already handed out cut short
        r.skipping = false;
        continue;
      }
    } else if (r.eof) {
      // A last line without a newline is a record, unless the stream broke under it.
      if (r.pos == r.end || r.skipping || r.failed) {
        r.pos = r.end;
        return false;
      }
      candidate = std::string_view(start, r.end - r.pos);
      r.pos = r.end;
    } else {
      if (r.skipping) {
        r.pos = r.end = 0;
      } else {
        r.compact();
        if (r.end == r.capacity) {
          if (r.capacity >= kMaxLine) {
            // Hand out the first kMaxLine bytes (the decoder rejects them as too
            // large) and drop the rest, so line numbers stay right.
            line = std::string_view(r.buf.data(), r.end);
            ++line_number_;
            r.pos = r.end;
            r.skipping = true;
            return true;
          }
          r.grow();
        }
      }
      r.fill();
      continue;
    }
    ++line_number_;
    if (!candidate.empty() && candidate.back() == '\r') candidate.remove_suffix(1);
    if (line_number_ == 1 && candidate.substr(0, 3) == "\xEF\xBB\xBF") candidate.remove_prefix(3);  // UTF-8 BOM
    if (blank(candidate)) continue;
    line = candidate;
    return true;
  }
}

}  // namespace callroot::ingest
