// End to end (issue 5): call records from the cloud, replayed with the
// network's inventory and telemetry.
// - Microsoft's published callRecord, with an inventory that matches it: the
//   verdict names the right client (found by IP at the time), its AP, its
//   switch and the WAN link (by reflexiveIPAddress); another tenant's users
//   are remote and nothing of theirs is named.
// - The same calls as a Zoom QoS page and as a Graph callRecord on the same
//   network give the same verdicts.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include <spdlog/sinks/null_sink.h>

#include "demo_files.h"
#include "runtime/replay.h"
#include "runtime/sinks.h"

namespace callroot::runtime::testing {
namespace {

using json = nlohmann::json;

std::unique_ptr<CollectingSink> replay_lines(const std::vector<std::string>& lines, PipelineStats* stats = nullptr) {
  TempDir dir("cloud-calls");
  const auto path = (dir.path() / "input.jsonl").string();
  {
    std::ofstream out(path);
    for (const auto& l : lines) out << l << '\n';
  }
  ReplayOptions options;
  options.files = {path};
  options.progress = false;
  auto sink = std::make_unique<CollectingSink>();
  const PipelineStats s = replay_into(options, *sink,
                                      std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>()));
  if (stats != nullptr) *stats = s;
  return sink;
}

std::string two(int v) { return (v < 10 ? "0" : "") + std::to_string(v); }

const HopReport* hop(const PathReport& p, ComponentKind kind) {
  for (const auto& h : p.hops) {
    if (h.kind == kind) return &h;
  }
  return nullptr;
}

// ---- Microsoft's published callRecord with a matching inventory -------------

// beta_callrecord-get_expand-sessions-segments.json: Abbie Wilkins (caller,
// Wi-Fi, 10.150.0.2) and Owen Franklin (callee, wired, 10.139.0.12), both of
// tenant dc368399-…, both seen from 127.0.0.2; the callee-to-caller audio is
// poor (network MOS degradation 1.16). The MACs in the record are zeros, so
// the clients are found by their addresses at the time (client.info).
constexpr const char* kTenant = "dc368399-474c-4d40-900c-6265431fd81f";
constexpr const char* kAbbie = "f0:18:98:00:00:01";
constexpr const char* kOwen = "f0:18:98:00:00:02";

enum class Fault { kAbbiesWifi, kWanLink };

std::vector<std::string> published_call_with_inventory(Fault fault, const std::string& org_tenant) {
  std::vector<std::string> in = {
      json{{"type", "inventory.org"}, {"name", "Contoso"}, {"tenants", {org_tenant}}}.dump(),
      R"({"type":"inventory.site","site":"hq","subnets":["10.150.0.0/16","10.139.0.0/16"]})",
      R"({"type":"inventory.switch","switch":"core","site":"hq","uplink":{"edge":"edge1"}})",
      R"({"type":"inventory.switch","switch":"acc1","site":"hq","uplink":{"switch":"core","port":"Te1/0/1"}})",
      R"({"type":"inventory.ap","ap":"ap-3f","site":"hq","bssids":["00:11:22:33:44:01"],"uplink":{"switch":"acc1","port":"Gi1/0/1"}})",
      R"({"type":"inventory.wan","link":"wan1","site":"hq","edge":"edge1","public_ips":["127.0.0.2"]})",
      R"({"type":"inventory.wan","link":"wan2","site":"hq","edge":"edge1","public_ips":["198.51.100.2"]})",
      json{{"type", "client.info"}, {"ts", "2020-02-25T18:00:00Z"}, {"client", kAbbie}, {"ip", "10.150.0.2"}}.dump(),
      json{{"type", "client.info"}, {"ts", "2020-02-25T18:00:00Z"}, {"client", kOwen}, {"ip", "10.139.0.12"}}.dump(),
      json{{"type", "client.assoc"}, {"ts", "2020-02-25T18:00:00Z"}, {"client", kAbbie}, {"ap", "ap-3f"},
           {"bssid", "00:11:22:33:44:01"}, {"band", "5"}, {"channel", 36}}.dump(),
      json{{"type", "client.assoc"}, {"ts", "2020-02-25T18:00:00Z"}, {"client", kOwen}, {"switch", "acc1"},
           {"port", "Gi1/0/7"}}.dump(),
  };
  std::uint64_t octets = 0;
  for (int m = 45; m <= 58; ++m) {
    for (int s : {0, 30}) {
      const std::string ts = "2020-02-25T18:" + two(m) + ":" + two(s) + "Z";
      const bool weak = fault == Fault::kAbbiesWifi;
      in.push_back(json{{"type", "wifi.client"}, {"ts", ts}, {"client", kAbbie}, {"ap", "ap-3f"},
                        {"rssi_dbm", weak ? -84 : -55}, {"snr_db", weak ? 8 : 38}, {"tx_retry_pct", weak ? 38 : 4},
                        {"rx_retry_pct", weak ? 35 : 3}}
                       .dump());
      in.push_back(json{{"type", "wifi.ap"}, {"ts", ts}, {"ap", "ap-3f"}, {"band", "5"}, {"channel", 36},
                        {"channel_util_pct", 22}, {"interference_pct", 4}, {"noise_dbm", -95}}
                       .dump());
      octets += 30'000'000;
      for (const char* port : {"Gi1/0/1", "Gi1/0/7"}) {
        in.push_back(json{{"type", "switch.port"}, {"ts", ts}, {"switch", "acc1"}, {"port", port}, {"speed_mbps", 1000},
                          {"oper_up", true}, {"in_octets_total", octets}, {"out_octets_total", octets},
                          {"in_errors_total", 0}, {"out_errors_total", 0}, {"in_discards_total", 0},
                          {"out_discards_total", 0}, {"in_fcs_errors_total", 0}}
                         .dump());
      }
      const bool lossy = fault == Fault::kWanLink;
      for (const char* link : {"wan1", "wan2"}) {
        const bool bad = lossy && std::string(link) == "wan1";
        in.push_back(json{{"type", "wan.link"}, {"ts", ts}, {"link", link}, {"latency_ms", bad ? 160 : 18},
                          {"jitter_ms", bad ? 28 : 2}, {"loss_pct", bad ? 3.5 : 0.05}, {"util_in_pct", 35},
                          {"util_out_pct", 30}}
                         .dump());
      }
    }
  }
  std::ifstream f(std::string(CALLROOT_TEST_DATA_DIR) + "/graph/beta_callrecord-get_expand-sessions-segments.json");
  in.push_back(json{{"type", "graph.callRecord"}, {"body", json::parse(f)}}.dump());
  return in;
}

TEST(PublishedCallRecord, WithMatchingInventoryTheVerdictNamesClientApSwitchAndWanLink) {
  PipelineStats stats;
  const auto sink = replay_lines(published_call_with_inventory(Fault::kAbbiesWifi, kTenant), &stats);
  EXPECT_EQ(stats.rejected.total(), 0u);
  ASSERT_EQ(sink->verdicts.size(), 1u);
  const Verdict& v = sink->verdicts[0];
  EXPECT_EQ(v.quality, Quality::kPoor);
  EXPECT_EQ(v.version, 1u);
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kClient) << to_json(v);
  EXPECT_EQ(v.blame[0].id, kAbbie);
  EXPECT_EQ(v.blame[0].site, "hq");

