#include "models/time.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace callroot {
namespace {

constexpr TimeMs kT = 1772446530250;  // 2026-03-02T10:15:30.250Z

TEST(ParseRfc3339, UtcWithZ) {
  EXPECT_EQ(parse_rfc3339("2026-03-02T10:15:30.250Z"), kT);
  EXPECT_EQ(parse_rfc3339("2026-03-02T10:15:30.250z"), kT);
  EXPECT_EQ(parse_rfc3339("2026-03-02t10:15:30.250Z"), kT);
  EXPECT_EQ(parse_rfc3339("2026-03-02 10:15:30.250Z"), kT);
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("2026-03-02T10:15:30Z"), kT - 250);
}

TEST(ParseRfc3339, Offsets) {
  // 12:15:30.250 at +02:00 is 10:15:30.250 UTC.
  EXPECT_EQ(parse_rfc3339("2026-03-02T12:15:30.250+02:00"), kT);
  // 04:45:30.250 at -05:30 is 10:15:30.250 UTC.
  EXPECT_EQ(parse_rfc3339("2026-03-02T04:45:30.250-05:30"), kT);
  EXPECT_EQ(parse_rfc3339("2026-03-02T10:15:30.250+00:00"), kT);
  EXPECT_EQ(parse_rfc3339("2026-03-02T10:15:30.250-00:00"), kT);
  // An offset that crosses the day boundary.
  EXPECT_EQ(parse_rfc3339("2026-03-01T23:15:30.250-11:00"), kT);
}

TEST(ParseRfc3339, FractionsOfAnyLengthAreTruncatedToMs) {
  const TimeMs base = kT - 250;
  EXPECT_EQ(parse_rfc3339("2026-03-02T10:15:30.2Z"), base + 200);
  EXPECT_EQ(parse_rfc3339("2026-03-02T10:15:30.25Z"), base + 250);
  EXPECT_EQ(parse_rfc3339("2026-03-02T10:15:30.250Z"), base + 250);
  EXPECT_EQ(parse_rfc3339("2026-03-02T10:15:30.2509Z"), base + 250);
  EXPECT_EQ(parse_rfc3339("2026-03-02T10:15:30.25099Z"), base + 250);
  EXPECT_EQ(parse_rfc3339("2026-03-02T10:15:30.250999Z"), base + 250);
  EXPECT_EQ(parse_rfc3339("2026-03-02T10:15:30.2509999Z"), base + 250);
  EXPECT_EQ(parse_rfc3339("2026-03-02T10:15:30.25099999Z"), base + 250);
  EXPECT_EQ(parse_rfc3339("2026-03-02T10:15:30.999999999Z"), base + 999);
  EXPECT_EQ(parse_rfc3339("2026-03-02T10:15:30.001+01:00"), base + 1 - 3'600'000);
  EXPECT_EQ(parse_rfc3339("2026-03-02T10:15:30.Z"), std::nullopt);
}

