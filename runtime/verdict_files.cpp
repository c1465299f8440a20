#include "runtime/verdict_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "models/json_writer.h"

namespace callroot::runtime {
namespace {

constexpr const char* kCurrent = "verdicts.jsonl";

/// "20261207T131500Z": when a file was closed, for its name.
std::string utc_stamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

/// The length of `fd`'s content up to and including its last newline.
std::uint64_t complete_length(int fd, std::uint64_t size) {
  char buf[4096];
  std::uint64_t end = size;
  while (end > 0) {
    const std::uint64_t begin = end > sizeof buf ? end - sizeof buf : 0;
    const auto n = pread(fd, buf, end - begin, static_cast<off_t>(begin));
    if (n <= 0) return 0;
    for (auto i = static_cast<std::uint64_t>(n); i > 0; --i) {
      if (buf[i - 1] == '\n') return begin + i;
    }
    end = begin;
  }
  return 0;
}

}  // namespace

VerdictFiles::VerdictFiles(VerdictFilesOptions options, std::shared_ptr<spdlog::logger> log, Clock& clock)
    : options_(std::move(options)), log_(std::move(log)), clock_(clock) {
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  if (ec) throw std::runtime_error("cannot create the verdict folder " + options_.dir + ": " + ec.message());
  open_current();
}

VerdictFiles::~VerdictFiles() {
  if (fd_ < 0) return;
  sync();
  ::close(fd_);
}

std::string VerdictFiles::current_path() const { return (std::filesystem::path(options_.dir) / kCurrent).string(); }

void VerdictFiles::open_current() {
  const std::string path = current_path();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd_, &st) != 0) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  size_ = static_cast<std::uint64_t>(st.st_size);
  // A line a crash cut short would glue itself to the next one: cut it off.
  if (const std::uint64_t complete = complete_length(fd_, size_); complete < size_) {
    if (ftruncate(fd_, static_cast<off_t>(complete)) != 0) {
      throw std::runtime_error("cannot cut the torn last line of " + path + ": " + std::strerror(errno));
    }
    stats_.torn_bytes_dropped += size_ - complete;
    if (log_) log_->warn("{}: cut {} byte(s) of a line a crash left unfinished", path, size_ - complete);
    size_ = complete;
  }
  opened_at_ = synced_at_ = clock_.now();
}

void VerdictFiles::on_verdict(const Verdict& v) {
  line_.clear();
  append_json(line_, v);
  write_line();
}

void VerdictFiles::on_incident(const Incident& x) {
  line_.clear();
  append_json(line_, x);
  write_line();
}

void VerdictFiles::write_line() {
  line_ += '\n';
  if (fd_ < 0) {
    ++stats_.write_errors;
    return;
  }
  // One write(2) per line with O_APPEND: the kernel has it once this returns.
  std::size_t done = 0;
  while (done < line_.size()) {
    const ssize_t n = ::write(fd_, line_.data() + done, line_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ++stats_.write_errors;
      if (log_ && stats_.write_errors <= 10) {
        log_->error("cannot write {}: {}", current_path(), std::strerror(errno));
      }
      return;
    }
    done += static_cast<std::size_t>(n);
  }
  size_ += line_.size();
  ++stats_.lines;
  dirty_ = true;
  if (options_.sync_each_line) sync();
  if (options_.max_bytes > 0 && size_ >= options_.max_bytes) rotate();
}

void VerdictFiles::tick() {
  const auto now = clock_.now();
  if (dirty_ && now - synced_at_ >= options_.sync_every) sync();
  if (options_.max_age.count() > 0 && size_ > 0 && now - opened_at_ >= options_.max_age) rotate();
}

void VerdictFiles::set_policy(const VerdictFilesOptions& policy) {
  options_.max_bytes = policy.max_bytes;
  options_.max_age = policy.max_age;
  options_.sync_every = policy.sync_every;
  options_.sync_each_line = policy.sync_each_line;
}

void VerdictFiles::sync() {
  synced_at_ = clock_.now();
  if (!dirty_) return;
  if (fdatasync(fd_) != 0 && log_) log_->error("cannot sync {}: {}", current_path(), std::strerror(errno));
  dirty_ = false;
  ++stats_.syncs;
}

void VerdictFiles::rotate() {
  sync();
  const std::filesystem::path dir(options_.dir);
  const std::string stamp = utc_stamp();
  // Numbered within the second, zero-padded, so that names sort in the order written.
  std::filesystem::path target;
  for (int n = 1; target.empty() || std::filesystem::exists(target); ++n) {
    char seq[16];
    std::snprintf(seq, sizeof seq, "%06d", n);
    target = dir / ("verdicts-" + stamp + "-" + seq + ".jsonl");
  }
  std::error_code ec;
  std::filesystem::rename(current_path(), target, ec);
  if (ec) {
    // Keep writing where we are rather than lose lines; try again at the next one.
    if (log_) log_->error("cannot rotate {}: {}", current_path(), ec.message());
    return;
  }
  ::close(fd_);
  fd_ = -1;
  try {
    open_current();
  } catch (const std::exception& e) {
    // No new file: go on appending to the one just renamed rather than lose lines.
    if (log_) log_->error("{}; writing on to {}", e.what(), target.string());
    std::filesystem::rename(target, current_path(), ec);
    fd_ = ::open(current_path().c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    return;
  }
  ++stats_.rotations;
  // The rename must survive a power cut too: sync the folder's entry.
  if (const int dfd = ::open(options_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace callroot::runtime
