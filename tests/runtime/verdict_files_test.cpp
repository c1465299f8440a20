// Rotating verdict files (runtime/verdict_files.h): every line kept, in
// order, across rotations by size and by age; a line a crash cut short is
// cut off when the file is opened again.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/null_sink.h>

#include "demo_files.h"
#include "models/json_writer.h"
#include "runtime/replay.h"
#include "runtime/sinks.h"
#include "runtime/verdict_files.h"

namespace callroot::runtime::testing {
namespace {

std::shared_ptr<spdlog::logger> quiet() {
  return std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
}

const std::vector<Verdict>& demo_verdicts() {
  static const std::vector<Verdict> verdicts = [] {
    CollectingSink sink;
    ReplayOptions options;
    options.files = demo_inputs();
    options.progress = false;
    replay_into(options, sink, quiet());
    return sink.verdicts;
  }();
  return verdicts;
}

/// The lines of the folder's files: rotated ones by name, then the current one.
std::vector<std::string> lines_in(const std::filesystem::path& dir, std::size_t* files = nullptr) {
  std::vector<std::filesystem::path> rotated;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename() != "verdicts.jsonl") rotated.push_back(e.path());
  }
  std::sort(rotated.begin(), rotated.end());
  rotated.push_back(dir / "verdicts.jsonl");
  if (files != nullptr) *files = rotated.size();
  std::vector<std::string> out;
  for (const auto& path : rotated) {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) out.push_back(line);
  }
  return out;
}

TEST(VerdictFiles, RotationBySizeKeepsEveryLineInOrder) {
  TempDir dir("verdict-files-size");
  VerdictFilesOptions o;
  o.dir = (dir.path() / "out").string();
  o.max_bytes = 64 << 10;
  std::vector<std::string> expected;
  {
    VerdictFiles files(o, quiet());
    for (const Verdict& v : demo_verdicts()) {
      files.on_verdict(v);
      expected.push_back(to_json(v));
    }
    EXPECT_GE(files.stats().rotations, 3u);
    EXPECT_EQ(files.stats().lines, expected.size());
  }
  std::size_t count = 0;
  EXPECT_EQ(lines_in(o.dir, &count), expected);
  EXPECT_GE(count, 4u);
  for (const auto& e : std::filesystem::directory_iterator(o.dir)) {
    EXPECT_LE(std::filesystem::file_size(e.path()), o.max_bytes + 16384) << e.path();
  }
}

TEST(VerdictFiles, AFileIsRotatedAtItsAgeOnTheConfiguredClock) {
  TempDir dir("verdict-files-age");
  VerdictFilesOptions o;
  o.dir = dir.path().string();
  o.max_bytes = 0;
  o.max_age = std::chrono::seconds(3600);
  ManualClock clock;
  VerdictFiles files(o, quiet(), clock);
  files.on_verdict(demo_verdicts().front());
  files.tick();
  EXPECT_EQ(files.stats().rotations, 0u);
  clock.advance(std::chrono::minutes(59));
  files.tick();
  EXPECT_EQ(files.stats().rotations, 0u);
  EXPECT_GE(files.stats().syncs, 1u) << "a second passed with a line unsynced";
  clock.advance(std::chrono::minutes(1));
  files.tick();
  EXPECT_EQ(files.stats().rotations, 1u);
  clock.advance(std::chrono::hours(2));
  files.tick();  // nothing written since: an empty file is not rotated
  EXPECT_EQ(files.stats().rotations, 1u);
}

TEST(VerdictFiles, ALineACrashCutShortIsCutOffWhenTheFileIsOpenedAgain) {
  TempDir dir("verdict-files-torn");
  const std::string first = to_json(demo_verdicts()[0]);
  const std::string second = to_json(demo_verdicts()[1]);
  std::ofstream(dir.path() / "verdicts.jsonl") << first << "\n" << second.substr(0, 40);
  VerdictFilesOptions o;
  o.dir = dir.path().string();
  {
    VerdictFiles files(o, quiet());
    EXPECT_EQ(files.stats().torn_bytes_dropped, 40u);
    files.on_verdict(demo_verdicts()[1]);
  }
  EXPECT_EQ(lines_in(dir.path()), (std::vector<std::string>{first, second}));
}

TEST(VerdictFiles, AFolderItCannotCreateIsASetupError) {
  VerdictFilesOptions o;
  o.dir = "/proc/no-such-place/verdicts";
  EXPECT_THROW(VerdictFiles(o, quiet()), std::runtime_error);
}

}  // namespace
}  // namespace callroot::runtime::testing
