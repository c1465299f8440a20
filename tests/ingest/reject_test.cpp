#include "ingest/reject.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace callroot::ingest {
namespace {

TEST(RejectReason, CodesAreStableUniqueAndDescribed) {
  EXPECT_EQ(code(RejectReason::kBadJson), "bad_json");
  EXPECT_EQ(code(RejectReason::kTooManyEntities), "too_many_entities");
  EXPECT_EQ(code(RejectReason::kTooLarge), "too_large");
  EXPECT_EQ(description(RejectReason::kBadTimestamp), "a timestamp is not RFC 3339 or epoch ms");
  std::set<std::string_view> codes;
  for (std::size_t i = 0; i < kRejectReasonCount; ++i) {
    const auto r = static_cast<RejectReason>(i);
    EXPECT_FALSE(description(r).empty());
    EXPECT_TRUE(codes.insert(code(r)).second) << code(r);
  }
  EXPECT_EQ(codes.size(), kRejectReasonCount);
}

TEST(RejectPosition, FileLineOrSocketSequence) {
  EXPECT_EQ((Position{"demo/wifi.jsonl", 42}).str(), "demo/wifi.jsonl:42");
  EXPECT_EQ((Position{"tcp://127.0.0.1:7710", 1207}).str(), "tcp://127.0.0.1:7710#1207");
}

TEST(RejectCounters, CountPerReasonAndTotal) {
  RejectCounters c;
  EXPECT_EQ(c.total(), 0u);
  c.add(RejectReason::kBadMac);
  c.add(RejectReason::kBadMac);
  c.add(RejectReason::kTooLarge);
  EXPECT_EQ(c.count(RejectReason::kBadMac), 2u);
  EXPECT_EQ(c.count(RejectReason::kTooLarge), 1u);
  EXPECT_EQ(c.count(RejectReason::kBadJson), 0u);
  EXPECT_EQ(c.total(), 3u);
}

}  // namespace
}  // namespace callroot::ingest
