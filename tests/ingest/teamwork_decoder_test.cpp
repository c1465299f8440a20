// Graph Teams devices (teamworkDevice, teamworkDeviceHealth) through
// RecordDecoder::decode_many: Microsoft's published examples, list pages,
// MACs, peripherals, and documents that must be rejected with their path.
#include "ingest/teamwork_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "ingest/decoder.h"

namespace callroot::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using json = nlohmann::ordered_json;

json fixture(std::string_view name) {
  std::ifstream in(std::string(CALLROOT_TEST_DATA_DIR) + "/graph/" + std::string(name));
  return json::parse(in);
}

std::string envelope(std::string_view type, const json& body, json extra = json::object()) {
  json e;
  e["type"] = type;
  for (auto& [k, v] : extra.items()) e[k] = v;
  e["body"] = body;
  return e.dump();
}

class TeamworkTest : public ::testing::Test {
 protected:
  Directory dir;
  RecordDecoder decoder{dir};
  std::vector<Event> out;

  /// Decodes and expects success.
  void decode(const std::string& text, std::string_view hint = {}) {
    out.clear();
    ASSERT_TRUE(decoder.decode_many(text, out, false, hint)) << code(decoder.error().reason) << ": "
                                                              << decoder.error().detail;
  }
  void rejects(const std::string& text, RejectReason reason, std::string_view detail, std::string_view hint = {}) {
    out.assign(1, Event{ClientDisassoc{}});  // a rejected document leaves `out` as it was
    EXPECT_FALSE(decoder.decode_many(text, out, false, hint)) << text;
    EXPECT_EQ(code(decoder.error().reason), code(reason)) << decoder.error().detail;
    EXPECT_THAT(decoder.error().detail, HasSubstr(std::string(detail)));
    EXPECT_EQ(out.size(), 1u);
  }
  template <class T>
  std::vector<T> all() const {
    std::vector<T> v;
    for (const Event& e : out) {
      if (const T* x = std::get_if<T>(&e)) v.push_back(*x);
    }
    return v;
  }
  /// "name=state" for each peripheral, in order.
  std::vector<std::string> peripherals(const RoomHealth& r) const {
    std::vector<std::string> v;
    for (const auto& p : r.peripherals) v.push_back(std::string(dir.text(p.name)) + "=" + std::string(to_string(p.state)));
    return v;
  }
};

constexpr std::string_view kHealthDevice = "d8214fe3-4fe3-d821-e34f-21d8e34f21d8";

TEST_F(TeamworkTest, MicrosoftsHealthExampleDecodesIntoOneRoomHealth) {
  decode(envelope("graph.teamworkDeviceHealth", fixture("beta_teamworkdevicehealth-get.json"),
                  {{"device", kHealthDevice}}));
  ASSERT_EQ(out.size(), 1u);
  const auto& r = std::get<RoomHealth>(out[0]);
  EXPECT_EQ(dir.device_name(r.device), kHealthDevice);
  EXPECT_FALSE(r.client.valid()) << "the health document has no MAC";
  EXPECT_EQ(format_rfc3339(r.ts), "2021-06-19T19:01:04.185Z");
  EXPECT_EQ(r.connected, false);
  EXPECT_EQ(r.health, RoomHealthState::kOffline) << "connection disconnected: the device cannot be used";
  EXPECT_TRUE(r.health_reported);
  EXPECT_TRUE(r.peripherals_reported);
  // contentCamera: status unknown, not reported; display2: optional and
  // disconnected, not a fault; every other peripheral as published.
  EXPECT_THAT(peripherals(r), ElementsAre("roomCamera=disconnected", "speaker=connected",
                                          "communicationSpeaker=connected", "microphone=connected",
                                          "compute=connected", "hdmiIngest=connected", "display1=disconnected"));
  EXPECT_THAT(decoder.warnings(), IsEmpty());
}

