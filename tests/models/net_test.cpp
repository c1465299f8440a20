#include "models/net.h"

#include <gtest/gtest.h>

#include <unordered_set>

namespace callroot {
namespace {

constexpr std::uint64_t kBits = 0xaabbccddeeffULL;

TEST(Mac, ParsesEveryDocumentedFormat) {
  for (const char* text : {"aa:bb:cc:dd:ee:ff", "AA:BB:CC:DD:EE:FF", "aa-bb-cc-dd-ee-ff", "AA-bb-Cc-dD-ee-FF",
                           "aabb-ccdd-eeff", "AABB-CCDD-EEFF", "aabb.ccdd.eeff", "AaBb.CcDd.EeFf", "aabbccddeeff",
                           "AABBCCDDEEFF"}) {
    const auto mac = Mac::parse(text);
    ASSERT_TRUE(mac.has_value()) << text;
    EXPECT_EQ(mac->bits, kBits) << text;
    EXPECT_EQ(mac->str(), "aa:bb:cc:dd:ee:ff") << text;
  }
}

TEST(Mac, LeadingZerosAndStr) {
  const auto mac = Mac::parse("00:01:02:0a:0b:0c");
  ASSERT_TRUE(mac);
  EXPECT_EQ(mac->bits, 0x0001020a0b0cULL);
  EXPECT_EQ(mac->str(), "00:01:02:0a:0b:0c");
  EXPECT_EQ(Mac{0xffffffffffffULL}.str(), "ff:ff:ff:ff:ff:ff");
  EXPECT_EQ(Mac{}.str(), "00:00:00:00:00:00");
}

TEST(Mac, Rejects) {
  for (const char* bad : {
           "",
           "aa:bb:cc:dd:ee",            // 5 groups
           "aa:bb:cc:dd:ee:ff:00",      // 7 groups
           "aabbccddeef",               // 11 digits
           "aabbccddeeff0",             // 13 digits
           "aa:bb-cc:dd:ee:ff",         // mixed separators
           "aa:bb:cc:dd:ee-ff",         // mixed separators, last group
           "aabb-ccdd.eeff",            // mixed separators, groups of 4
           "aa:bbcc:dd:ee:ff",          // wrong group size after the first
           "aabb:cc:dd:ee:ff",          // first group 4, then 2
           "aab-bcc-dde-eff",           // groups of 3
           "a:b:c:d:e:f",               // groups of 1
           "aabbcc-ddeeff",             // groups of 6
           ":aa:bb:cc:dd:ee:ff",        // leading separator
           "aa:bb:cc:dd:ee:ff:",        // trailing separator
           "aa::bb:cc:dd:ee",           // empty group
           "gg:bb:cc:dd:ee:ff",         // not hex
           "aa bb cc dd ee ff",         // spaces
           "aa:bb:cc:dd:ee:ff ",        // trailing space
           "0xaabbccddeeff",
       }) {
    EXPECT_EQ(Mac::parse(bad), std::nullopt) << bad;
  }
}

TEST(Mac, Placeholder) {
  EXPECT_TRUE(Mac::parse("02:00:00:00:00:00")->is_placeholder());
  EXPECT_TRUE(Mac::parse("00:00:00:00:00:00")->is_placeholder());
  EXPECT_FALSE(Mac::parse("02:00:00:00:00:01")->is_placeholder());
  EXPECT_FALSE(Mac::parse("aa:bb:cc:dd:ee:ff")->is_placeholder());
}

TEST(Mac, HashAndEquality) {
  std::unordered_set<Mac> set;
  set.insert(*Mac::parse("aa:bb:cc:dd:ee:ff"));
  set.insert(*Mac::parse("AABB.CCDD.EEFF"));
  set.insert(*Mac::parse("00:00:00:00:00:01"));
  EXPECT_EQ(set.size(), 2u);
}

TEST(IpAddr, V4) {
  const auto ip = IpAddr::parse("10.1.2.3");
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->is_v4());
  EXPECT_EQ(ip->str(), "10.1.2.3");
  // Stored v4-mapped.
  EXPECT_EQ(ip->bytes[10], 0xff);
  EXPECT_EQ(ip->bytes[11], 0xff);
  EXPECT_EQ(ip->bytes[12], 10);
  EXPECT_EQ(ip->bytes[15], 3);
  EXPECT_EQ(IpAddr::parse("0.0.0.0")->str(), "0.0.0.0");
  EXPECT_EQ(IpAddr::parse("255.255.255.255")->str(), "255.255.255.255");
  // The v4-mapped v6 spelling is the same address.
  EXPECT_EQ(IpAddr::parse("::ffff:10.1.2.3"), ip);
}

TEST(IpAddr, V6) {
  const auto ip = IpAddr::parse("2001:DB8::1");
  ASSERT_TRUE(ip);
  EXPECT_FALSE(ip->is_v4());
  EXPECT_EQ(ip->str(), "2001:db8::1");
  EXPECT_EQ(ip->bytes[0], 0x20);
  EXPECT_EQ(ip->bytes[1], 0x01);
  EXPECT_EQ(ip->bytes[15], 0x01);
  EXPECT_EQ(IpAddr::parse("::")->str(), "::");
  EXPECT_FALSE(IpAddr::parse("::")->is_v4());
  EXPECT_EQ(IpAddr::parse("fe80:0:0:0:0:0:0:1")->str(), "fe80::1");
  EXPECT_NE(IpAddr::parse("::1"), IpAddr::parse("0.0.0.1"));
}

TEST(IpAddr, Rejects) {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-4", "a.b.c.d", "1.2.3.4/24", "2001:db8:::1",
                          "2001:db8::g", "fe80::1%eth0", " 1.2.3.4", "1.2.3.4 ", "localhost",
                          "11111111111111111111111111111111111111111111111111111111111111111111"}) {
    EXPECT_EQ(IpAddr::parse(bad), std::nullopt) << bad;
  }
}

