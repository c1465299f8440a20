// Privacy mode at ingest: with a pseudonymizer the decoder hands out no raw
// MAC, user or hostname (native records and cloud documents alike), keeps IP
// addresses for matching, and log text can be stripped of input values.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ingest/decoder.h"
#include "ingest/reject.h"

namespace callroot::ingest {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const OrgKey& org_key() {
  static const OrgKey k = OrgKey::parse_hex(std::string(64, '3'), "test");
  return k;
}

class PrivateDecoder : public ::testing::Test {
 protected:
  Pseudonymizer p{org_key()};
  Directory dir;
  RecordDecoder dec{dir, [this] {
                      DecoderOptions o;
                      o.pseudonymizer = &p;
                      return o;
                    }()};
  std::vector<Event> events;

  void decode(const std::string& json) {
    events.clear();
    ASSERT_TRUE(dec.decode_many(json, events)) << dec.error().detail;
  }
  Mac mac(const char* text) { return *Mac::parse(text); }
};

TEST_F(PrivateDecoder, NativeRecordsCarryPseudonyms) {
  decode(R"({"type":"client.info","client":"F0:18:98:42:85:D2","ip":"10.1.16.25","user":"Hiro.Meyer@contoso.example",)"
         R"("hostname":"HQ-LT-4152"})");
  const auto& info = std::get<ClientInfo>(events.at(0));
  EXPECT_EQ(info.user, p.user("hiro.meyer@contoso.example"));
  EXPECT_EQ(info.hostname, p.hostname("hq-lt-4152"));
  EXPECT_EQ(info.ip, IpAddr::parse("10.1.16.25"));  // kept: subnets and WAN IPs are matched against it
  EXPECT_EQ(dir.find_client(p.mac(mac("f0:18:98:42:85:d2"))), info.client);
  EXPECT_FALSE(dir.find_client(mac("f0:18:98:42:85:d2")));

  decode(R"({"type":"inventory.ap","ap":"hq-ap01","site":"hq","bssids":["70:3a:0e:01:01:10"],)"
         R"("uplink":{"switch":"sw1","port":"1"}})");
  EXPECT_EQ(std::get<ApInventory>(events.at(0)).bssids.at(0), p.mac(mac("70:3a:0e:01:01:10")));

  decode(R"({"type":"client.assoc","ts":1772446530250,"client":"f0:18:98:42:85:d2","bssid":"70:3a:0e:01:01:10"})");
  EXPECT_EQ(std::get<ClientAssoc>(events.at(0)).bssid, p.mac(mac("70:3a:0e:01:01:10")));

  decode(R"({"type":"call.segment","call_id":"c","segment_id":"s","start":1772446530250,"end":1772446590250,)"
         R"("caller":{"user":"hiro.meyer@contoso.example","client":"f0:18:98:42:85:d2","bssid":"70:3a:0e:01:01:10",)"
         R"("ip":"10.1.16.25"},"callee":{"user":"bob@fabrikam.example","client":"02:00:00:00:00:00"},"streams":[]})");
  const auto& seg = std::get<CallSegment>(events.at(0));
  EXPECT_EQ(seg.caller.user, p.user("hiro.meyer@contoso.example"));
  EXPECT_EQ(seg.caller.client, p.mac(mac("f0:18:98:42:85:d2")));
  EXPECT_EQ(seg.caller.bssid, p.mac(mac("70:3a:0e:01:01:10")));
  EXPECT_EQ(seg.caller.ip, IpAddr::parse("10.1.16.25"));
  EXPECT_EQ(seg.callee.user, p.user("bob@fabrikam.example"));
  EXPECT_EQ(seg.callee.client, mac("02:00:00:00:00:00"));  // the placeholder still means nobody
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_F(PrivateDecoder, CloudDocumentsCarryPseudonyms) {
  // Zoom: e-mail, MAC (Zoom's aabb-ccdd-eeff form) and the device readings' client.
  decode(R"({"type":"zoom.qos","body":)" +
         slurp(std::string(CALLROOT_TEST_DATA_DIR) + "/zoom/callroot_three-participants-qos.json") + "}");
  bool saw_ada = false, saw_sample = false;
  for (const Event& e : events) {
    if (const auto* s = std::get_if<CallSegment>(&e)) {
      for (const Endpoint* ep : {&s->caller, &s->callee}) {
        EXPECT_THAT(ep->user, Not(HasSubstr("@")));
        EXPECT_TRUE(ep->user.empty() || ep->user.rfind("user-", 0) == 0) << ep->user;
        EXPECT_NE(ep->client, mac("3c:22:fb:11:2a:07"));
        saw_ada = saw_ada || ep->user == p.user("ada@contoso.com");
        if (ep->user == p.user("ada@contoso.com")) {
          EXPECT_EQ(ep->client, p.mac(mac("3c:22:fb:11:2a:07")));
        }
      }
    } else if (const auto* t = std::get_if<TelemetrySample>(&e)) {
      saw_sample = true;
      EXPECT_NE(dir.client_mac(ClientId{t->entity}), mac("3c:22:fb:11:2a:07"));
    }
  }
  EXPECT_TRUE(saw_ada);
  EXPECT_TRUE(saw_sample);
  EXPECT_FALSE(dir.find_client(mac("3c:22:fb:11:2a:07")));

  // Graph: UPNs, and MACs as Graph writes them.
  decode(R"({"type":"graph.callRecord","body":)" +
         slurp(std::string(CALLROOT_TEST_DATA_DIR) + "/graph/cli-microsoft365_spec_callrecord-get_responseWithSessions.json") +
         "}");
  std::size_t users = 0;
  for (const Event& e : events) {
    if (const auto* s = std::get_if<CallSegment>(&e)) {
      for (const Endpoint* ep : {&s->caller, &s->callee}) {
        EXPECT_TRUE(ep->user.empty() || ep->user.rfind("user-", 0) == 0) << ep->user;
        EXPECT_TRUE(ep->hostname.empty() || ep->hostname.rfind("host-", 0) == 0) << ep->hostname;
        if (ep->client) {
          EXPECT_TRUE(ep->client->is_placeholder() || ((ep->client->bits >> 40) & 0x02) != 0);
        }
        users += ep->user.empty() ? 0 : 1;
      }
    }
  }
  EXPECT_GT(users, 0u);
}

TEST(RedactValues, KeepsPathsAndReasonsDropsValues) {
  EXPECT_EQ(redact_values(R"(field `client`: "bob@contoso.example" is not a MAC address)"),
            R"(field `client`: "<redacted>" is not a MAC address)");
  // A quote inside a value cannot end the redaction early.
  EXPECT_EQ(redact_values(R"(field `type`: "a"b" disagrees with the message type "wifi.client")"),
            R"(field `type`: "<redacted>")");
  EXPECT_EQ(redact_values("cap.pcap tcp 10.0.0.1:40000->10.0.0.2:7711 message 3"), "cap.pcap tcp <ip>-><ip> message 3");
  EXPECT_EQ(redact_values("client f0:18:98:42:85:d2, ip 2001:db8::1 and [2001:db8::2]:5004, subnet 10.1.0.0/16"),
            "client <mac>, ip <ip> and [<ip>, subnet <ip>");
  EXPECT_EQ(redact_values("mail bob@contoso.example; f0-18-98-42-85-d2."), "mail <redacted>; <mac>.");
  EXPECT_EQ(redact_values("demo/wifi.jsonl:42"), "demo/wifi.jsonl:42");
  EXPECT_EQ(redact_values("field `streams[2].jitter_avg_ms`: 12 is above the maximum 0"),
            "field `streams[2].jitter_avg_ms`: 12 is above the maximum 0");
  EXPECT_EQ(redact_values(R"(unterminated "bob@x)"), R"(unterminated "<redacted>")");
}

}  // namespace
}  // namespace callroot::ingest
