// The Zoom connector against an emulator of Zoom's token endpoint and
// dashboard API on 127.0.0.1: Server-to-Server OAuth, paging, the daily
// quota shared with the customer, 429 "Daily-limit", double-encoded meeting
// UUIDs, malformed pages, and the verdicts of what was fetched.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <set>

#include <spdlog/sinks/null_sink.h>

#include "connectors/zoom_config.h"
#include "connectors/zoom_poller.h"
#include "harness.h"
#include "models/verdict.h"
#include "runtime/replay.h"
#include "runtime/sinks.h"
#include "zoom_emulator.h"

namespace callroot::connectors::testing {
namespace {

constexpr const char* kZoomSecret = "zS2s-Secret_9x";

json participants() { return load_zoom_fixture("callroot_three-participants-qos.json")["participants"]; }

EmulatedMeeting meeting(const std::string& uuid, int minute) {
  EmulatedMeeting m;
  m.uuid = uuid;
  char start[32], end[32];
  std::snprintf(start, sizeof start, "2026-12-07T08:%02d:00Z", minute);
  std::snprintf(end, sizeof end, "2026-12-07T09:%02d:00Z", minute);
  m.start_time = start;
  m.end_time = end;
  m.participants = participants();
  return m;
}

/// Documents handed over: (type, body).
struct PageSink final : RecordSink {
  std::string deliver(std::string_view type, std::string_view body) override {
    pages.emplace_back(std::string(type), json::parse(body));
    return {};
  }
  [[nodiscard]] std::vector<std::string> meetings() const {  // in delivery order, once each
    std::vector<std::string> out;
    for (const auto& [type, doc] : pages) {
      const auto uuid = doc["meeting_uuid"].get<std::string>();
      if (out.empty() || out.back() != uuid) out.push_back(uuid);
    }
    return out;
  }
  std::vector<std::pair<std::string, json>> pages;
};

class ZoomHarness {
 public:
  explicit ZoomHarness(const std::string& name)
      : dir(name), emulator(kZoomSecret), captured_("connect zoom"), log(captured_.logger) {
    write_file(dir.file("secret"), std::string(kZoomSecret) + "\n");
    config.account_id = ZoomEmulator::kAccountId;
    config.client_id = ZoomEmulator::kClientId;
    config.secret.file = dir.file("secret");
    config.token_url = emulator.token_url();
    config.api_url = emulator.api_url();
    config.cursor_file = dir.file("cursor.json");
    config.backoff.max_attempts = 3;
  }
  std::unique_ptr<ZoomConnector> connect(RecordSink& sink) {
    // The wall follows the manual clock from noon UTC: the pace line is then
    // at half the day's budget, well ahead of what a test spends.
    return std::make_unique<ZoomConnector>(config, sink, log, clock, [this] {
      return kNoon + std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch()).count();
    }, 5);
  }
  [[nodiscard]] std::string log_text() const { return captured_.text(); }
  static constexpr TimeMs kNoon = 20'794 * QuotaBudget::kDay + 12 * 3'600'000;  // 2026-12-07T12:00:00Z

  TempDir dir;
  ZoomEmulator emulator;
  runtime::ManualClock clock;
  ZoomConfig config;

 private:
  CapturedLog captured_;

