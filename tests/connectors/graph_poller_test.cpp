// The Graph connector against the emulator on loopback: tokens, paging,
// throttling, 5xx bursts, version reissues, late records, malformed
// responses, bad credentials and restarts.
#include <gtest/gtest.h>

#include <cstdlib>

#include "harness.h"

namespace callroot::connectors::testing {
namespace {

TEST(GraphPoller, ListsFetchesAndDeliversEveryRecordOnce) {
  Harness h("basic");
  for (int n = 1; n <= 5; ++n) h.emulator.put(record(n));
  CollectingRecordSink sink;
  auto c = h.connect(sink);
  const PollResult first = c->poll_once();
  EXPECT_EQ(first.delivered, 5u) << h.log_text();
  EXPECT_TRUE(first.list_error.empty()) << first.list_error;
  EXPECT_EQ(sink.ids(), (std::vector<std::string>{id(1), id(2), id(3), id(4), id(5)}));
  for (const auto& [type, doc] : sink.received) EXPECT_EQ(type, "graph.callRecord");
  // Five records in pages of two: three list pages, each followed by its nextLink.
  EXPECT_EQ(h.emulator.count("GET /v1.0/communications/callRecords?"), 3u);
  // The filter asks for what started within the overlap window (24 h before the wall time: no cursor yet).
  EXPECT_EQ(h.emulator.count("$filter=startDateTime ge 2020-02-25T00:00:00.000Z"), 3u);
  EXPECT_EQ(h.emulator.count("$expand=sessions($expand=segments)"), 5u);

  const PollResult second = c->poll_once();
  EXPECT_EQ(second.delivered, 0u);
  EXPECT_EQ(sink.received.size(), 5u);
  EXPECT_EQ(c->metrics().records_unchanged, 5u);
  EXPECT_EQ(c->metrics().records_delivered, 5u);
  // The second poll's window starts 24 h before the newest call delivered.
  EXPECT_EQ(h.emulator.count("startDateTime ge 2020-02-24T18:05:00.000Z"), 3u);
  // Lag: the wall time minus the last record's lastModifiedDateTime.
  EXPECT_EQ(c->metrics().lag_ms, h.wall_ms - *parse_rfc3339(modified(5)));
}

TEST(GraphPoller, TokenIsCachedUntilShortlyBeforeItExpiresThenRenewed) {
  Harness h("token");
  h.emulator.put(record(1));
  h.emulator.set_expires_in(3600);
  CollectingRecordSink sink;
  auto c = h.connect(sink);
  c->poll_once();
  c->poll_once();
  EXPECT_EQ(h.emulator.tokens_issued(), 1);
  h.clock.advance(std::chrono::seconds(3200));  // renewed 300 s before expiry: not yet
  c->poll_once();
  EXPECT_EQ(h.emulator.tokens_issued(), 1);
  h.clock.advance(std::chrono::seconds(200));
  c->poll_once();
  EXPECT_EQ(h.emulator.tokens_issued(), 2);
  EXPECT_EQ(c->metrics().token_refreshes, 2u);
  const auto body = h.emulator.token_bodies().front();
  EXPECT_NE(body.find("grant_type=client_credentials"), std::string::npos);
  EXPECT_NE(body.find("scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"), std::string::npos);
  EXPECT_NE(body.find(std::string("client_id=") + GraphEmulator::kClientId), std::string::npos);
}

TEST(GraphPoller, ARejectedTokenIsReplacedOnceOnA401) {
  Harness h("revoked");
  h.emulator.put(record(1));
  CollectingRecordSink sink;
  auto c = h.connect(sink);
  c->poll_once();
  h.emulator.revoke_tokens();
  h.emulator.put(record(2));
  const PollResult r = c->poll_once();
  EXPECT_EQ(r.delivered, 1u);
  EXPECT_TRUE(r.list_error.empty()) << r.list_error;
  EXPECT_EQ(h.emulator.tokens_issued(), 2);
  EXPECT_EQ(c->metrics().requests_by_status.at(401), 1u);
}

TEST(GraphPoller, SessionsPagesAreMergedIntoOneDocument) {
  Harness h("sessions");
  // Microsoft's callRecord (one session, with a sessions@odata.nextLink) and
  // its next sessions page (the session-list example): served one session a page.
  const auto more = load_fixture("v1.0_session-list_expand-segments.json")["value"];
  std::vector<json> extra(more.begin(), more.end());
  extra.push_back(more.front());  // a third page, so the nextLink chain is followed more than once
  extra.back()["id"] = "third-session";
  const EmulatedRecord r = make_record(kFixture, id(1), start(1), modified(1), 1, 1, extra);
  ASSERT_EQ(r.session_pages.size(), 3u);
  h.emulator.put(r);
  CollectingRecordSink sink;
  auto c = h.connect(sink);
  EXPECT_EQ(c->poll_once().delivered, 1u);
  ASSERT_EQ(sink.received.size(), 1u);
  const json& got = sink.received[0].second;
  EXPECT_EQ(got, r.document());
  EXPECT_EQ(got["sessions"].size(), 3u);
  EXPECT_FALSE(got.contains("sessions@odata.nextLink"));
  EXPECT_EQ(h.emulator.count("/sessions"), 2u);
}

TEST(GraphPoller, A429WaitsWhatRetryAfterSays) {
  Harness h("throttled");
  h.emulator.put(record(1));
  h.emulator.script("/v1.0/communications/callRecords",
                    {429, R"({"error":{"code":"TooManyRequests","message":"Too many requests"}})", {{"Retry-After", "7"}}});
  CollectingRecordSink sink;
  auto c = h.connect(sink);
  EXPECT_EQ(c->poll_once().delivered, 1u);
  EXPECT_DOUBLE_EQ(h.seconds_waited(), 7.0);
  EXPECT_EQ(c->metrics().throttled, 1u);
  EXPECT_EQ(c->metrics().retries, 1u);
  EXPECT_NE(h.log_text().find("throttled (429), retrying in 7000 ms"), std::string::npos);
}

TEST(GraphPoller, A5xxBurstIsRetriedWithJitteredExponentialBackoff) {
  Harness h("burst");
  h.emulator.put(record(1));
  for (int i = 0; i < 3; ++i) h.emulator.script("/v1.0/communications/callRecords/" + id(1), {503, "", {}});
  CollectingRecordSink sink;
  auto c = h.connect(sink);
  EXPECT_EQ(c->poll_once().delivered, 1u);
  EXPECT_EQ(c->metrics().retries, 3u);
  EXPECT_EQ(c->metrics().requests_by_status.at(503), 3u);
  // Full jitter: each wait within [0, 0.5 s * 2^attempt].
  EXPECT_LE(h.seconds_waited(), 0.5 + 1.0 + 2.0);
  EXPECT_GT(h.seconds_waited(), 0.0);
}

TEST(GraphPoller, ARecordStillFailingAfterItsAttemptsIsTriedAgainNextPoll) {
  Harness h("giveup");
  h.emulator.put(record(1));
  h.emulator.put(record(2));
  for (int i = 0; i < 4; ++i) h.emulator.script("/v1.0/communications/callRecords/" + id(1), {500, "", {}});
  CollectingRecordSink sink;
  auto c = h.connect(sink);
  const PollResult r = c->poll_once();
  EXPECT_EQ(r.delivered, 1u);
  EXPECT_EQ(r.failed, 1u);
  EXPECT_NE(h.log_text().find("callRecord " + id(1) + ": HTTP 500"), std::string::npos);
  EXPECT_EQ(c->poll_once().delivered, 1u);
  EXPECT_EQ(sink.ids(), (std::vector<std::string>{id(2), id(1)}));
}

TEST(GraphPoller, ALaterVersionIsDeliveredAgainTheSameVersionIsNot) {
  Harness h("version");
  h.emulator.put(record(1));
  CollectingRecordSink sink;
  auto c = h.connect(sink);
  EXPECT_EQ(c->poll_once().delivered, 1u);
  EXPECT_EQ(c->poll_once().delivered, 0u);
  EXPECT_EQ(h.emulator.count("$expand"), 1u);  // the same version is not even fetched
  EmulatedRecord v2 = record(1, 2);
  v2.head["lastModifiedDateTime"] = "2020-02-25T21:00:00Z";
  h.emulator.put(v2);
  EXPECT_EQ(c->poll_once().delivered, 1u);
  ASSERT_EQ(sink.received.size(), 2u);
  EXPECT_EQ(sink.received[1].second["version"], 2);
  EXPECT_EQ(c->cursor().delivered.at(id(1)).version, 2);
}

TEST(GraphPoller, ARecordThatAppearsLateIsPickedUpByTheNextPoll) {
  Harness h("late");
  h.emulator.put(record(10));
  h.emulator.put(record(20));
  CollectingRecordSink sink;
  auto c = h.connect(sink);
  EXPECT_EQ(c->poll_once().delivered, 2u);
  // A call that started before the newest one delivered, published only now.
  h.emulator.put(record(5));
  EXPECT_EQ(c->poll_once().delivered, 1u);
  EXPECT_EQ(sink.ids(), (std::vector<std::string>{id(10), id(20), id(5)}));
}

TEST(GraphPoller, AMalformedRecordIsReportedAndTheRestGoOn) {
  Harness h("malformed");
  for (int n = 1; n <= 3; ++n) h.emulator.put(record(n));
  h.emulator.script("/v1.0/communications/callRecords/" + id(2), {200, "{\"id\": \"truncated", {}});
  CollectingRecordSink sink;
  auto c = h.connect(sink);
  const PollResult r = c->poll_once();
  EXPECT_EQ(r.delivered, 2u);
  EXPECT_EQ(r.failed, 1u);
  EXPECT_EQ(c->metrics().malformed_pages, 1u);
  EXPECT_NE(h.log_text().find("callRecord " + id(2) + ": the response is not that callRecord"), std::string::npos);
  EXPECT_EQ(c->poll_once().delivered, 1u);
  EXPECT_EQ(sink.ids(), (std::vector<std::string>{id(1), id(3), id(2)}));
}

TEST(GraphPoller, AMalformedListPageEndsThatListingWithAClearError) {
  Harness h("badlist");
  h.emulator.put(record(1));
  h.emulator.script("/v1.0/communications/callRecords", {200, "<html>gateway</html>", {}});
  CollectingRecordSink sink;
  auto c = h.connect(sink);
  const PollResult r = c->poll_once();
  EXPECT_EQ(r.delivered, 0u);
  EXPECT_EQ(r.list_error, "callRecords list page 1: the response is not a callRecord collection (no \"value\" array)");
  EXPECT_EQ(c->poll_once().delivered, 1u);
}

TEST(GraphPoller, ANextLinkToAnotherHostIsNotFollowed) {
  Harness h("foreign");
  h.emulator.put(record(1));
  h.emulator.script("/v1.0/communications/callRecords",
                    {200, R"({"value":[],"@odata.nextLink":"http://192.0.2.1/v1.0/communications/callRecords?x"})", {}});
  CollectingRecordSink sink;
  auto c = h.connect(sink);
  const PollResult r = c->poll_once();
  EXPECT_NE(r.list_error.find("@odata.nextLink leaves " + h.emulator.base()), std::string::npos) << r.list_error;
  EXPECT_EQ(c->metrics().requests_by_status.count(0), 0u);  // nothing was sent there
}

TEST(GraphPoller, AWrongSecretIsAClearErrorAndAFixedSecretFileWorksWithoutARestart) {
  Harness h("credentials");
  h.emulator.put(record(1));
  const std::string wrong = "expired-Secret~0123456789";
  write_file(h.dir.file("secret"), wrong);
  CollectingRecordSink sink;
  auto c = h.connect(sink);
  const PollResult r = c->poll_once();
  EXPECT_EQ(r.delivered, 0u);
  EXPECT_EQ(r.list_error, "callRecords list page 1: token endpoint " + h.emulator.token_url() +
                              ": HTTP 401, invalid_client: AADSTS7000215: Invalid client secret provided. (check "
                              "client_id, the tenant and the client secret; it may have expired)");
  write_file(h.dir.file("secret"), kSecret);
  EXPECT_EQ(c->poll_once().delivered, 1u);
  // Neither secret appears in anything the connector said.
  const std::string said = h.log_text() + r.list_error + c->metrics().summary();
  EXPECT_EQ(said.find(wrong), std::string::npos);
  EXPECT_EQ(said.find(kSecret), std::string::npos);
}

TEST(GraphPoller, ASecretFileOthersCanReadIsRefusedAtStartWithoutQuotingIt) {
  Harness h("mode");
  write_file(h.dir.file("secret"), kSecret, 0644);
  CollectingRecordSink sink;
  try {
    h.connect(sink);
    FAIL() << "a world-readable secret file was accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "secret_file " + h.dir.file("secret") +
                                         " has mode 0644: group and others must have no access (chmod 600 it)");
  }
}

TEST(GraphPoller, TheSecretMayComeFromTheEnvironment) {
  Harness h("env");
  h.emulator.put(record(1));
  ::setenv("CALLROOT_TEST_GRAPH_SECRET", kSecret, 1);
  h.config.secret = {{}, "CALLROOT_TEST_GRAPH_SECRET"};
  CollectingRecordSink sink;
  auto c = h.connect(sink);
  EXPECT_EQ(c->poll_once().delivered, 1u);
  ::unsetenv("CALLROOT_TEST_GRAPH_SECRET");
  h.config.secret = {{}, "CALLROOT_TEST_GRAPH_SECRET"};
  EXPECT_THROW(h.connect(sink), ConfigError);
}

TEST(GraphPoller, ARestartNeitherSendsAgainNorSkips) {
  Harness h("restart");
  for (int n = 1; n <= 5; ++n) h.emulator.put(record(n));
  JsonlFileSink file(h.dir.file("fetched.jsonl"));
  {
    // The first run stops delivering after two records (a crash, a full disk).
    CollectingRecordSink sink;
    sink.fail_from = 3;
    auto c = h.connect(sink);
    EXPECT_EQ(c->poll_once().delivered, 2u);
    for (const auto& [type, doc] : sink.received) ASSERT_TRUE(file.deliver(type, doc.dump()).empty());
  }
  {
    auto c = h.connect(file);
    EXPECT_EQ(c->cursor().delivered.size(), 2u);
    EXPECT_EQ(c->poll_once().delivered, 3u);
  }
  {
    auto c = h.connect(file);
    EXPECT_EQ(c->poll_once().delivered, 0u);
    h.emulator.put(record(6));
    EXPECT_EQ(c->poll_once().delivered, 1u);
  }
  std::istringstream lines(slurp(h.dir.file("fetched.jsonl")));
  std::vector<std::string> ids;
  for (std::string line; std::getline(lines, line);) {
    const json envelope = json::parse(line);
    EXPECT_EQ(envelope["type"], "graph.callRecord");
    ids.push_back(envelope["body"]["id"]);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{id(1), id(2), id(3), id(4), id(5), id(6)}));
}

TEST(GraphPoller, TheCursorForgetsRecordsThatLeftTheWindow) {
  Harness h("window");
  h.config.overlap = std::chrono::minutes(30);
  h.wall_ms = *parse_rfc3339("2020-02-25T18:10:00Z");
  h.emulator.put(record(1));
  CollectingRecordSink sink;
  {
    auto c = h.connect(sink);
    c->poll_once();
    EXPECT_EQ(c->cursor().delivered.size(), 1u);
  }
  EmulatedRecord later = make_record(kFixture, id(2), "2020-02-25T20:00:00Z", "2020-02-25T21:00:00Z", 1);
  h.emulator.put(later);
  auto c = h.connect(sink);
  c->poll_once();
  // Record 1 started 1 h 59 min before the newest: outside the 30 min window, forgotten.
  EXPECT_EQ(c->cursor().delivered.size(), 1u);
  EXPECT_TRUE(c->cursor().delivered.contains(id(2)));
  EXPECT_EQ(sink.ids(), (std::vector<std::string>{id(1), id(2)}));
}

TEST(GraphConnector, RunPollsEveryIntervalUntilStopped) {
  Harness h("run");
  h.config.poll_interval = std::chrono::seconds(60);
  h.emulator.put(record(1));
  CollectingRecordSink sink;
  auto c = h.connect(sink);
  c->run([&] { return c->metrics().polls == 3; }, false);
  EXPECT_EQ(c->metrics().polls, 3u);
  EXPECT_DOUBLE_EQ(h.seconds_waited(), 120.0);  // two intervals between three polls
  EXPECT_EQ(sink.received.size(), 1u);
  c->run([] { return false; }, true);
  EXPECT_EQ(c->metrics().polls, 4u);
}

TEST(GraphConnector, AStopCutsARetryAfterWaitShort) {
  Harness h("stop");
  h.emulator.put(record(1));
  h.emulator.script("/v1.0/communications/callRecords", {429, "", {{"Retry-After", "120"}}});
  CollectingRecordSink sink;
  auto c = h.connect(sink);
  // Stop once the wait has begun, as a SIGTERM during it would.
  c->run([&] { return h.seconds_waited() >= 1.0; }, false);
  EXPECT_LT(h.seconds_waited(), 1.5);
  EXPECT_EQ(c->metrics().throttled, 1u);
  EXPECT_EQ(c->metrics().retries, 0u);
  EXPECT_TRUE(sink.received.empty());
}

}  // namespace
}  // namespace callroot::connectors::testing