TEST_F(TeamworkTest, HealthDeviceIdComesFromTheEnvelopeOrTheODataContext) {
  json body = fixture("beta_teamworkdevicehealth-get.json");
  body["@odata.context"] = "https://graph.microsoft.com/beta/$metadata#teamwork/devices('dev-ctx')/health/$entity";
  // ZeroMQ: frame 1 the type, frame 2 the document itself.
  decode(body.dump(), "graph.teamworkDeviceHealth");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(dir.device_name(std::get<RoomHealth>(out[0]).device), "dev-ctx");
  // The envelope's `device` wins: the collector knows what it asked for.
  decode(envelope("graph.teamworkDeviceHealth", body, {{"device", "dev-env"}}));
  EXPECT_EQ(dir.device_name(std::get<RoomHealth>(out[0]).device), "dev-env");
  // An `@odata.id` on the object itself, without the `value` wrapper.
  json bare = fixture("beta_teamworkdevicehealth-get.json")["value"];
  bare["@odata.id"] = "teamwork/devices('dev-id')/health";
  decode(envelope("graph.teamworkDeviceHealth", bare));
  EXPECT_EQ(dir.device_name(std::get<RoomHealth>(out[0]).device), "dev-id");
}

TEST_F(TeamworkTest, PeripheralStatesOptionalAndUnknown) {
  const json body = json::parse(R"({
    "lastModifiedDateTime": "2026-03-02T09:00:00Z",
    "connection": {"connectionStatus": "Connected"},
    "peripheralsHealth": {
      "microphoneHealth": {"isOptional": false, "connection": {"connectionStatus": "disconnected"}},
      "speakerHealth": {"isOptional": "no", "connection": {"connectionStatus": "disconnected"}},
      "roomCameraHealth": {"connection": {"connectionStatus": "unknownFutureValue"}},
      "contentCameraHealth": {"isOptional": true, "connection": {"connectionStatus": "connected"}},
      "communicationSpeakerHealth": {"isOptional": false, "connection": {"connectionStatus": "sleeping"}},
      "displayHealthCollection": [null, {"isOptional": false, "connection": {"connectionStatus": "connected"}}]
    }})");
  decode(envelope("graph.teamworkDeviceHealth", body, {{"device", "room-7"}}));
  const auto& r = std::get<RoomHealth>(out.at(0));
  EXPECT_EQ(r.connected, true);
  EXPECT_EQ(r.health, RoomHealthState::kUnknown);
  EXPECT_FALSE(r.health_reported) << "connected says nothing of health: the device's healthStatus holds";
  EXPECT_THAT(peripherals(r), ElementsAre("contentCamera=connected", "speaker=disconnected",
                                          "microphone=disconnected", "display2=connected"));
  EXPECT_THAT(decoder.warnings(),
              ElementsAre(HasSubstr("body.peripheralsHealth.speakerHealth.isOptional: expected a boolean"),
                          HasSubstr("body.peripheralsHealth.communicationSpeakerHealth.connection.connectionStatus: "
                                    "\"sleeping\" is not a known teamworkConnectionStatus")));
}

TEST_F(TeamworkTest, HealthWithoutHardwareOrPeripheralsReportsNone) {
  decode(envelope("graph.teamworkDeviceHealth", json::parse(R"({"connection":{"connectionStatus":"connected"}})"),
                  {{"device", "room-8"}, {"ts", 1772442000000}}));
  const auto& r = std::get<RoomHealth>(out.at(0));
  EXPECT_EQ(r.ts, 1772442000000);
  EXPECT_FALSE(r.peripherals_reported);
  EXPECT_TRUE(r.peripherals.empty());
}

TEST_F(TeamworkTest, MicrosoftsDeviceListPage) {
  decode(envelope("graph.teamworkDevice", fixture("beta_teamworkdevice-list.json")));
  EXPECT_THAT(all<ClientInfo>(), IsEmpty()) << "the published devices have no MAC";
  const auto health = all<RoomHealth>();
  ASSERT_EQ(health.size(), 2u);
  EXPECT_EQ(dir.device_name(health[0].device), "0f3ce432-e432-0f3c-32e4-3c0f32e43c0f");
  EXPECT_EQ(dir.device_name(health[1].device), "55ab555-e432-0f3c-32e4-3c0f32e43c0f");
  for (const RoomHealth& r : health) {
    EXPECT_EQ(r.health, RoomHealthState::kHealthy) << "\"Healthy\": Microsoft's example capitalises enums";
    EXPECT_TRUE(r.health_reported);
    EXPECT_FALSE(r.peripherals_reported);
    EXPECT_FALSE(r.connected);
    EXPECT_EQ(format_rfc3339(r.ts), "2021-06-19T19:01:04.185Z");
  }
  EXPECT_THAT(decoder.warnings(), IsEmpty());
}

