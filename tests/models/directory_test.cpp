#include "models/directory.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "models/symbol_table.h"

namespace callroot {
namespace {

TEST(SymbolTable, InternsOncePerName) {
  SymbolTable t;
  EXPECT_EQ(t.intern("ap-1"), 0u);
  EXPECT_EQ(t.intern("ap-2"), 1u);
  EXPECT_EQ(t.intern("ap-1"), 0u);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.find("ap-2"), 1u);
  EXPECT_EQ(t.find("ap-3"), std::nullopt);
  EXPECT_EQ(t.name(0), "ap-1");
  EXPECT_EQ(t.name(1), "ap-2");
  // The empty string is a name like any other.
  EXPECT_EQ(t.intern(""), 2u);
  EXPECT_EQ(t.name(2), "");
}

TEST(SymbolTable, CapacityLimit) {
  SymbolTable t(2);
  EXPECT_EQ(t.intern("a"), 0u);
  EXPECT_EQ(t.intern("b"), 1u);
  EXPECT_EQ(t.intern("c"), std::nullopt);
  EXPECT_EQ(t.size(), 2u);
  // Known names still resolve once full.
  EXPECT_EQ(t.intern("a"), 0u);
  EXPECT_EQ(t.find("c"), std::nullopt);
}

TEST(SymbolTable, NamesAndViewsStayValidAfterManyInserts) {
  SymbolTable t;
  // Short names (small-string optimisation) and long ones (heap) both.
  const std::string_view first_short = t.name(*t.intern("x"));
  const std::string long_name(100, 'L');
  const std::string_view first_long = t.name(*t.intern(long_name));
  std::vector<std::string> names;
  for (int i = 0; i < 100'000; ++i) names.push_back((i % 2 ? "switch-" : "a") + std::to_string(i));
  for (std::size_t i = 0; i < names.size(); ++i) ASSERT_EQ(t.intern(names[i]), i + 2);
  EXPECT_EQ(first_short, "x");
  EXPECT_EQ(first_long, long_name);
  for (std::size_t i = 0; i < names.size(); ++i) {
    ASSERT_EQ(t.name(static_cast<std::uint32_t>(i + 2)), names[i]);
    ASSERT_EQ(t.find(names[i]), i + 2);
  }
}

TEST(SymbolTable, InternCopiesTheName) {
  SymbolTable t;
  std::string buf = "edge-1";
  const auto id = *t.intern(buf);
  buf = "XXXXXX";
  EXPECT_EQ(t.name(id), "edge-1");
  EXPECT_EQ(t.find("edge-1"), id);
  EXPECT_EQ(t.find("XXXXXX"), std::nullopt);
}

TEST(Directory, KindsAreSeparateNamespaces) {
  Directory d;
  EXPECT_EQ(d.site("hq")->value, 0u);
  EXPECT_EQ(d.ap("hq")->value, 0u);
  EXPECT_EQ(d.ap("ap-2")->value, 1u);
  EXPECT_EQ(d.switch_("sw-1")->value, 0u);
  EXPECT_EQ(d.edge("edge-1")->value, 0u);
  EXPECT_EQ(d.link("mpls")->value, 0u);
  EXPECT_EQ(d.device("room-1")->value, 0u);
  EXPECT_EQ(d.site_count(), 1u);
  EXPECT_EQ(d.ap_count(), 2u);
  EXPECT_EQ(d.find_ap("ap-2"), ApId{1});
  EXPECT_EQ(d.find_ap("nope"), std::nullopt);
  EXPECT_EQ(d.ap_name(ApId{1}), "ap-2");
  EXPECT_EQ(d.site_name(SiteId{0}), "hq");
  EXPECT_EQ(d.switch_name(SwitchId{0}), "sw-1");
  EXPECT_EQ(d.edge_name(EdgeId{0}), "edge-1");
  EXPECT_EQ(d.link_name(LinkId{0}), "mpls");
  EXPECT_EQ(d.device_name(DeviceId{0}), "room-1");
}

TEST(Directory, Clients) {
  Directory d;
  const Mac a = *Mac::parse("aa:bb:cc:dd:ee:01");
  const Mac b = *Mac::parse("aa:bb:cc:dd:ee:02");
  EXPECT_EQ(d.find_client(a), std::nullopt);
  const auto ia = d.client(a);
  const auto ib = d.client(b);
  ASSERT_TRUE(ia && ib);
  EXPECT_NE(*ia, *ib);
  EXPECT_EQ(d.client(*Mac::parse("AABB.CCDD.EE01")), ia);
  EXPECT_EQ(d.find_client(b), ib);
  EXPECT_EQ(d.client_mac(*ib), b);
  EXPECT_EQ(d.client_count(), 2u);
}

TEST(Directory, PortsPerSwitchAreDistinct) {
  Directory d;
  const SwitchId s1 = *d.switch_("sw-1");
  const SwitchId s2 = *d.switch_("sw-2");
  const auto p11 = d.port(s1, "ge-0/0/1");
  const auto p12 = d.port(s1, "ge-0/0/2");
  const auto p21 = d.port(s2, "ge-0/0/1");
  ASSERT_TRUE(p11 && p12 && p21);
  EXPECT_NE(*p11, *p12);
  EXPECT_NE(*p11, *p21);
  EXPECT_NE(*p12, *p21);
  EXPECT_EQ(d.port(s1, "ge-0/0/1"), p11);
  EXPECT_EQ(d.port(s2, "ge-0/0/1"), p21);
  EXPECT_EQ(d.port_count(), 3u);
  EXPECT_EQ(d.port_switch(*p21), s2);
  EXPECT_EQ(d.port_name(*p21), "ge-0/0/1");
  EXPECT_EQ(d.port_name(*p12), "ge-0/0/2");
  // Port names share the generic name table.
  EXPECT_EQ(d.text(*d.name("ge-0/0/2")), "ge-0/0/2");
}

TEST(Directory, CapacityPerKind) {
  Directory d(2);
  EXPECT_TRUE(d.ap("a"));
  EXPECT_TRUE(d.ap("b"));
  EXPECT_FALSE(d.ap("c"));
  EXPECT_TRUE(d.site("c"));  // another kind has its own budget
  EXPECT_TRUE(d.client(Mac{1}));
  EXPECT_TRUE(d.client(Mac{2}));
  EXPECT_FALSE(d.client(Mac{3}));
  EXPECT_EQ(d.client(Mac{1}), ClientId{0});
  const SwitchId sw = *d.switch_("sw");
  EXPECT_TRUE(d.port(sw, "p1"));
  EXPECT_TRUE(d.port(sw, "p2"));
  EXPECT_FALSE(d.port(sw, "p3"));  // the name table is full too
  EXPECT_EQ(d.port(sw, "p1"), PortId{0});
}

TEST(Directory, ComponentName) {
  Directory d;
  const ClientId c = *d.client(*Mac::parse("AA-BB-CC-DD-EE-FF"));
  const ApId ap = *d.ap("ap-lobby");
  const SwitchId sw = *d.switch_("core-1");
  const LinkId link = *d.link("isp-a");
  EXPECT_EQ(d.component_name({ComponentKind::kClient, c.value}), "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(d.component_name({ComponentKind::kAp, ap.value}), "ap-lobby");
  EXPECT_EQ(d.component_name({ComponentKind::kSwitch, sw.value}), "core-1");
  EXPECT_EQ(d.component_name({ComponentKind::kWan, link.value}), "isp-a");
  EXPECT_EQ(d.component_name({ComponentKind::kRemote, 0}), "");
  EXPECT_EQ(d.component_name({ComponentKind::kUnknown, 0}), "");
  // Ids the directory never handed out have no name (and are not read out of bounds).
  EXPECT_EQ(d.component_name({ComponentKind::kAp, ApId{}.value}), "");
  EXPECT_EQ(d.component_name({ComponentKind::kClient, 7}), "");
  EXPECT_EQ(d.component_name({ComponentKind::kWan, 1}), "");
  EXPECT_EQ(d.component_name(ComponentRef{}), "");
  EXPECT_STREQ(to_string(ComponentKind::kWan), "wan");
  EXPECT_STREQ(to_string(ComponentKind::kClient), "client");
  EXPECT_STREQ(to_string(ComponentKind::kUnknown), "unknown");
}

}  // namespace
}  // namespace callroot

namespace callroot {
namespace {

TEST(DirectoryRadios, OneRadioPerApAndBand) {
  Directory dir;
  const ApId ap = *dir.ap("ap1");
  const auto r24 = dir.radio(ap, Directory::band_code(2.4));
  const auto r5 = dir.radio(ap, Directory::band_code(5));
  ASSERT_TRUE(r24 && r5);
  EXPECT_NE(*r24, *r5);
  EXPECT_EQ(dir.radio(ap, 1), r24);  // interned once
  EXPECT_EQ(dir.find_radio(ap, 3), std::nullopt);
  EXPECT_EQ(dir.radios_of(ap).size(), 2u);
  EXPECT_EQ(dir.radio_ap(*r5), ap);
  EXPECT_EQ(dir.radio_band(*r5), 2);
  EXPECT_EQ(Directory::band_code(6), 3);
  EXPECT_EQ(Directory::band_code(std::numeric_limits<double>::quiet_NaN()), 0);
  EXPECT_EQ(Directory::band_name(1), "2.4 GHz");
  EXPECT_FALSE(dir.radio(ApId{}, 1).has_value());
}

}  // namespace
}  // namespace callroot

#include "models/flat_map.h"

namespace callroot {
namespace {

TEST(FlatMap64, FindSetOverwriteAndGrow) {
  FlatMap64 m;
  EXPECT_FALSE(m.find(42).has_value());
  for (std::uint64_t k = 0; k < 10'000; ++k) m.set(0x0a0000000000ULL + k * 7, static_cast<std::uint32_t>(k));
  EXPECT_EQ(m.size(), 10'000u);
  for (std::uint64_t k = 0; k < 10'000; ++k) ASSERT_EQ(m.find(0x0a0000000000ULL + k * 7), k);
  EXPECT_FALSE(m.find(0x0a0000000000ULL + 1).has_value());
  m.set(0x0a0000000000ULL, 99);
  EXPECT_EQ(m.find(0x0a0000000000ULL), 99u);
  EXPECT_EQ(m.size(), 10'000u);
  m.set(0, 5);  // key 0 is a key like any other
  EXPECT_EQ(m.find(0), 5u);
}

}  // namespace
}  // namespace callroot
