#include "engine/checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace callroot::engine {
namespace {

/// The process's umask, read without changing it (umask(2) can only set it,
/// and setting it for a moment would race with other threads creating files).
mode_t process_umask() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Umask:", 0) == 0) return static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8));
  }
  return 022;
}

std::string sys_error(const std::string& what, const std::string& path) {
  return "checkpoint " + path + ": " + what + ": " + std::strerror(errno);
}

/// zlib's crc32 takes a uInt length; a payload is fed in pieces so one over
/// 4 GiB is still summed correctly.
std::uint32_t crc_update(std::uint32_t crc, std::string_view bytes) {
  uLong c = crc;
  while (!bytes.empty()) {
    const std::size_t n = std::min<std::size_t>(bytes.size(), 1u << 30);
    c = crc32(c, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(n));
    bytes.remove_prefix(n);
  }
  return static_cast<std::uint32_t>(c);
}

std::uint32_t section_crc(std::string_view name, std::uint64_t length, std::string_view payload) {
  std::uint32_t crc = static_cast<std::uint32_t>(crc32(0L, Z_NULL, 0));
  crc = crc_update(crc, name);
  ByteWriter length_bytes;
  length_bytes.u64(length);
  crc = crc_update(crc, length_bytes.bytes());
  return crc_update(crc, payload);
}

std::string sealed_header(const StateCipher& cipher) {
  ByteWriter h;
  h.bytes().append(kSealedCheckpointMagic);
  h.u32(kSealedCheckpointVersion);
  h.bytes().append(reinterpret_cast<const char*>(cipher.key_id().data()), cipher.key_id().size());
  return std::move(h.bytes());
}

}  // namespace

