// End to end (issue 5, item 3): inventory, a Graph teamworkDevice, its
// teamworkDeviceHealth and a Graph callRecord from that room system, replayed
// as JSON Lines. A disconnected microphone makes the room's poor audio the
// room's fault (kind `client`, its MAC, the microphone named), with the
// default attribution and with the bundled rule pack; a healthy one does not.
#include <gtest/gtest.h>

#include <fstream>

#include <spdlog/sinks/null_sink.h>

#include "demo_files.h"
#include "engine/attributors.h"
#include "runtime/replay.h"
#include "cli/rules_cmd.h"
#include "runtime/sinks.h"

namespace callroot::runtime::testing {
namespace {

using json = nlohmann::json;

constexpr const char* kRoomMac = "5c:ba:ef:f2:34:a9";

json room_health(const std::string& microphone) {
  // Microsoft's published example, with the room online and the microphone as given.
  std::ifstream in(std::string(CALLROOT_TEST_DATA_DIR) + "/graph/beta_teamworkdevicehealth-get.json");
  json doc = json::parse(in);
  json& h = doc["value"];
  h["connection"]["connectionStatus"] = "connected";
  h["peripheralsHealth"]["roomCameraHealth"]["connection"]["connectionStatus"] = "connected";
  h["peripheralsHealth"]["microphoneHealth"]["connection"]["connectionStatus"] = microphone;
  h["lastModifiedDateTime"] = "2026-03-02T09:05:00Z";
  return doc;
}

json call_record() {
  return json::parse(R"({
    "id": "call-room-1", "type": "groupCall",
    "sessions": [{"id": "s1", "startDateTime": "2026-03-02T09:10:00Z", "endDateTime": "2026-03-02T09:12:00Z",
      "segments": [{"id": "seg-1", "startDateTime": "2026-03-02T09:10:00Z", "endDateTime": "2026-03-02T09:12:00Z",
        "caller": {"@odata.type": "#microsoft.graph.callRecords.participantEndpoint",
                   "identity": {"user": {"userPrincipalName": "room.hq-boardroom@contoso.example"}},
                   "userAgent": {"platform": "roomSystem", "productFamily": "teamsRoomsWindows"}},
        "callee": {"@odata.type": "#microsoft.graph.callRecords.participantEndpoint",
                   "identity": {"user": {"userPrincipalName": "guest01@partner.example"}},
                   "userAgent": {"platform": "windows"}},
        "media": [{"label": "main-audio",
          "callerNetwork": {"ipAddress": "10.1.4.20", "macAddress": "5C-BA-EF-F2-34-A9", "connectionType": "wired",
                            "reflexiveIPAddress": "198.51.100.10", "subnet": "10.1.4.0"},
          "calleeNetwork": {"ipAddress": "192.0.2.25", "reflexiveIPAddress": "192.0.2.25", "connectionType": "wifi"},
          "streams": [
            {"streamDirection": "callerToCallee", "averageJitter": "PT0.045S", "averagePacketLossRate": 0.12,
             "averageRoundTripTime": "PT0.14S", "averageAudioDegradation": 1.4},
            {"streamDirection": "calleeToCaller", "averageJitter": "PT0.004S", "averagePacketLossRate": 0.001,
             "averageRoundTripTime": "PT0.06S", "averageAudioDegradation": 0.1}]}]}]}]})");
}

std::string write_input(const TempDir& dir, const std::string& microphone) {
  const auto path = (dir.path() / "rooms.jsonl").string();
  std::ofstream out(path);
  out << R"({"type":"inventory.site","site":"hq","subnets":["10.1.0.0/16"]})" << '\n'
      << R"({"type":"inventory.switch","switch":"hq-core","site":"hq","uplink":{"edge":"hq-edge"}})" << '\n'
      << R"({"type":"inventory.switch","switch":"hq-acc1","site":"hq","uplink":{"switch":"hq-core","port":"Te1/0/1"}})"
      << '\n'
      << R"({"type":"inventory.wan","link":"hq-wan1","site":"hq","edge":"hq-edge","public_ips":["198.51.100.10"]})"
      << '\n'
      << R"({"type":"client.assoc","ts":"2026-03-02T09:00:00Z","client":"5c:ba:ef:f2:34:a9","switch":"hq-acc1","port":"Gi1/0/5"})"
      << '\n';
  json device = {{"id", "room-dev-1"},
                 {"deviceType", "teamsRoom"},
                 {"healthStatus", microphone == "connected" ? "healthy" : "critical"},
                 {"hardwareDetail", {{"macAddresses", {"5C-BA-EF-F2-34-A9"}}, {"model", "MTR"}}},
                 {"lastModifiedDateTime", "2026-03-02T09:07:00Z"}};
  out << json{{"type", "graph.teamworkDevice"}, {"body", device}}.dump() << '\n';
  out << json{{"type", "graph.teamworkDeviceHealth"}, {"device", "room-dev-1"}, {"body", room_health(microphone)}}.dump()
      << '\n';
  // Healthy network telemetry around the call: nothing else stands out.
  for (int m = 0; m <= 14; ++m) {
    const std::string ts = "2026-03-02T09:" + std::string(m < 10 ? "0" : "") + std::to_string(m) + ":30Z";
    out << R"({"type":"wan.link","ts":")" << ts << R"(","link":"hq-wan1","latency_ms":12,"jitter_ms":2,"loss_pct":0.1})"
        << '\n';
  }
  out << json{{"type", "graph.callRecord"}, {"body", call_record()}}.dump() << '\n';
  return path;
}

struct Result {
  CollectingSink sink;
  PipelineStats stats;
};

std::unique_ptr<Result> replay_rooms(const std::string& microphone, bool rule_pack) {
  TempDir dir("teams-rooms");
  ReplayOptions options;
  options.files = {write_input(dir, microphone)};
  options.progress = false;
  if (rule_pack) options.config.attribution.rules = {std::string(CALLROOT_DATA_DIR) + "/rules"};
  auto r = std::make_unique<Result>();
  r->stats = replay_into(options, r->sink,
                         std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>()));
  return r;
}

