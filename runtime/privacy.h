#pragma once
/// Privacy mode for the commands (docs/privacy.md): the organization key from
/// a key file, what it gives (pseudonyms, encryption of checkpoints), and the
/// `callroot privacy` subcommands.

#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "models/pseudonym.h"

namespace callroot::runtime {

/// What one organization key gives a command. Immutable; the pipeline, the
/// capture and the checkpoints hold pointers into it, so it outlives them.
struct Privacy {
  explicit Privacy(const OrgKey& key) : pseudonymizer(key), cipher(key) {}
  Pseudonymizer pseudonymizer;
  StateCipher cipher;
};

/// Reads the key file (64 hex digits, whitespace ignored); nullptr when `path`
/// is empty (privacy mode off). Throws std::runtime_error naming the file
/// when it cannot be read or holds no key. Warns on `log` when the file can
/// be read by others than its owner.
std::unique_ptr<Privacy> load_privacy(const std::string& path, spdlog::logger& log);

/// `callroot privacy keygen [--out FILE]`: a new random key, to FILE (created
/// with mode 0600, never over an existing file) or stdout. Returns the exit code.
int run_privacy_keygen(const std::string& out, spdlog::logger& log);

/// `callroot privacy pseudonym --key-file FILE VALUE...`: one line per value and
/// kind, `VALUE<TAB>kind<TAB>pseudonym`: a MAC or an IP address by its form,
/// an e-mail address as a user; any other value as both user and hostname
/// (display names are users too). Returns the exit code.
int run_privacy_pseudonym(const std::string& key_file, const std::vector<std::string>& values, spdlog::logger& log);

}  // namespace callroot::runtime
