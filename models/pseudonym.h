#pragma once
/// Privacy mode (docs/privacy.md): an organization key, keyed pseudonyms of
/// personal data, and authenticated encryption of state files.
///
/// - `OrgKey`: 32 random bytes, written as 64 hexadecimal digits in a key file.
/// - Two independent subkeys are derived from it (libsodium
///   crypto_kdf_derive_from_key, context "callroot"): one for pseudonyms
///   (`Pseudonymizer`), one for encryption at rest (`StateCipher`); a third
///   derivation only names the key (`key_id`), so a file can say which key
///   sealed it without revealing anything about the key.
/// - Pseudonyms are keyed BLAKE2b (crypto_generichash with the subkey) over a
///   domain tag and the value: the same value gives the same pseudonym under
///   one key (operators can still correlate), different keys give unrelated
///   pseudonyms, and without the key a pseudonym cannot be computed or
///   reversed, not even by trying every MAC address.
///
/// libsodium is initialised on first use (sodium_init is idempotent and
/// thread-safe); nothing here keeps mutable global state. The objects are
/// immutable after construction and may be shared between threads.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "models/net.h"

namespace callroot {

/// The organization key. Its bytes are wiped when it goes away.
class OrgKey {
 public:
  static constexpr std::size_t kBytes = 32;
  using Bytes = std::array<unsigned char, kBytes>;

  explicit OrgKey(const Bytes& bytes) noexcept : bytes_(bytes) {}
  OrgKey(const OrgKey&) = default;
  OrgKey& operator=(const OrgKey&) = default;
  ~OrgKey();

  /// 64 hexadecimal digits (either case); whitespace anywhere is ignored, so
  /// a key file may end with a newline or be wrapped. Throws
  /// std::invalid_argument naming `origin` (e.g. "key file /etc/callroot.key")
  /// and what is wrong, never quoting the text itself.
  static OrgKey parse_hex(std::string_view text, std::string_view origin);
  /// A new random key from libsodium's CSPRNG.
  static OrgKey generate();

  /// Lower-case hex, 64 digits: what a key file holds.
  [[nodiscard]] std::string hex() const;
  [[nodiscard]] const Bytes& bytes() const noexcept { return bytes_; }

 private:
  Bytes bytes_;
};

/// Keyed pseudonyms. A pseudonym's form tells what it stands for, and keeps
/// the value usable where it was used before:
/// - MAC -> MAC: 6 bytes of the hash with the locally administered bit set
///   and the multicast bit cleared, so it is still a valid unicast MAC that
///   every MAC-typed field, table and lookup takes unchanged. The privacy
///   placeholders (02:00:00:00:00:00, all zeros) stay as they are: they
///   identify nobody, and the models treat them as absent.
/// - user (e-mail, UPN, display name) -> `user-` + 16 hex digits, of the
///   value in ASCII lower case (UPNs and e-mail addresses are case-insensitive).
/// - hostname -> `host-` + 16 hex digits, of the value in ASCII lower case (DNS
///   and NetBIOS names are case-insensitive).
/// - IP address -> `ip-` + 16 hex digits: only for text that must name an
///   address; addresses themselves are not rewritten (see docs/privacy.md).
/// - `token(domain, text)`: 16 hex digits for anything else that needs a
///   stable name (the RTP 5-tuple of a metered call).
/// 16 hex digits are 64 bits: among millions of values a collision is not
/// expected (birthday bound ~2^32 values).
class Pseudonymizer {
 public:
  explicit Pseudonymizer(const OrgKey& key);
  Pseudonymizer(const Pseudonymizer&) = default;
  Pseudonymizer& operator=(const Pseudonymizer&) = default;
  ~Pseudonymizer();

  [[nodiscard]] Mac mac(Mac m) const noexcept;
  /// Empty stays empty (no user is not a user).
  [[nodiscard]] std::string user(std::string_view user) const;
  [[nodiscard]] std::string hostname(std::string_view hostname) const;
  [[nodiscard]] std::string ip(const IpAddr& ip) const;
  /// 16 hex digits of the keyed hash of `text` in `domain` (one letter per kind
  /// of value, so equal text of two kinds does not give equal pseudonyms).
  [[nodiscard]] std::string token(char domain, std::string_view text) const;

 private:
  /// The first `n` (<= 16) bytes of the keyed hash of domain || text into `out`.
  void hash(char domain, std::string_view text, unsigned char* out, std::size_t n) const noexcept;
  std::array<unsigned char, 32> key_{};
};

/// Authenticated encryption of state files (XChaCha20-Poly1305, a random
/// 24-byte nonce per message: safe for any number of messages under one key).
class StateCipher {
 public:
  static constexpr std::size_t kNonceBytes = 24;
  static constexpr std::size_t kTagBytes = 16;
  static constexpr std::size_t kKeyIdBytes = 8;
  using KeyId = std::array<unsigned char, kKeyIdBytes>;

  explicit StateCipher(const OrgKey& key);
  StateCipher(const StateCipher&) = default;
  StateCipher& operator=(const StateCipher&) = default;
  ~StateCipher();

  /// nonce || ciphertext || tag of `plaintext`, bound to `associated` (which
  /// is authenticated, not encrypted: a file's header).
  [[nodiscard]] std::string seal(std::string_view plaintext, std::string_view associated) const;
  /// The plaintext, or nullopt when `sealed` was not made by seal() with this
  /// key and these associated bytes (wrong key, or any byte changed).
  [[nodiscard]] std::optional<std::string> open(std::string_view sealed, std::string_view associated) const;
  /// Names the key without revealing it (a separate derivation): a reader
  /// can tell "sealed with another key" from "corrupt".
  [[nodiscard]] const KeyId& key_id() const noexcept { return key_id_; }

 private:
  std::array<unsigned char, 32> key_{};
  KeyId key_id_{};
};

/// Lower-case hex of bytes, e.g. a key id for a message.
std::string to_hex(const unsigned char* bytes, std::size_t n);

}  // namespace callroot
