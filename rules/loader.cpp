#include "rules/loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
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

LoadResult finish(LoadResult r, std::vector<bool> readable) {
  std::vector<FileAst> asts;
  for (std::size_t i = 0; i < r.files.size(); ++i) {
    if (readable[i]) asts.push_back(parse_file(*r.files[i], r.diagnostics));
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
    std::ifstream in(path, std::ios::binary);
    if (!in) return cannot(path, "cannot open");
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return cannot(path, "read error");
    r.files.push_back(std::make_unique<SourceFile>(path, ss.str()));
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
    } else if (!fs::exists(p, ec)) {
      cannot(p, "no such file or directory");
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
