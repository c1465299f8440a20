#include "models/verdict.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <random>

#include "models/json_writer.h"

namespace callroot {
namespace {

using nlohmann::json;

constexpr TimeMs kT0 = 1772446530250;  // 2026-03-02T10:15:30.250Z

Verdict poor_verdict() {
  Verdict v;
  v.call_id = "call-1";
  v.segment_id = "seg-1";
  v.start = kT0;
  v.end = kT0 + 60'000;
  v.quality = Quality::kPoor;
  v.mos = 2.345;
  PoorStream ps;
  ps.from = Side::kCallee;
  ps.media = Media::kVideo;
  ps.why = {"jitter_avg_ms 41 > 30", "loss_avg_pct 6.2 > 5"};
  v.poor_streams.push_back(ps);
  Blame ap;
  ap.kind = ComponentKind::kAp;
  ap.id = "ap-lobby";
  ap.site = "hq";
  ap.confidence = 0.8123;
  ap.evidence.push_back({EvidenceSource::kRule, "wifi.high_retry", "tx_retry_pct avg 34% > 20%"});
  ap.evidence.push_back({EvidenceSource::kStats, "z.channel_util", "channel_util_pct 3.1 sigma above baseline"});
  v.blame.push_back(ap);
  Blame wan;
  wan.kind = ComponentKind::kWan;
  wan.id = "isp-a";
  wan.confidence = 0.1;
  v.blame.push_back(wan);
  PathReport pr;
  pr.side = Side::kCaller;
  pr.site = "hq";
  pr.hops.push_back({ComponentKind::kClient, "aa:bb:cc:dd:ee:ff", "", {{"rssi_dbm", "avg", -74.25}}});
  pr.hops.push_back({ComponentKind::kSwitch, "core", "xe-0/0/1", {}});
  v.paths.push_back(pr);
  return v;
}

TEST(VerdictJson, WellFormedWithTheSpecFields) {
  const std::string text = to_json(poor_verdict());
  EXPECT_EQ(text.find('\n'), std::string::npos);
  const json j = json::parse(text);
  EXPECT_EQ(j.at("type"), "verdict");
  EXPECT_EQ(j.at("call_id"), "call-1");
  EXPECT_EQ(j.at("segment_id"), "seg-1");
  EXPECT_EQ(j.at("start"), "2026-03-02T10:15:30.250Z");
  EXPECT_EQ(j.at("end"), "2026-03-02T10:16:30.250Z");
  EXPECT_EQ(j.at("quality"), "poor");
  EXPECT_DOUBLE_EQ(j.at("mos").get<double>(), 2.35);  // two decimals
  ASSERT_EQ(j.at("poor_streams").size(), 1u);
  const json& ps = j.at("poor_streams")[0];
  EXPECT_EQ(ps.at("from"), "callee");
  EXPECT_EQ(ps.at("media"), "video");
  EXPECT_EQ(ps.at("why"), json::array({"jitter_avg_ms 41 > 30", "loss_avg_pct 6.2 > 5"}));
  ASSERT_EQ(j.at("blame").size(), 2u);
  const json& b0 = j.at("blame")[0];
  EXPECT_EQ(b0.at("kind"), "ap");
  EXPECT_EQ(b0.at("id"), "ap-lobby");
  EXPECT_EQ(b0.at("site"), "hq");
  EXPECT_DOUBLE_EQ(b0.at("confidence").get<double>(), 0.812);
  ASSERT_EQ(b0.at("evidence").size(), 2u);
  EXPECT_EQ(b0.at("evidence")[0].at("source"), "rule");
  EXPECT_EQ(b0.at("evidence")[0].at("id"), "wifi.high_retry");
  EXPECT_EQ(b0.at("evidence")[0].at("text"), "tx_retry_pct avg 34% > 20%");
  EXPECT_EQ(b0.at("evidence")[1].at("source"), "stats");
  const json& b1 = j.at("blame")[1];
  EXPECT_EQ(b1.at("kind"), "wan");
  EXPECT_EQ(b1.at("id"), "isp-a");
  EXPECT_DOUBLE_EQ(b1.at("confidence").get<double>(), 0.1);
  EXPECT_TRUE(b1.at("evidence").is_array());
  EXPECT_TRUE(b1.at("evidence").empty());
  ASSERT_EQ(j.at("paths").size(), 1u);
  const json& path = j.at("paths")[0];
  EXPECT_EQ(path.at("side"), "caller");
  EXPECT_EQ(path.at("site"), "hq");
  ASSERT_EQ(path.at("hops").size(), 2u);
  EXPECT_EQ(path.at("hops")[0].at("kind"), "client");
  EXPECT_FALSE(path.at("hops")[0].contains("detail"));
  EXPECT_DOUBLE_EQ(path.at("hops")[0].at("metrics").at("rssi_dbm.avg").get<double>(), -74.25);
  EXPECT_EQ(path.at("hops")[1].at("detail"), "xe-0/0/1");
  EXPECT_TRUE(path.at("hops")[1].at("metrics").is_object());
  EXPECT_TRUE(path.at("hops")[1].at("metrics").empty());
}

TEST(VerdictJson, GoodSegmentWithNanMos) {
  Verdict v;
  v.call_id = "c";
  v.segment_id = "s";
  v.start = 0;
  v.end = -1;
  v.quality = Quality::kGood;
  const std::string text = to_json(v);
  const json j = json::parse(text);
  EXPECT_TRUE(j.at("mos").is_null());
  EXPECT_EQ(j.at("quality"), "good");
  EXPECT_EQ(j.at("start"), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(j.at("end"), "1969-12-31T23:59:59.999Z");
  EXPECT_TRUE(j.at("poor_streams").is_array() && j.at("poor_streams").empty());
  EXPECT_TRUE(j.at("blame").is_array() && j.at("blame").empty());
  EXPECT_EQ(text,
            R"({"type":"verdict","schema_version":1,"call_id":"c","segment_id":"s","start":"1970-01-01T00:00:00.000Z",)"
            R"("end":"1969-12-31T23:59:59.999Z","quality":"good","poor_streams":[],"mos":null,"blame":[],"paths":[]})");
  v.quality = Quality::kUnclassified;
  EXPECT_EQ(json::parse(to_json(v)).at("quality"), "unclassified");
}

TEST(VerdictJson, NonFiniteNumbersBecomeNull) {
  Verdict v = poor_verdict();
  v.mos = std::numeric_limits<double>::infinity();
  v.blame[0].confidence = std::nan("");
  v.paths[0].hops[0].metrics.push_back({"snr_db", "avg", -std::numeric_limits<double>::infinity()});
  const json j = json::parse(to_json(v));
  EXPECT_TRUE(j.at("mos").is_null());
  EXPECT_TRUE(j.at("blame")[0].at("confidence").is_null());
  EXPECT_TRUE(j.at("paths")[0].at("hops")[0].at("metrics").at("snr_db.avg").is_null());
}

TEST(VerdictJson, StringEscaping) {
  Verdict v;
  const std::string nasty = std::string("q\"b\\s/n\nr\rt\tc\x01\x1f") + "\x7f" + "é€😀";
  v.call_id = nasty;
  v.segment_id = std::string("nul\0in", 6);
  Blame b;
  b.kind = ComponentKind::kClient;
  b.id = "aa:bb:cc:dd:ee:ff";
  b.evidence.push_back({EvidenceSource::kRule, "r", "a \"quoted\" value"});
  v.blame.push_back(b);
  const std::string text = to_json(v);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_NE(text.find(R"(q\"b\\s/n\nr\rt\tc\u0001\u001f)"), std::string::npos) << text;
  const json j = json::parse(text);
  EXPECT_EQ(j.at("call_id").get<std::string>(), nasty);
  EXPECT_EQ(j.at("segment_id").get<std::string>(), std::string("nul\0in", 6));
  EXPECT_EQ(j.at("blame")[0].at("evidence")[0].at("text"), "a \"quoted\" value");
  EXPECT_EQ(j.at("blame")[0].at("kind"), "client");
  EXPECT_EQ(j.at("blame")[0].at("site"), "");
}

TEST(VerdictJson, AppendsToExistingText) {
  std::string out = "prefix ";
  append_json(out, poor_verdict());
  EXPECT_EQ(out.rfind("prefix {", 0), 0u);
  EXPECT_TRUE(json::accept(out.substr(7)));
}

TEST(JsonWriter, NestingAndCommas) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("a").begin_array();
  w.value(1).value(std::int64_t{-2}).value(std::uint64_t{18446744073709551615ULL}).value(true).null();
  w.begin_object().end_object();
  w.begin_array().end_array();
  w.end_array();
  w.key("b").value("x");
  w.key("c").begin_object().key("d").value(false).end_object();
  w.end_object();
  EXPECT_EQ(out, R"({"a":[1,-2,18446744073709551615,true,null,{},[]],"b":"x","c":{"d":false}})");
  EXPECT_TRUE(json::accept(out));
}

TEST(JsonWriter, EscapesWhatJsonRequiresAnywhereInAString) {
  // Strings of every length around the eight-byte steps, with each kind of
  // character that must be escaped at every position, and UTF-8 that must not.
  std::mt19937_64 rng(3);
  const std::vector<std::string> pieces{"a", "Z", "0", " ", "/", "\"", "\\", "\n", "\r", "\t", "\x01", "\x1f", "\x7f",
                                       "\xc3\xa9", "\xe2\x82\xac"};
  for (int n = 0; n < 2000; ++n) {
    std::string text;
    for (int k = 0; k < n % 40; ++k) text += pieces[rng() % pieces.size()];
    std::string out;
    JsonWriter w(out);
    w.begin_array().value(text).end_array();
    const json j = json::parse(out);
    ASSERT_EQ(j[0].get<std::string>(), text) << out;
    for (std::size_t i = 1; i + 1 < out.size(); ++i) {
      EXPECT_GE(static_cast<unsigned char>(out[i]), 0x20u) << out;
    }
  }
}

TEST(JsonWriter, FormatNumber) {
  EXPECT_EQ(format_number(1.0), "1");
  EXPECT_EQ(format_number(1.5), "1.5");
  EXPECT_EQ(format_number(0.1234), "0.123");
  EXPECT_EQ(format_number(0.1235, 2), "0.12");
  EXPECT_EQ(format_number(-0.0001), "0");
  EXPECT_EQ(format_number(-0.0), "0");
  EXPECT_EQ(format_number(-74.25, 3), "-74.25");
  EXPECT_EQ(format_number(100.0, 0), "100");
  EXPECT_EQ(format_number(1e6), "1000000");
  EXPECT_EQ(format_number(std::nan("")), "null");
  EXPECT_EQ(format_number(std::numeric_limits<double>::infinity()), "null");
  // Huge magnitudes must still be valid JSON numbers of the right value.
  for (const double big : {1e300, -1.7976931348623157e308, 1e80}) {
    const std::string s = format_number(big);
    const json j = json::parse(s);
    EXPECT_TRUE(j.is_number()) << s;
    EXPECT_DOUBLE_EQ(j.get<double>(), big) << s;
  }
}

}  // namespace
}  // namespace callroot
