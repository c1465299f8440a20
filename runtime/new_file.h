#pragma once
/// Creating a file that must not replace another: keys, whose loss or
/// replacement cannot be undone.

#include <sys/types.h>

#include <string>
#include <string_view>

namespace callroot::runtime {

/// Creates `path` with `text` and permission `mode` (whatever the umask),
/// synced to disk. Never replaces a file: throws std::runtime_error naming
/// the path ("it exists" when it does); a half-written file is removed.
void write_new_file(const std::string& path, std::string_view text, mode_t mode);

}  // namespace callroot::runtime