bool names_microphone(const Blame& b) {
  for (const Evidence& e : b.evidence) {
    if (e.text.find("microphone") != std::string::npos) return true;
  }
  return false;
}

class TeamsRooms : public ::testing::TestWithParam<bool> {};

TEST_P(TeamsRooms, ADisconnectedMicrophoneMakesThePoorAudioTheRoomsFault) {
  const auto r = replay_rooms("disconnected", GetParam());
  EXPECT_EQ(r->stats.rejected.total(), 0u);
  ASSERT_EQ(r->sink.verdicts.size(), 1u);
  const Verdict& v = r->sink.verdicts[0];
  EXPECT_EQ(v.quality, Quality::kPoor);
  ASSERT_FALSE(v.blame.empty());
  EXPECT_EQ(v.blame[0].kind, ComponentKind::kClient) << to_json(v);
  EXPECT_EQ(v.blame[0].id, kRoomMac);
  EXPECT_EQ(v.blame[0].site, "hq");
  EXPECT_TRUE(names_microphone(v.blame[0])) << to_json(v);
  // Calls from room systems are identifiable in the verdict.
  ASSERT_FALSE(v.paths.empty());
  EXPECT_EQ(v.paths[0].device_type, DeviceType::kRoomSystem);
  EXPECT_NE(to_json(v).find(R"("device_type":"room_system")"), std::string::npos);
}

TEST_P(TeamsRooms, AHealthyMicrophoneIsNotBlamed) {
  const auto r = replay_rooms("connected", GetParam());
  ASSERT_EQ(r->sink.verdicts.size(), 1u);
  const Verdict& v = r->sink.verdicts[0];
  EXPECT_EQ(v.quality, Quality::kPoor);
  for (const Blame& b : v.blame) EXPECT_FALSE(names_microphone(b)) << to_json(v);
  EXPECT_FALSE(!v.blame.empty() && v.blame[0].kind == ComponentKind::kClient) << to_json(v);
}

INSTANTIATE_TEST_SUITE_P(DefaultAndRulePack, TeamsRooms, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "RulePack" : "Heuristic"; });

}  // namespace
}  // namespace callroot::runtime::testing
