#include "models/text.h"
#include "rules/loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <tuple>

#include "rules/checker.h"
#include "rules/parser.h"
#include "rules/published_targets.h"

namespace callroot::rules {
namespace {

/// The published targets come first: every rule set sees their parameters.
void add_published_targets(LoadResult& r, std::vector<bool>& readable) {
  r.files.push_back(
      std::make_unique<SourceFile>(std::string(kPublishedTargetsPath), std::string(published_targets_source())));
  readable.push_back(true);
}

/// What kind of file `mode` is, for a refusal that says what was found.
const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

/// Reads a rule file into `text`, or says why not. Only regular files: a
/// FIFO would block the reading thread forever and a device such as
/// /dev/zero never ends. The file is opened without blocking and checked on
/// the open descriptor, so a path swapped after a check cannot slip past.
bool read_rule_file(const std::string& path, std::string& text, std::string& why) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    why = errno == ENOENT ? "no such file or directory" : std::strerror(errno);
    return false;
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    why = std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    why = std::string(file_kind(st.st_mode)) + ", not a regular file";
    return false;
  }
  const auto too_big = [&] {
    why = "larger than the limit of " + std::to_string(kMaxRuleFileBytes / (1024 * 1024)) + " MiB for a rule file";
    return false;
  };
  if (static_cast<std::uintmax_t>(st.st_size) > kMaxRuleFileBytes) return too_big();
  const auto deadline = std::chrono::steady_clock::now() + kRuleFileReadTimeout;
  text.clear();
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      why = std::string("read error: ") + std::strerror(errno);
      return false;
    }
    // The size is checked again as the file grows under us while we read it.
    if (text.size() + static_cast<std::size_t>(n) > kMaxRuleFileBytes) return too_big();
    text.append(buf, static_cast<std::size_t>(n));
    if (std::chrono::steady_clock::now() > deadline) {
      why = "reading took longer than " + std::to_string(kRuleFileReadTimeout.count()) + " ms";
      return false;
    }
  }
  return true;
}

/// An E023 at the first ill-formed byte: the rest of the tools quote rule
/// text in JSON and terminals, which need well-formed UTF-8.
bool valid_utf8(const SourceFile& file, std::vector<Diagnostic>& diagnostics) {
  const std::size_t bad = first_invalid_utf8(file.text);
  if (bad == std::string_view::npos) return true;
  const std::uint32_t line = file.line_of(static_cast<std::uint32_t>(bad));
  const auto column = static_cast<std::uint32_t>(bad - file.line_starts[line - 1] + 1);
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(file.text[bad]));
  diagnostics.push_back(Diagnostic{DiagnosticCode::E023, SourceRange{&file, line, column, column + 1},
                                   std::string("byte ") + byte + " does not start or continue a UTF-8 character",
                                   "save the file as UTF-8"});
  return false;
}

LoadResult finish(LoadResult r, std::vector<bool> readable) {
  std::vector<FileAst> asts;
  for (std::size_t i = 0; i < r.files.size(); ++i) {
    if (readable[i] && valid_utf8(*r.files[i], r.diagnostics)) asts.push_back(parse_file(*r.files[i], r.diagnostics));
  }
  const CheckedRules checked = check(std::move(asts), r.diagnostics);
  // Report in source order: file, line, column (passes interleave).
  std::vector<const SourceFile*> order;
  for (const auto& f : r.files) order.push_back(f.get());
  auto rank = [&](const Diagnostic& d) {
    const auto it = std::find(order.begin(), order.end(), d.range.file);
    return std::tuple(it - order.begin(), d.range.line, d.range.column);
  };
  std::stable_sort(r.diagnostics.begin(), r.diagnostics.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) { return rank(a) < rank(b); });
  if (!r.has_errors()) r.program = compile(checked);
  return r;
}

}  // namespace

bool LoadResult::has_errors() const noexcept { return error_count() > 0; }
std::size_t LoadResult::error_count() const noexcept {
  return static_cast<std::size_t>(std::count_if(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) {
    return d.severity() == DiagnosticSeverity::kError;
  }));
}
std::size_t LoadResult::warning_count() const noexcept { return diagnostics.size() - error_count(); }

LoadResult load_rules(std::span<const std::string> paths) {
  namespace fs = std::filesystem;
  LoadResult r;
  std::vector<bool> readable;
  add_published_targets(r, readable);
  auto cannot = [&](const std::string& path, const std::string& why) {
    r.files.push_back(std::make_unique<SourceFile>(path, std::string()));
    readable.push_back(false);
    r.diagnostics.push_back(Diagnostic{DiagnosticCode::E022, SourceRange{r.files.back().get(), 0, 0, 0},
                                       "cannot read " + path + ": " + why,
                                       "give a readable .rules file or a folder of them"});
  };
  auto read = [&](const std::string& path) {
    std::string text, why;
    if (!read_rule_file(path, text, why)) return cannot(path, why);
    r.files.push_back(std::make_unique<SourceFile>(path, std::move(text)));
    readable.push_back(true);
  };
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::directory_iterator(p, ec)) {
        if (entry.path().extension() == ".rules" && !entry.is_directory()) found.push_back(entry.path().string());
      }
      if (ec) {
        cannot(p, ec.message());
        continue;
      }
      std::sort(found.begin(), found.end());
      for (const std::string& f : found) read(f);
    } else {
      read(p);
    }
  }
  return finish(std::move(r), std::move(readable));
}

LoadResult load_rules_from_text(std::span<const std::pair<std::string, std::string>> sources) {
  LoadResult r;
  std::vector<bool> readable;
  add_published_targets(r, readable);
  for (const auto& [path, text] : sources) {
    r.files.push_back(std::make_unique<SourceFile>(path, text));
    readable.push_back(true);
  }
  return finish(std::move(r), std::move(readable));
}

}  // namespace callroot::rules