 public:
  std::shared_ptr<spdlog::logger> log;
};

TEST(ZoomConnector, FetchesEachMeetingsQosPagesAndDeliversThemTogetherWithTheMeetingUuid) {
  ZoomHarness h("zoom-basic");
  for (int i = 1; i <= 3; ++i) h.emulator.put(meeting("m-" + std::to_string(i), i));
  PageSink sink;
  auto c = h.connect(sink);
  const ZoomPollResult r = c->poll_once();
  EXPECT_EQ(r.delivered, 3u);
  EXPECT_TRUE(r.list_error.empty()) << r.list_error;
  // Three participants, two a page: two pages a meeting, each naming its meeting.
  ASSERT_EQ(sink.pages.size(), 6u);
  EXPECT_EQ(sink.meetings(), (std::vector<std::string>{"m-1", "m-2", "m-3"}));
  std::size_t participants_seen = 0;
  for (const auto& [type, doc] : sink.pages) {
    EXPECT_EQ(type, "zoom.qos");
    participants_seen += doc["participants"].size();
  }
  EXPECT_EQ(participants_seen, 9u);
  EXPECT_EQ(h.emulator.count("/v2/metrics/meetings?"), 2u);  // three meetings, two a list page
  EXPECT_EQ(c->metrics().quota_spent, 8u);                    // 2 list pages + 6 QoS pages
  EXPECT_EQ(c->metrics().account_remaining, 30'000 - 8);

  // Polled again: listed, but nothing fetched twice.
  const std::size_t qos_before = h.emulator.count("/participants/qos");
  EXPECT_EQ(c->poll_once().delivered, 0u);
  EXPECT_EQ(h.emulator.count("/participants/qos"), qos_before);

  // A restart resumes from the cursor: neither the meetings nor the day's count are lost.
  PageSink again;
  auto restarted = h.connect(again);
  EXPECT_EQ(restarted->poller().budget().usage(ZoomHarness::kNoon).spent, 10u);
  EXPECT_EQ(restarted->poll_once().delivered, 0u);
  EXPECT_TRUE(again.pages.empty());
}

TEST(ZoomConnector, MonitoredMeetingsAreFetchedFirst) {
  ZoomHarness h("zoom-monitored");
  h.config.monitored.hosts = {"@contoso.com"};
  h.config.monitored.departments = {"Support"};
  EmulatedMeeting other = meeting("other", 1), hosted = meeting("hosted", 2), dept = meeting("dept", 3),
                  room = meeting("room", 4);
  hosted.email = "Ada@Contoso.com";
  dept.dept = "Support";
  room.in_room_participants = 1;
  for (const auto& m : {other, hosted, dept, room}) h.emulator.put(m);
  PageSink sink;
  auto c = h.connect(sink);
  EXPECT_EQ(c->poll_once().delivered, 4u);
  EXPECT_EQ(sink.meetings(), (std::vector<std::string>{"hosted", "dept", "room", "other"}));
}

TEST(ZoomConnector, ADailyLimitAnswerHoldsEverythingUntilMidnightUtc) {
  ZoomHarness h("zoom-daily");
  for (int i = 1; i <= 3; ++i) h.emulator.put(meeting("m-" + std::to_string(i), i));
  h.emulator.script("/v2/metrics/meetings/m-2/", Scripted{429, R"({"code":429,"message":"daily limit"})",
                                                          {{"X-RateLimit-Type", "Daily-limit"},
                                                           {"Retry-After", "2026-12-08T00:00:00Z"}}});
  PageSink sink;
  auto c = h.connect(sink);
  const ZoomPollResult r = c->poll_once();
  EXPECT_EQ(sink.meetings(), (std::vector<std::string>{"m-1"}));
  EXPECT_EQ(r.failed, 1u);
  EXPECT_EQ(h.emulator.count("/m-2/participants/qos"), 1u) << "a daily limit is not retried";
  EXPECT_EQ(h.emulator.count("/m-3/participants/qos"), 0u);
  EXPECT_EQ(c->poller().budget().next_allowed(ZoomHarness::kNoon + 600'000, FetchPriority::kMonitored),
            *parse_rfc3339("2026-12-08T00:00:00Z"));
  EXPECT_NE(h.log_text().find("daily quota is spent"), std::string::npos);
}

TEST(ZoomConnector, TheAccountsLastRequestsAreLeftWhenTheCustomerHasUsedTheirShare) {
  ZoomHarness h("zoom-share");
  h.config.quota.daily_limit = 100;  // 20 of them the customer's
  h.emulator.set_quota(100, 90);     // the customer's apps used 90: beyond their share
  for (int i = 1; i <= 6; ++i) h.emulator.put(meeting("m-" + std::to_string(i), i));
  PageSink sink;
  auto c = h.connect(sink);
  c->poll_once();
  // 10 were left: the connector takes them (the customer is past their share),
  // learns each time what is left, and never gets a 429.
  EXPECT_EQ(h.emulator.api_requests(), 10);
  EXPECT_EQ(c->metrics().requests_by_status.count(429), 0u);
  EXPECT_EQ(c->metrics().account_remaining, 0);
  EXPECT_GT(c->metrics().meetings_waiting, 0u);
  EXPECT_NE(c->metrics().summary().find("meetings waiting"), std::string::npos);
}

TEST(ZoomConnector, UuidsWithSlashesAreDoubleEncoded) {
  EXPECT_EQ(zoom_meeting_path("4444AAAiAAAAAiAiAiiAii=="), "4444AAAiAAAAAiAiAiiAii%3D%3D");
  EXPECT_EQ(zoom_meeting_path("/ajXp112QmuoKj4854875=="), "%252FajXp112QmuoKj4854875%253D%253D");
  EXPECT_EQ(zoom_meeting_path("ab//cd+e"), "ab%252F%252Fcd%252Be");
  EXPECT_EQ(zoom_meeting_path("ab/cd+e"), "ab%2Fcd%2Be");

  ZoomHarness h("zoom-uuid");
  for (const std::string uuid : {"/ajXp112QmuoKj4854875==", "ab//cd+e", "ab/cd+e"}) h.emulator.put(meeting(uuid, 1));
  PageSink sink;
  auto c = h.connect(sink);
  EXPECT_EQ(c->poll_once().delivered, 3u) << h.log_text();
  EXPECT_EQ(h.emulator.count("GET /v2/metrics/meetings/%252FajXp112QmuoKj4854875%253D%253D/participants/qos"),
            2u);  // its two pages, the UUID encoded twice
}

TEST(ZoomConnector, AMalformedPageFailsItsMeetingOnlyAndTheNextPollFetchesItAgain) {
  ZoomHarness h("zoom-malformed");
  for (int i = 1; i <= 2; ++i) h.emulator.put(meeting("m-" + std::to_string(i), i));
  h.emulator.script("/v2/metrics/meetings/m-1/", Scripted{200, R"({"page_size":2,"participant":[]})", {}});
  PageSink sink;
  auto c = h.connect(sink);
  const ZoomPollResult first = c->poll_once();
  EXPECT_EQ(first.delivered, 1u);
  EXPECT_EQ(first.failed, 1u);
  EXPECT_EQ(sink.meetings(), (std::vector<std::string>{"m-2"}));
  EXPECT_NE(h.log_text().find("meeting m-1 QoS page 1: the response is not a QoS page"), std::string::npos);
  EXPECT_EQ(c->poll_once().delivered, 1u);
  EXPECT_EQ(sink.meetings(), (std::vector<std::string>{"m-2", "m-1"}));
}

TEST(ZoomConnector, WrongCredentialsAreAClearErrorAndTheSecretIsNeverLogged) {
  ZoomHarness h("zoom-credentials");
  h.emulator.put(meeting("m-1", 1));
  write_file(h.dir.file("secret"), "not-the-secret\n");
  PageSink sink;
  auto c = h.connect(sink);
  const ZoomPollResult r = c->poll_once();
  EXPECT_EQ(r.delivered, 0u);
  EXPECT_NE(r.list_error.find("Invalid client_id or client_secret"), std::string::npos) << r.list_error;
  EXPECT_NE(r.list_error.find("account_id"), std::string::npos) << r.list_error;
  EXPECT_EQ(h.log_text().find("not-the-secret"), std::string::npos);
  // The file fixed: the next poll works, no restart.
  write_file(h.dir.file("secret"), std::string(kZoomSecret) + "\n");
  EXPECT_EQ(c->poll_once().delivered, 1u);
}

TEST(ConnectZoomCommand, FetchesOnceIntoAJsonLinesFileAndPrintsItsCounters) {
  ZoomHarness h("zoom-cli");
  // The command reads the real wall clock: a meeting that ended 50 minutes
  // ago, hosted from a monitored domain (so the quota's pace line lets it
  // through at any hour of the UTC day).
  const TimeMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  EmulatedMeeting m = meeting("cli-1", 1);
  m.start_time = format_rfc3339(now - 80 * 60'000);
  m.end_time = format_rfc3339(now - 50 * 60'000);
  m.email = "ada@contoso.com";
  h.emulator.put(m);
  const json config = {{"account_id", ZoomEmulator::kAccountId}, {"client_id", ZoomEmulator::kClientId},
                       {"secret_file", h.dir.file("secret")},     {"token_url", h.emulator.token_url()},
                       {"api_url", h.emulator.api_url()},         {"cursor_file", h.dir.file("cursor.json")},
                       {"monitored_hosts", {"@contoso.com"}}};
  write_file(h.dir.file("zoom.json"), config.dump());
  const std::string out = h.dir.file("fetched.jsonl"), err = h.dir.file("stderr");
  const std::string command = std::string(CALLROOT_BINARY) + " connect zoom --config '" + h.dir.file("zoom.json") +
                              "' --once --out '" + out + "' 2> '" + err + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << slurp(err);
  EXPECT_NE(slurp(err).find("connect zoom: polls 1, requests 4 (200: 4)"), std::string::npos) << slurp(err);
  // The token request, then a list page and two QoS pages from the quota.
  EXPECT_NE(slurp(err).find("quota 3 of 24000 today"), std::string::npos) << slurp(err);
  std::istringstream lines(slurp(out));
  std::size_t n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    EXPECT_EQ(json::parse(line)["type"], "zoom.qos");
    EXPECT_EQ(json::parse(line)["body"]["meeting_uuid"], "cli-1");
  }
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(slurp(err).find(kZoomSecret), std::string::npos);

  write_file(h.dir.file("bad.json"), R"({"account_id":"a","client_id":"c","secret_env":"X","plan":"free"})");
  ASSERT_EQ(WEXITSTATUS(std::system((std::string(CALLROOT_BINARY) + " connect zoom --config '" + h.dir.file("bad.json") +
                                     "' --once --out '" + out + "' 2> '" + err + "'").c_str())),
            2);
  EXPECT_NE(slurp(err).find("plan: must be \"pro\" or \"business\""), std::string::npos) << slurp(err);
}

std::multiset<std::string> replayed(const std::string& file) {
  runtime::CollectingSink sink;
  runtime::ReplayOptions options;
  options.files = {file};
  options.progress = false;
  runtime::replay_into(options, sink, std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>()));
  std::multiset<std::string> out;
  for (const auto& v : sink.verdicts) out.insert(to_json(v));
  return out;
}

TEST(ZoomConnector, WhatWasFetchedPageByPageGivesTheVerdictsOfTheWholeMeetingReplayedFromAFile) {
  ZoomHarness h("zoom-equivalence");
  h.emulator.put(meeting("m-1", 1));
  {
    std::ofstream direct(h.dir.file("direct.jsonl"));
    const json whole = {{"meeting_uuid", "m-1"}, {"participants", participants()}};
    direct << R"({"type":"zoom.qos","body":)" << whole.dump() << "}\n";
  }
  {
    JsonlFileSink file(h.dir.file("fetched.jsonl"));
    auto c = h.connect(file);
    ASSERT_EQ(c->poll_once().delivered, 1u);
  }
  const auto expected = replayed(h.dir.file("direct.jsonl"));
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(replayed(h.dir.file("fetched.jsonl")), expected);
}

TEST(ZoomConfig, EveryKeyIsCheckedAndNamed) {
  const std::string base = R"({"account_id":"a","client_id":"c","secret_env":"ZOOM_SECRET")";
  const ZoomConfig c = parse_zoom_config(base + R"(,"plan":"business","reserved_share":0.3,"monitored_hosts":["@x.com"]})", "z.json");
  EXPECT_EQ(c.quota.daily_limit, 60'000u);
  EXPECT_EQ(c.quota.per_second, 40);
  EXPECT_EQ(c.lists_per_minute, 20);
  EXPECT_DOUBLE_EQ(c.quota.reserved_share, 0.3);
  EXPECT_EQ(c.monitored.hosts, std::vector<std::string>{"@x.com"});
  const auto error_of = [&](const std::string& text) {
    try {
      (void)parse_zoom_config(text, "z.json");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(error_of(base + R"(,"plan":"free"})").rfind("z.json: plan: must be", 0), 0u);
  EXPECT_EQ(error_of(base + R"(,"reserved_shares":0.3})"),
            "z.json: reserved_shares: is not a setting of the Zoom connector (docs/connectors.md)");
  EXPECT_EQ(error_of(base + R"(,"reserved_share":1.5})").rfind("z.json: reserved_share: must be between", 0), 0u);
  EXPECT_EQ(error_of(R"({"client_id":"c","secret_env":"S"})"), "z.json: account_id: is required");
  EXPECT_EQ(error_of(base + R"(,"monitored_hosts":"@x.com"})"), "z.json: monitored_hosts: must be a list of strings");
}

}  // namespace
}  // namespace callroot::connectors::testing