  ASSERT_EQ(v.paths.size(), 2u) << to_json(v);
  const PathReport& abbie = v.paths[0].side == Side::kCaller ? v.paths[0] : v.paths[1];
  const PathReport& owen = v.paths[0].side == Side::kCaller ? v.paths[1] : v.paths[0];
  ASSERT_NE(hop(abbie, ComponentKind::kClient), nullptr);
  EXPECT_EQ(hop(abbie, ComponentKind::kClient)->id, kAbbie);
  ASSERT_NE(hop(abbie, ComponentKind::kAp), nullptr);
  EXPECT_EQ(hop(abbie, ComponentKind::kAp)->id, "ap-3f");
  ASSERT_NE(hop(abbie, ComponentKind::kWan), nullptr);
  EXPECT_EQ(hop(abbie, ComponentKind::kWan)->id, "wan1") << "the reflexive address pins the link";
  ASSERT_NE(hop(owen, ComponentKind::kClient), nullptr);
  EXPECT_EQ(hop(owen, ComponentKind::kClient)->id, kOwen);
  ASSERT_NE(hop(owen, ComponentKind::kSwitch), nullptr);
  EXPECT_EQ(hop(owen, ComponentKind::kSwitch)->id, "acc1");
  ASSERT_NE(hop(owen, ComponentKind::kWan), nullptr);
  EXPECT_EQ(hop(owen, ComponentKind::kWan)->id, "wan1");
  for (const auto& h : owen.hops) EXPECT_NE(h.id, "wan2");
}

