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

#include "models/bytes.h"
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

/// Writes all of `data` to `fd`, retrying short writes and EINTR; false
/// (errno set) when the system refuses. For state files: checkpoints and the
/// daemon's verdict journal.
bool write_all(int fd, std::string_view data) noexcept;

/// The payload of the section called `name`, or nullopt.
std::optional<std::string_view> find_section(const std::vector<CheckpointSection>& sections, std::string_view name);

}  // namespace callroot::engine
