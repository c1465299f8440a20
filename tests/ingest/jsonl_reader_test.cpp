#include "ingest/jsonl_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "ingest/decoder.h"

namespace callroot::ingest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

/// A scratch directory removed after each test.
class JsonlReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "callroot-jsonl-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& bytes) {
    const auto path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  /// One gzip member holding `text`.
  static std::string gzip(const std::string& text) {
    z_stream zs{};
    EXPECT_EQ(deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::string out(deflateBound(&zs, text.size()), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    zs.avail_in = static_cast<uInt>(text.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
  }

  /// Every line with its number, and the reader's error at the end.
  static std::pair<std::vector<std::pair<std::uint64_t, std::string>>, std::string> read_all(const std::string& path) {
    JsonlReader reader(path);
    std::vector<std::pair<std::uint64_t, std::string>> lines;
    std::string_view line;
    while (reader.next(line)) lines.emplace_back(reader.line_number(), std::string(line));
    return {lines, reader.error()};
  }

  fs::path dir_;
};

using Lines = std::vector<std::pair<std::uint64_t, std::string>>;

TEST_F(JsonlReaderTest, PlainLinesWithNumbersSkippingBlankLines) {
  const auto path = write("a.jsonl", "{\"a\":1}\n\n{\"b\":2}\r\n  \r\n\t\n{\"c\":3}");
  const auto [lines, error] = read_all(path);
  EXPECT_EQ(lines, (Lines{{1, "{\"a\":1}"}, {3, "{\"b\":2}"}, {6, "{\"c\":3}"}}));
  EXPECT_EQ(error, "");
}

TEST_F(JsonlReaderTest, CrlfIsTolerated) {
  const auto path = write("crlf.jsonl", "{\"a\":1}\r\n{\"b\":2}\r\n");
  const auto [lines, error] = read_all(path);
  EXPECT_EQ(lines, (Lines{{1, "{\"a\":1}"}, {2, "{\"b\":2}"}}));
}

TEST_F(JsonlReaderTest, EmptyFileHasNoLines) {
  const auto [lines, error] = read_all(write("empty.jsonl", ""));
  EXPECT_TRUE(lines.empty());
  EXPECT_EQ(error, "");
}

TEST_F(JsonlReaderTest, GzipIsDetectedByContentNotName) {
  const std::string text = "{\"a\":1}\n\n{\"b\":2}\r\n";
  const auto path = write("looks-plain.jsonl", gzip(text));
  JsonlReader reader(path);
  std::string_view line;
  ASSERT_TRUE(reader.next(line));
  EXPECT_EQ(line, "{\"a\":1}");
  EXPECT_EQ(reader.line_number(), 1u);
  ASSERT_TRUE(reader.next(line));
  EXPECT_EQ(line, "{\"b\":2}");
  EXPECT_EQ(reader.line_number(), 3u);
  EXPECT_FALSE(reader.next(line));
  EXPECT_EQ(reader.error(), "");
  EXPECT_EQ(reader.bytes_read(), fs::file_size(path));
  EXPECT_EQ(reader.path(), path);
}

TEST_F(JsonlReaderTest, ConcatenatedGzipMembersReadAsOne) {
  const auto path = write("multi.jsonl.gz", gzip("{\"a\":1}\n{\"b\"") + gzip(":2}\n") + gzip("{\"c\":3}\n"));
  const auto [lines, error] = read_all(path);
  EXPECT_EQ(lines, (Lines{{1, "{\"a\":1}"}, {2, "{\"b\":2}"}, {3, "{\"c\":3}"}}));
  EXPECT_EQ(error, "");
}

TEST_F(JsonlReaderTest, TruncatedGzipEndsWithAnError) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "{\"type\":\"wan.link\",\"ts\":" + std::to_string(i) + ",\"link\":\"l\"}\n";
  const std::string gz = gzip(text);
  const auto path = write("cut.jsonl.gz", gz.substr(0, gz.size() / 2));
  const auto [lines, error] = read_all(path);
  EXPECT_THAT(error, HasSubstr("truncated"));
  EXPECT_THAT(error, HasSubstr(path));
  ASSERT_FALSE(lines.empty());
  EXPECT_LT(lines.size(), 20000u);
  // Whatever was handed out is whole lines, in order, none of them cut.
  for (std::size_t i = 0; i < lines.size(); ++i) {
    ASSERT_EQ(lines[i].first, i + 1);
    ASSERT_EQ(lines[i].second, "{\"type\":\"wan.link\",\"ts\":" + std::to_string(i) + ",\"link\":\"l\"}");
  }
}

TEST_F(JsonlReaderTest, GarbageAfterGzipIsAnError) {
  const auto path = write("tail.jsonl.gz", gzip("{\"a\":1}\n") + "not gzip");
  const auto [lines, error] = read_all(path);
  EXPECT_EQ(lines, (Lines{{1, "{\"a\":1}"}}));
  EXPECT_THAT(error, HasSubstr("after the end of the gzip stream"));
}

TEST_F(JsonlReaderTest, CorruptGzipIsAnError) {
  std::string gz = gzip(std::string(5000, 'x') + "\n");
  for (std::size_t i = 12; i < gz.size() - 8; ++i) gz[i] = static_cast<char>(gz[i] ^ 0x5a);
  const auto [lines, error] = read_all(write("bad.gz", gz));
  EXPECT_THAT(error, HasSubstr("gzip"));
}

TEST_F(JsonlReaderTest, StreamsManyLinesAndLongLinesAcrossBufferRefills) {
  // Several MiB, so lines straddle the reader's buffer, plus one line longer than the buffer.
  std::string text;
  std::vector<std::string> expected;
  for (int i = 0; i < 100000; ++i) {
    expected.push_back("{\"type\":\"wan.link\",\"ts\":" + std::to_string(i) + ",\"link\":\"link-" + std::to_string(i % 97) + "\"}");
    if (i == 5000) expected.back() = "{\"long\":\"" + std::string(3 << 20, 'y') + "\"}";
    text += expected.back() + (i % 3 == 0 ? "\r\n" : "\n");
  }
  for (const auto& [name, bytes] : {std::pair{std::string("big.jsonl"), text}, {"big.jsonl.gz", gzip(text)}}) {
    SCOPED_TRACE(name);
    const auto path = write(name, bytes);
    JsonlReader reader(path);
    std::string_view line;
    std::size_t n = 0;
    while (reader.next(line)) {
      ASSERT_LT(n, expected.size());
      ASSERT_EQ(reader.line_number(), n + 1);
      ASSERT_EQ(line, expected[n]);
      ++n;
    }
    EXPECT_EQ(n, expected.size());
    EXPECT_EQ(reader.error(), "");
  }
}

TEST_F(JsonlReaderTest, LinesCarryPaddingForTheDecoder) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "{\"type\":\"wan.link\",\"ts\":" + std::to_string(i) + ",\"link\":\"l\",\"loss_pct\":1}\n";
  // No final newline: the last line ends at the end of the data.
  text += "{\"type\":\"wan.link\",\"ts\":5000,\"link\":\"l\"}";
  for (const auto& path : {write("p.jsonl", text), write("p.jsonl.gz", gzip(text))}) {
    Directory dir;
    RecordDecoder dec(dir);
    JsonlReader reader(path);
    std::string_view line;
    Event ev;
    std::size_t ok = 0;
    while (reader.next(line)) ok += dec.decode(line, ev, /*padded=*/true) ? 1 : 0;
    EXPECT_EQ(ok, 5001u) << dec.error().detail;
    EXPECT_EQ(std::get<TelemetrySample>(ev).ts, 5000);
  }
}

TEST_F(JsonlReaderTest, OpenFailureThrowsWithPathAndReason) {
  const auto missing = (dir_ / "nope.jsonl").string();
  try {
    JsonlReader reader(missing);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(missing));
    EXPECT_THAT(e.what(), HasSubstr("No such file or directory"));
  }
  EXPECT_THROW(JsonlReader(dir_.string()), std::runtime_error);
}

}  // namespace
}  // namespace callroot::ingest
