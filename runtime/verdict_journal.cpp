#include "runtime/verdict_journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string_view>

#include "engine/checkpoint.h"
#include "engine/segment_ledger.h"
#include "models/bytes.h"

namespace callroot::runtime {
namespace {

constexpr std::string_view kMagic = "CALLROOT-JRNL";
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderBytes = kMagic.size() + 4;

std::string header() {
  ByteWriter w;
  w.bytes().append(kMagic);
  w.u32(kVersion);
  return std::move(w.bytes());
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("verdict journal " + path + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

VerdictJournal::VerdictJournal(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) fail(path_, "cannot open");
  struct stat st {};
  if (::fstat(fd_, &st) != 0) fail(path_, "cannot stat");
  if (st.st_size == 0) write_header();
}

VerdictJournal::~VerdictJournal() {
  if (fd_ >= 0) ::close(fd_);
}

void VerdictJournal::write_header() {
  const std::string h = header();
  if (!engine::write_all(fd_, h)) fail(path_, "cannot write");
}

std::vector<std::uint64_t> VerdictJournal::read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return {};
    fail(path, "cannot open");
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) return {};  // created, then killed before its header
  if (bytes.size() < kHeaderBytes || std::string_view(bytes).substr(0, kHeaderBytes) != header()) {
    throw std::runtime_error("verdict journal " + path + ": not a journal of this version (bad header)");
  }
  // A torn last entry (a power cut mid-write) is left out: it was never whole.
  const std::size_t whole = (bytes.size() - kHeaderBytes) / 8 * 8;
  ByteReader r(std::string_view(bytes).substr(kHeaderBytes, whole), "verdict journal " + path);
  std::vector<std::uint64_t> keys;
  keys.reserve(whole / 8);
  while (!r.done()) keys.push_back(r.u64());
  return keys;
}

bool VerdictJournal::append(std::uint64_t key) noexcept {
  ByteWriter w;
  w.u64(key);
  return engine::write_all(fd_, w.bytes());
}

void VerdictJournal::reset() {
  if (::ftruncate(fd_, 0) != 0) fail(path_, "cannot empty");
  write_header();  // O_APPEND: written at the new end, offset 0
}

void JournalingSink::on_verdict(const Verdict& v) {
  if (!journal_.append(engine::SegmentLedger::key(v.call_id, v.segment_id))) {
    if (failures_++ % 1000 == 0) {
      log_->error("verdict journal {}: cannot write ({}); {} verdict(s) so far would not be known after a crash",
                  journal_.path(), std::strerror(errno), failures_);
    }
  }
  next_.on_verdict(v);
}

}  // namespace callroot::runtime