TEST(PublishedCallRecord, ALossyWanLinkIsNamedByTheReflexiveAddress) {
  const auto sink = replay_lines(published_call_with_inventory(Fault::kWanLink, kTenant));
  ASSERT_EQ(sink->verdicts.size(), 1u);
  const Verdict& v = sink->verdicts[0];
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kWan) << to_json(v);
  EXPECT_EQ(v.blame[0].id, "wan1");
}

TEST(PublishedCallRecord, AnotherTenantsUsersAreRemoteAndNeverNamed) {
  // The same call, but the organization is another tenant: both people are
  // guests, whatever the inventory says of their addresses.
  const auto sink =
      replay_lines(published_call_with_inventory(Fault::kAbbiesWifi, "0b5e2c44-0000-4000-8000-000000000001"));
  ASSERT_EQ(sink->verdicts.size(), 1u);
  const Verdict& v = sink->verdicts[0];
  EXPECT_EQ(v.quality, Quality::kPoor);
  EXPECT_TRUE(v.paths.empty()) << to_json(v);
  const std::string out = to_json(v);
  for (const char* raw : {kAbbie, kOwen, "ap-3f", "acc1", "wan1", "Abbie", "Owen"}) {
    EXPECT_EQ(out.find(raw), std::string::npos) << raw << " in " << out;
  }
  ASSERT_FALSE(v.blame.empty());
  EXPECT_TRUE(v.blame[0].kind == ComponentKind::kRemote || v.blame[0].kind == ComponentKind::kUnknown) << out;
}

// ---- pages and versions of one callRecord -----------------------------------

/// One session of a paged Graph call: one segment of a minute from a known
/// client to a remote party, audio received with `loss` (a fraction).
json paged_session(const std::string& id, int minute, double loss) {
  const std::string start = "2026-03-02T10:0" + std::to_string(minute) + ":00Z";
  const std::string end = "2026-03-02T10:0" + std::to_string(minute + 1) + ":00Z";
  return {{"id", "s-" + id},
          {"startDateTime", start},
          {"endDateTime", end},
          {"segments",
           {{{"id", id},
             {"startDateTime", start},
             {"endDateTime", end},
             {"caller", {{"@odata.type", "#microsoft.graph.callRecords.participantEndpoint"},
                         {"identity", {{"user", {{"userPrincipalName", "alice@contoso.example"}}}}}}},
             {"callee", {{"@odata.type", "#microsoft.graph.callRecords.participantEndpoint"},
                         {"identity", {{"user", {{"userPrincipalName", "guest@partner.example"}}}}}}},
             {"media",
              {{{"label", "main-audio"},
                {"callerNetwork", {{"ipAddress", "10.1.1.10"}, {"reflexiveIPAddress", "198.51.100.1"}}},
                {"streams",
                 {{{"streamDirection", "calleeToCaller"}, {"averagePacketLossRate", loss},
                   {"averageJitter", "PT0.012S"}, {"averageRoundTripTime", "PT0.08S"}}}}}}}}}}};
}

/// The callRecord with its first session, pointing at the next page.
std::string first_page(int version, double loss) {
  return json{{"type", "graph.callRecord"},
              {"body",
               {{"id", "paged-call"},
                {"version", version},
                {"type", "groupCall"},
                {"sessions", {paged_session("seg-a", 1, loss)}},
                {"sessions@odata.nextLink",
                 "https://graph.microsoft.com/v1.0/communications/callRecords/paged-call/sessions?$skiptoken=abc"}}}}
      .dump();
}

/// The next page: a sessions page, which carries no version.
std::string second_page(double loss) {
  return json{{"type", "graph.callRecord"},
              {"body",
               {{"@odata.context",
                 "https://graph.microsoft.com/v1.0/$metadata#communications/callRecords('paged-call')/sessions(segments())"},
                {"value", {paged_session("seg-b", 2, loss)}}}}}
      .dump();
}

