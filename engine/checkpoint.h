#pragma once
/// Checkpoint files: what the engine has learned that a restart should not
/// forget (open incidents, baselines), as named sections.
///
/// Layout (all integers little-endian):
///
///     "CALLROOT-CKPT"            13 bytes, the magic
///     u32 version                kCheckpointVersion
///     u32 section count          so a file cut at a section boundary is still seen as truncated
///     per section:
///       u16 name length, name    e.g. "incidents", "watermark", "statistics"
///       u64 payload length
///       u32 CRC-32               zlib's crc32 over the name, the length (8 bytes) and the payload
///       payload
///
/// Nothing may follow the last section. A reader skips sections whose name it
/// does not know, so a newer writer can add sections without breaking an
/// older reader; a section that changes its own layout carries its own
/// version inside its payload.
///
/// Encrypted checkpoints (privacy mode, docs/privacy.md) wrap that whole
/// image:
///
///     "CALLROOT-SEAL"            13 bytes, the magic
///     u32 version                kSealedCheckpointVersion
///     8 bytes key id             StateCipher::key_id(): which key sealed it
///     StateCipher::seal(image)   nonce, ciphertext, tag; the 25 header bytes
///                                above are the associated data
///
/// so a reader can tell "encrypted, but no key given", "sealed with another
/// key" and "corrupt" (the tag does not verify) apart, and says which.
///
/// Files are written atomically: a temporary file in the same directory,
/// fsync, rename over the target, fsync of the directory. A crash leaves
/// either the old checkpoint or the new one, never half of one.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/pseudonym.h"

namespace callroot::engine {

inline constexpr std::string_view kCheckpointMagic = "CALLROOT-CKPT";
inline constexpr std::uint32_t kCheckpointVersion = 1;
inline constexpr std::string_view kSealedCheckpointMagic = "CALLROOT-SEAL";
inline constexpr std::uint32_t kSealedCheckpointVersion = 1;

struct CheckpointSection {
  std::string name;
  std::string payload;
};

/// Writes `sections` to `path` atomically. Throws std::runtime_error naming
/// the file (cannot create, write, sync or rename); the old file, if any, is
/// then left as it was.
/// With `cipher`, the file is encrypted with it (and made readable by its
/// owner only).
void write_checkpoint(const std::string& path, const std::vector<CheckpointSection>& sections,
                      const StateCipher* cipher = nullptr);

/// Reads and checks every section of `path`. Throws std::runtime_error naming
/// the file, and the section when one is at fault: cannot open, bad magic,
/// unknown version, truncated, CRC mismatch, duplicate section, trailing bytes.
/// An encrypted file needs `cipher`: without it, or with another key, or
/// when authentication fails, it throws saying which. A plain file is read
/// with or without `cipher` (a checkpoint written before the key was set).
std::vector<CheckpointSection> read_checkpoint(const std::string& path, const StateCipher* cipher = nullptr);

/// The payload of the section called `name`, or nullopt.
std::optional<std::string_view> find_section(const std::vector<CheckpointSection>& sections, std::string_view name);

/// Little-endian encoding of a section's payload.
class ByteWriter {
 public:
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) { put(v, 2); }
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  void i64(std::int64_t v) { put(static_cast<std::uint64_t>(v), 8); }
  /// The IEEE 754 bits, so a value reads back exactly (NaN included).
  void f64(double v);
  /// Length (u32) then bytes.
  void str(std::string_view s);
  [[nodiscard]] std::string& bytes() noexcept { return out_; }

 private:
  void put(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string out_;
};

/// Reads what ByteWriter wrote. Every read checks the bytes left and throws
/// std::runtime_error("<context>: truncated ...") rather than read past the end.
class ByteReader {
 public:
  ByteReader(std::string_view data, std::string context) : data_(data), context_(std::move(context)) {}
  std::uint8_t u8();
  std::uint16_t u16();
  std::uint32_t u32();
  std::uint64_t u64();
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  double f64();
  std::string str();
  /// A count of elements that each take at least `min_bytes`: refused when
  /// the bytes left cannot hold that many, so a corrupt count never makes the
  /// reader allocate gigabytes.
  std::size_t count(std::size_t min_bytes = 1);
  [[nodiscard]] bool done() const noexcept { return pos_ == data_.size(); }
  /// Throws unless every byte was read: a payload longer than its reader
  /// expects is as wrong as a short one.
  void expect_done() const;
  /// Throws std::runtime_error("<context>: <what>").
  [[noreturn]] void fail(std::string_view what) const;

 private:
  std::uint64_t get(int n);
  std::string_view data_;
  std::size_t pos_ = 0;
  std::string context_;
};

}  // namespace callroot::engine
