// Records partitioned by site (runtime/site_router.h): the demo's two sites,
// calls between them, and site names as NATS subject tokens.

#include "runtime/site_router.h"
#include "runtime/nats_instance.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "demo_files.h"

namespace callroot::runtime::testing {
namespace {

TEST(SubjectToken, KeepsPlainNamesAndEscapesTheRest) {
  EXPECT_EQ(subject_token("hq"), "hq");
  EXPECT_EQ(subject_token("branch_2-north"), "branch_2-north");
  EXPECT_EQ(subject_token("a.b"), "a%2Eb");
  EXPECT_EQ(subject_token("*"), "%2A");
  EXPECT_EQ(subject_token(">"), "%3E");
  EXPECT_EQ(subject_token("New York"), "New%20York");
  EXPECT_EQ(subject_token("50%"), "50%25");
  EXPECT_EQ(subject_token("Zürich"), "Z%C3%BCrich");
  EXPECT_EQ(subject_token(""), "%");
  for (const std::string name : {"hq", "a.b", "*", ">", "New York", "50%", "Zürich", "", "%41"}) {
    EXPECT_EQ(from_subject_token(subject_token(name)), name) << name;
  }
  for (const std::string token : {"a.b", "a b", "%2", "%zz", "%41", "%2e"}) {
    EXPECT_EQ(from_subject_token(token), std::nullopt) << token;
  }
}

TEST(SiteRouter, PlacesEveryDemoRecordAtItsSite) {
  SiteRouter router;
  std::map<std::string, std::set<std::string>> sites_by_type;
  std::size_t inventory = 0, inventory_records = 0, two_sites = 0;
  for (const auto& [type, body] : demo_records_in_time_order()) {
    const SiteRoute r = router.route(body);
    ASSERT_NE(r.kind, SiteRoute::Kind::kRejected) << router.error().detail << ": " << body;
    if (type.rfind("inventory.", 0) == 0) {
      ++inventory_records;
      EXPECT_EQ(r.kind, SiteRoute::Kind::kInventory) << body;
      inventory += r.kind == SiteRoute::Kind::kInventory;
      continue;
    }
    ASSERT_EQ(r.kind, SiteRoute::Kind::kSites) << body;
    for (const auto& s : r.sites) sites_by_type[type].insert(s);
    two_sites += r.sites.size() == 2;
    // Names in the demo start with their site's.
    for (const char* key : {"\"ap\":\"", "\"switch\":\"", "\"link\":\""}) {
      const auto at = body.find(key);
      if (at == std::string::npos || type == "client.assoc") continue;
      const std::string name = body.substr(at + std::strlen(key), body.find('"', at + std::strlen(key)) - at - std::strlen(key));
      ASSERT_EQ(r.sites.size(), 1u) << body;
      EXPECT_EQ(name.rfind(r.sites[0], 0), 0u) << name << " routed to " << r.sites[0];
    }
  }
  EXPECT_EQ(inventory, inventory_records);
  EXPECT_EQ(router.stats().unrouted, 0u);
  EXPECT_EQ(router.stats().rejected, 0u);
  for (const char* type : {"wifi.ap", "wifi.client", "switch.port", "wan.link", "client.assoc", "call.segment"}) {
    EXPECT_EQ(sites_by_type[type], (std::set<std::string>{"branch", "hq"})) << type;
  }
  EXPECT_GT(two_sites, 0u) << "no call between the two sites reached both";
  EXPECT_EQ(router.stats().multi_site, two_sites);
}

TEST(SiteRouter, SaysWhatItCannotPlaceAndWhatDoesNotDecode) {
  SiteRouter router;
  // A client's sample before anything says where it is.
  SiteRoute r = router.route(R"({"type":"wifi.client","ts":"2026-03-02T09:00:00Z","client":"02:00:00:00:00:01","rssi_dbm":-60})");
  EXPECT_EQ(r.kind, SiteRoute::Kind::kUnrouted);
  r = router.route(R"({"type":"wifi.client","ts":"2026-03-02T09:00:00Z","client":"02:00:00:00:00:01","rssi_dbm":)");
  EXPECT_EQ(r.kind, SiteRoute::Kind::kRejected);
  EXPECT_FALSE(router.error().detail.empty());
  // Once the inventory and the association are in, the same sample has a site.
  EXPECT_EQ(router.route(R"({"type":"inventory.site","site":"hq","subnets":["10.1.0.0/16"]})").kind,
            SiteRoute::Kind::kInventory);
  EXPECT_EQ(router.route(R"({"type":"inventory.ap","ap":"ap1","site":"hq","bssids":["02:00:00:00:10:00"],"uplink":{"switch":"sw1","port":"p1"}})").kind, SiteRoute::Kind::kInventory) << router.error().detail;
  r = router.route(R"({"type":"client.assoc","ts":"2026-03-02T08:59:00Z","client":"02:00:00:00:00:01","ap":"ap1"})");
  ASSERT_EQ(r.kind, SiteRoute::Kind::kSites);
  EXPECT_EQ(r.sites, std::vector<std::string>{"hq"});
  r = router.route(R"({"type":"wifi.client","ts":"2026-03-02T09:00:00Z","client":"02:00:00:00:00:01","rssi_dbm":-60})");
  ASSERT_EQ(r.kind, SiteRoute::Kind::kSites);
  EXPECT_EQ(r.sites, std::vector<std::string>{"hq"});
  EXPECT_EQ(router.stats().unrouted, 1u);
  EXPECT_EQ(router.stats().rejected, 1u);
}

TEST(SiteSelection, SaysWhatItSelectsAndReadsItBack) {
  SiteSelection eu;
  eu.pattern = "eu-*";
  EXPECT_TRUE(eu.selects("eu-paris"));
  EXPECT_FALSE(eu.selects("us-austin"));
  EXPECT_EQ(eu.to_string(), "sites eu-*");
  const auto half = SiteSelection::parse_partition("1/2");
  ASSERT_TRUE(half.has_value());
  EXPECT_EQ(half->to_string(), "partition 1/2");
  for (const auto& s : {eu, *half}) {
    const auto again = SiteSelection::parse(s.to_string());
    ASSERT_TRUE(again.has_value()) << s.to_string();
    EXPECT_EQ(again->to_string(), s.to_string());
  }
  std::size_t in_half = 0;
  for (int i = 0; i < 1000; ++i) in_half += half->selects("site-" + std::to_string(i));
  EXPECT_GT(in_half, 400u);
  EXPECT_LT(in_half, 600u);
  for (const std::string bad : {"", "1", "2/2", "1/0", "a/2", "1/2x", "-1/2", "1//2"}) {
    EXPECT_EQ(SiteSelection::parse_partition(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(SiteSelection::parse("everything"), std::nullopt);
}

TEST(PreferredHolder, SpreadsSitesAndMovesOnlyThoseOfAnInstanceThatComesOrGoes) {
  const auto member = [](std::string name) { return Member{std::move(name), SiteSelection{}}; };
  const std::vector<Member> four = {member("a"), member("b"), member("c"), member("d")};
  const std::vector<Member> three = {member("a"), member("b"), member("c")};
  std::map<std::string, int> count;
  std::size_t moved = 0, moved_elsewhere = 0;
  constexpr int kSites = 4000;
  for (int i = 0; i < kSites; ++i) {
    const std::string site = "site-" + std::to_string(i);
    const Member* with_d = preferred_holder(site, four);
    const Member* without_d = preferred_holder(site, three);
    ASSERT_NE(with_d, nullptr);
    ASSERT_NE(without_d, nullptr);
    ++count[with_d->name];
    // The same answer whatever the members' order.
    const std::vector<Member> reversed(four.rbegin(), four.rend());
    EXPECT_EQ(preferred_holder(site, reversed)->name, with_d->name);
    if (with_d->name != without_d->name) {
      ++moved;
      moved_elsewhere += with_d->name != "d";
    }
  }
  for (const auto& [name, n] : count) {
    EXPECT_GT(n, kSites / 4 * 8 / 10) << name;
    EXPECT_LT(n, kSites / 4 * 12 / 10) << name;
  }
  EXPECT_EQ(moved, static_cast<std::size_t>(count["d"])) << "only d's sites move when d leaves";
  EXPECT_EQ(moved_elsewhere, 0u);

  // Only instances that select a site are preferred for it.
  std::vector<Member> members = {member("all")};
  members.push_back(Member{"eu", *SiteSelection::parse("sites eu-*")});
  EXPECT_EQ(preferred_holder("us-austin", members)->name, "all");
  int to_eu = 0;
  for (int i = 0; i < 100; ++i) to_eu += preferred_holder("eu-" + std::to_string(i), members)->name == "eu";
  EXPECT_GT(to_eu, 20);
  EXPECT_LT(to_eu, 80);
  members.erase(members.begin());
  EXPECT_EQ(preferred_holder("us-austin", members), nullptr);
}

}  // namespace
}  // namespace callroot::runtime::testing
