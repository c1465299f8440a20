// The connector's parts on their own: configuration, backoff, cursor file, secrets.
#include <gtest/gtest.h>

#include <set>

#include "connectors/backoff.h"
#include "connectors/cursor_store.h"
#include "connectors/graph_config.h"
#include "harness.h"

namespace callroot::connectors::testing {
namespace {

std::string config_error(const std::string& text) {
  try {
    parse_graph_config(text, "graph.json");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "accepted";
}

TEST(GraphConfig, DefaultsFollowTheTenant) {
  const GraphConfig c = parse_graph_config(
      R"({"tenant":"contoso.onmicrosoft.com","client_id":"abc","secret_file":"/etc/callroot/graph.secret"})", "x");
  EXPECT_EQ(c.token_url, "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
  EXPECT_EQ(c.graph_url, "https://graph.microsoft.com");
  EXPECT_EQ(c.scope, "https://graph.microsoft.com/.default");
  EXPECT_EQ(c.poll_interval, std::chrono::seconds(300));
  EXPECT_EQ(c.overlap, std::chrono::hours(24));
  EXPECT_TRUE(c.http.proxy.empty());
}

TEST(GraphConfig, EveryErrorNamesItsKey) {
  const std::string base = R"("tenant":"t","client_id":"c","secret_env":"S")";
  EXPECT_EQ(config_error(R"({"client_id":"c","secret_env":"S"})"), "graph.json: tenant: is required");
  EXPECT_EQ(config_error("{" + base + R"(,"poll_interval_s":"60"})"), "graph.json: poll_interval_s: must be a whole number");
  EXPECT_EQ(config_error("{" + base + R"(,"poll_interval_s":0})"),
            "graph.json: poll_interval_s: must be between 1 and 86400");
  EXPECT_EQ(config_error("{" + base + R"(,"secret_file":"/x"})"),
            "graph.json: secret_file: give exactly one of secret_file and secret_env");
  EXPECT_EQ(config_error(R"({"tenant":"t","client_id":"c"})"),
            "graph.json: secret_file: give exactly one of secret_file and secret_env");
  EXPECT_EQ(config_error("{" + base + R"(,"pol_interval_s":60})"),
            "graph.json: pol_interval_s: is not a setting of the Graph connector (docs/connectors.md)");
  EXPECT_EQ(config_error("{" + base + R"(,"proxy":"socks5://p:1080"})"),
            "graph.json: proxy: must be an http:// or https:// URL");
  EXPECT_EQ(config_error("[1]"), "graph.json: not a JSON object");
}

TEST(Backoff, FullJitterStaysUnderTheExponentialCeilingAndRepeatsWithItsSeed) {
  BackoffPolicy policy;
  policy.base = std::chrono::milliseconds(100);
  policy.cap = std::chrono::milliseconds(1000);
  Backoff a(policy, 42), b(policy, 42);
  std::set<std::int64_t> seen;
  for (int attempt = 0; attempt < 12; ++attempt) {
    const auto d = a.delay(attempt);
    EXPECT_EQ(d, b.delay(attempt));
    EXPECT_GE(d.count(), 0);
    EXPECT_LE(d.count(), std::min<std::int64_t>(1000, 100 << attempt));
    seen.insert(d.count());
  }
  const bool varied = seen.size() > 6;
  EXPECT_TRUE(varied);
}

TEST(Backoff, RetryAfterIsTakenInSecondsAndBounded) {
  BackoffPolicy policy;
  policy.max_retry_after = std::chrono::seconds(120);
  Backoff b(policy, 1);
  EXPECT_EQ(b.retry_after("30", 0), std::chrono::seconds(30));
  EXPECT_EQ(b.retry_after("86400", 0), std::chrono::seconds(120));
  EXPECT_EQ(b.retry_after("9223372036854775807", 0), std::chrono::seconds(120));  // no overflow into milliseconds
  // An HTTP date or garbage: the backoff's own wait.
  EXPECT_LE(b.retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 0), policy.base);
  EXPECT_LE(b.retry_after("", 1), 2 * policy.base);
}

TEST(CursorStore, SavesAtomicallyAndLoadsWhatItSaved) {
  TempDir dir("cursor");
  CursorStore store(dir.file("cursor.json"));
  EXPECT_TRUE(store.load().delivered.empty());
  Cursor c;
  c.mark_delivered("a", 3, *parse_rfc3339("2020-02-25T18:00:00Z"), *parse_rfc3339("2020-02-25T19:00:00Z"));
  c.mark_delivered("b", 1, *parse_rfc3339("2020-02-25T18:30:00Z"), *parse_rfc3339("2020-02-25T18:45:00Z"));
  ASSERT_EQ(store.save(c), "");
  EXPECT_FALSE(std::filesystem::exists(dir.file("cursor.json.tmp")));
  const Cursor back = store.load();
  EXPECT_EQ(back.newest_start, *parse_rfc3339("2020-02-25T18:30:00Z"));
  EXPECT_EQ(back.newest_last_modified, *parse_rfc3339("2020-02-25T19:00:00Z"));
  EXPECT_EQ(back.delivered.at("a").version, 3);
  EXPECT_FALSE(back.wants("a", 3));
  EXPECT_TRUE(back.wants("a", 4));
  EXPECT_TRUE(back.wants("c", 1));
}

TEST(CursorStore, AFileThatIsNotACursorIsAConfigurationError) {
  TempDir dir("cursor-bad");
  write_file(dir.file("cursor.json"), "{\"format\":1,\"delivered\":{\"a\":{}}}");
  CursorStore store(dir.file("cursor.json"));
  EXPECT_THROW((void)store.load(), ConfigError);
  EXPECT_EQ(CursorStore(dir.file("missing-folder/cursor.json")).save(Cursor{}).rfind("cursor_file ", 0), 0u);
}

TEST(Secret, TheFileLosesOneTrailingNewlineAndMustBePrivate) {
  TempDir dir("secret");
  write_file(dir.file("s"), "abc\n");
  EXPECT_EQ(read_secret({dir.file("s"), {}}), "abc");
  write_file(dir.file("s"), "abc", 0640);
  EXPECT_THROW(read_secret({dir.file("s"), {}}), ConfigError);
  write_file(dir.file("s"), "", 0600);
  EXPECT_THROW(read_secret({dir.file("s"), {}}), ConfigError);
  EXPECT_THROW(read_secret({dir.file("none"), {}}), ConfigError);
}

TEST(FormEscape, EscapesEverythingButUnreservedCharacters) {
  EXPECT_EQ(form_escape("a~b.c_d-e"), "a~b.c_d-e");
  EXPECT_EQ(form_escape("a+b/c=d&e f"), "a%2Bb%2Fc%3Dd%26e%20f");
}

}  // namespace
}  // namespace callroot::connectors::testing