TEST(PagedCallRecord, PagesMakeOneCallAndANewerVersionReissuesEachVerdictOnce) {
  std::vector<std::string> in = {
      R"({"type":"inventory.site","site":"hq","subnets":["10.1.0.0/16"]})",
      R"({"type":"inventory.wan","link":"wan1","site":"hq","edge":"edge1","public_ips":["198.51.100.1"]})",
      R"({"type":"client.info","ts":"2026-03-02T09:00:00Z","client":"f0:18:98:00:00:0a","ip":"10.1.1.10","user":"alice@contoso.example"})",
      R"({"type":"wan.link","ts":"2026-03-02T10:20:00Z","link":"wan1","latency_ms":18,"jitter_ms":2,"loss_pct":0.05})",
      first_page(1, 0.001),
      second_page(0.002),
      second_page(0.002),  // the collector fetched the page twice
      first_page(2, 0.15),  // Microsoft added data: version 2, the first session's loss was worse
      second_page(0.12),    // ... and the second's
      first_page(1, 0.001),  // a stale copy of version 1
  };
  PipelineStats stats;
  const auto sink = replay_lines(in, &stats);
  EXPECT_EQ(stats.rejected.total(), 0u);
  ASSERT_EQ(sink->verdicts.size(), 4u);
  const auto& v = sink->verdicts;
  for (const Verdict& x : v) EXPECT_EQ(x.call_id, "paged-call");
  EXPECT_EQ(v[0].segment_id, "seg-a");
  EXPECT_EQ(v[0].version, 1u);
  EXPECT_FALSE(v[0].reissued);
  EXPECT_EQ(v[0].quality, Quality::kGood);
  EXPECT_EQ(v[1].segment_id, "seg-b");
  EXPECT_EQ(v[1].version, 1u) << "the sessions page belongs to the version of its call";
  EXPECT_FALSE(v[1].reissued);
  EXPECT_EQ(v[2].segment_id, "seg-a");
  EXPECT_EQ(v[2].version, 2u);
  EXPECT_TRUE(v[2].reissued);
  EXPECT_EQ(v[2].quality, Quality::kPoor);
  EXPECT_EQ(v[3].segment_id, "seg-b");
  EXPECT_EQ(v[3].version, 2u);
  EXPECT_TRUE(v[3].reissued);
  EXPECT_EQ(v[3].quality, Quality::kPoor);
}

// ---- the same calls from Zoom and from Graph --------------------------------

struct Participant {
  std::string name;  // also the Zoom user_id and the Graph segment prefix
  std::string mac;
  std::string ip;
  std::string ap;  // empty: wired
  std::string port;
  std::string public_ip;  // which WAN link the media leaves through
  // What the participant sent and received, per minute: loss %, jitter ms, one-way latency ms.
  double sent_loss, sent_jitter, sent_latency;
  double recv_loss, recv_jitter, recv_latency;
};

const std::vector<Participant>& meeting() {
  static const std::vector<Participant> people = {
      // weak Wi-Fi on ap1: loses what it receives
      {"alice", "f0:18:98:00:00:0a", "10.1.1.10", "ap1", "", "198.51.100.1", 0.5, 6, 20, 6.5, 45, 22},
      // on ap2, whose channel is saturated
      {"bob", "f0:18:98:00:00:0b", "10.1.1.11", "ap2", "", "198.51.100.1", 4, 38, 24, 5, 42, 25},
      // wired, on a port with CRC errors
      {"carol", "f0:18:98:00:00:0c", "10.1.2.12", "", "Gi1/0/12", "198.51.100.1", 11, 34, 20, 10.5, 31, 20},
      // through the lossy WAN link
      {"dave", "f0:18:98:00:00:0d", "10.1.1.13", "ap1", "", "198.51.100.2", 4, 35, 170, 4.5, 36, 175},
      // nothing wrong
      {"erin", "f0:18:98:00:00:0e", "10.1.1.14", "ap1", "", "198.51.100.1", 0.1, 4, 20, 0.2, 5, 21},
  };
  return people;
}

constexpr int kMinutes = 3;  // 10:01, 10:02, 10:03

