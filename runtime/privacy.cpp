#include "runtime/privacy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "models/net.h"
#include "runtime/new_file.h"

namespace callroot::runtime {
namespace {

// A key file is 64 digits and a newline; anything much larger is not one.
constexpr std::size_t kMaxKeyFileBytes = 4096;

std::string read_key_file(const std::string& path, spdlog::logger& log) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("key file " + path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    log.warn("key file {} can be read by others than its owner (mode {:04o}); chmod 600 it", path,
             static_cast<unsigned>(st.st_mode & 07777));
  }
  std::string text(kMaxKeyFileBytes + 1, '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string message = "key file " + path + ": cannot read: " + std::strerror(errno);
      ::close(fd);
      throw std::runtime_error(message);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (got > kMaxKeyFileBytes) {
    throw std::runtime_error("key file " + path + ": not a key: more than " + std::to_string(kMaxKeyFileBytes) +
                             " bytes (expected 64 hexadecimal digits)");
  }
  text.resize(got);
  return text;
}

}  // namespace

std::unique_ptr<Privacy> load_privacy(const std::string& path, spdlog::logger& log) {
  if (path.empty()) return nullptr;
  std::string text = read_key_file(path, log);
  try {
    auto privacy = std::make_unique<Privacy>(OrgKey::parse_hex(text, "key file " + path));
    std::fill(text.begin(), text.end(), '\0');
    return privacy;
  } catch (const std::invalid_argument& e) {
    std::fill(text.begin(), text.end(), '\0');
    throw std::runtime_error(e.what());
  }
}

int run_privacy_keygen(const std::string& out, spdlog::logger& log) {
  const std::string text = OrgKey::generate().hex() + "\n";
  if (out.empty() || out == "-") {
    std::fputs(text.c_str(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 2;
  }
  // Never over an existing file: replacing a key changes every pseudonym and
  // leaves the checkpoints it sealed unreadable.
  try {
    write_new_file(out, text, 0600);
  } catch (const std::exception& e) {
    std::error_code ec;
    const bool exists = std::filesystem::exists(out, ec);
    log.error("{}{}", e.what(),
              exists ? " (a key is never overwritten: remove the old one first, knowing that its "
                       "pseudonyms and encrypted checkpoints go with it)"
                     : "");
    return 2;
  }
  log.info("wrote a new organization key to {} (mode 0600)", out);
  return 0;
}

int run_privacy_pseudonym(const std::string& key_file, const std::vector<std::string>& values, spdlog::logger& log) {
  std::unique_ptr<Privacy> privacy;
  try {
    privacy = load_privacy(key_file, log);
  } catch (const std::exception& e) {
    log.error("{}", e.what());
    return 2;
  }
  const Pseudonymizer& p = privacy->pseudonymizer;
  for (const std::string& v : values) {
    if (const auto mac = Mac::parse(v)) {
      std::printf("%s\tmac\t%s\n", v.c_str(), p.mac(*mac).str().c_str());
    } else if (const auto ip = IpAddr::parse(v)) {
      std::printf("%s\tip\t%s\n", v.c_str(), p.ip(*ip).c_str());
    } else if (v.find('@') != std::string::npos) {
      std::printf("%s\tuser\t%s\n", v.c_str(), p.user(v).c_str());
    } else {
      std::printf("%s\tuser\t%s\n", v.c_str(), p.user(v).c_str());
      std::printf("%s\thostname\t%s\n", v.c_str(), p.hostname(v).c_str());
    }
  }
  return std::fflush(stdout) == 0 ? 0 : 2;
}

}  // namespace callroot::runtime
