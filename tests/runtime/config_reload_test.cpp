// Which settings a configuration reload takes at once, and which wait for a
// restart (runtime/config_reload.h); the daemon's side is in operations_test.

#include "runtime/config_reload.h"

#include <gtest/gtest.h>

namespace callroot::runtime {
namespace {

TEST(ConfigReload, NamesEveryChangedKeyThatNeedsARestart) {
  const DaemonOptions running;
  EXPECT_TRUE(changes_needing_restart(running, running).empty());
  DaemonOptions next = running;
  next.publish = {"tcp://127.0.0.1:9999"};
  next.config.engine.grace += 1;
  next.config.capture.segmenter.slice_ns *= 2;
  next.checkpoint = "/var/lib/callroot/other.ckpt";
  next.verdict_files.dir = "/var/log/callroot";
  EXPECT_EQ(changes_needing_restart(running, next),
            (std::vector<std::string>{"pub", "grace_ms", "checkpoint", "out_dir", "slice_ms"}));
}

TEST(ConfigReload, TakesTheLiveSettingsAndNothingElse) {
  DaemonOptions running;
  DaemonOptions next = running;
  next.idle_flush = std::chrono::milliseconds(500);
  next.checkpoint_every = std::chrono::seconds(60);
  next.memory_limit_mb = 4096;
  next.verdict_files.max_bytes = 1 << 20;
  next.verdict_files.sync_each_line = true;
  next.config.attribution.refuse_shrink = true;
  next.publish = {"tcp://127.0.0.1:9999"};
  next.verdict_files.dir = "/elsewhere";
  EXPECT_TRUE(changes_needing_restart(running, next) == (std::vector<std::string>{"pub", "out_dir"}));
  take_live_settings(running, next);
  EXPECT_EQ(running.idle_flush, next.idle_flush);
  EXPECT_EQ(running.checkpoint_every, next.checkpoint_every);
  EXPECT_EQ(running.memory_limit_mb, 4096u);
  EXPECT_EQ(running.verdict_files.max_bytes, 1u << 20);
  EXPECT_TRUE(running.verdict_files.sync_each_line);
  EXPECT_TRUE(running.config.attribution.refuse_shrink);
  // What waits for a restart keeps its running value, and is named again at the next reload.
  EXPECT_NE(running.publish, next.publish);
  EXPECT_TRUE(running.verdict_files.dir.empty());
  EXPECT_EQ(changes_needing_restart(running, next), (std::vector<std::string>{"pub", "out_dir"}));
}

TEST(ConfigReload, AnotherMethodRulePathOrCheckIntervalIsAnotherAttribution) {
  const DaemonOptions running;
  EXPECT_FALSE(attribution_changed(running, running));
  DaemonOptions next = running;
  next.config.attribution.refuse_shrink = true;  // taken by the running watcher
  EXPECT_FALSE(attribution_changed(running, next));
  next = running;
  next.config.attribution.method = "heuristic";
  EXPECT_TRUE(attribution_changed(running, next));
  next = running;
  next.config.attribution.rules = {"/etc/callroot/rules"};
  EXPECT_TRUE(attribution_changed(running, next));
  next = running;
  next.rules_check_interval = std::chrono::seconds(5);
  EXPECT_TRUE(attribution_changed(running, next));
}

}  // namespace
}  // namespace callroot::runtime
