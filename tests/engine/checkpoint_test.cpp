// The checkpoint file format: round trip, and every way a file can be bad
// fails with the file and the section named.

#include "engine/checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "fixture.h"

namespace callroot::engine::testing {
namespace {

class CheckpointFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) / ("ckpt-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "engine.ckpt").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string bytes() const {
    std::ifstream in(path_, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  void overwrite(const std::string& data) const { std::ofstream(path_, std::ios::binary | std::ios::trunc) << data; }

  /// The message of the runtime_error that reading the file throws, or "".
  std::string read_error(const StateCipher* cipher = nullptr) const {
    try {
      read_checkpoint(path_, cipher);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return {};
  }

  static std::vector<CheckpointSection> sample() {
    std::string binary("\0\1\2\xff", 4);
    return {{"watermark", "12345678"}, {"incidents", binary}, {"empty", ""}};
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(CheckpointFile, RoundTrip) {
  write_checkpoint(path_, sample());
  const auto back = read_checkpoint(path_);
  ASSERT_EQ(back.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back[i].name, sample()[i].name);
    EXPECT_EQ(back[i].payload, sample()[i].payload);
  }
  EXPECT_EQ(find_section(back, "incidents"), std::string_view(sample()[1].payload));
  EXPECT_FALSE(find_section(back, "statistics"));
  EXPECT_EQ(bytes().substr(0, kCheckpointMagic.size()), kCheckpointMagic);
}

// ---- encrypted checkpoints (privacy mode) ------------------------------------

const OrgKey& key_a() {
  static const OrgKey k = OrgKey::parse_hex(std::string(64, 'a'), "test");
  return k;
}
const OrgKey& key_b() {
  static const OrgKey k = OrgKey::parse_hex(std::string(64, 'b'), "test");
  return k;
}

TEST_F(CheckpointFile, EncryptedRoundTripOwnerOnlyAndNothingInTheClear) {
  const StateCipher cipher(key_a());
  write_checkpoint(path_, {{"incidents", "kate.novak@contoso.example"}, {"watermark", "12345678"}}, &cipher);
  const std::string raw = bytes();
  EXPECT_EQ(raw.substr(0, kSealedCheckpointMagic.size()), kSealedCheckpointMagic);
  EXPECT_EQ(raw.find("kate"), std::string::npos);
  EXPECT_EQ(raw.find("incidents"), std::string::npos);  // section names too
  EXPECT_EQ(std::filesystem::status(path_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const StateCipher same_key(key_a());
  const auto back = read_checkpoint(path_, &same_key);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].payload, "kate.novak@contoso.example");
  EXPECT_EQ(back[1].name, "watermark");
}

// A plain checkpoint gets what the umask gives a new file: the service's
// UMask=0077 keeps it the service's own, a shell's 022 lets others read it.
TEST_F(CheckpointFile, PlainCheckpointsFollowTheUmask) {
  namespace fs = std::filesystem;
  for (const mode_t mask : {mode_t{077}, mode_t{022}}) {
    const mode_t old = ::umask(mask);
    write_checkpoint(path_, {{"watermark", "12345678"}});
    ::umask(old);
    const fs::perms expected = mask == 077 ? fs::perms::owner_read | fs::perms::owner_write
                                           : fs::perms::owner_read | fs::perms::owner_write |
                                                 fs::perms::group_read | fs::perms::others_read;
    EXPECT_EQ(fs::status(path_).permissions() & fs::perms::all, expected) << std::oct << mask;
  }
}

TEST_F(CheckpointFile, EncryptedWithoutAKeyOrWithAnotherKeySaysSo) {
  const StateCipher a(key_a()), b(key_b());
  write_checkpoint(path_, sample(), &a);
  const std::string id = to_hex(a.key_id().data(), a.key_id().size());
  EXPECT_EQ(read_error(), "checkpoint " + path_ + ": encrypted (key id " + id +
                              ") but no key is configured (--key-file)");
  EXPECT_EQ(read_error(&b), "checkpoint " + path_ + ": encrypted with another key (key id " + id +
                                "; the configured key is " + to_hex(b.key_id().data(), b.key_id().size()) + ")");
}

TEST_F(CheckpointFile, EncryptedAndTamperedIsCorrupt) {
  const StateCipher a(key_a());
  write_checkpoint(path_, sample(), &a);
  const std::string good = bytes();
  const std::size_t header = kSealedCheckpointMagic.size() + 4 + StateCipher::kKeyIdBytes;
  for (std::size_t i = header; i < good.size(); i += 5) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x40);
    overwrite(bad);
    EXPECT_EQ(read_error(&a), "checkpoint " + path_ + ": corrupt: the encrypted checkpoint does not authenticate")
        << "byte " << i;
  }
  overwrite(good.substr(0, good.size() - 1));
  EXPECT_THAT(read_error(&a), ::testing::HasSubstr("does not authenticate"));
  overwrite(good.substr(0, 20));
  EXPECT_THAT(read_error(&a), ::testing::HasSubstr("encrypted checkpoint truncated in its header"));
  std::string version = good;
  version[kSealedCheckpointMagic.size()] = 9;
  overwrite(version);
  EXPECT_THAT(read_error(&a), ::testing::HasSubstr("unknown encrypted checkpoint version 9"));
}

TEST_F(CheckpointFile, APlainCheckpointStillReadsWithAKey) {
  write_checkpoint(path_, sample());  // written before privacy mode was turned on
  const StateCipher a(key_a());
  EXPECT_EQ(read_checkpoint(path_, &a).size(), 3u);
}

TEST_F(CheckpointFile, WritingReplacesTheFileAndLeavesNoTemporary) {
  write_checkpoint(path_, sample());
  write_checkpoint(path_, {{"only", "one"}});
  ASSERT_EQ(read_checkpoint(path_).size(), 1u);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 1u);
}

TEST_F(CheckpointFile, AnUnwritableDirectoryIsAnErrorNamingTheFile) {
  const std::string missing = (dir_ / "no-such-dir" / "x.ckpt").string();
  try {
    write_checkpoint(missing, sample());
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
}

TEST_F(CheckpointFile, BadMagic) {
  overwrite("NOT-A-CHECKPOINT at all");
  const std::string error = read_error();
  EXPECT_NE(error.find(path_), std::string::npos) << error;
  EXPECT_NE(error.find("bad magic"), std::string::npos) << error;
  overwrite("");
  EXPECT_NE(read_error().find("bad magic"), std::string::npos);
}

TEST_F(CheckpointFile, UnknownVersion) {
  write_checkpoint(path_, sample());
  std::string data = bytes();
  data[kCheckpointMagic.size()] = 7;  // the version's low byte
  overwrite(data);
  EXPECT_NE(read_error().find("unknown version 7"), std::string::npos) << read_error();
}

TEST_F(CheckpointFile, TruncatedAnywhere) {
  write_checkpoint(path_, sample());
  const std::string data = bytes();
  // Every cut, at a section boundary included, is seen: the header counts the sections.
  for (std::size_t n = 0; n < data.size(); ++n) {
    overwrite(data.substr(0, n));
    const std::string error = read_error();
    EXPECT_FALSE(error.empty()) << "cut at " << n;
    EXPECT_NE(error.find(path_), std::string::npos) << error;
  }
  overwrite(data.substr(0, data.size() - 2));
  const std::string error = read_error();
  EXPECT_NE(error.find("section `empty`"), std::string::npos) << error;
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
}

TEST_F(CheckpointFile, CrcMismatchNamesTheSection) {
  write_checkpoint(path_, sample());
  std::string data = bytes();
  const auto at = data.find("12345678");
  ASSERT_NE(at, std::string::npos);
  data[at + 3] = 'X';
  overwrite(data);
  const std::string error = read_error();
  EXPECT_NE(error.find("section `watermark`: CRC mismatch"), std::string::npos) << error;
  EXPECT_NE(error.find(path_), std::string::npos) << error;
}

TEST_F(CheckpointFile, TrailingBytesAreAnError) {
  write_checkpoint(path_, sample());
  overwrite(bytes() + "junk");
  EXPECT_NE(read_error().find("unexpected bytes after the last section"), std::string::npos) << read_error();
}

TEST_F(CheckpointFile, UnknownSectionsAreSkippedByTheEngine) {
  // A newer writer's extra section must not stop this reader.
  Campus writer;
  writer.engine.save_checkpoint(path_);
  auto sections = read_checkpoint(path_);
  sections.insert(sections.begin(), {"from-the-future", std::string(100, '\x7f')});
  write_checkpoint(path_, sections);
  Campus reader;
  EXPECT_NO_THROW(reader.engine.restore_checkpoint(path_));
}

TEST_F(CheckpointFile, ABadSectionPayloadNamesFileAndSectionAndChangesNothing) {
  Campus writer;
  writer.engine.save_checkpoint(path_);
  auto sections = read_checkpoint(path_);
  for (auto& s : sections) {
    if (s.name == "incidents") s.payload += "extra";
  }
  write_checkpoint(path_, sections);
  Campus reader;
  try {
    reader.engine.restore_checkpoint(path_);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    const std::string error = e.what();
    EXPECT_NE(error.find(path_), std::string::npos) << error;
    EXPECT_NE(error.find("section `incidents`"), std::string::npos) << error;
  }
  EXPECT_EQ(reader.engine.checkpoint_time(), kNoTime);
}

// ---- segments waiting for their verdict, and verdicts given after the save -----

/// A poor audio segment of c1 (the segment ledger tests' shape).
CallSegment poor_audio(std::string id, double jitter) {
  CallSegment seg = Campus::segment(std::move(id), kT0 + 60'000, kT0 + 120'000);
  seg.streams.push_back(Campus::audio(Side::kCaller, jitter, 0.1, 40));
  return seg;
}

EngineConfig slow_clock() {
  EngineConfig cfg;
  cfg.allowed_lateness = 60'000;
  cfg.grace = 30'000;
  return cfg;
}

TEST_F(CheckpointFile, APendingSegmentIsSavedAndScoredAfterTheRestartAsWithout) {
  Campus before(slow_clock());
  before.healthy(kT0, kT0 + 120'000);
  ASSERT_EQ(before.engine.apply(poor_audio("s1", 40)), ApplyResult::kPending);
  before.engine.save_checkpoint(path_);
  const TimeMs replay_from = before.engine.replay_from();
  // Its telemetry and padding, at the latest: the segment starts at kT0 + 60 s.
  EXPECT_LE(replay_from, kT0 + 60'000 - EngineConfig{}.evidence_padding);
  before.healthy(kT0 + 150'000, kT0 + 300'000);  // the watermark passes it: scored
  ASSERT_EQ(before.sink.verdicts.size(), 1u);

  Campus after(slow_clock());
  after.engine.restore_checkpoint(path_);
  EXPECT_EQ(after.engine.pending(), 1u);
  EXPECT_EQ(after.engine.replay_from(), replay_from);
  // The sender delivers again from replay_from: the segment too, a duplicate now.
  after.healthy(kT0, kT0 + 120'000);
  EXPECT_EQ(after.engine.apply(poor_audio("s1", 40)), ApplyResult::kDuplicate);
  after.healthy(kT0 + 150'000, kT0 + 300'000);
  ASSERT_EQ(after.sink.verdicts.size(), 1u);
  EXPECT_EQ(to_json(after.sink.verdicts[0]), to_json(before.sink.verdicts[0]));
  EXPECT_FALSE(after.sink.verdicts[0].reissued);
}

TEST_F(CheckpointFile, AVerdictJournaledAfterTheSaveIsMarkedReissuedWhenItComesAgain) {
  Campus before(slow_clock());
  before.healthy(kT0, kT0 + 300'000);
  before.engine.apply(poor_audio("s0", 40));  // scored before the save: a plain duplicate after
  ASSERT_EQ(before.engine.apply(poor_audio("s2", 40)), ApplyResult::kScored);
  before.engine.save_checkpoint(path_);
  // Given after the save, then the process dies: only the journal knows.
  ASSERT_EQ(before.engine.apply(poor_audio("s1", 40)), ApplyResult::kScored);
  const auto& said = before.sink.verdicts.back();
  const std::vector<std::uint64_t> journal = {SegmentLedger::key(said.call_id, said.segment_id),
                                              SegmentLedger::key("call-s0", "s0")};

  Campus after(slow_clock());
  after.engine.restore_checkpoint(path_);
  EXPECT_EQ(after.engine.restore_given(journal), 1u) << "s0 was in the checkpoint already";
  after.healthy(kT0, kT0 + 300'000);
  EXPECT_EQ(after.engine.apply(poor_audio("s0", 40)), ApplyResult::kDuplicate);
  ASSERT_EQ(after.engine.apply(poor_audio("s1", 40)), ApplyResult::kScored);
  ASSERT_EQ(after.sink.verdicts.size(), 1u);
  EXPECT_TRUE(after.sink.verdicts[0].reissued);
  EXPECT_EQ(after.sink.verdicts[0].blame.size(), said.blame.size());
  EXPECT_EQ(after.engine.apply(poor_audio("s1", 40)), ApplyResult::kDuplicate) << "once reissued, it is known";
}

TEST_F(CheckpointFile, APendingSegmentScoredAfterTheSaveIsReissuedAfterTheRestart) {
  Campus before(slow_clock());
  before.healthy(kT0, kT0 + 120'000);
  ASSERT_EQ(before.engine.apply(poor_audio("s1", 40)), ApplyResult::kPending);
  before.engine.save_checkpoint(path_);
  before.engine.flush();  // its verdict goes out, then the process dies
  ASSERT_EQ(before.sink.verdicts.size(), 1u);

  Campus after(slow_clock());
  after.engine.restore_checkpoint(path_);
  EXPECT_EQ(after.engine.restore_given({SegmentLedger::key("call-s1", "s1")}), 1u);
  after.healthy(kT0, kT0 + 120'000);
  after.engine.flush();
  ASSERT_EQ(after.sink.verdicts.size(), 1u);
  EXPECT_TRUE(after.sink.verdicts[0].reissued);
  EXPECT_EQ(after.engine.stats().segments_reissued, 1u);
}

TEST_F(CheckpointFile, ACorruptPendingSectionNamesItAndChangesNothing) {
  Campus writer(slow_clock());
  writer.healthy(kT0, kT0 + 120'000);
  writer.engine.apply(poor_audio("s1", 40));
  writer.engine.save_checkpoint(path_);
  auto sections = read_checkpoint(path_);
  for (auto& s : sections) {
    if (s.name == "pending") s.payload.resize(s.payload.size() - 20);
  }
  write_checkpoint(path_, sections);
  Campus reader(slow_clock());
  try {
    reader.engine.restore_checkpoint(path_);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("section `pending`"), std::string::npos) << e.what();
  }
  EXPECT_EQ(reader.engine.pending(), 0u);
}

}  // namespace
}  // namespace callroot::engine::testing
