// Where fetched records go: a daemon's ZeroMQ PULL socket, an in-process
// Correlator, a JSON Lines file; and the verdicts of what was fetched are
// exactly those of the same payloads replayed from a file. Also the command.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <set>

#include <spdlog/sinks/null_sink.h>

#include "harness.h"
#include "connectors/metrics_listener.h"
#include "ingest/zmq_source.h"
#include "models/verdict.h"
#include "runtime/replay.h"
#include "runtime/sinks.h"

namespace callroot::connectors::testing {
namespace {

std::shared_ptr<spdlog::logger> quiet() {
  return std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
}

/// Microsoft's published calls as the emulator serves them: the v1.0 record
/// with its second sessions page, the beta record and the cli-microsoft365
/// record, each under its own id.
std::vector<EmulatedRecord> published_calls() {
  const auto more = load_fixture("v1.0_session-list_expand-segments.json")["value"];
  return {make_record(kFixture, id(1), start(1), modified(1), 1, 1, std::vector<json>(more.begin(), more.end())),
          make_record("beta_callrecord-get_expand-sessions-segments.json", id(2), start(2), modified(2), 1),
          make_record("cli-microsoft365_spec_callrecord-get_responseWithSessions.json", id(3), start(3), modified(3), 1)};
}

std::multiset<std::string> replayed(const std::string& file) {
  runtime::CollectingSink sink;
  runtime::ReplayOptions options;
  options.files = {file};
  options.progress = false;
  runtime::replay_into(options, sink, quiet());
  std::multiset<std::string> out;
  for (const auto& v : sink.verdicts) out.insert(to_json(v));
  return out;
}

TEST(Delivery, WhatWasFetchedGivesTheVerdictsOfTheSamePayloadsReplayedFromAFile) {
  Harness h("equivalence");
  const auto calls = published_calls();
  {
    std::ofstream direct(h.dir.file("direct.jsonl"));
    for (const auto& r : calls) direct << R"({"type":"graph.callRecord","body":)" << r.document().dump() << "}\n";
  }
  for (const auto& r : calls) h.emulator.put(r);
  {
    JsonlFileSink file(h.dir.file("fetched.jsonl"));
    auto c = h.connect(file);
    ASSERT_EQ(c->poll_once().delivered, calls.size());
  }
  const auto expected = replayed(h.dir.file("direct.jsonl"));
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(replayed(h.dir.file("fetched.jsonl")), expected);

  // In process, straight into a Correlator: the same verdicts again.
  std::multiset<std::string> got;
  runtime::Correlator correlator(runtime::Config{}, [&](const Verdict& v) { got.insert(to_json(v)); }, {}, quiet());
  CorrelatorSink into(correlator);
  h.config.cursor_file = h.dir.file("cursor-2.json");
  auto c = h.connect(into);
  EXPECT_EQ(c->poll_once().delivered, calls.size());
  correlator.flush();
  EXPECT_EQ(correlator.stats().rejected.total(), 0u);
  EXPECT_EQ(got, expected);
}

TEST(Delivery, ADaemonsPullSocketGetsTheTypeFrameAndTheDocument) {
  Harness h("zmq");
  h.emulator.put(record(1));
  zmq::context_t context;
  ingest::ZmqSourceOptions options;
  options.sub_endpoints = {};
  options.pull_endpoints = {"tcp://127.0.0.1:*"};
  ingest::ZmqSource pull(context, options);
  ZmqPushSink push(context, pull.endpoints().at(0));
  auto c = h.connect(push);
  EXPECT_EQ(c->poll_once().delivered, 1u);
  ingest::ZmqRecord got;
  ASSERT_TRUE(pull.receive(got, std::chrono::milliseconds(5000)));
  EXPECT_FALSE(got.malformed);
  EXPECT_EQ(got.type, "graph.callRecord");
  EXPECT_EQ(json::parse(got.body), record(1).document());
}

TEST(Metrics, TheListenerServesWhatWasLastPublished) {
  Harness h("metrics");
  h.emulator.put(record(1));
  CollectingRecordSink sink;
  auto c = h.connect(sink);
  c->poll_once();
  MetricsListener listener("127.0.0.1:0");
  ASSERT_GT(listener.port(), 0);
  listener.publish(c->metrics(), "graph");
  HttpClient http(HttpOptions{});
  const HttpResponse r =
      http.send({HttpRequest::Method::kGet, "http://127.0.0.1:" + std::to_string(listener.port()) + "/metrics", {}, {}});
  ASSERT_FALSE(r.transport_failed()) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("callroot_connector_records_delivered_total{connector=\"graph\"} 1\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("callroot_connector_requests_total{connector=\"graph\",status=\"200\"} 3\n"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("# TYPE callroot_connector_lag_seconds gauge\n"), std::string::npos);
}

int run_command(const std::string& args, const std::string& stderr_file) {
  const int status = std::system((std::string(CALLROOT_BINARY) + " " + args + " 2> '" + stderr_file + "'").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string now_minus(std::chrono::minutes ago) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return format_rfc3339(now - std::chrono::duration_cast<std::chrono::milliseconds>(ago).count());
}

TEST(ConnectCommand, FetchesOnceIntoAJsonLinesFileAndPrintsItsCounters) {
  Harness h("cli");
  // The command reads the real wall clock: records of the last hour.
  h.emulator.put(make_record(kFixture, id(1), now_minus(std::chrono::minutes(50)), now_minus(std::chrono::minutes(5)), 1));
  h.emulator.put(make_record(kFixture, id(2), now_minus(std::chrono::minutes(40)), now_minus(std::chrono::minutes(4)), 3));
  const json config = {{"tenant", GraphEmulator::kTenant}, {"client_id", GraphEmulator::kClientId},
                       {"secret_file", h.dir.file("secret")}, {"token_url", h.emulator.token_url()},
                       {"graph_url", h.emulator.base()}, {"cursor_file", h.dir.file("cursor.json")}};
  write_file(h.dir.file("graph.json"), config.dump());
  const std::string out = h.dir.file("fetched.jsonl");
  const std::string err = h.dir.file("stderr");
  EXPECT_EQ(run_command("connect graph --config '" + h.dir.file("graph.json") + "' --once --out '" + out + "'", err), 0)
      << slurp(err);
  EXPECT_NE(slurp(err).find("connect graph: polls 1, requests 4 (200: 4)"), std::string::npos) << slurp(err);
  EXPECT_NE(slurp(err).find("delivered 2"), std::string::npos) << slurp(err);
  std::istringstream lines(slurp(out));
  std::size_t n = 0;
  for (std::string line; std::getline(lines, line); ++n) EXPECT_EQ(json::parse(line)["type"], "graph.callRecord");
  EXPECT_EQ(n, 2u);
  // Again: the cursor says both went out.
  EXPECT_EQ(run_command("connect graph --config '" + h.dir.file("graph.json") + "' --once --out '" + out + "'", err), 0);
  EXPECT_NE(slurp(err).find("delivered 0, unchanged 2"), std::string::npos) << slurp(err);
  EXPECT_EQ(slurp(err).find(kSecret), std::string::npos);
}

TEST(ConnectCommand, HelpNamesEveryOption) {
  TempDir dir("cli-help");
  const std::string out = dir.file("help");
  ASSERT_EQ(std::system((std::string(CALLROOT_BINARY) + " connect graph --help > '" + out + "'").c_str()), 0);
  for (const char* option : {"--config", "--out", "--push", "--once", "--metrics-listen"}) {
    EXPECT_NE(slurp(out).find(option), std::string::npos) << option;
  }
}

TEST(ConnectCommand, ABadConfigurationNamesTheKeyAndExits2) {
  TempDir dir("cli-bad");
  write_file(dir.file("graph.json"), R"({"tenant":"t","client_id":"c","secret_env":"X","overlap_s":-1})");
  const std::string err = dir.file("stderr");
  EXPECT_EQ(run_command("connect graph --config '" + dir.file("graph.json") + "' --once --out " + dir.file("o"), err),
            2);
  EXPECT_NE(slurp(err).find("overlap_s: must be between 0 and 2592000"), std::string::npos) << slurp(err);
  EXPECT_EQ(run_command("connect graph --config '" + dir.file("graph.json") + "'", err), 2);
  EXPECT_NE(slurp(err).find("give --out FILE.jsonl or --push tcp://host:port"), std::string::npos) << slurp(err);
}

}  // namespace
}  // namespace callroot::connectors::testing