std::vector<std::string> campus_with_faults() {
  std::vector<std::string> in = {
      R"({"type":"inventory.site","site":"hq","subnets":["10.1.0.0/16"]})",
      R"({"type":"inventory.switch","switch":"core","site":"hq","uplink":{"edge":"edge1"}})",
      R"({"type":"inventory.switch","switch":"acc1","site":"hq","uplink":{"switch":"core","port":"Te1/0/1"}})",
      R"({"type":"inventory.ap","ap":"ap1","site":"hq","bssids":["00:11:22:33:44:01"],"uplink":{"switch":"acc1","port":"Gi1/0/1"}})",
      R"({"type":"inventory.ap","ap":"ap2","site":"hq","bssids":["00:11:22:33:44:02"],"uplink":{"switch":"acc1","port":"Gi1/0/2"}})",
      R"({"type":"inventory.wan","link":"wan1","site":"hq","edge":"edge1","public_ips":["198.51.100.1"]})",
      R"({"type":"inventory.wan","link":"wan2","site":"hq","edge":"edge1","public_ips":["198.51.100.2"]})",
  };
  for (const auto& p : meeting()) {
    in.push_back(json{{"type", "client.info"}, {"ts", "2026-03-02T09:00:00Z"}, {"client", p.mac}, {"ip", p.ip},
                      {"user", p.name + "@contoso.example"}}
                     .dump());
    json assoc{{"type", "client.assoc"}, {"ts", "2026-03-02T09:00:00Z"}, {"client", p.mac}};
    if (p.ap.empty()) {
      assoc["switch"] = "acc1";
      assoc["port"] = p.port;
    } else {
      assoc["ap"] = p.ap;
      assoc["band"] = "5";
    }
    in.push_back(assoc.dump());
  }
  std::uint64_t octets = 0, crc = 0;
  for (int m = 50; m <= 65; ++m) {
    for (int s : {0, 30}) {
      const std::string ts = "2026-03-02T" + std::string(m < 60 ? "09:" + two(m) : "10:" + two(m - 60)) + ":" + two(s) + "Z";
      for (const auto& p : meeting()) {
        if (p.ap.empty()) continue;
        const bool weak = p.name == "alice";
        in.push_back(json{{"type", "wifi.client"}, {"ts", ts}, {"client", p.mac}, {"ap", p.ap},
                          {"rssi_dbm", weak ? -85 : -54}, {"snr_db", weak ? 7 : 38},
                          {"tx_retry_pct", weak ? 40 : (p.ap == "ap2" ? 18 : 4)}, {"rx_retry_pct", weak ? 36 : 3}}
                         .dump());
      }
      for (const char* ap : {"ap1", "ap2"}) {
        const bool busy = std::string(ap) == "ap2";
        in.push_back(json{{"type", "wifi.ap"}, {"ts", ts}, {"ap", ap}, {"band", "5"}, {"channel", busy ? 44 : 36},
                          {"channel_util_pct", busy ? 94 : 22}, {"interference_pct", busy ? 55 : 4},
                          {"noise_dbm", -95}, {"tx_retry_pct", busy ? 32 : 5}}
                         .dump());
      }
      octets += 30'000'000;
      crc += 900;  // 30/s on carol's port
      for (const char* port : {"Gi1/0/1", "Gi1/0/2", "Gi1/0/12"}) {
        const bool bad = std::string(port) == "Gi1/0/12";
        in.push_back(json{{"type", "switch.port"}, {"ts", ts}, {"switch", "acc1"}, {"port", port}, {"speed_mbps", 1000},
                          {"oper_up", true}, {"in_octets_total", octets}, {"out_octets_total", octets},
                          {"in_errors_total", bad ? crc : 0}, {"out_errors_total", 0}, {"in_discards_total", 0},
                          {"out_discards_total", 0}, {"in_fcs_errors_total", bad ? crc : 0}}
                         .dump());
      }
      in.push_back(json{{"type", "switch.port"}, {"ts", ts}, {"switch", "core"}, {"port", "Te1/0/1"},
                        {"speed_mbps", 10000}, {"oper_up", true}, {"in_octets_total", octets},
                        {"out_octets_total", octets}, {"in_fcs_errors_total", 0}}
                       .dump());
      in.push_back(json{{"type", "wan.link"}, {"ts", ts}, {"link", "wan1"}, {"latency_ms", 18}, {"jitter_ms", 2},
                        {"loss_pct", 0.05}}
                       .dump());
      in.push_back(json{{"type", "wan.link"}, {"ts", ts}, {"link", "wan2"}, {"latency_ms", 165}, {"jitter_ms", 30},
                        {"loss_pct", 4}}
                       .dump());
    }
  }
  return in;
}