TEST_F(TeamworkTest, MicrosoftsDeviceGetExampleIsWrappedInValue) {
  decode(fixture("beta_teamworkdevice-get.json").dump(), "graph.teamworkDevice");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(dir.device_name(std::get<RoomHealth>(out[0]).device), "0f3ce432-e432-0f3c-32e4-3c0f32e43c0f");
}

TEST_F(TeamworkTest, EveryMacBecomesAClientTiedToTheDevice) {
  json d = fixture("beta_teamworkdevice-get.json")["value"];
  d["deviceType"] = "teamsRoom";
  d["healthStatus"] = "critical";
  d["hardwareDetail"]["macAddresses"] = {"5C-BA-EF-F2-34-A9", "5c:ba:ef:f2:34:aa", "zz-not-a-mac", "5cbaeff234a9",
                                         "00-00-00-00-00-00-00-00", "02:00:00:00:00:00", 42};
  decode(envelope("graph.teamworkDevice", d));
  const auto clients = all<ClientInfo>();
  ASSERT_EQ(clients.size(), 2u);
  EXPECT_EQ(dir.client_mac(clients[0].client).str(), "5c:ba:ef:f2:34:a9");
  EXPECT_EQ(dir.client_mac(clients[1].client).str(), "5c:ba:ef:f2:34:aa");
  for (const ClientInfo& c : clients) {
    EXPECT_EQ(c.device_type, DeviceType::kRoomSystem);
    EXPECT_EQ(c.ts, kNoTime) << "a hardware MAC holds from the beginning";
  }
  const auto health = all<RoomHealth>();
  ASSERT_EQ(health.size(), 2u) << "one reading per MAC: the device is tied to each interface";
  EXPECT_EQ(health[0].client, clients[0].client) << "the first MAC first";
  EXPECT_EQ(health[1].client, clients[1].client);
  EXPECT_EQ(health[0].health, RoomHealthState::kCritical);
  EXPECT_THAT(decoder.warnings(),
              ElementsAre(HasSubstr("body.hardwareDetail.macAddresses[2]: \"zz-not-a-mac\" is not a MAC address"),
                          HasSubstr("body.hardwareDetail.macAddresses[6]: expected a MAC address string, got a number")));
}

TEST_F(TeamworkTest, DeviceTypes) {
  using teamwork::device_type;
  for (const char* room : {"teamsRoom", "surfaceHub", "CollaborationBar", "touchConsole", "teamsPanel"}) {
    EXPECT_EQ(device_type(room), DeviceType::kRoomSystem) << room;
  }
  for (const char* phone : {"ipPhone", "lowCostPhone", "teamsDisplay", "sip", "sipAnalog"}) {
    EXPECT_EQ(device_type(phone), DeviceType::kPhone) << phone;
  }
  EXPECT_EQ(device_type("unknown"), std::nullopt);
  EXPECT_EQ(device_type("hologram"), std::nullopt);
}

TEST_F(TeamworkTest, DeviceTimeFallsBackOnTheEnvelope) {
  json d = json::parse(R"({"id":"dev-1","deviceType":"ipPhone","healthStatus":"offline",
                           "hardwareDetail":{"macAddresses":["aa-bb-cc-00-00-01"]}})");
  decode(envelope("graph.teamworkDevice", d, {{"ts", "2026-03-02T09:00:00Z"}}));
  ASSERT_EQ(all<RoomHealth>().size(), 1u);
  EXPECT_EQ(format_rfc3339(all<RoomHealth>()[0].ts), "2026-03-02T09:00:00.000Z");
  EXPECT_EQ(all<ClientInfo>().at(0).device_type, DeviceType::kPhone);
  // No time anywhere: the MACs are still inventory, the health cannot be placed.
  decode(envelope("graph.teamworkDevice", d));
  EXPECT_EQ(all<ClientInfo>().size(), 1u);
  EXPECT_THAT(all<RoomHealth>(), IsEmpty());
  EXPECT_THAT(decoder.warnings(), ElementsAre(HasSubstr("body.lastModifiedDateTime: absent")));
}