TEST(ParseRfc3339, LeapDaysAndMonthLengths) {
  EXPECT_EQ(parse_rfc3339("2024-02-29T00:00:00Z"), 1709164800000);
  EXPECT_EQ(parse_rfc3339("2000-02-29T12:00:00Z"), 951825600000);  // divisible by 400
  EXPECT_EQ(parse_rfc3339("2026-02-29T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("1900-02-29T00:00:00Z"), std::nullopt);  // divisible by 100 only
  EXPECT_EQ(parse_rfc3339("2026-02-30T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2026-04-31T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2026-12-31T23:59:59Z"), parse_rfc3339("2027-01-01T00:00:00Z").value() - 1000);
}

TEST(ParseRfc3339, PreEpoch) {
  EXPECT_EQ(parse_rfc3339("1969-07-20T20:17:40Z"), -14182940000);
  EXPECT_EQ(parse_rfc3339("1900-01-01T00:00:00Z"), -2208988800000);
  EXPECT_EQ(parse_rfc3339("1969-12-31T23:59:59.999Z"), -1);
}

TEST(ParseRfc3339, LeapSecondIsHeldAtTheLastSecond) {
  EXPECT_EQ(parse_rfc3339("2016-12-31T23:59:60Z"), parse_rfc3339("2016-12-31T23:59:59Z"));
}

TEST(ParseRfc3339, RejectsInvalid) {
  for (const char* bad : {
           "",
           "garbage",
           "2026-03-02T10:15:30",           // no offset
           "2026-03-02T10:15:30.250",       // no offset after a fraction
           "2026-03-02",                    // a date only
           "2026-03-02T10:15Z",             // no seconds
           "2026-13-02T10:15:30Z",          // month 13
           "2026-00-02T10:15:30Z",          // month 0
           "2026-03-00T10:15:30Z",          // day 0
           "2026-03-02T24:00:00Z",          // hour 24
           "2026-03-02T10:60:00Z",          // minute 60
           "2026-03-02T10:15:61Z",          // second 61
           "2026-03-02T10:15:30+0200",      // offset without colon
           "2026-03-02T10:15:30+02",        // truncated offset
           "2026-03-02T10:15:30+02:0",      // truncated offset
           "2026-03-02T10:15:30+24:00",     // offset hour out of range
           "2026-03-02T10:15:30+02:60",     // offset minute out of range
           "2026-03-02T10:15:30ZZ",         // trailing text
           "2026-03-02T10:15:30Z ",         // trailing space
           "2026-03-02X10:15:30Z",          // bad separator
           "2026/03/02T10:15:30Z",          // bad date separator
           "26-03-02T10:15:30Z",            // two-digit year
           "2026-3-2T10:15:30Z",            // unpadded fields
           "+2026-03-02T10:15:30Z",
           "2026-03-02T10:15:30.25a0Z",
       }) {
    EXPECT_EQ(parse_rfc3339(bad), std::nullopt) << bad;
  }
}

TEST(FormatRfc3339, Basic) {
  EXPECT_EQ(format_rfc3339(kT), "2026-03-02T10:15:30.250Z");
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(1709164800000), "2024-02-29T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(253402300799999), "9999-12-31T23:59:59.999Z");
}

TEST(FormatRfc3339, NegativeEpochs) {
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339(-1000), "1969-12-31T23:59:59.000Z");
  EXPECT_EQ(format_rfc3339(-86'400'000), "1969-12-31T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(-14182940000), "1969-07-20T20:17:40.000Z");
  EXPECT_EQ(format_rfc3339(-2208988800000), "1900-01-01T00:00:00.000Z");
}

TEST(FormatRfc3339, RoundTrip) {
  for (const TimeMs t : {TimeMs{0}, TimeMs{1}, TimeMs{-1}, kT, TimeMs{-14182940001}, TimeMs{951825600123},
                         TimeMs{-2208988800000}, TimeMs{4102444799999}, TimeMs{-62135596800000}}) {
    const std::string s = format_rfc3339(t);
    EXPECT_EQ(s.size(), 24u) << s;
    EXPECT_EQ(parse_rfc3339(s), t) << s;
  }
}

TEST(FormatRfc3339, BufferFormWritesExactly24Bytes) {
  // The header promises that 24 bytes are enough: nothing may be written past them.
  char buf[32];
  std::memset(buf, '#', sizeof buf);
  EXPECT_EQ(format_rfc3339(kT, buf), 24u);
  EXPECT_EQ(std::string(buf, 24), "2026-03-02T10:15:30.250Z");
  for (std::size_t i = 24; i < sizeof buf; ++i) EXPECT_EQ(buf[i], '#') << i;
}

TEST(FormatRfc3339, YearsOutsideRfc3339AreClamped) {
  // RFC 3339 has four-digit years; out-of-range times must still give 24 valid characters.
  const std::string far = format_rfc3339(253402300800000);  // 10000-01-01
  EXPECT_EQ(far, "9999-12-31T23:59:59.999Z");
  const std::string before = format_rfc3339(-62167219200001);  // just before 0000-01-01
  EXPECT_EQ(before, "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(kNoTime).size(), 24u);
  EXPECT_EQ(format_rfc3339(std::numeric_limits<TimeMs>::max()).size(), 24u);
}

TEST(Iso8601Duration, Accepts) {
  EXPECT_EQ(parse_iso8601_duration_ms("PT0.016S"), 16.0);
  EXPECT_EQ(parse_iso8601_duration_ms("PT1M2.5S"), 62'500.0);
  EXPECT_EQ(parse_iso8601_duration_ms("P1DT2H"), 93'600'000.0);
  EXPECT_EQ(parse_iso8601_duration_ms("PT0S"), 0.0);
  EXPECT_EQ(parse_iso8601_duration_ms("PT2.345S"), 2345.0);
  EXPECT_EQ(parse_iso8601_duration_ms("PT0.3S"), 300.0);
  EXPECT_EQ(parse_iso8601_duration_ms("PT0.123S"), 123.0);
  EXPECT_EQ(parse_iso8601_duration_ms("PT0,5S"), 500.0);
  EXPECT_EQ(parse_iso8601_duration_ms("P2W"), 14 * 86'400'000.0);
  EXPECT_EQ(parse_iso8601_duration_ms("P1D"), 86'400'000.0);
  EXPECT_EQ(parse_iso8601_duration_ms("PT1H30M"), 5'400'000.0);
  EXPECT_EQ(parse_iso8601_duration_ms("-PT1S"), -1000.0);
  EXPECT_EQ(parse_iso8601_duration_ms("PT0.0001S"), 0.1);
}

TEST(Iso8601Duration, Rejects) {
  for (const char* bad : {"", "P", "PT", "P1Y", "P1M", "P1Y2M", "PT1Y", "PT1D", "garbage", "T1S", "1S", "PT1",
                          "PT1.5", "PTS", "PT1.2.3S", "P1DT", "PT1S2M", "PT1M1M", "P1D1D", "PT1H ", " PT1H",
                          "PT-1S", "pt1s"}) {
    EXPECT_EQ(parse_iso8601_duration_ms(bad), std::nullopt) << bad;
  }
}

TEST(TimeWindow, HalfOpen) {
  const TimeWindow w{100, 200};
  EXPECT_TRUE(w.contains(100));
  EXPECT_TRUE(w.contains(199));
  EXPECT_FALSE(w.contains(200));
  EXPECT_FALSE(w.contains(99));
  EXPECT_EQ(w.length(), 100);
}

}  // namespace
}  // namespace callroot