std::string minute_end(int k) { return "2026-03-02T10:0" + std::to_string(k) + ":00Z"; }
std::string minute_start(int k) { return "2026-03-02T10:0" + std::to_string(k - 1) + ":00Z"; }

std::string pct(double v) { return std::to_string(v) + "%"; }
std::string ms(double v) { return std::to_string(static_cast<int>(v)) + " ms"; }
std::string duration(double ms_value) { return "PT" + std::to_string(ms_value / 1000) + "S"; }

/// Zoom's spelling of a MAC: `f018-9800-000a`.
std::string zoom_mac(const std::string& mac) {
  std::string hex;
  for (char c : mac) {
    if (c != ':') hex += c;
  }
  return hex.substr(0, 4) + "-" + hex.substr(4, 4) + "-" + hex.substr(8, 4);
}

std::string zoom_page() {
  json participants = json::array();
  for (const auto& p : meeting()) {
    json qos = json::array();
    for (int k = 1; k <= kMinutes; ++k) {
      qos.push_back({{"date_time", minute_end(k)},
                     {"audio_input", {{"avg_loss", pct(p.sent_loss)}, {"jitter", ms(p.sent_jitter)},
                                      {"latency", ms(p.sent_latency)}, {"bitrate", "40 kbps"}}},
                     {"audio_output", {{"avg_loss", pct(p.recv_loss)}, {"jitter", ms(p.recv_jitter)},
                                       {"latency", ms(p.recv_latency)}, {"bitrate", "40 kbps"}}}});
    }
    participants.push_back({{"id", p.name},
                            {"user_id", p.name},
                            {"user_name", p.name},
                            {"email", p.name + "@contoso.example"},
                            {"device", "Windows"},
                            {"ip_address", p.public_ip},
                            {"internal_ip_addresses", {p.ip}},
                            {"mac_addr", zoom_mac(p.mac)},
                            {"network_type", p.ap.empty() ? "Wired" : "Wifi"},
                            {"join_time", minute_start(1)},
                            {"leave_time", minute_end(kMinutes)},
                            {"user_qos", qos}});
  }
  return json{{"type", "zoom.qos"},
              {"body", {{"meeting_uuid", "zoom-m1"}, {"page_size", 10}, {"next_page_token", ""},
                        {"participants", participants}}}}
      .dump();
}

std::string graph_record() {
  json sessions = json::array();
  for (const auto& p : meeting()) {
    for (int k = 1; k <= kMinutes; ++k) {
      const auto stream = [](const char* direction, double loss, double jitter, double latency) {
        // Zoom's latency is one way; Graph reports the round trip.
        return json{{"streamDirection", direction}, {"averagePacketLossRate", loss / 100},
                    {"averageJitter", duration(jitter)}, {"averageRoundTripTime", duration(2 * latency)}};
      };
      json network{{"ipAddress", p.ip}, {"reflexiveIPAddress", p.public_ip},
                   {"macAddress", p.mac}, {"connectionType", p.ap.empty() ? "wired" : "wifi"}};
      json segment{
          {"id", p.name + "-" + std::to_string(k)},
          {"startDateTime", minute_start(k)},
          {"endDateTime", minute_end(k)},
          {"caller",
           {{"@odata.type", "#microsoft.graph.callRecords.participantEndpoint"},
            {"identity", {{"user", {{"userPrincipalName", p.name + "@contoso.example"}}}}},
            {"userAgent", {{"platform", "windows"}, {"productFamily", "teams"}}}}},
          {"callee",
           {{"@odata.type", "#microsoft.graph.callRecords.serviceEndpoint"},
            {"userAgent", {{"@odata.type", "#microsoft.graph.callRecords.serviceUserAgent"}, {"role", "conferencingServer"}}}}},
          {"media",
           {{{"label", "main-audio"},
             {"callerNetwork", network},
             {"streams",
              {stream("callerToCallee", p.sent_loss, p.sent_jitter, p.sent_latency),
               stream("calleeToCaller", p.recv_loss, p.recv_jitter, p.recv_latency)}}}}}};
      sessions.push_back({{"id", "s-" + p.name + "-" + std::to_string(k)},
                          {"startDateTime", minute_start(k)},
                          {"endDateTime", minute_end(k)},
                          {"segments", {segment}}});
    }
  }
  return json{{"type", "graph.callRecord"},
              {"body", {{"id", "graph-call-1"}, {"version", 1}, {"type", "groupCall"}, {"sessions", sessions}}}}
      .dump();
}

