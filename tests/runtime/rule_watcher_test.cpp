// Rule reload: a change to a rule file reloads, a failed load keeps what
// runs and is reported once, SIGHUP forces a reload.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <atomic>
#include <future>
#include <iostream>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>

#include "engine/attributors.h"
#include "runtime/rule_watcher.h"

namespace callroot::runtime {
namespace {

TEST(RuleWatcher, ReloadsOnChangeKeepsOldRulesOnError) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "rule-watcher";
  std::filesystem::create_directories(dir);
  const auto file = dir / "a.rules";
  std::ofstream(file) << "good v1\n";

  int loads = 0;
  RuleLoader loader = [&](const std::vector<std::string>& paths, RuleLoadReport& report) {
    ++loads;
    std::ifstream in(paths.at(0) + "/a.rules");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.rfind("good", 0) != 0) {
      report.diagnostics.push_back("a.rules:1:1: error[E001]: syntax error");
      report.diagnostics.push_back("a.rules:2:1: warning[W003]: a macro nothing uses");
      return engine::AttributorPtr{};
    }
    return engine::AttributorPtr(engine::make_heuristic());
  };
  std::ostringstream log_text;
  auto log = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text));
  log->set_pattern("%l %v");
  RuleWatcher watcher({dir.string()}, loader, log, std::chrono::milliseconds(0), /*background=*/false);

  EXPECT_NE(watcher.load_initial(), nullptr);
  EXPECT_EQ(watcher.poll(false), nullptr);  // nothing changed
  EXPECT_EQ(loads, 1);

  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::ofstream(file) << "broken edit that is longer\n";
  EXPECT_EQ(watcher.poll(false), nullptr);  // failed: the caller keeps its rules
  EXPECT_EQ(watcher.rejected(), 1u);
  // Each diagnostic at its own level: a failed set's warnings stay warnings.
  EXPECT_NE(log_text.str().find("error a.rules:1:1: error[E001]"), std::string::npos) << log_text.str();
  EXPECT_NE(log_text.str().find("warning a.rules:2:1: warning[W003]"), std::string::npos) << log_text.str();
  EXPECT_EQ(watcher.poll(false), nullptr);  // the same broken files: not retried every poll
  EXPECT_EQ(loads, 2);

  std::ofstream(file) << "good v2, a fix\n";
  EXPECT_NE(watcher.poll(false), nullptr);
  EXPECT_EQ(watcher.reloads(), 2u);

  EXPECT_NE(watcher.poll(/*forced=*/true), nullptr);  // SIGHUP reloads even without a change
  EXPECT_EQ(loads, 4);
  std::filesystem::remove_all(dir);
}

TEST(RuleWatcher, ReloadsInTheBackgroundAndHandsOverWhenReady) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "rule-watcher-bg";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a.rules") << "v1\n";
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> loads{0};
  RuleLoader loader = [&](const std::vector<std::string>&, RuleLoadReport&) {
    if (loads.fetch_add(1) > 0) released.wait();  // the reload takes as long as the test says
    return engine::AttributorPtr(engine::make_heuristic());
  };
  auto log = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::ostream_sink_mt>(std::cerr));
  RuleWatcher watcher({dir.string()}, loader, log, std::chrono::milliseconds(0));
  ASSERT_NE(watcher.load_initial(), nullptr);

  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::ofstream(dir / "a.rules") << "version two\n";
  EXPECT_EQ(watcher.poll(false), nullptr);  // started; the caller goes on scoring with the old rules
  EXPECT_EQ(watcher.poll(false), nullptr);  // still compiling
  release.set_value();
  engine::AttributorPtr swapped;
  for (int i = 0; i < 200 && !swapped; ++i) {
    swapped = watcher.poll(false);
    if (!swapped) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_NE(swapped, nullptr);
  EXPECT_EQ(loads.load(), 2);
  std::filesystem::remove_all(dir);
}

/// Loads the real rule language: a file deleted from the folder, or an edit
/// that lost rules, is reported; with refusal on, the running set stays.
TEST(RuleWatcher, ReportsAndOptionallyRefusesARuleSetThatShrank) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "rule-watcher-shrink";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string rule_a = "rule a {\n  blame: client\n  when: sent.poor\n}\n";
  const std::string rule_b = "rule b {\n  blame: ap\n  when: sent.poor\n}\n";
  std::ofstream(dir / "a.rules") << rule_a << rule_b;
  std::ofstream(dir / "c.rules") << "rule c {\n  blame: wan\n  when: sent.poor\n}\n";
  std::ostringstream log_text;
  auto log = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text));
  AttributionConfig pack_alone;
  pack_alone.method = "rules";
  RuleWatcher watcher({dir.string()}, rule_loader(pack_alone), log, std::chrono::milliseconds(0), /*background=*/false);
  ASSERT_NE(watcher.load_initial(), nullptr);
  EXPECT_EQ(watcher.shrunk(), 0u);

  std::filesystem::remove(dir / "c.rules");  // a file deleted: reported, still loaded
  EXPECT_NE(watcher.poll(/*forced=*/true), nullptr);
  EXPECT_EQ(watcher.shrunk(), 1u);
  EXPECT_NE(log_text.str().find("the new set has 2 rule(s) in 1 file(s), the running one 3 in 2; gone: " +
                                (dir / "c.rules").string()),
            std::string::npos)
      << log_text.str();

  watcher.set_refuse_shrink(true);
  std::ofstream(dir / "a.rules") << rule_a;  // saved half-way: one rule fewer, refused
  EXPECT_EQ(watcher.poll(/*forced=*/true), nullptr);
  EXPECT_EQ(watcher.shrunk(), 2u);
  EXPECT_EQ(watcher.rejected(), 1u);
  EXPECT_NE(log_text.str().find("refused (rules_refuse_shrink)"), std::string::npos) << log_text.str();

  std::ofstream(dir / "a.rules") << rule_a << rule_b;  // the whole edit: as many rules as running
  EXPECT_NE(watcher.poll(/*forced=*/true), nullptr);
  EXPECT_EQ(watcher.shrunk(), 2u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace callroot::runtime
