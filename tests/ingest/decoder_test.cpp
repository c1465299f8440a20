#include "ingest/decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

namespace callroot::ingest {
namespace {

using ::testing::HasSubstr;

constexpr TimeMs kT0 = 1772446530250;  // 2026-03-02T10:15:30.250Z

class DecoderTest : public ::testing::Test {
 protected:
  Directory dir;
  RecordDecoder dec{dir};
  Event ev;

  bool decode(std::string_view json, std::string_view hint = {}) { return dec.decode(json, ev, false, hint); }

  template <class T>
  const T& decoded(std::string_view json, std::string_view hint = {}) {
    const bool ok = decode(json, hint);
    EXPECT_TRUE(ok) << code(dec.error().reason) << ": " << dec.error().detail << "\n  in " << json;
    static const T empty{};
    const T* v = std::get_if<T>(&ev);
    EXPECT_NE(v, nullptr) << "wrong event alternative " << ev.index();
    return ok && v != nullptr ? *v : empty;
  }

  /// Expects a rejection with `reason` whose detail contains `detail`.
  void rejects(std::string_view json, RejectReason reason, std::string_view detail, std::string_view hint = {}) {
    SCOPED_TRACE(std::string(json));
    ASSERT_FALSE(decode(json, hint)) << "accepted";
    EXPECT_EQ(code(dec.error().reason), code(reason)) << dec.error().detail;
    EXPECT_THAT(dec.error().detail, HasSubstr(std::string(detail)));
  }

