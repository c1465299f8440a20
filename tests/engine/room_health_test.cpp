// Teams Rooms health: RoomHealthBook ties devices to clients whatever the
// order, carries forward what a reading did not report, stays bounded; and a
// faulty peripheral explains only the poor media it feeds.
#include <gtest/gtest.h>

#include "engine/attributors.h"
#include "fixture.h"

namespace callroot::engine::testing {
namespace {

struct Names {
  Directory dir;
  NameId name(std::string_view n) { return *dir.name(n); }
  DeviceId device(std::string_view n) { return *dir.device(n); }
  ClientId client(std::string_view mac) { return *dir.client(*Mac::parse(mac)); }
};

RoomHealth reading(TimeMs ts, DeviceId device, ClientId client = {}) {
  RoomHealth r;
  r.ts = ts;
  r.device = device;
  r.client = client;
  return r;
}

/// A teamworkDevice: device, MAC and healthStatus, no peripherals.
RoomHealth device_reading(TimeMs ts, DeviceId device, ClientId client, RoomHealthState health) {
  RoomHealth r = reading(ts, device, client);
  r.health = health;
  r.peripherals_reported = false;
  return r;
}

/// A teamworkDeviceHealth: the device only, its connection and peripherals.
RoomHealth health_reading(TimeMs ts, DeviceId device, std::vector<RoomHealth::Peripheral> peripherals) {
  RoomHealth r = reading(ts, device);
  r.health_reported = false;
  r.connected = true;
  r.peripherals = std::move(peripherals);
  return r;
}

TEST(RoomHealthBook, AHealthNamingOnlyTheDeviceReachesItsClientWhicheverComesFirst) {
  for (const bool device_first : {true, false}) {
    Names n;
    RoomHealthBook book;
    const DeviceId dev = n.device("room-1");
    const ClientId mac = n.client("5c:ba:ef:f2:34:a9");
    const auto tie = device_reading(kT0 + 60'000, dev, mac, RoomHealthState::kCritical);
    const auto health = health_reading(kT0, dev, {{n.name("microphone"), PeripheralState::kDisconnected}});
    if (device_first) {
      book.apply(tie);
      book.apply(health);
    } else {
      book.apply(health);
      EXPECT_EQ(book.at(mac, kT0 + 1), nullptr) << "no tie yet";
      book.apply(tie);
    }
    EXPECT_EQ(book.device_of(mac), dev);
    const RoomState* before = book.at(mac, kT0 + 1);
    ASSERT_NE(before, nullptr);
    EXPECT_EQ(before->health, RoomHealthState::kUnknown) << "the health document reports no healthStatus";
    ASSERT_EQ(before->peripherals.size(), 1u);
    const RoomState* after = book.at(mac, kT0 + 120'000);
    ASSERT_NE(after, nullptr);
    EXPECT_EQ(after->health, RoomHealthState::kCritical);
    ASSERT_EQ(after->peripherals.size(), 1u) << "the device reading reports no peripherals: the last ones hold";
    EXPECT_EQ(after->peripherals[0].state, PeripheralState::kDisconnected);
    EXPECT_EQ(after->connected, true);
    EXPECT_EQ(after->device, dev);
  }
}

TEST(RoomHealthBook, ALaterReadingOfThePeripheralsReplacesThem) {
  Names n;
  RoomHealthBook book;
  const DeviceId dev = n.device("room-1");
  const ClientId mac = n.client("5c:ba:ef:f2:34:a9");
  book.apply(device_reading(kT0, dev, mac, RoomHealthState::kHealthy));
  book.apply(health_reading(kT0 + 10, dev, {{n.name("microphone"), PeripheralState::kDisconnected}}));
  book.apply(health_reading(kT0 + 20, dev, {{n.name("microphone"), PeripheralState::kConnected}}));
  EXPECT_EQ(book.at(mac, kT0 + 15)->peripherals.at(0).state, PeripheralState::kDisconnected);
  EXPECT_EQ(book.at(mac, kT0 + 25)->peripherals.at(0).state, PeripheralState::kConnected);
  EXPECT_EQ(book.at(mac, kT0 + 25)->health, RoomHealthState::kHealthy) << "carried from the device reading";
  EXPECT_EQ(book.at(mac, kT0 - 1), nullptr);
}

TEST(RoomHealthBook, ClientsOfOneDeviceShareItsStateAndAClientFollowsItsLatestTie) {
  Names n;
  RoomHealthBook book;
  const DeviceId a = n.device("room-a"), b = n.device("room-b");
  const ClientId wired = n.client("aa:00:00:00:00:0a"), wifi = n.client("aa:00:00:00:00:0b");
  book.apply(device_reading(kT0, a, wired, RoomHealthState::kOffline));
  book.apply(device_reading(kT0, a, wifi, RoomHealthState::kOffline));
  EXPECT_EQ(book.at(wifi, kT0)->health, RoomHealthState::kOffline);
  book.apply(device_reading(kT0, b, wifi, RoomHealthState::kHealthy));  // the adapter moved to another room
  EXPECT_EQ(book.at(wifi, kT0)->health, RoomHealthState::kHealthy);
  EXPECT_EQ(book.at(wired, kT0)->health, RoomHealthState::kOffline);
}

TEST(RoomHealthBook, IsBounded) {
  Names n;
  RoomHealthBook book;
  const DeviceId dev = n.device("room-1");
  const ClientId mac = n.client("5c:ba:ef:f2:34:a9");
  for (TimeMs i = 0; i < 40; ++i) {
    RoomHealth r = reading(kT0 + i, dev, mac);
    for (int p = 0; p < 50; ++p) r.peripherals.push_back({n.name("p" + std::to_string(p)), PeripheralState::kConnected});
    book.apply(r);
  }
  EXPECT_EQ(book.at(mac, kT0 + 40 - RoomHealthBook::kHistory - 1), nullptr) << "the oldest readings are gone";
  EXPECT_NE(book.at(mac, kT0 + 40 - RoomHealthBook::kHistory), nullptr);
  EXPECT_EQ(book.at(mac, kT0 + 40)->peripherals.size(), RoomHealthBook::kMaxPeripherals);
  for (std::size_t d = 1; d <= RoomHealthBook::kMaxDevices; ++d) {
    book.apply(reading(kT0, n.device("room-" + std::to_string(d + 1))));
  }
  EXPECT_EQ(book.dropped(), 1u) << "one device past the cap";
  book.apply(reading(kT0 + 100, dev, mac));  // a known device still updates
  EXPECT_EQ(book.dropped(), 1u);
}

// ---- which poor media a peripheral explains ------------------------------------

Stream video(Side from, double frame_rate) {
  Stream s;
  s.from = from;
  s.media = Media::kVideo;
  s.set(StreamMetric::kFrameRateAvg, frame_rate);
  return s;
}

/// One segment of c1 (a room system) with healthy telemetry and a room whose
/// `peripheral` is disconnected; `streams` decide what is poor.
Verdict room_verdict(std::string_view peripheral, std::vector<Stream> streams, AttributorPtr attributor = nullptr) {
  EngineConfig cfg;
  cfg.allowed_lateness = 3'600'000;
  Campus campus(cfg, attributor ? std::move(attributor) : make_heuristic());
  campus.healthy(kT0, kT0 + 300'000);
  RoomHealth r = reading(kT0, *campus.dir.device("room-1"), campus.c1);
  r.health = RoomHealthState::kHealthy;
  r.peripherals.push_back({*campus.dir.name(peripheral), PeripheralState::kDisconnected});
  campus.engine.apply(r);
  auto seg = Campus::segment("s1", kT0 + 60'000, kT0 + 240'000);
  seg.caller.device_type = DeviceType::kRoomSystem;
  seg.streams = std::move(streams);
  campus.engine.apply(std::move(seg));
  campus.engine.flush();
  EXPECT_EQ(campus.sink.verdicts.size(), 1u);
  return campus.sink.verdicts.at(0);
}

bool blames_room_for(const Verdict& v, std::string_view peripheral) {
  if (v.blame.empty() || v.blame[0].kind != ComponentKind::kClient) return false;
  for (const Evidence& e : v.blame[0].evidence) {
    if (e.id == "heuristic.room.peripheral" && e.text.find(peripheral) != std::string::npos) return true;
  }
  return false;
}

TEST(RoomPeripheral, AMicrophoneExplainsPoorAudioTheRoomSent) {
  const Verdict v = room_verdict("microphone", {Campus::audio(Side::kCaller, 45, 12, 80),
                                                Campus::audio(Side::kCallee, 4, 0.1, 80)});
  EXPECT_TRUE(blames_room_for(v, "microphone is disconnected (device room-1)")) << to_json(v);
  EXPECT_EQ(v.blame[0].id, "aa:00:00:00:00:01");
  ASSERT_FALSE(v.paths.empty());
  EXPECT_EQ(v.paths[0].device_type, DeviceType::kRoomSystem);
  EXPECT_NE(to_json(v).find(R"("side":"caller","site":"hq","device_type":"room_system","hops")"), std::string::npos);
}

TEST(RoomPeripheral, AMicrophoneDoesNotExplainAudioTheRoomReceived) {
  const Verdict v = room_verdict("microphone", {Campus::audio(Side::kCaller, 4, 0.1, 80),
                                                Campus::audio(Side::kCallee, 45, 12, 80)});
  EXPECT_EQ(v.quality, Quality::kPoor);
  EXPECT_FALSE(blames_room_for(v, "microphone"));
}

TEST(RoomPeripheral, ASpeakerExplainsPoorAudioTheRoomReceived) {
  const Verdict v = room_verdict("speaker", {Campus::audio(Side::kCaller, 4, 0.1, 80),
                                             Campus::audio(Side::kCallee, 45, 12, 80)});
  EXPECT_TRUE(blames_room_for(v, "speaker")) << to_json(v);
}

TEST(RoomPeripheral, ACameraExplainsPoorVideoNotPoorAudio) {
  const Verdict audio = room_verdict("roomCamera", {Campus::audio(Side::kCaller, 45, 12, 80)});
  EXPECT_EQ(audio.quality, Quality::kPoor);
  EXPECT_FALSE(blames_room_for(audio, "roomCamera")) << to_json(audio);
  const Verdict sent = room_verdict("roomCamera", {video(Side::kCaller, 2)});
  EXPECT_EQ(sent.quality, Quality::kPoor);
  EXPECT_TRUE(blames_room_for(sent, "roomCamera")) << to_json(sent);
  EXPECT_FALSE(blames_room_for(room_verdict("roomCamera", {video(Side::kCallee, 2)}), "roomCamera"))
      << "the camera does not make the video the room receives poor";
}

TEST(RoomPeripheral, TheDefaultCombinedAttributionBlamesTheRoomForItsMicrophone) {
  const Verdict v = room_verdict("microphone", {Campus::audio(Side::kCaller, 45, 12, 80)},
                                 make_combined());
  EXPECT_TRUE(blames_room_for(v, "microphone")) << to_json(v);
}

}  // namespace
}  // namespace callroot::engine::testing