TEST(Cidr, ParseClearsHostBits) {
  const auto c = Cidr::parse("10.1.2.3/16");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->bits, 96 + 16);
  EXPECT_EQ(c->base, *IpAddr::parse("10.1.0.0"));
  EXPECT_EQ(c->str(), "10.1.0.0/16");
  EXPECT_EQ(Cidr::parse("192.168.1.255/25")->str(), "192.168.1.128/25");
  EXPECT_EQ(Cidr::parse("192.168.1.255/27")->str(), "192.168.1.224/27");
  EXPECT_EQ(Cidr::parse("2001:db8:ffff::1/32")->str(), "2001:db8::/32");
  EXPECT_EQ(Cidr::parse("2001:db8:ffff::1/33")->str(), "2001:db8:8000::/33");
  // No prefix: a host route.
  EXPECT_EQ(Cidr::parse("10.1.2.3")->str(), "10.1.2.3/32");
  EXPECT_EQ(Cidr::parse("2001:db8::1")->str(), "2001:db8::1/128");
}

TEST(Cidr, ContainsV4) {
  const auto c = *Cidr::parse("10.1.0.0/16");
  EXPECT_TRUE(c.contains(*IpAddr::parse("10.1.0.0")));
  EXPECT_TRUE(c.contains(*IpAddr::parse("10.1.255.255")));
  EXPECT_FALSE(c.contains(*IpAddr::parse("10.2.0.0")));
  EXPECT_FALSE(c.contains(*IpAddr::parse("10.0.255.255")));
  // A v6 address is never inside a v4 prefix.
  EXPECT_FALSE(c.contains(*IpAddr::parse("::a01:1")));
  const auto odd = *Cidr::parse("192.168.1.128/25");
  EXPECT_TRUE(odd.contains(*IpAddr::parse("192.168.1.200")));
  EXPECT_FALSE(odd.contains(*IpAddr::parse("192.168.1.127")));
}

TEST(Cidr, ZeroAndThirtyTwo) {
  const auto all = *Cidr::parse("0.0.0.0/0");
  EXPECT_EQ(all.str(), "0.0.0.0/0");
  EXPECT_TRUE(all.contains(*IpAddr::parse("1.2.3.4")));
  EXPECT_TRUE(all.contains(*IpAddr::parse("255.255.255.255")));
  EXPECT_FALSE(all.contains(*IpAddr::parse("2001:db8::1")));  // v4 /0 is all of IPv4, not IPv6

  const auto host = *Cidr::parse("1.2.3.4/32");
  EXPECT_TRUE(host.contains(*IpAddr::parse("1.2.3.4")));
  EXPECT_FALSE(host.contains(*IpAddr::parse("1.2.3.5")));

  const auto all6 = *Cidr::parse("::/0");
  EXPECT_EQ(all6.bits, 0);
  EXPECT_TRUE(all6.contains(*IpAddr::parse("2001:db8::1")));
  const auto host6 = *Cidr::parse("2001:db8::1/128");
  EXPECT_TRUE(host6.contains(*IpAddr::parse("2001:db8::1")));
  EXPECT_FALSE(host6.contains(*IpAddr::parse("2001:db8::2")));
}

TEST(Cidr, ContainsV6) {
  const auto c = *Cidr::parse("2001:db8::/32");
  EXPECT_TRUE(c.contains(*IpAddr::parse("2001:db8::1")));
  EXPECT_TRUE(c.contains(*IpAddr::parse("2001:db8:ffff:ffff::1")));
  EXPECT_FALSE(c.contains(*IpAddr::parse("2001:db9::1")));
  EXPECT_FALSE(c.contains(*IpAddr::parse("10.0.0.1")));
  const auto c33 = *Cidr::parse("2001:db8:8000::/33");
  EXPECT_TRUE(c33.contains(*IpAddr::parse("2001:db8:8000::1")));
  EXPECT_FALSE(c33.contains(*IpAddr::parse("2001:db8:7fff::1")));
}

TEST(Cidr, Rejects) {
  for (const char* bad : {"", "/24", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8x",
                          "10.0.0.0/ 8", "10.0.0/8", "2001:db8::/129", "2001:db8::/", "garbage/8",
                          "10.0.0.0/8/8", "10.0.0.0/99999999999999999999"}) {
    EXPECT_EQ(Cidr::parse(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace callroot
