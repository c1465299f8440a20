#include "models/incident.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <vector>

namespace callroot {
namespace {

using nlohmann::json;

constexpr TimeMs kT0 = 1772446530250;  // 2026-03-02T10:15:30.250Z

Incident sample(IncidentState state) {
  Incident x;
  x.id = "inc-hq-ap-hq-ap08-1772446530250";
  x.state = state;
  x.kind = ComponentKind::kAp;
  x.component = "hq-ap08";
  x.site = "hq";
  x.since = kT0;
  x.until = kT0 + 600'000;
  x.updated = kT0 + 900'000;
  x.segments = {"seg-1", "seg-\"2\""};
  x.count = 7;
  x.users = {"ann@contoso.example"};
  x.user_count = 3;
  x.confidence = 0.91234;
  x.evidence.push_back({{EvidenceSource::kRule, "heuristic.ap.channel_util", "channel_util_pct avg 90%"}, 5});
  x.evidence.push_back({{EvidenceSource::kStats, "z.retry", "3.1 sigma"}, 1});
  x.reason = IncidentCloseReason::kQuiet;
  return x;
}

TEST(IncidentJson, OpenRecordHasTheSpecFieldsInOrderAndNoUntil) {
  const std::string text = to_json(sample(IncidentState::kOpen));
  EXPECT_EQ(text.find('\n'), std::string::npos);
  const json j = json::parse(text);
  // nlohmann/json sorts keys: the order in the text is checked on the string below.
  EXPECT_EQ(j.at("type"), "incident");
  EXPECT_EQ(j.at("id"), "inc-hq-ap-hq-ap08-1772446530250");
  EXPECT_EQ(j.at("state"), "open");
  EXPECT_EQ(j.at("kind"), "ap");
  EXPECT_EQ(j.at("component"), "hq-ap08");
  EXPECT_EQ(j.at("site"), "hq");
  EXPECT_EQ(j.at("since"), "2026-03-02T10:15:30.250Z");
  EXPECT_FALSE(j.contains("until"));
  EXPECT_FALSE(j.contains("reason"));
  EXPECT_FALSE(j.contains("reopened"));
  EXPECT_EQ(j.at("segments"), json::array({"seg-1", "seg-\"2\""}));
  EXPECT_EQ(j.at("users"), json::array({"ann@contoso.example"}));
  ASSERT_EQ(j.at("evidence").size(), 2u);
  EXPECT_EQ(j.at("evidence")[0].at("source"), "rule");
  EXPECT_EQ(j.at("evidence")[0].at("id"), "heuristic.ap.channel_util");
  EXPECT_EQ(j.at("evidence")[0].at("text"), "channel_util_pct avg 90%");
  EXPECT_EQ(j.at("evidence")[0].at("segments"), 5);
  EXPECT_EQ(j.at("evidence")[1].at("source"), "stats");
  EXPECT_EQ(j.at("count"), 7);
  EXPECT_EQ(j.at("user_count"), 3);
  EXPECT_DOUBLE_EQ(j.at("confidence").get<double>(), 0.912);
  EXPECT_EQ(j.at("updated"), "2026-03-02T10:30:30.250Z");

  const std::vector<std::string> order = {
      "\"type\"",     "\"id\"",    "\"state\"",    "\"kind\"",  "\"component\"",  "\"site\"",       "\"since\"",
      "\"segments\"", "\"users\"", "\"evidence\"", "\"count\"", "\"user_count\"", "\"confidence\"", "\"updated\""};
  std::size_t at = 0;
  for (const auto& key : order) {
    const auto pos = text.find(key, at);
    ASSERT_NE(pos, std::string::npos) << key << " out of order in " << text;
    at = pos;
  }
}

TEST(IncidentJson, ClosedRecordHasUntilAndReason) {
  Incident x = sample(IncidentState::kClosed);
  x.reopened = 2;
  const json j = json::parse(to_json(x));
  EXPECT_EQ(j.at("state"), "closed");
  EXPECT_EQ(j.at("until"), "2026-03-02T10:25:30.250Z");
  EXPECT_EQ(j.at("reason"), "quiet");
  EXPECT_EQ(j.at("reopened"), 2);
  const std::string text = to_json(x);
  EXPECT_LT(text.find("\"since\""), text.find("\"until\""));
  EXPECT_LT(text.find("\"until\""), text.find("\"segments\""));
}

TEST(IncidentJson, UpdateRecordAndEmptyLists) {
  Incident x;
  x.id = "inc--client-aa:00:00:00:00:01-0";
  x.state = IncidentState::kUpdate;
  x.kind = ComponentKind::kClient;
  x.component = "aa:00:00:00:00:01";
  const json j = json::parse(to_json(x));
  EXPECT_EQ(j.at("state"), "update");
  EXPECT_EQ(j.at("site"), "");
  EXPECT_TRUE(j.at("segments").empty());
  EXPECT_TRUE(j.at("users").empty());
  EXPECT_TRUE(j.at("evidence").empty());
  EXPECT_FALSE(j.contains("until"));
}

TEST(IncidentJson, StateAndReasonNames) {
  EXPECT_EQ(to_string(IncidentState::kOpen), "open");
  EXPECT_EQ(to_string(IncidentState::kUpdate), "update");
  EXPECT_EQ(to_string(IncidentState::kClosed), "closed");
  EXPECT_EQ(to_string(IncidentCloseReason::kQuiet), "quiet");
  EXPECT_EQ(to_string(IncidentCloseReason::kCapacity), "capacity");
}

}  // namespace
}  // namespace callroot
