#include "ingest/zmq_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>

#include "ingest/decoder.h"

namespace callroot::ingest {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class ZmqSourceTest : public ::testing::Test {
 protected:
  zmq::context_t ctx;

  /// A source on loopback with ports picked by the system.
  ZmqSource make_source() {
    ZmqSourceOptions options;
    options.sub_endpoints = {"tcp://127.0.0.1:*"};
    options.pull_endpoints = {"tcp://127.0.0.1:*"};
    return ZmqSource(ctx, options);
  }

  zmq::socket_t connect(zmq::socket_type type, const std::string& endpoint) {
    zmq::socket_t s(ctx, type);
    s.set(zmq::sockopt::linger, 1000);
    s.connect(endpoint);
    return s;
  }
};

TEST_F(ZmqSourceTest, ResolvesWildcardPorts) {
  ZmqSource source = make_source();
  const auto eps = source.endpoints();
  ASSERT_EQ(eps.size(), 2u);
  EXPECT_THAT(eps[0], StartsWith("tcp://127.0.0.1:"));
  EXPECT_NE(eps[0], "tcp://127.0.0.1:*");
  EXPECT_NE(eps[0], eps[1]);
}

TEST_F(ZmqSourceTest, PullReceivesTwoFrameAndMalformedMessages) {
  ZmqSource source = make_source();
  const std::string pull = source.endpoints()[1];
  zmq::socket_t push = connect(zmq::socket_type::push, pull);

  const std::string body = R"({"ts":5,"link":"hq-isp1","loss_pct":2})";
  push.send(zmq::buffer(std::string_view("wan.link")), zmq::send_flags::sndmore);
  push.send(zmq::buffer(body), zmq::send_flags::none);
  push.send(zmq::buffer(std::string_view("lonely")), zmq::send_flags::none);
  push.send(zmq::buffer(std::string_view("a")), zmq::send_flags::sndmore);
  push.send(zmq::buffer(std::string_view("b")), zmq::send_flags::sndmore);
  push.send(zmq::buffer(std::string_view("c")), zmq::send_flags::none);
  push.send(zmq::buffer(std::string_view("client.disassoc")), zmq::send_flags::sndmore);
  push.send(zmq::buffer(std::string_view(R"({"ts":6,"client":"aa:bb:cc:dd:ee:ff"})")), zmq::send_flags::none);

  ZmqRecord rec;
  ASSERT_TRUE(source.receive(rec, 2s));
  EXPECT_FALSE(rec.malformed);
  EXPECT_EQ(rec.type, "wan.link");
  EXPECT_EQ(rec.body, body);
  EXPECT_EQ(rec.socket, pull);
  EXPECT_EQ(rec.sequence, 1u);
  // The body is padded: the decoder parses it in place, with the type as hint.
  Directory dir;
  RecordDecoder dec(dir);
  Event ev;
  ASSERT_TRUE(dec.decode(rec.body, ev, true, rec.type)) << dec.error().detail;
  EXPECT_EQ(dir.link_name(LinkId{std::get<TelemetrySample>(ev).entity}), "hq-isp1");

  ASSERT_TRUE(source.receive(rec, 2s));
  EXPECT_TRUE(rec.malformed);
  EXPECT_EQ(rec.sequence, 2u);
  EXPECT_EQ(rec.type, "lonely");
  // The size of the whole message and who sent it: a TCP peer names its address.
  EXPECT_EQ(rec.body, "expected 2 frames (type, JSON body), got 1 (6 bytes) from 127.0.0.1");

  ASSERT_TRUE(source.receive(rec, 2s));
  EXPECT_TRUE(rec.malformed);
  EXPECT_EQ(rec.sequence, 3u);
  EXPECT_THAT(rec.body, HasSubstr("got 3"));

  // Extra frames were drained: the next message is whole.
  ASSERT_TRUE(source.receive(rec, 2s));
  EXPECT_FALSE(rec.malformed);
  EXPECT_EQ(rec.sequence, 4u);
  EXPECT_EQ(rec.type, "client.disassoc");
  ASSERT_TRUE(dec.decode(rec.body, ev, true, rec.type)) << dec.error().detail;

  EXPECT_FALSE(source.receive(rec, 20ms));
}

TEST_F(ZmqSourceTest, SubReceivesPublishedRecords) {
  ZmqSource source = make_source();
  const std::string sub = source.endpoints()[0];
  zmq::socket_t pub = connect(zmq::socket_type::pub, sub);
  // PUB drops until the subscription has reached it: publish until one arrives.
  ZmqRecord rec;
  bool got = false;
  for (int i = 0; i < 100 && !got; ++i) {
    pub.send(zmq::buffer(std::string_view("wifi.client")), zmq::send_flags::sndmore);
    pub.send(zmq::buffer(std::string_view(R"({"ts":1,"client":"aa:bb:cc:dd:ee:ff"})")), zmq::send_flags::none);
    got = source.receive(rec, 50ms);
  }
  ASSERT_TRUE(got);
  EXPECT_FALSE(rec.malformed);
  EXPECT_EQ(rec.type, "wifi.client");
  EXPECT_EQ(rec.socket, sub);
  EXPECT_EQ(rec.sequence, 1u);
}

TEST_F(ZmqSourceTest, BothSocketsAreServedInTurn) {
  ZmqSource source = make_source();
  zmq::socket_t push = connect(zmq::socket_type::push, source.endpoints()[1]);
  zmq::socket_t pub = connect(zmq::socket_type::pub, source.endpoints()[0]);
  ZmqRecord rec;
  // Wait for the subscription to be in place.
  bool sub_ready = false;
  for (int i = 0; i < 100 && !sub_ready; ++i) {
    pub.send(zmq::buffer(std::string_view("probe")), zmq::send_flags::sndmore);
    pub.send(zmq::buffer(std::string_view("{}")), zmq::send_flags::none);
    sub_ready = source.receive(rec, 50ms);
  }
  ASSERT_TRUE(sub_ready);
  while (source.receive(rec, 50ms)) {
  }
  for (int i = 0; i < 3; ++i) {
    push.send(zmq::buffer(std::string_view("p")), zmq::send_flags::sndmore);
    push.send(zmq::buffer(std::string_view("{}")), zmq::send_flags::none);
    pub.send(zmq::buffer(std::string_view("s")), zmq::send_flags::sndmore);
    pub.send(zmq::buffer(std::string_view("{}")), zmq::send_flags::none);
  }
  // Let everything arrive, then check that neither socket starves the other.
  std::this_thread::sleep_for(200ms);
  std::string order;
  while (source.receive(rec, 200ms)) order += rec.type;
  EXPECT_EQ(order.size(), 6u);
  EXPECT_TRUE(order == "spspsp" || order == "pspsps") << order;
}

TEST_F(ZmqSourceTest, BindFailureNamesTheEndpoint) {
  ZmqSource first = make_source();
  ZmqSourceOptions taken;
  taken.sub_endpoints = {first.endpoints()[0]};
  taken.pull_endpoints = {};
  try {
    ZmqSource second(ctx, taken);
    FAIL() << "bound twice";
  } catch (const zmq::error_t& e) {
    EXPECT_THAT(e.what(), HasSubstr(first.endpoints()[0]));
    EXPECT_EQ(e.num(), EADDRINUSE);
  }
}

}  // namespace
}  // namespace callroot::ingest
