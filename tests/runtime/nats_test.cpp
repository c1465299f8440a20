// NATS JetStream with a real nats-server started by the test
// (testing/nats_server.h): the client wrapper (runtime/jetstream.h) and
// `callroot route` partitioning the demo by site (runtime/route.h).

#include <gtest/gtest.h>

#include <map>
#include <set>

#include <spdlog/sinks/null_sink.h>

#include "demo_files.h"
#include "runtime/jetstream.h"
#include "runtime/route.h"
#include "testing/nats_server.h"

namespace callroot::runtime::testing {
namespace {

using callroot::testing::NatsServer;

std::shared_ptr<spdlog::logger> quiet() {
  return std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
}

/// Every message of `filter` in `stream`, from the first.
std::vector<std::pair<std::string, std::string>> read_all(JetStream& js, const std::string& stream,
                                                          const std::string& filter) {
  ConsumerSpec spec;
  spec.stream = stream;
  spec.filter = filter;
  auto consumer = js.pull_consumer(spec);
  std::vector<std::pair<std::string, std::string>> out;
  for (;;) {
    auto batch = consumer->fetch(1000, std::chrono::milliseconds(500));
    if (batch.empty()) break;
    for (auto& m : batch) out.emplace_back(std::string(m.subject()), std::string(m.data()));
    if (batch.back().pending() == 0) break;
  }
  return out;
}

TEST(JetStream, DropsADuplicateMessageIdAndDeliversInOrder) {
  NatsServer server;
  JetStream js(server.url());
  js.ensure_stream({"T", {"t.>"}, std::chrono::seconds(60), std::chrono::seconds(60)});
  js.ensure_stream({"T", {"t.>"}, std::chrono::seconds(60), std::chrono::seconds(60)});  // again: no harm
  EXPECT_TRUE(js.publish("t.a", "one", "id-1"));
  EXPECT_FALSE(js.publish("t.a", "one again", "id-1"));
  EXPECT_TRUE(js.publish("t.b", "two", "id-2"));
  EXPECT_TRUE(js.publish("t.b", "three"));
  EXPECT_EQ(js.last_sequence("T"), 3u);

  ConsumerSpec spec;
  spec.stream = "T";
  spec.filter = "t.b";
  spec.durable = "reader";
  auto consumer = js.pull_consumer(spec);
  auto got = consumer->fetch(10, std::chrono::seconds(2));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].data(), "two");
  EXPECT_EQ(got[0].stream_sequence(), 2u);
  EXPECT_EQ(got[1].data(), "three");
  EXPECT_EQ(got[1].pending(), 0u);
  got[1].ack();  // ack-all: both
  EXPECT_TRUE(consumer->fetch(10, std::chrono::milliseconds(200)).empty());

  // From a sequence: what a restarted instance resumes from.
  spec.durable.clear();
  spec.filter = "t.>";
  spec.start_sequence = 3;
  auto resumed = js.pull_consumer(spec)->fetch(10, std::chrono::seconds(2));
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(resumed[0].data(), "three");
}

TEST(JetStream, KeyValueWritesOnlyWhatItIsToldItMay) {
  NatsServer server;
  JetStream js(server.url());
  auto kv = js.key_value("leases");
  EXPECT_FALSE(kv->get("hq").has_value());
  const auto first = kv->create("hq", "instance-a");
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(kv->create("hq", "instance-b").has_value()) << "a second create must lose";
  EXPECT_FALSE(kv->update("hq", "instance-b", *first + 10).has_value()) << "a stale revision must lose";
  const auto second = kv->update("hq", "instance-a again", *first);
  ASSERT_TRUE(second.has_value());
  const auto entry = kv->get("hq");
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->value, "instance-a again");
  EXPECT_EQ(entry->revision, *second);
  kv->erase("hq");
  EXPECT_FALSE(kv->get("hq").has_value());
  EXPECT_TRUE(kv->create("hq", "instance-b").has_value()) << "a deleted key can be taken";
}

TEST(JetStream, SaysWhatFailedWhenTheServerIsNotThere) {
  int port = 0;
  {
    NatsServer server;
    port = server.port();
  }
  try {
    JetStream js("nats://127.0.0.1:" + std::to_string(port), std::chrono::milliseconds(500));
    FAIL() << "connected to a server that is gone";
  } catch (const JetStreamError& e) {
    EXPECT_NE(std::string(e.what()).find("connecting to nats://127.0.0.1:" + std::to_string(port)), std::string::npos)
        << e.what();
  }
}

// The demo's two sites: every record reaches the subject of its site, the
// inventory its own, and a call between the sites both sites' subjects.
TEST(Route, PartitionsTheDemoBySite) {
  NatsServer server;
  RouteOptions options;
  options.url = server.url();
  options.files = demo_inputs();
  const RouteStats stats = route_files(options, *quiet());
  EXPECT_EQ(stats.router.rejected, 0u);
  EXPECT_EQ(stats.router.unrouted, 0u);
  EXPECT_GT(stats.router.multi_site, 0u);
  EXPECT_EQ(stats.published, stats.router.inventory + stats.router.routed + stats.router.multi_site);

  JetStream js(server.url());
  const auto inventory = read_all(js, NatsSubjects::kRecordsStream, "callroot.inventory.>");
  EXPECT_EQ(inventory.size(), stats.router.inventory);
  for (const auto& [subject, body] : inventory) {
    EXPECT_EQ(subject, "callroot.inventory." + std::string(nlohmann::json::parse(body).at("type")));
  }
  std::map<std::string, std::set<std::string>> segment_sites;  // segment id -> sites
  std::size_t site_messages = 0;
  for (const std::string site : {"hq", "branch"}) {
    const auto messages = read_all(js, NatsSubjects::kRecordsStream, NatsSubjects::site_filter(site));
    EXPECT_GT(messages.size(), 100u) << site;
    site_messages += messages.size();
    TimeMs last = kNoTime;
    std::size_t out_of_order = 0;
    for (const auto& [subject, body] : messages) {
      const auto j = nlohmann::json::parse(body);
      EXPECT_EQ(subject, NatsSubjects::site(site, j.at("type").get<std::string>()));
      for (const char* key : {"ap", "switch", "link"}) {
        if (j.contains(key) && j.at("type") != "client.assoc") {
          EXPECT_EQ(j.at(key).get<std::string>().rfind(site, 0), 0u) << body;
        }
      }
      if (j.at("type") == "call.segment") segment_sites[j.at("segment_id")].insert(site);
      const TimeMs t = record_time(j);
      out_of_order += t != kNoTime && last != kNoTime && t < last;
      if (t != kNoTime) last = std::max(last, t);
    }
    EXPECT_EQ(out_of_order, 0u) << site << ": the stream keeps the merged order";
  }
  EXPECT_EQ(site_messages, stats.router.routed + stats.router.multi_site);
  std::size_t both = 0;
  for (const auto& [id, sites] : segment_sites) both += sites.size() == 2;
  EXPECT_GT(both, 0u);
}

}  // namespace
}  // namespace callroot::runtime::testing