  Mac mac(std::string_view text) { return *Mac::parse(text); }
};

// ---- record types ------------------------------------------------------------

TEST(RecordTypes, NamesRoundTripAndAgreeWithTheCatalog) {
  for (int i = 0; i <= static_cast<int>(RecordType::kZoomQos); ++i) {
    const auto t = static_cast<RecordType>(i);
    ASSERT_EQ(parse_record_type(to_string(t)), t) << to_string(t);
  }
  EXPECT_EQ(parse_record_type("wifi.client"), RecordType::kWifiClient);
  EXPECT_EQ(parse_record_type("graph.callRecord"), RecordType::kGraphCallRecord);
  EXPECT_FALSE(parse_record_type("wifi.Client"));
  EXPECT_FALSE(parse_record_type(""));
  EXPECT_EQ(to_string(RecordType::kWifiAp), family_record_type(Family::kWifiAp));
  EXPECT_EQ(to_string(RecordType::kSwitchPort), family_record_type(Family::kSwitchPort));
  EXPECT_EQ(to_string(RecordType::kWanLink), family_record_type(Family::kWanLink));
  EXPECT_EQ(to_string(RecordType::kClientDevice), family_record_type(Family::kClientDevice));
}

TEST_F(DecoderTest, InventoryOrg) {
  const auto& o = decoded<OrgInventory>(
      R"({"type":"inventory.org","name":"Contoso","tenants":["5f1b5e1c-0000-4000-8000-00000000beef","b2"]})");
  EXPECT_EQ(o.name, "Contoso");
  EXPECT_EQ(o.tenants, (std::vector<std::string>{"5f1b5e1c-0000-4000-8000-00000000beef", "b2"}));
  EXPECT_TRUE(decoded<OrgInventory>(R"({"type":"inventory.org","tenants":[]})").tenants.empty());
  rejects(R"({"type":"inventory.org","name":"Contoso"})", RejectReason::kMissingField, "`tenants`");
  rejects(R"({"type":"inventory.org","tenants":["a",null]})", RejectReason::kWrongType, "`tenants[1]`");
  rejects(R"({"type":"inventory.org","tenants":["a",""]})", RejectReason::kBadValue, "`tenants[1]`");
  rejects(R"({"type":"inventory.org","tenants":"a"})", RejectReason::kWrongType, "`tenants`");
}

TEST_F(DecoderTest, InventorySite) {
  const auto& s = decoded<SiteInventory>(
      R"({"type":"inventory.site","site":"hq","name":"Head office","subnets":["10.1.0.0/16","2001:db8::/32"]})");
  EXPECT_EQ(dir.site_name(s.site), "hq");
  EXPECT_EQ(s.name, "Head office");
  ASSERT_EQ(s.subnets.size(), 2u);
  EXPECT_EQ(s.subnets[0].str(), "10.1.0.0/16");
  EXPECT_EQ(s.subnets[1].str(), "2001:db8::/32");
  EXPECT_TRUE(s.subnets[0].contains(*IpAddr::parse("10.1.200.3")));
}

TEST_F(DecoderTest, InventoryAp) {
  const auto& a = decoded<ApInventory>(
      R"({"type":"inventory.ap","ap":"ap-1","site":"hq","name":"Lobby","bssids":["AA:BB:CC:00:00:01","aabb.cc00.0002"],)"
      R"("uplink":{"switch":"sw-1","port":"Gi1/0/1"}})");
  EXPECT_EQ(dir.ap_name(a.ap), "ap-1");
  EXPECT_EQ(dir.site_name(a.site), "hq");
  EXPECT_EQ(a.name, "Lobby");
  ASSERT_EQ(a.bssids.size(), 2u);
  EXPECT_EQ(a.bssids[0].str(), "aa:bb:cc:00:00:01");
  EXPECT_EQ(a.bssids[1].str(), "aa:bb:cc:00:00:02");
  EXPECT_EQ(dir.switch_name(a.uplink_switch), "sw-1");
  EXPECT_EQ(dir.port_name(a.uplink_port), "Gi1/0/1");
  EXPECT_EQ(dir.port_switch(a.uplink_port), a.uplink_switch);
}

TEST_F(DecoderTest, InventoryApNeedsItsUplinkAndBssids) {
  rejects(R"({"type":"inventory.ap","ap":"a","site":"s","bssids":[]})", RejectReason::kMissingField, "`uplink`");
  rejects(R"({"type":"inventory.ap","ap":"a","site":"s","bssids":[],"uplink":{"switch":"x"}})",
          RejectReason::kMissingField, "`uplink.port`");
  rejects(R"({"type":"inventory.ap","ap":"a","site":"s","uplink":{"switch":"x","port":"1"}})",
          RejectReason::kMissingField, "`bssids`");
  rejects(R"({"type":"inventory.ap","ap":"a","site":"s","bssids":["aa:bb:cc:dd:ee:ff",null],)"
          R"("uplink":{"switch":"x","port":"1"}})",
          RejectReason::kWrongType, "`bssids[1]`");
}

TEST_F(DecoderTest, InventorySwitchUplinks) {
  const auto& to_switch = decoded<SwitchInventory>(
      R"({"type":"inventory.switch","switch":"sw-2","site":"hq","name":"Floor 2","uplink":{"switch":"core","port":48}})");
  EXPECT_EQ(dir.switch_name(to_switch.sw), "sw-2");
  EXPECT_EQ(dir.site_name(to_switch.site), "hq");
  EXPECT_EQ(to_switch.name, "Floor 2");
  EXPECT_EQ(dir.switch_name(to_switch.uplink_switch), "core");
  EXPECT_EQ(dir.port_name(to_switch.uplink_port), "48");  // a numeric port becomes its decimal name
  EXPECT_FALSE(to_switch.uplink_edge.valid());

  const auto& to_edge =
      decoded<SwitchInventory>(R"({"type":"inventory.switch","switch":"core","site":"hq","uplink":{"edge":"fw-1"}})");
  EXPECT_EQ(dir.edge_name(to_edge.uplink_edge), "fw-1");
  EXPECT_FALSE(to_edge.uplink_switch.valid());
  EXPECT_FALSE(to_edge.uplink_port.valid());

  const auto& none = decoded<SwitchInventory>(R"({"type":"inventory.switch","switch":"lab","site":"hq"})");
  EXPECT_FALSE(none.uplink_switch.valid());
  EXPECT_FALSE(none.uplink_edge.valid());

  rejects(R"({"type":"inventory.switch","switch":"a","site":"s","uplink":{"switch":"b","port":"1","edge":"e"}})",
          RejectReason::kBadValue, "not both");
  rejects(R"({"type":"inventory.switch","switch":"a","site":"s","uplink":{"switch":"b"}})",
          RejectReason::kMissingField, "`uplink.port`");
  rejects(R"({"type":"inventory.switch","switch":"a","site":"s","uplink":{}})", RejectReason::kMissingField,
          "`uplink`");
  rejects(R"({"type":"inventory.switch","switch":"a","site":"s","uplink":{"switch":"a","port":"1"}})",
          RejectReason::kBadValue, "itself");
}

TEST_F(DecoderTest, InventoryWan) {
  const auto& w = decoded<WanInventory>(
      R"({"type":"inventory.wan","link":"hq-isp1","site":"hq","edge":"fw-1","provider":"ACME",)"
      R"("capacity_mbps":500,"public_ips":["198.51.100.7","2001:db8::7"]})");
  EXPECT_EQ(dir.link_name(w.link), "hq-isp1");
  EXPECT_EQ(dir.site_name(w.site), "hq");
  EXPECT_EQ(dir.edge_name(w.edge), "fw-1");
  EXPECT_EQ(w.provider, "ACME");
  EXPECT_EQ(w.capacity_mbps, 500);
  ASSERT_EQ(w.public_ips.size(), 2u);
  EXPECT_EQ(w.public_ips[0].str(), "198.51.100.7");
  EXPECT_EQ(w.public_ips[1].str(), "2001:db8::7");

  const auto& bare = decoded<WanInventory>(
      R"({"type":"inventory.wan","link":"l2","site":"hq","edge":"fw-1","capacity_mbps":null,"public_ips":[]})");
  EXPECT_TRUE(std::isnan(bare.capacity_mbps));
  EXPECT_TRUE(bare.provider.empty());
  rejects(R"({"type":"inventory.wan","link":"l","site":"s","edge":"e","public_ips":["198.51.100.300"]})",
          RejectReason::kBadIp, "`public_ips[0]`: \"198.51.100.300\" is not an IP address");
}

TEST_F(DecoderTest, ClientAssocWifi) {
  const auto& a = decoded<ClientAssoc>(
      R"({"type":"client.assoc","ts":"2026-03-02T10:15:30.250Z","client":"AA-BB-CC-DD-EE-01","ap":"ap-1",)"
      R"("bssid":"aa:bb:cc:00:00:01","band":"5","channel":36})");
  EXPECT_EQ(a.ts, kT0);
  EXPECT_EQ(dir.client_mac(a.client).str(), "aa:bb:cc:dd:ee:01");
  EXPECT_EQ(dir.ap_name(a.ap), "ap-1");
  ASSERT_TRUE(a.bssid);
  EXPECT_EQ(a.bssid->str(), "aa:bb:cc:00:00:01");
  EXPECT_EQ(a.band, 5.0);
  EXPECT_EQ(a.channel, 36.0);
  EXPECT_FALSE(a.sw.valid());
  EXPECT_FALSE(a.port.valid());

  const auto& bssid_only =
      decoded<ClientAssoc>(R"({"type":"client.assoc","ts":1,"client":"aabbccddee01","bssid":"aa:bb:cc:00:00:01"})");
  EXPECT_FALSE(bssid_only.ap.valid());
  EXPECT_TRUE(std::isnan(bssid_only.band));
  EXPECT_TRUE(std::isnan(bssid_only.channel));
}

TEST_F(DecoderTest, ClientAssocWired) {
  const auto& a =
      decoded<ClientAssoc>(R"({"type":"client.assoc","ts":1000,"client":"aa:bb:cc:dd:ee:02","switch":"sw-1","port":"Gi1/0/7"})");
  EXPECT_EQ(a.ts, 1000);
  EXPECT_EQ(dir.switch_name(a.sw), "sw-1");
  EXPECT_EQ(dir.port_name(a.port), "Gi1/0/7");
  EXPECT_EQ(dir.port_switch(a.port), a.sw);
  EXPECT_FALSE(a.ap.valid());
  EXPECT_FALSE(a.bssid);
}

TEST_F(DecoderTest, ClientAssocNeedsOneAttachment) {
  rejects(R"({"type":"client.assoc","ts":1,"client":"aa:bb:cc:dd:ee:02"})", RejectReason::kMissingField, "`ap`");
  rejects(R"({"type":"client.assoc","ts":1,"client":"aa:bb:cc:dd:ee:02","ap":null,"bssid":null})",
          RejectReason::kMissingField, "`bssid`");
  rejects(R"({"type":"client.assoc","ts":1,"client":"aa:bb:cc:dd:ee:02","ap":"a","switch":"s","port":"1"})",
          RejectReason::kBadValue, "not both");
  rejects(R"({"type":"client.assoc","ts":1,"client":"aa:bb:cc:dd:ee:02","switch":"s"})", RejectReason::kMissingField,
          "`port`");
  rejects(R"({"type":"client.assoc","ts":1,"client":"aa:bb:cc:dd:ee:02","ap":"a","channel":300})",
          RejectReason::kOutOfRange, "`channel`: 300 is above the maximum 233");
  rejects(R"({"type":"client.assoc","ts":1,"client":"aa:bb:cc:dd:ee:02","ap":"a","band":"7"})",
          RejectReason::kBadEnum, "`band`: \"7\" is not one of 2.4, 5, 6");
}

TEST_F(DecoderTest, ClientDisassoc) {
  const auto& d = decoded<ClientDisassoc>(R"({"type":"client.disassoc","ts":1772446530250,"client":"aa:bb:cc:dd:ee:03"})");
  EXPECT_EQ(d.ts, kT0);
  EXPECT_EQ(dir.client_mac(d.client).str(), "aa:bb:cc:dd:ee:03");
  rejects(R"({"type":"client.disassoc","client":"aa:bb:cc:dd:ee:03"})", RejectReason::kMissingField, "`ts`");
}

TEST_F(DecoderTest, ClientInfo) {
  const auto& i = decoded<ClientInfo>(
      R"({"type":"client.info","ts":"2026-03-02T11:15:30.250+01:00","client":"aa:bb:cc:dd:ee:04","ip":"10.1.2.3",)"
      R"("user":"ann@example.com","hostname":"ann-laptop","device_type":"room_system"})");
  EXPECT_EQ(i.ts, kT0);
  EXPECT_EQ(dir.client_mac(i.client).str(), "aa:bb:cc:dd:ee:04");
  ASSERT_TRUE(i.ip);
  EXPECT_EQ(i.ip->str(), "10.1.2.3");
  EXPECT_EQ(i.user, "ann@example.com");
  EXPECT_EQ(i.hostname, "ann-laptop");
  EXPECT_EQ(i.device_type, DeviceType::kRoomSystem);

  const auto& bare = decoded<ClientInfo>(R"({"type":"client.info","client":"aa:bb:cc:dd:ee:04","ip":null,"ts":null})");
  EXPECT_EQ(bare.ts, kNoTime);
  EXPECT_FALSE(bare.ip);
  EXPECT_FALSE(bare.device_type);
  rejects(R"({"type":"client.info","client":"aa:bb:cc:dd:ee:04","device_type":"toaster"})", RejectReason::kBadEnum,
          "`device_type`: \"toaster\" is not one of pc, mobile, room_system, phone, unknown");
}

TEST_F(DecoderTest, WifiClientTelemetry) {
  const auto& s = decoded<TelemetrySample>(
      R"({"type":"wifi.client","ts":"2026-03-02T10:15:30.250Z","client":"aa:bb:cc:dd:ee:05","ap":"ap-1",)"
      R"("bssid":"aa:bb:cc:00:00:01","rssi_dbm":-67,"snr_db":25.5,"tx_retry_pct":12,"rx_retry_pct":3.5,)"
      R"("tx_rate_mbps":866.7,"rx_rate_mbps":650})");
  EXPECT_EQ(s.family, Family::kWifiClient);
  EXPECT_EQ(s.ts, kT0);
  EXPECT_EQ(dir.client_mac(ClientId{s.entity}).str(), "aa:bb:cc:dd:ee:05");
  EXPECT_EQ(dir.ap_name(s.ap), "ap-1");
  ASSERT_TRUE(s.bssid);
  EXPECT_EQ(s.bssid->str(), "aa:bb:cc:00:00:01");
  EXPECT_EQ(s.present, 0b111111u);
  EXPECT_EQ(s.values[col::kRssi], -67);
  EXPECT_EQ(s.values[col::kSnr], 25.5);
  EXPECT_EQ(s.values[col::kTxRetry], 12);
  EXPECT_EQ(s.values[col::kRxRetry], 3.5);
  EXPECT_EQ(s.values[col::kTxRate], 866.7);
  EXPECT_EQ(s.values[col::kRxRate], 650);
}

TEST_F(DecoderTest, WifiApTelemetryWithBandAsTextOrNumber) {
  const auto& s = decoded<TelemetrySample>(
      R"({"type":"wifi.ap","ts":5,"ap":"ap-1","band":"2.4","channel":6,"channel_util_pct":71,"interference_pct":20,)"
      R"("noise_dbm":-92,"clients":31,"tx_retry_pct":9,"cpu_pct":40})");
  EXPECT_EQ(s.family, Family::kWifiAp);
  EXPECT_EQ(dir.ap_name(ApId{s.entity}), "ap-1");
  EXPECT_EQ(s.present, 0xffu);
  const double expected[] = {2.4, 6, 71, 20, -92, 31, 9, 40};
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(s.values[i], expected[i]) << family_fields(Family::kWifiAp)[i].json;

  EXPECT_EQ(decoded<TelemetrySample>(R"({"type":"wifi.ap","ts":5,"ap":"ap-1","band":6})").values[col::kApBand], 6.0);
  EXPECT_EQ(decoded<TelemetrySample>(R"({"type":"wifi.ap","ts":5,"ap":"ap-1","band":2.4})").values[col::kApBand], 2.4);
  rejects(R"({"type":"wifi.ap","ts":5,"ap":"ap-1","band":"5GHz"})", RejectReason::kBadEnum, "`band`");
  rejects(R"({"type":"wifi.ap","ts":5,"ap":"ap-1","band":true})", RejectReason::kWrongType, "`band`");
}

TEST_F(DecoderTest, SwitchPortTelemetryWithCounters) {
  const auto& s = decoded<TelemetrySample>(
      R"({"type":"switch.port","ts":5,"switch":"sw-1","port":"Gi1/0/1","speed_mbps":1000,"oper_up":true,)"
      R"("in_octets_total":18446744073709551615,"out_octets_total":2,"in_errors_total":3,"out_errors_total":4,)"
      R"("in_discards_total":5,"out_discards_total":6,"in_fcs_errors_total":7})");
  EXPECT_EQ(s.family, Family::kSwitchPort);
  const PortId port{s.entity};
  EXPECT_EQ(dir.port_name(port), "Gi1/0/1");
  EXPECT_EQ(dir.switch_name(dir.port_switch(port)), "sw-1");
  EXPECT_EQ(s.present, 0x1ffu);
  EXPECT_EQ(s.values[0], 1000);
  EXPECT_EQ(s.values[1], 1.0);
  EXPECT_EQ(s.counters[2], 18446744073709551615ull);
  for (std::size_t i = 3; i <= 8; ++i) EXPECT_EQ(s.counters[i], i - 1) << family_fields(Family::kSwitchPort)[i].json;

  EXPECT_EQ(decoded<TelemetrySample>(R"({"type":"switch.port","ts":5,"switch":"sw-1","port":"p","oper_up":false})")
                .values[1],
            0.0);
  // The same port name on another switch is another port.
  const auto& other = decoded<TelemetrySample>(R"({"type":"switch.port","ts":5,"switch":"sw-2","port":"Gi1/0/1"})");
  EXPECT_NE(other.entity, port.value);
  rejects(R"({"type":"switch.port","ts":5,"switch":"s","port":"p","in_errors_total":-1})", RejectReason::kOutOfRange,
          "`in_errors_total`: -1 is negative");
  rejects(R"({"type":"switch.port","ts":5,"switch":"s","port":"p","in_errors_total":1.5})", RejectReason::kWrongType,
          "`in_errors_total`: 1.5 is not an integer counter");
  rejects(R"({"type":"switch.port","ts":5,"switch":"s","port":"p","oper_up":1})", RejectReason::kWrongType,
          "`oper_up`: expected true or false, got a number");
  rejects(R"({"type":"switch.port","ts":5,"switch":"s"})", RejectReason::kMissingField, "`port`");
  const auto& numeric = decoded<TelemetrySample>(R"({"type":"switch.port","ts":5,"switch":"sw-1","port": 7 })");
  EXPECT_EQ(dir.port_name(PortId{numeric.entity}), "7");
  rejects(R"({"type":"switch.port","ts":5,"switch":"s","port":-1})", RejectReason::kWrongType, "`port`");
  rejects(R"({"type":"switch.port","ts":5,"switch":"s","port":1.5})", RejectReason::kWrongType, "`port`");
}

TEST_F(DecoderTest, WanLinkAndClientDeviceTelemetry) {
  const auto& w = decoded<TelemetrySample>(
      R"({"type":"wan.link","ts":5,"link":"hq-isp1","latency_ms":23,"jitter_ms":4,"loss_pct":0.5,"util_in_pct":80,"util_out_pct":10})");
  EXPECT_EQ(w.family, Family::kWanLink);
  EXPECT_EQ(dir.link_name(LinkId{w.entity}), "hq-isp1");
  EXPECT_EQ(w.present, 0x1fu);
  EXPECT_EQ(w.values[col::kLatency], 23);
  EXPECT_EQ(w.values[col::kJitter], 4);
  EXPECT_EQ(w.values[col::kLoss], 0.5);
  EXPECT_EQ(w.values[col::kUtilIn], 80);
  EXPECT_EQ(w.values[col::kUtilOut], 10);

  const auto& d = decoded<TelemetrySample>(
      R"({"type":"client.device","ts":5,"client":"aa:bb:cc:dd:ee:06","cpu_pct":95,"mem_pct":60,"battery_pct":12})");
  EXPECT_EQ(d.family, Family::kClientDevice);
  EXPECT_EQ(dir.client_mac(ClientId{d.entity}).str(), "aa:bb:cc:dd:ee:06");
  EXPECT_EQ(d.present, 0b111u);
  EXPECT_EQ(d.values[col::kCpu], 95);
  EXPECT_EQ(d.values[col::kMem], 60);
  EXPECT_EQ(d.values[col::kBattery], 12);
}

TEST_F(DecoderTest, TelemetryWithNoMeasurementIsValid) {
  const auto& s = decoded<TelemetrySample>(R"({"type":"wifi.client","ts":5,"client":"aa:bb:cc:dd:ee:05"})");
  EXPECT_EQ(s.present, 0u);
  EXPECT_FALSE(s.ap.valid());
  EXPECT_FALSE(s.bssid);
  rejects(R"({"type":"wifi.client","client":"aa:bb:cc:dd:ee:05"})", RejectReason::kMissingField, "`ts`");
  rejects(R"({"type":"wifi.client","ts":5})", RejectReason::kMissingField, "`client`");
}

TEST_F(DecoderTest, RoomHealth) {
  const auto& r = decoded<RoomHealth>(
      R"({"type":"room.health","ts":5,"device":"room-101","client":"aa:bb:cc:dd:ee:07","health":"nonUrgent",)"
      R"("connection":"disconnected","peripherals":{"speaker":"connected","roomCamera":"unhealthy","display1":"disconnected"}})");
  EXPECT_EQ(r.ts, 5);
  EXPECT_EQ(dir.device_name(r.device), "room-101");
  EXPECT_EQ(dir.client_mac(r.client).str(), "aa:bb:cc:dd:ee:07");
  EXPECT_EQ(r.health, RoomHealthState::kNonUrgent);
  EXPECT_TRUE(r.health_reported);
  EXPECT_TRUE(r.peripherals_reported);
  EXPECT_EQ(r.connected, false);
  ASSERT_EQ(r.peripherals.size(), 3u);
  EXPECT_EQ(dir.text(r.peripherals[0].name), "speaker");
  EXPECT_EQ(r.peripherals[0].state, PeripheralState::kConnected);
  EXPECT_EQ(dir.text(r.peripherals[1].name), "roomCamera");
  EXPECT_EQ(r.peripherals[1].state, PeripheralState::kUnhealthy);
  EXPECT_EQ(dir.text(r.peripherals[2].name), "display1");
  EXPECT_EQ(r.peripherals[2].state, PeripheralState::kDisconnected);

  const auto& bare = decoded<RoomHealth>(R"({"type":"room.health","ts":5,"device":"room-102"})");
  EXPECT_EQ(bare.health, RoomHealthState::kUnknown);
  EXPECT_FALSE(bare.connected);
  EXPECT_FALSE(bare.client.valid());
  EXPECT_TRUE(bare.peripherals.empty());
  // Nothing said about health or peripherals: the device's last reading holds (RoomHealthBook).
  EXPECT_FALSE(bare.health_reported);
  EXPECT_FALSE(bare.peripherals_reported);
  rejects(R"({"type":"room.health","ts":5,"device":"r","health":"great"})", RejectReason::kBadEnum,
          "`health`: \"great\" is not one of healthy, nonUrgent, critical, offline, unknown");
  rejects(R"({"type":"room.health","ts":5,"device":"r","peripherals":{"speaker":"on"}})", RejectReason::kBadEnum,
          "`peripherals.speaker`");
  rejects(R"({"type":"room.health","ts":5,"device":"r","peripherals":["speaker"]})", RejectReason::kWrongType,
          "`peripherals`: expected an object, got an array");
}

constexpr std::string_view kSegment =
    R"({"type":"call.segment","call_id":"c-1","segment_id":"s-1","start":"2026-03-02T10:15:30.250Z",)"
    R"("end":"2026-03-02T10:20:00Z",)"
    R"("caller":{"user":"ann@example.com","client":"aa:bb:cc:dd:ee:08","ip":"10.1.2.3","subnet":"10.1.2.0/24",)"
    R"("bssid":"aa:bb:cc:00:00:01","connection":"wifi","device_type":"pc","reflexive_ip":"198.51.100.7",)"
    R"("wifi_signal_pct":80,"cpu_insufficient_ratio":0.1,"feedback_rating":2,"mic_glitch_rate":14,)"
    R"("speaker_glitch_rate":0.5,"capture_not_functioning_ratio":0.25,"render_not_functioning_ratio":0,)"
    R"("device_glitch_ratio":0.05,"device_clipping_ratio":0.01,"low_speech_level_ratio":0.3,)"
    R"("low_speech_to_noise_ratio":0.4,"howling_event_count":3},)"
    R"("callee":{"user":"bob@example.org","connection":"wired","ip":"2001:db8::1","feedback_rating":null},)"
    R"("streams":[{"from":"caller","media":"audio","jitter_avg_ms":12,"jitter_max_ms":40,"loss_avg_pct":1.5,)"
    R"("loss_max_pct":9,"rtt_avg_ms":80,"rtt_max_ms":210,"degradation_avg":0.4,"concealed_ratio_avg":0.02,)"
    R"("frame_rate_avg":29.5,"frame_loss_pct":0.3,"post_fec_loss_pct":0.1,"bitrate_kbps":48,)"
    R"("network_jitter_avg_ms":8,"network_jitter_max_ms":29,"concealed_ratio_max":0.05,"video_loss_avg_pct":0.2,)"
    R"("low_frame_rate_ratio":0.01,"low_video_processing_ratio":0.02,"freeze_avg_ms":150,"freeze_rms_ms":210,)"
    R"("packet_count":1234},)"
    R"({"from":"callee","media":"screen","jitter_avg_ms":null}]})";

TEST_F(DecoderTest, CallSegment) {
  const auto& c = decoded<CallSegment>(kSegment);
  EXPECT_EQ(c.call_id, "c-1");
  EXPECT_EQ(c.segment_id, "s-1");
  EXPECT_EQ(c.start, kT0);
  EXPECT_EQ(c.end, 1772446800000);

  const Endpoint& a = c.caller;
  EXPECT_TRUE(a.present);
  EXPECT_EQ(a.user, "ann@example.com");
  EXPECT_EQ(a.client->str(), "aa:bb:cc:dd:ee:08");
  EXPECT_EQ(a.ip->str(), "10.1.2.3");
  EXPECT_EQ(a.subnet->str(), "10.1.2.0/24");
  EXPECT_EQ(a.bssid->str(), "aa:bb:cc:00:00:01");
  EXPECT_EQ(a.connection, Connection::kWifi);
  EXPECT_EQ(a.device_type, DeviceType::kPc);
  EXPECT_EQ(a.reflexive_ip->str(), "198.51.100.7");
  EXPECT_EQ(a.wifi_signal_pct, 80);
  EXPECT_EQ(a.cpu_insufficient_ratio, 0.1);
  EXPECT_EQ(a.feedback_rating, 2);
  EXPECT_EQ(a.mic_glitch_rate, 14);
  EXPECT_EQ(a.speaker_glitch_rate, 0.5);
  EXPECT_EQ(a.capture_not_functioning_ratio, 0.25);
  EXPECT_EQ(a.render_not_functioning_ratio, 0);
  EXPECT_EQ(a.device_glitch_ratio, 0.05);
  EXPECT_EQ(a.device_clipping_ratio, 0.01);
  EXPECT_EQ(a.low_speech_level_ratio, 0.3);
  EXPECT_EQ(a.low_speech_to_noise_ratio, 0.4);
  EXPECT_EQ(a.howling_event_count, 3);

  const Endpoint& b = c.callee;
  EXPECT_TRUE(b.present);
  EXPECT_EQ(b.user, "bob@example.org");
  EXPECT_EQ(b.connection, Connection::kWired);
  EXPECT_EQ(b.ip->str(), "2001:db8::1");
  EXPECT_FALSE(b.client);
  EXPECT_TRUE(std::isnan(b.feedback_rating));
  EXPECT_TRUE(std::isnan(b.wifi_signal_pct));
  EXPECT_TRUE(std::isnan(b.mic_glitch_rate));

  ASSERT_EQ(c.streams.size(), 2u);
  const Stream& s = c.streams[0];
  EXPECT_EQ(s.from, Side::kCaller);
  EXPECT_EQ(s.media, Media::kAudio);
  const double expected[] = {12, 40, 1.5, 9, 80, 210, 0.4, 0.02, 29.5, 0.3, 0.1, 48, 8, 29, 0.05, 0.2, 0.01, 0.02, 150, 210, 1234};
  static_assert(std::size(expected) == kStreamMetricCount, "one expected value per stream metric");
  for (std::size_t i = 0; i < kStreamMetricCount; ++i) {
    EXPECT_EQ(s.values[i], expected[i]) << stream_metric_name(static_cast<StreamMetric>(i));
  }
  EXPECT_EQ(c.streams[1].from, Side::kCallee);
  EXPECT_EQ(c.streams[1].media, Media::kScreen);
  for (std::size_t i = 0; i < kStreamMetricCount; ++i) EXPECT_TRUE(std::isnan(c.streams[1].values[i]));
  EXPECT_EQ(event_time(ev), 1772446800000);
}

TEST_F(DecoderTest, CallSegmentExtensionKeys) {
  const auto& c = decoded<CallSegment>(
      R"({"type":"call.segment","call_id":"c","segment_id":"s","start":1,"end":2,"version":7,)"
      R"("call_type":"groupCall","modalities":["audio","screenSharing"],"is_test":true,)"
      R"("failure_stage":"midcall","failure_reason":"MediaTimeout",)"
      R"("caller":{"hostname":"ADA-LT","tenant":"t-1","relay_ip":"52.114.1.1","wifi_channel":36,"wifi_band":"5",)"
      R"("wifi_radio_type":"wifi80211ac","link_speed_mbps":866.7,"delay_event_ratio":0.1,)"
      R"("bandwidth_low_event_ratio":0.2,"sent_quality_event_ratio":0.3,"received_quality_event_ratio":0.4,)"
      R"("wifi_battery_pct":55,"render_mute_ratio":0.5,"render_zero_volume_ratio":0.6,)"
      R"("initial_signal_level_rms":120.5,"sent_signal_level":-30,"sent_noise_level":-70,)"
      R"("received_signal_level":-28,"received_noise_level":-72,"cpu_cores":8,"cpu_speed_mhz":2400,)"
      R"("platform":"windows","product_family":"teams","product_version":"1.2.3","domain":"corp.example",)"
      R"("location":"Paris","cpu_name":"Intel","transport":"udp","wifi_driver":"Intel Wi-Fi 6",)"
      R"("wifi_driver_version":"22.1","capture_device":"Mic","capture_driver":"usbaudio","render_device":"Spk",)"
      R"("render_driver":"usbaudio2","feedback_tokens":["Echo","NoSound"],)"
      R"("trace_route_hops":[{"hop_count":1,"ip":"10.0.0.1","rtt_ms":1.5},{"hop_count":2}]},)"
      R"("callee":{"service":true,"service_role":"mediaController","wifi_band":6},)"
      R"("streams":[{"from":"caller","media":"video","codec":"h264","width":1280,"height":720,)"
      R"("start":"2026-03-02T10:00:00Z","end":3,"media_bypassed":false,"audio_fec_used":true}]})");
  EXPECT_EQ(c.version, 7u);
  EXPECT_EQ(c.call_type, "groupCall");
  EXPECT_EQ(c.modalities, kModalityAudio | kModalityScreenSharing);
  EXPECT_TRUE(c.is_test);
  EXPECT_EQ(c.failure_stage, "midcall");
  EXPECT_EQ(c.failure_reason, "MediaTimeout");
  const Endpoint& a = c.caller;
  EXPECT_EQ(a.hostname, "ADA-LT");
  EXPECT_EQ(a.tenant, "t-1");
  EXPECT_EQ(a.relay_ip->str(), "52.114.1.1");
  EXPECT_EQ(a.wifi_channel, 36);
  EXPECT_EQ(a.wifi_band, 5);
  EXPECT_EQ(a.wifi_radio_type, "wifi80211ac");
  EXPECT_EQ(a.link_speed_mbps, 866.7);
  EXPECT_EQ(a.received_quality_event_ratio, 0.4);
  EXPECT_EQ(a.sent_noise_level, -70);
  EXPECT_EQ(a.cpu_speed_mhz, 2400);
  EXPECT_EQ(a.render_driver, "usbaudio2");
  EXPECT_EQ(a.feedback_tokens, (std::vector<std::string>{"Echo", "NoSound"}));
  ASSERT_EQ(a.trace_route_hops.size(), 2u);
  EXPECT_EQ(a.trace_route_hops[0].ip->str(), "10.0.0.1");
  EXPECT_EQ(a.trace_route_hops[0].rtt_ms, 1.5);
  EXPECT_TRUE(std::isnan(a.trace_route_hops[1].rtt_ms));
  EXPECT_FALSE(a.service);
  EXPECT_TRUE(c.callee.service);
  EXPECT_EQ(c.callee.service_role, "mediaController");
  EXPECT_EQ(c.callee.wifi_band, 6);
  const Stream& s = c.streams.at(0);
  EXPECT_EQ(s.codec, "h264");
  EXPECT_EQ(s.width, 1280);
  EXPECT_EQ(s.height, 720);
  EXPECT_EQ(s.start, kT0 - 930'250);  // 10:00:00Z
  EXPECT_EQ(s.end, 3);
  EXPECT_EQ(s.media_bypassed, false);
  EXPECT_EQ(s.audio_fec_used, true);

  const std::string head = R"({"type":"call.segment","call_id":"c","segment_id":"s","start":1,"end":2,)";
  rejects(head + R"("version":-1})", RejectReason::kOutOfRange, "`version`");
  rejects(head + R"("version":"7"})", RejectReason::kWrongType, "`version`");
  rejects(head + R"("modalities":["smell"]})", RejectReason::kBadEnum, "`modalities[0]`");
  rejects(head + R"("caller":{"wifi_band":"60"}})", RejectReason::kBadEnum, "`caller.wifi_band`");
  rejects(head + R"("caller":{"wifi_channel":0}})", RejectReason::kOutOfRange, "`caller.wifi_channel`");
  rejects(head + R"("caller":{"feedback_tokens":[null]}})", RejectReason::kWrongType, "`caller.feedback_tokens[0]`");
  rejects(head + R"("caller":{"service":1}})", RejectReason::kWrongType, "`caller.service`");
  rejects(head + R"("streams":[{"from":"caller","media":"audio","media_bypassed":"no"}]})", RejectReason::kWrongType,
          "`streams[0].media_bypassed`");
}

TEST_F(DecoderTest, CallSegmentMinimalAndChecks) {
  const auto& c = decoded<CallSegment>(R"({"type":"call.segment","call_id":"c","segment_id":"s","start":1,"end":1})");
  EXPECT_FALSE(c.caller.present);
  EXPECT_FALSE(c.callee.present);
  EXPECT_TRUE(c.streams.empty());

  const std::string head = R"({"type":"call.segment","call_id":"c","segment_id":"s","start":1,"end":2,)";
  rejects(R"({"type":"call.segment","call_id":"c","segment_id":"s","start":2000,"end":1000})", RejectReason::kBadValue,
          "field `end`: 1970-01-01T00:00:01.000Z is before `start` 1970-01-01T00:00:02.000Z");
  rejects(head + R"("streams":[{"media":"audio"}]})", RejectReason::kMissingField, "`streams[0].from`");
  rejects(head + R"("streams":[{"from":"caller"}]})", RejectReason::kMissingField, "`streams[0].media`");
  rejects(head + R"("streams":[{"from":"caller","media":"audio"},{"from":"x","media":"audio"}]})",
          RejectReason::kBadEnum, "`streams[1].from`: \"x\" is not one of caller, callee");
  rejects(head + R"("streams":[{"from":"caller","media":"hologram"}]})", RejectReason::kBadEnum, "`streams[0].media`");
  rejects(head + R"("streams":[{"from":"caller","media":"audio","loss_avg_pct":101}]})", RejectReason::kOutOfRange,
          "`streams[0].loss_avg_pct`: 101 is above the maximum 100");
  rejects(head + R"("streams":[{"from":"caller","media":"audio","rtt_avg_ms":-1}]})", RejectReason::kOutOfRange,
          "`streams[0].rtt_avg_ms`: -1 is below the minimum 0");
  rejects(head + R"("streams":[{"from":"caller","media":"audio","concealed_ratio_avg":1.5}]})",
          RejectReason::kOutOfRange, "`streams[0].concealed_ratio_avg`");
  rejects(head + R"("streams":[null]})", RejectReason::kWrongType, "`streams[0]`");
  rejects(head + R"("streams":{}})", RejectReason::kWrongType, "`streams`: expected an array, got an object");
  rejects(head + R"("caller":{"wifi_signal_pct":101}})", RejectReason::kOutOfRange, "`caller.wifi_signal_pct`");
  rejects(head + R"("callee":{"feedback_rating":0}})", RejectReason::kOutOfRange,
          "`callee.feedback_rating`: 0 is below the minimum 1");
  rejects(head + R"("caller":{"cpu_insufficient_ratio":2}})", RejectReason::kOutOfRange, "`caller.cpu_insufficient_ratio`");
  rejects(head + R"("caller":{"mic_glitch_rate":-1}})", RejectReason::kOutOfRange, "`caller.mic_glitch_rate`");
  rejects(head + R"("callee":{"render_not_functioning_ratio":1.5}})", RejectReason::kOutOfRange,
          "`callee.render_not_functioning_ratio`");
  rejects(head + R"("caller":{"subnet":"10.1.2.0/33"}})", RejectReason::kBadCidr,
          "`caller.subnet`: \"10.1.2.0/33\" is not a CIDR subnet");
  rejects(head + R"("caller":{"connection":"carrier-pigeon"}})", RejectReason::kBadEnum, "`caller.connection`");
  rejects(head + R"("caller":"ann"})", RejectReason::kWrongType, "`caller`: expected an object, got a string");
  rejects(R"({"type":"call.segment","call_id":"c","start":1,"end":2})", RejectReason::kMissingField, "`segment_id`");
  rejects(R"({"type":"call.segment","call_id":"","segment_id":"s","start":1,"end":2})", RejectReason::kBadValue,
          "`call_id`: empty name");
}

TEST_F(DecoderTest, CloudRecordsAreNotDecodedYet) {
  rejects(R"({"type":"graph.callRecord","body":{"id":"x"}})", RejectReason::kUnsupportedType, "graph.callRecord");
  rejects(R"({"id":"x","sessions":[]})", RejectReason::kUnsupportedType, "graph.callRecord", "graph.callRecord");
  rejects(R"({"type":"zoom.qos","body":{}})", RejectReason::kUnsupportedType, "zoom.qos");
}

// ---- common rules --------------------------------------------------------------

TEST_F(DecoderTest, EveryRejectReasonHasACase) {
  struct Case {
    std::string json;
    RejectReason reason;
    std::string detail;
  };
  const std::vector<Case> cases{
      {R"({"type":"wifi.client","ts":5,)", RejectReason::kBadJson, ""},
      {R"({"type":"wifi.client","ts":5,"client":"aa:bb:cc:dd:ee:05"} x)", RejectReason::kBadJson, ""},
      {R"({"type":"wifi.client","ts":5,"client":"aa:bb:cc:dd:ee:05"}{})", RejectReason::kBadJson,
       "unexpected content after the object"},
      {R"({"type":"wifi.client","ts":5,"client":"aa:bb:cc:dd:ee:05"} {"type":"wifi.client"})", RejectReason::kBadJson,
       "unexpected content after the object"},
      {R"([{"type":"wifi.client"}])", RejectReason::kNotObject, "the record is an array, not an object"},
      {R"("wifi.client")", RejectReason::kNotObject, "a string"},
      {R"({"ts":5,"client":"aa:bb:cc:dd:ee:05"})", RejectReason::kMissingType, "no field `type`"},
      {R"({"type":null})", RejectReason::kMissingType, "`type`"},
      {R"({"type":"wifi.clients","ts":5})", RejectReason::kUnknownType, "\"wifi.clients\" is not known"},
      {R"({"type":"zoom.qos"})", RejectReason::kUnsupportedType, "not decoded yet"},
      {R"({"type":"wan.link","ts":5})", RejectReason::kMissingField, "field `link` is required"},
      {R"({"type":"wan.link","ts":5,"link":"l","latency_ms":"20"})", RejectReason::kWrongType,
       "field `latency_ms`: expected a number, got a string"},
      {R"({"type":7})", RejectReason::kWrongType, "`type`: expected a string"},
      {R"({"type":"wan.link","ts":"yesterday","link":"l"})", RejectReason::kBadTimestamp,
       "field `ts`: \"yesterday\" is not an RFC 3339 timestamp"},
      {R"({"type":"wan.link","ts":true,"link":"l"})", RejectReason::kWrongType, "`ts`"},
      {R"({"type":"client.device","ts":5,"client":"aa:bb:cc:dd:ee"})", RejectReason::kBadMac,
       "field `client`: \"aa:bb:cc:dd:ee\" is not a MAC address"},
      {R"({"type":"client.info","client":"aa:bb:cc:dd:ee:05","ip":"10.1.2"})", RejectReason::kBadIp,
       "field `ip`: \"10.1.2\" is not an IP address"},
      {R"({"type":"inventory.site","site":"hq","subnets":["10.1.0.0/16","10.2.0.0/x"]})", RejectReason::kBadCidr,
       "field `subnets[1]`: \"10.2.0.0/x\" is not a CIDR subnet"},
      {R"({"type":"client.info","client":"aa:bb:cc:dd:ee:05","device_type":"PC"})", RejectReason::kBadEnum,
       "`device_type`"},
      {R"({"type":"wifi.client","ts":5,"client":"aa:bb:cc:dd:ee:05","rssi_dbm":12})", RejectReason::kOutOfRange,
       "field `rssi_dbm`: 12 is above the maximum 0"},
      {R"({"type":"wifi.client","ts":5,"client":"aa:bb:cc:dd:ee:05","rssi_dbm":-131})", RejectReason::kOutOfRange,
       "field `rssi_dbm`: -131 is below the minimum -130"},
      {R"({"type":"call.segment","call_id":"c","segment_id":"s","start":9,"end":8})", RejectReason::kBadValue,
       "is before `start`"},
      {R"({"type":"wan.link","ts":5,"link":""})", RejectReason::kBadValue, "field `link`: empty name"},
  };
  std::set<RejectReason> covered;
  for (const auto& c : cases) {
    rejects(c.json, c.reason, c.detail);
    covered.insert(c.reason);
  }
  // The two reasons that need a special decoder set-up have their own tests below.
  covered.insert(RejectReason::kTooManyEntities);
  covered.insert(RejectReason::kTooLarge);
  // Not a decoder verdict: whoever reads ZmqRecord::malformed (the daemon) counts it.
  covered.insert(RejectReason::kBadFrames);
  // Nor this: the capture reader knows a datagram was cut by the snaplen (capture_test.cpp).
  covered.insert(RejectReason::kTruncated);
  EXPECT_EQ(covered.size(), kRejectReasonCount);
}

TEST(DecoderLimits, FullEntityTableIsTooManyEntities) {
  Directory dir(1);
  RecordDecoder dec(dir);
  Event ev;
  ASSERT_TRUE(dec.decode(R"({"type":"wan.link","ts":5,"link":"one"})", ev));
  ASSERT_TRUE(dec.decode(R"({"type":"wan.link","ts":6,"link":"one"})", ev));  // known names still resolve
  ASSERT_FALSE(dec.decode(R"({"type":"wan.link","ts":7,"link":"two"})", ev));
  EXPECT_EQ(dec.error().reason, RejectReason::kTooManyEntities);
  EXPECT_THAT(dec.error().detail, HasSubstr("cannot add link \"two\""));
  ASSERT_TRUE(dec.decode(R"({"type":"wifi.client","ts":5,"client":"aa:bb:cc:dd:ee:01"})", ev));
  ASSERT_FALSE(dec.decode(R"({"type":"wifi.client","ts":5,"client":"aa:bb:cc:dd:ee:02"})", ev));
  EXPECT_EQ(dec.error().reason, RejectReason::kTooManyEntities);
  EXPECT_THAT(dec.error().detail, HasSubstr("aa:bb:cc:dd:ee:02"));
}

// Names live as long as the process: a record with a megabyte-long AP name
// is rejected, and nothing of it is kept.
TEST(DecoderLimits, ANameOverTheLimitIsTooLargeAndNotKept) {
  Directory dir;
  RecordDecoder dec(dir);
  Event ev;
  const std::string huge(1 << 20, 'a');
  ASSERT_FALSE(dec.decode(R"({"type":"wifi.ap","ts":5,"ap":")" + huge + R"(","band":"5"})", ev));
  EXPECT_EQ(dec.error().reason, RejectReason::kTooLarge);
  EXPECT_THAT(dec.error().detail, HasSubstr("the ap name has 1048576 bytes, more than the maximum 256"));
  EXPECT_EQ(dir.ap_count(), 0u);
  const std::string longest(SymbolTable::kMaxNameBytes, 'b');
  EXPECT_TRUE(dec.decode(R"({"type":"wifi.ap","ts":5,"ap":")" + longest + R"(","band":"5"})", ev))
      << dec.error().detail;
}

TEST(DecoderLimits, RecordOverTheSizeLimitIsTooLarge) {
  Directory dir;
  RecordDecoder dec(dir, DecoderOptions{.max_record_bytes = 64});
  Event ev;
  const std::string small = R"({"type":"wan.link","ts":5,"link":"l"})";
  ASSERT_TRUE(dec.decode(small, ev)) << dec.error().detail;
  const std::string big = R"({"type":"wan.link","ts":5,"link":")" + std::string(100, 'x') + "\"}";
  ASSERT_FALSE(dec.decode(big, ev));
  EXPECT_EQ(dec.error().reason, RejectReason::kTooLarge);
  EXPECT_THAT(dec.error().detail, HasSubstr("more than the maximum 64"));
  EXPECT_EQ(dir.link_count(), 1u);
}

TEST_F(DecoderTest, NullMeansNotMeasured) {
  const auto& s = decoded<TelemetrySample>(
      R"({"type":"wifi.client","ts":5,"client":"aa:bb:cc:dd:ee:05","ap":null,"bssid":null,"rssi_dbm":null,"snr_db":20})");
  EXPECT_EQ(s.present, 1u << col::kSnr);
  EXPECT_FALSE(s.ap.valid());
  EXPECT_FALSE(s.bssid);
  // A later null withdraws an earlier duplicate.
  EXPECT_EQ(decoded<TelemetrySample>(R"({"type":"wan.link","ts":5,"link":"l","loss_pct":1,"loss_pct":null})").present, 0u);
  // Required keys may not be null.
  rejects(R"({"type":"wifi.client","ts":5,"client":null})", RejectReason::kMissingField, "`client`");
  rejects(R"({"type":"wifi.client","ts":null,"client":"aa:bb:cc:dd:ee:05"})", RejectReason::kMissingField, "`ts`");
  rejects(R"({"type":"inventory.site","site":"hq","subnets":null})", RejectReason::kMissingField, "`subnets`");
  // A misspelt null is not null.
  rejects(R"({"type":"wifi.client","ts":5,"client":"aa:bb:cc:dd:ee:05","rssi_dbm":nul})", RejectReason::kBadJson,
          "`rssi_dbm`");
}

TEST_F(DecoderTest, UnknownFieldsAreIgnored) {
  const auto& s = decoded<TelemetrySample>(
      R"({"vendor":{"nested":[1,{"a":"b"}]},"type":"wan.link","ts":5,"link":"l","extra":[1,2,3],"loss_pct":2,"z":null})");
  EXPECT_EQ(s.present, 1u << col::kLoss);
  EXPECT_EQ(s.values[col::kLoss], 2);
}

TEST_F(DecoderTest, MacFormatsAllNameOneClient) {
  const char* formats[] = {"aa:bb:cc:dd:ee:ff", "AA:BB:CC:DD:EE:FF", "aa-bb-cc-dd-ee-ff",
                           "aabb-ccdd-eeff",    "AABB.CCDD.EEFF",    "aabbccddeeff"};
  std::set<std::uint32_t> ids;
  for (const char* f : formats) {
    const std::string json = std::string(R"({"type":"client.disassoc","ts":5,"client":")") + f + "\"}";
    ids.insert(decoded<ClientDisassoc>(json).client.value);
  }
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(dir.client_count(), 1u);
  EXPECT_EQ(dir.client_mac(ClientId{*ids.begin()}).str(), "aa:bb:cc:dd:ee:ff");
  for (const char* bad : {"aa:bb:cc:dd:ee:fg", "aa:bb:cc:dd:ee:ff:00", "aabb:ccdd:eeff:", "aa:bbcc-ddeeff", ""}) {
    rejects(std::string(R"({"type":"client.disassoc","ts":5,"client":")") + bad + "\"}", RejectReason::kBadMac,
            "`client`");
  }
}

TEST_F(DecoderTest, TimestampsAsRfc3339OrEpochMilliseconds) {
  auto ts = [&](const std::string& v) {
    return decoded<ClientDisassoc>(R"({"type":"client.disassoc","client":"aa:bb:cc:dd:ee:ff","ts":)" + v + "}").ts;
  };
  EXPECT_EQ(ts(R"("2026-03-02T10:15:30.250Z")"), kT0);
  EXPECT_EQ(ts(R"("2026-03-02T05:15:30.250-05:00")"), kT0);
  EXPECT_EQ(ts(R"("2026-03-02T10:15:30.250999Z")"), kT0);  // fractions truncate to ms
  EXPECT_EQ(ts("1772446530250"), kT0);
  EXPECT_EQ(ts("0"), 0);
  rejects(R"({"type":"client.disassoc","client":"aa:bb:cc:dd:ee:ff","ts":1772446530.25})", RejectReason::kBadTimestamp,
          "not an integer number of epoch milliseconds");
  rejects(R"({"type":"client.disassoc","client":"aa:bb:cc:dd:ee:ff","ts":1772446530250000})",
          RejectReason::kBadTimestamp, "outside years 0000-9999");
  rejects(R"({"type":"client.disassoc","client":"aa:bb:cc:dd:ee:ff","ts":"2026-03-02T10:15:30"})",
          RejectReason::kBadTimestamp, "`ts`");
  rejects(R"({"type":"client.disassoc","client":"aa:bb:cc:dd:ee:ff","ts":"2026-02-30T10:15:30Z"})",
          RejectReason::kBadTimestamp, "`ts`");
}

TEST_F(DecoderTest, RangeBoundsAreInclusive) {
  const auto& lo = decoded<TelemetrySample>(
      R"({"type":"wifi.client","ts":5,"client":"aa:bb:cc:dd:ee:05","rssi_dbm":-130,"tx_retry_pct":0,"rx_retry_pct":100})");
  EXPECT_EQ(lo.values[col::kRssi], -130);
  EXPECT_EQ(lo.values[col::kRxRetry], 100);
  const auto& hi = decoded<TelemetrySample>(R"({"type":"wifi.client","ts":5,"client":"aa:bb:cc:dd:ee:05","rssi_dbm":0})");
  EXPECT_EQ(hi.values[col::kRssi], 0);
  rejects(R"({"type":"wifi.client","ts":5,"client":"aa:bb:cc:dd:ee:05","tx_retry_pct":100.5})",
          RejectReason::kOutOfRange, "`tx_retry_pct`: 100.5 is above the maximum 100");
  rejects(R"({"type":"client.device","ts":5,"client":"aa:bb:cc:dd:ee:05","battery_pct":-0.5})",
          RejectReason::kOutOfRange, "`battery_pct`: -0.5 is below the minimum 0");
}

TEST_F(DecoderTest, TypeHint) {
  // ZeroMQ: the frame-1 type stands in for a missing `type` field...
  const auto& s = decoded<TelemetrySample>(R"({"ts":5,"link":"l","loss_pct":1})", "wan.link");
  EXPECT_EQ(s.family, Family::kWanLink);
  // ...and must agree with one that is there.
  EXPECT_EQ(decoded<TelemetrySample>(R"({"ts":5,"type":"wan.link","link":"l"})", "wan.link").family, Family::kWanLink);
  rejects(R"({"type":"wifi.ap","ts":5,"link":"l"})", RejectReason::kBadValue,
          "field `type`: \"wifi.ap\" disagrees with the message type \"wan.link\"", "wan.link");
  rejects(R"({"ts":5,"link":"l"})", RejectReason::kUnknownType, "\"wan.links\" is not known", "wan.links");
  // Without a hint, `type` is found wherever it sits.
  EXPECT_EQ(decoded<TelemetrySample>(R"({"ts":5,"link":"l","loss_pct":1,"type":"wan.link"})").values[col::kLoss], 1);
}

TEST_F(DecoderTest, EscapedKeysAndValuesAreUnescaped) {
  const auto& s = decoded<TelemetrySample>(
      R"({"type":"wifi.ap","ts":5,"\u0061p":"ap\u002d\u00e9","cpu\u005fpct":50})");
  EXPECT_EQ(dir.ap_name(ApId{s.entity}), "ap-\xc3\xa9");
  EXPECT_EQ(s.present, 1u << col::kApCpu);
}

TEST_F(DecoderTest, PaddedInputIsParsedInPlace) {
  std::string buffer = R"({"type":"wan.link","ts":5,"link":"l","jitter_ms":3})";
  const std::size_t length = buffer.size();
  buffer.append(simdjson::SIMDJSON_PADDING, ' ');
  ASSERT_TRUE(dec.decode(std::string_view(buffer.data(), length), ev, true)) << dec.error().detail;
  EXPECT_EQ(std::get<TelemetrySample>(ev).values[col::kJitter], 3);
}

TEST_F(DecoderTest, RejectedRecordsLeaveNoNamesBehindAndTheDecoderRecovers) {
  rejects(R"({"type":"inventory.ap","ap":"ghost","site":"nowhere","bssids":["zz"],"uplink":{"switch":"s","port":"1"}})",
          RejectReason::kBadMac, "`bssids[0]`");
  EXPECT_EQ(dir.ap_count(), 0u);
  EXPECT_EQ(dir.site_count(), 0u);
  EXPECT_EQ(dir.switch_count(), 0u);
  rejects("{", RejectReason::kBadJson, "");
  rejects("", RejectReason::kBadJson, "");
  const auto& ok = decoded<TelemetrySample>(R"({"type":"wan.link","ts":5,"link":"l"})");
  EXPECT_EQ(dir.link_name(LinkId{ok.entity}), "l");
}

TEST_F(DecoderTest, MalformedInputNeverEscapes) {
  // Truncations of a valid record at every length: each must be rejected or
  // accepted cleanly (under the sanitizers, without reading out of bounds).
  const std::string full(kSegment);
  for (std::size_t n = 0; n < full.size(); ++n) {
    EXPECT_FALSE(decode(std::string_view(full).substr(0, n))) << n;
  }
  EXPECT_TRUE(decode(full));
  for (const char* junk : {"{\"type\":\"wan.link\",\"ts\":5,\"link\":\"l\",\"x\":[1,2}", "{\"type\":\"wan.link\"]",
                           "{\"a\":\"\\uD800\"}", "{\"type\":\"wan.link\",\"ts\":5,\"link\":\"l\",\"loss_pct\":1e999}",
                           "\xff\xfe{}", "{\"type\":\"wan.link\",\"ts\":-,\"link\":\"l\"}", "nul", "   "}) {
    EXPECT_FALSE(decode(junk)) << junk;
  }
  // Deep nesting in an ignored field is skipped without recursion; unbalanced, it is bad JSON.
  const std::string head = R"({"type":"wan.link","ts":5,"link":"l","x":)";
  EXPECT_TRUE(decode(head + std::string(5000, '[') + std::string(5000, ']') + "}"));
  EXPECT_FALSE(decode(head + std::string(5000, '[') + std::string(4999, ']') + "}"));
  EXPECT_EQ(dec.error().reason, RejectReason::kBadJson);
  EXPECT_TRUE(decode(R"({"type":"wan.link","ts":5,"link":"l","port":-1})"));  // `port` means nothing to wan.link
}

}  // namespace
}  // namespace callroot::ingest