/// Verdicts by (participant, minute): Zoom names a segment
/// `<meeting>/<user_id>/<date_time>`, the Graph record above `<name>-<minute>`.
std::map<std::string, Verdict> by_participant_minute(const std::vector<Verdict>& verdicts) {
  std::map<std::string, Verdict> out;
  for (const Verdict& v : verdicts) {
    std::string key;
    if (v.segment_id.starts_with("zoom-m1/")) {
      const auto a = v.segment_id.find('/') + 1;
      const auto b = v.segment_id.find('/', a);
      const std::string name = v.segment_id.substr(a, b - a);
      const std::string end = v.segment_id.substr(b + 1);
      for (int k = 1; k <= kMinutes; ++k) {
        if (end == minute_end(k)) key = name + "-" + std::to_string(k);
      }
    } else {
      key = v.segment_id;
    }
    EXPECT_FALSE(key.empty()) << v.segment_id;
    EXPECT_TRUE(out.emplace(key, v).second) << "two verdicts for " << key;
  }
  return out;
}

TEST(ZoomAndGraph, TheSameCallsOnTheSameNetworkGiveTheSameVerdicts) {
  auto zoom_input = campus_with_faults();
  zoom_input.push_back(zoom_page());
  auto graph_input = campus_with_faults();
  graph_input.push_back(graph_record());
  PipelineStats zs, gs;
  const auto zoom = by_participant_minute(replay_lines(zoom_input, &zs)->verdicts);
  const auto graph = by_participant_minute(replay_lines(graph_input, &gs)->verdicts);
  EXPECT_EQ(zs.rejected.total(), 0u);
  EXPECT_EQ(gs.rejected.total(), 0u);
  ASSERT_EQ(zoom.size(), meeting().size() * kMinutes);
  ASSERT_EQ(graph.size(), zoom.size());

  const std::map<std::string, std::pair<ComponentKind, std::string>> expected = {
      {"alice", {ComponentKind::kClient, "f0:18:98:00:00:0a"}},
      {"bob", {ComponentKind::kAp, "ap2"}},
      {"carol", {ComponentKind::kSwitch, "acc1"}},
      {"dave", {ComponentKind::kWan, "wan2"}},
  };
  for (const auto& [key, z] : zoom) {
    SCOPED_TRACE(key);
    const Verdict& g = graph.at(key);
    EXPECT_EQ(z.start, g.start);
    EXPECT_EQ(z.end, g.end);
    EXPECT_EQ(z.quality, g.quality) << to_json(z) << "\n" << to_json(g);
    ASSERT_EQ(z.blame.empty(), g.blame.empty()) << to_json(z) << "\n" << to_json(g);
    const std::string name = key.substr(0, key.find('-'));
    if (name == "erin") {
      EXPECT_EQ(z.quality, Quality::kGood);
      continue;
    }
    EXPECT_EQ(z.quality, Quality::kPoor);
    ASSERT_FALSE(z.blame.empty());
    EXPECT_EQ(z.blame[0].kind, g.blame[0].kind) << to_json(z) << "\n" << to_json(g);
    EXPECT_EQ(z.blame[0].id, g.blame[0].id);
    EXPECT_NEAR(z.blame[0].confidence, g.blame[0].confidence, 0.1);
    const auto& [kind, id] = expected.at(name);
    EXPECT_EQ(z.blame[0].kind, kind) << to_json(z);
    EXPECT_EQ(z.blame[0].id, id);
  }
}

}  // namespace
}  // namespace callroot::runtime::testing
