// Event times read from a record's text, for ordering before decoding.
#include "ingest/time_peek.h"

#include <gtest/gtest.h>

namespace callroot::ingest {
namespace {

constexpr TimeMs kNine = 1'772'442'000'000;  // 2026-03-02T09:00:00Z

TEST(PeekEventTime, ReadsTheTopLevelTsOrASegmentsEnd) {
  EXPECT_EQ(peek_event_time(R"({"type":"wifi.client","ts":"2026-03-02T09:00:00Z","client":"f0:18:98:42:85:d2"})"), kNine);
  EXPECT_EQ(peek_event_time(R"({"type":"wan.link","ts":1772442000000,"link":"x"})"), kNine);
  EXPECT_EQ(peek_event_time(R"({ "type" : "call.segment", "start":"2026-03-02T08:58:00Z",)"
                            R"( "caller":{"ts":"2030-01-01T00:00:00Z"}, "end" : "2026-03-02T09:00:00.000Z"})"),
            kNine);
}

TEST(PeekEventTime, IgnoresNestedKeysAndKeysInsideStrings) {
  EXPECT_EQ(peek_event_time(R"({"type":"wifi.client","note":"\"ts\":\"2030-01-01T00:00:00Z\"","x":{"ts":5},)"
                            R"("ts":"2026-03-02T09:00:00Z"})"),
            kNine);
}

TEST(PeekEventTime, TheTypeMayComeAfterTheTimesAndTheFirstOfAKeyWins) {
  EXPECT_EQ(peek_event_time(R"({"end":"2026-03-02T09:00:00Z","ts":5,"type":"call.segment"})"), kNine);
  EXPECT_EQ(peek_event_time(R"({"end":5,"ts":"2026-03-02T09:00:00Z","type":"wifi.client"})"), kNine);
  EXPECT_EQ(peek_event_time(R"({"type":"wifi.client","ts":"2026-03-02T09:00:00Z","ts":5})"), kNine);
  EXPECT_EQ(peek_record_type(R"({"a":{"type":"x"},"type":"wan.link","type":"y"})"), "wan.link");
}

TEST(PeekEventTime, EscapedQuotesAndBackslashesInStrings) {
  // An escaped quote does not end a string; an escaped backslash before a quote does.
  EXPECT_EQ(peek_event_time(R"({"type":"wifi.client","n":"a\"\"ts\":1,","ts":"2026-03-02T09:00:00Z"})"), kNine);
  EXPECT_EQ(peek_event_time(R"({"type":"wifi.client","n":"a\\","ts":"2026-03-02T09:00:00Z"})"), kNine);
  // An odd run escapes the quote: the quotes pair up otherwise and `ts` is no key.
  EXPECT_EQ(peek_event_time(R"({"type":"wifi.client","n":"a\\\","ts":1})"), kNoTime);
}

TEST(PeekEventTime, NoTimeForInventoryCloudDocumentsAndBadLines) {
  EXPECT_EQ(peek_event_time(R"({"type":"inventory.site","site":"hq"})"), kNoTime);
  EXPECT_EQ(peek_event_time(R"({"id":"graph-call","endDateTime":"2026-03-02T09:00:00Z"})"), kNoTime);
  EXPECT_EQ(peek_event_time(R"({"type":"wifi.client","ts":"yesterday"})"), kNoTime);
  EXPECT_EQ(peek_event_time(R"({"type":"wifi.client","ts":)"), kNoTime);
  EXPECT_EQ(peek_event_time(R"({"type":"wifi.client","ts":"2026-03-02T09:00)"), kNoTime);
  EXPECT_EQ(peek_event_time(""), kNoTime);
  EXPECT_EQ(peek_event_time("\"\\"), kNoTime);
}

}  // namespace
}  // namespace callroot::ingest