bool write_all(int fd, std::string_view data) noexcept {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void write_checkpoint(const std::string& path, const std::vector<CheckpointSection>& sections,
                      const StateCipher* cipher) {
  ByteWriter w;
  w.bytes().append(kCheckpointMagic);
  w.u32(kCheckpointVersion);
  w.u32(static_cast<std::uint32_t>(sections.size()));
  for (const auto& s : sections) {
    if (s.name.empty() || s.name.size() > 0xffff) {
      throw std::runtime_error("checkpoint " + path + ": bad section name `" + s.name + "`");
    }
    w.str16(s.name);
    w.u64(s.payload.size());
    w.u32(section_crc(s.name, s.payload.size(), s.payload));
    w.bytes() += s.payload;
  }
  std::string& out = w.bytes();
  if (cipher != nullptr) {
    const std::string header = sealed_header(*cipher);
    out = header + cipher->seal(out, header);
  }

  // The temporary file sits next to the target: rename() is atomic only
  // within one file system.
  const std::filesystem::path target(path);
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::string tmp = (dir / (target.filename().string() + ".tmp.XXXXXX")).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw std::runtime_error(sys_error("cannot create a temporary file in " + dir.string(), path));
  const auto fail = [&](const std::string& what) {
    const std::string message = sys_error(what, path);
    ::close(fd);
    ::unlink(tmp.c_str());
    throw std::runtime_error(message);
  };
  // mkstemp makes the file 0600; a plain checkpoint is no more private than
  // the daemon's other output, so it gets what the umask gives a new file
  // (systemd's UMask=0077 keeps it the service's own). An encrypted one stays
  // 0600: privacy mode asked for less exposure, not more.
  if (cipher == nullptr) ::fchmod(fd, 0666 & ~process_umask());
  if (!write_all(fd, out)) fail("cannot write");
  if (::fsync(fd) != 0) fail("cannot sync");
  if (::close(fd) != 0) {
    const std::string message = sys_error("cannot close", path);
    ::unlink(tmp.c_str());
    throw std::runtime_error(message);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string message = sys_error("cannot rename " + tmp + " over it", path);
    ::unlink(tmp.c_str());
    throw std::runtime_error(message);
  }
  // The rename itself is durable only once the directory is synced.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

namespace {

/// The plain image inside a sealed file, or throws saying why not.
std::string open_sealed(std::string_view data, const std::string& where, const StateCipher* cipher) {
  const std::size_t header_size = kSealedCheckpointMagic.size() + 4 + StateCipher::kKeyIdBytes;
  if (data.size() < header_size) throw std::runtime_error(where + ": encrypted checkpoint truncated in its header");
  ByteReader r(data.substr(kSealedCheckpointMagic.size()), where + ": header");
  const std::uint32_t version = r.u32();
  if (version != kSealedCheckpointVersion) {
    throw std::runtime_error(where + ": unknown encrypted checkpoint version " + std::to_string(version) +
                             " (this build reads version " + std::to_string(kSealedCheckpointVersion) + ")");
  }
  const auto* id = reinterpret_cast<const unsigned char*>(data.data() + kSealedCheckpointMagic.size() + 4);
  const std::string file_key = to_hex(id, StateCipher::kKeyIdBytes);
  if (cipher == nullptr) {
    throw std::runtime_error(where + ": encrypted (key id " + file_key + ") but no key is configured (--key-file)");
  }
  const std::string our_key = to_hex(cipher->key_id().data(), cipher->key_id().size());
  if (file_key != our_key) {
    throw std::runtime_error(where + ": encrypted with another key (key id " + file_key + "; the configured key is " +
                             our_key + ")");
  }
  auto plain = cipher->open(data.substr(header_size), data.substr(0, header_size));
  if (!plain) throw std::runtime_error(where + ": corrupt: the encrypted checkpoint does not authenticate");
  return std::move(*plain);
}

}  // namespace

std::vector<CheckpointSection> read_checkpoint(const std::string& path, const StateCipher* cipher) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(sys_error("cannot open", path));
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(sys_error("cannot read", path));

  const std::string where = "checkpoint " + path;
  if (std::string_view(data).substr(0, kSealedCheckpointMagic.size()) == kSealedCheckpointMagic) {
    data = open_sealed(data, where, cipher);
  }
  if (data.size() < kCheckpointMagic.size() ||
      std::string_view(data).substr(0, kCheckpointMagic.size()) != kCheckpointMagic) {
    throw std::runtime_error(where + ": bad magic (not a callroot checkpoint)");
  }
  ByteReader header(std::string_view(data).substr(kCheckpointMagic.size()), where + ": header");
  const std::uint32_t version = header.u32();
  if (version != kCheckpointVersion) {
    throw std::runtime_error(where + ": unknown version " + std::to_string(version) + " (this build reads version " +
                             std::to_string(kCheckpointVersion) + ")");
  }
  const std::uint32_t count = header.u32();
  std::size_t pos = kCheckpointMagic.size() + 8;
  std::vector<CheckpointSection> sections;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::string context = where + ": section " + std::to_string(i + 1) + " of " + std::to_string(count);
    ByteReader r(std::string_view(data).substr(pos), context);
    const std::size_t name_length = r.u16();
    if (data.size() - pos - 2 < name_length) r.fail("truncated in its name");
    CheckpointSection s;
    s.name.assign(data, pos + 2, name_length);
    pos += 2 + name_length;
    const std::string named = where + ": section `" + s.name + "`";
    ByteReader h(std::string_view(data).substr(pos), named);
    const std::uint64_t length = h.u64();
    const std::uint32_t crc = h.u32();
    pos += 12;
    if (data.size() - pos < length) {
      throw std::runtime_error(named + ": truncated (" + std::to_string(length) + " bytes announced, " +
                               std::to_string(data.size() - pos) + " present)");
    }
    s.payload.assign(data, pos, static_cast<std::size_t>(length));
    pos += static_cast<std::size_t>(length);
    if (section_crc(s.name, length, s.payload) != crc) throw std::runtime_error(named + ": CRC mismatch");
    if (find_section(sections, s.name)) throw std::runtime_error(named + ": appears twice");
    sections.push_back(std::move(s));
  }
  if (pos != data.size()) {
    throw std::runtime_error(where + ": " + std::to_string(data.size() - pos) +
                             " unexpected bytes after the last section");
  }
  return sections;
}

std::optional<std::string_view> find_section(const std::vector<CheckpointSection>& sections, std::string_view name) {
  for (const auto& s : sections) {
    if (s.name == name) return std::string_view(s.payload);
  }
  return std::nullopt;
}

}  // namespace callroot::engine