TEST_F(TeamworkTest, BadDocumentsAreRejectedWithTheirPath) {
  const json health = fixture("beta_teamworkdevicehealth-get.json");
  rejects(R"({"type":"graph.teamworkDeviceHealth","body":{)", RejectReason::kBadJson, "");
  rejects("[1,2]", RejectReason::kNotObject, "the document is an array", "graph.teamworkDevice");
  rejects(envelope("graph.teamworkDeviceHealth", health), RejectReason::kMissingField,
          "field `device` is required");
  rejects(R"({"type":"graph.teamworkDeviceHealth","device":"d","body":[]})", RejectReason::kWrongType,
          "field `body`: expected an object, got an array");
  rejects(R"({"type":"graph.teamworkDeviceHealth","device":7,"body":{}})", RejectReason::kWrongType,
          "field `device`: expected a string, got a number");
  json bad = health;
  bad["value"]["peripheralsHealth"]["microphoneHealth"] = 3;
  rejects(envelope("graph.teamworkDeviceHealth", bad, {{"device", "d"}}), RejectReason::kWrongType,
          "field `body.value.peripheralsHealth.microphoneHealth`: expected an object, got a number");
  bad = health;
  bad["value"]["peripheralsHealth"] = "fine";
  rejects(envelope("graph.teamworkDeviceHealth", bad, {{"device", "d"}}), RejectReason::kWrongType,
          "field `body.value.peripheralsHealth`: expected an object");
  bad = health;
  bad["value"]["peripheralsHealth"]["displayHealthCollection"][1] = "on";
  rejects(envelope("graph.teamworkDeviceHealth", bad, {{"device", "d"}}), RejectReason::kWrongType,
          "field `body.value.peripheralsHealth.displayHealthCollection[1]`: expected an object, got a string");
  bad = health;
  bad["value"]["lastModifiedDateTime"] = "yesterday";
  rejects(envelope("graph.teamworkDeviceHealth", bad, {{"device", "d"}}), RejectReason::kBadTimestamp,
          "field `body.value.lastModifiedDateTime`: \"yesterday\" is not an RFC 3339 timestamp");
  bad["value"].erase("lastModifiedDateTime");
  rejects(envelope("graph.teamworkDeviceHealth", bad, {{"device", "d"}}), RejectReason::kMissingField,
          "field `body.value.lastModifiedDateTime` is required");

  json list = fixture("beta_teamworkdevice-list.json");
  list["value"][1].erase("id");
  rejects(envelope("graph.teamworkDevice", list), RejectReason::kMissingField, "field `body.value[1].id` is required");
  list = fixture("beta_teamworkdevice-list.json");
  list["value"][0]["hardwareDetail"]["macAddresses"] = "5C-BA-EF-F2-34-A9";
  rejects(envelope("graph.teamworkDevice", list), RejectReason::kWrongType,
          "field `body.value[0].hardwareDetail.macAddresses`: expected an array, got a string");
  list["value"] = 5;
  rejects(envelope("graph.teamworkDevice", list), RejectReason::kWrongType,
          "field `body.value`: expected a device object or a list of them, got a number");
  rejects(R"({"type":"graph.teamworkDevice","body":{"id":""}})", RejectReason::kBadValue, "field `body.id`: an empty id");
  // The envelope's type must be the frame's.
  rejects(envelope("graph.teamworkDevice", json::object()), RejectReason::kBadValue, "disagrees",
          "graph.teamworkDeviceHealth");
}

TEST_F(TeamworkTest, DecodeAloneSaysUseDecodeMany) {
  Event e;
  EXPECT_FALSE(decoder.decode(R"({"type":"graph.teamworkDevice","body":{}})", e));
  EXPECT_EQ(decoder.error().reason, RejectReason::kUnsupportedType);
}

}  // namespace
}  // namespace callroot::ingest
