#include "models/pseudonym.h"

#include "models/ascii.h"

#include <sodium.h>

#include <stdexcept>

namespace callroot {
namespace {

/// sodium_init once per process. It is idempotent and thread-safe itself;
/// the function-local static only saves the call after the first.
void ensure_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium could not be initialised");
}

// crypto_kdf: an 8-byte context and one id per purpose. Changing any of these
// changes every pseudonym and makes every sealed file unreadable.
constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "callroot";
constexpr std::uint64_t kPseudonymSubkey = 1;
constexpr std::uint64_t kStateSubkey = 2;
constexpr std::uint64_t kKeyIdSubkey = 3;

std::array<unsigned char, 32> derive(const OrgKey& key, std::uint64_t id) {
  ensure_sodium();
  static_assert(OrgKey::kBytes == crypto_kdf_KEYBYTES);
  std::array<unsigned char, 32> sub{};
  if (crypto_kdf_derive_from_key(sub.data(), sub.size(), id, kKdfContext, key.bytes().data()) != 0) {
    throw std::runtime_error("cannot derive a subkey from the organization key");
  }
  return sub;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

}  // namespace

std::string to_hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

// ---- OrgKey ------------------------------------------------------------------

OrgKey::~OrgKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

OrgKey OrgKey::parse_hex(std::string_view text, std::string_view origin) {
  Bytes bytes{};
  std::size_t digits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (is_space(c)) continue;
    const int v = hex_value(c);
    // The offending character is not echoed: it may be part of a key.
    if (v < 0) {
      throw std::invalid_argument(std::string(origin) + ": not a key: byte " + std::to_string(i + 1) +
                                  " is not a hexadecimal digit (expected 64 hexadecimal digits)");
    }
    if (digits < 2 * kBytes) {
      bytes[digits / 2] = static_cast<unsigned char>(bytes[digits / 2] | (v << (digits % 2 == 0 ? 4 : 0)));
    }
    ++digits;
  }
  if (digits != 2 * kBytes) {
    sodium_memzero(bytes.data(), bytes.size());
    throw std::invalid_argument(std::string(origin) + ": not a key: " + std::to_string(digits) +
                                " hexadecimal digits, expected 64 (32 bytes; `callroot privacy keygen` writes one)");
  }
  OrgKey key(bytes);
  sodium_memzero(bytes.data(), bytes.size());
  return key;
}

OrgKey OrgKey::generate() {
  ensure_sodium();
  Bytes bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  OrgKey key(bytes);
  sodium_memzero(bytes.data(), bytes.size());
  return key;
}

std::string OrgKey::hex() const { return to_hex(bytes_.data(), bytes_.size()); }

// ---- Pseudonymizer -----------------------------------------------------------

Pseudonymizer::Pseudonymizer(const OrgKey& key) : key_(derive(key, kPseudonymSubkey)) {}

Pseudonymizer::~Pseudonymizer() { sodium_memzero(key_.data(), key_.size()); }

void Pseudonymizer::hash(char domain, std::string_view text, unsigned char* out, std::size_t n) const noexcept {
  static_assert(crypto_generichash_BYTES_MIN == 16);
  unsigned char digest[crypto_generichash_BYTES_MIN];
  crypto_generichash_state st;
  crypto_generichash_init(&st, key_.data(), key_.size(), sizeof digest);
  const auto tag = static_cast<unsigned char>(domain);
  crypto_generichash_update(&st, &tag, 1);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  crypto_generichash_final(&st, digest, sizeof digest);
  for (std::size_t i = 0; i < n && i < sizeof digest; ++i) out[i] = digest[i];
}

Mac Pseudonymizer::mac(Mac m) const noexcept {
  if (m.is_placeholder()) return m;
  unsigned char in[6], h[6];
  for (int i = 0; i < 6; ++i) in[i] = static_cast<unsigned char>(m.bits >> (8 * (5 - i)));
  hash('m', std::string_view(reinterpret_cast<const char*>(in), sizeof in), h, sizeof h);
  // First octet: bit 1 set (locally administered), bit 0 clear (unicast).
  h[0] = static_cast<unsigned char>((h[0] & 0xfc) | 0x02);
  Mac out;
  for (int i = 0; i < 6; ++i) out.bits = (out.bits << 8) | h[i];
  // The placeholder itself means "nobody": a pseudonym must never be it (odds 2^-46).
  if (out.is_placeholder()) out.bits |= 1;
  return out;
}

std::string Pseudonymizer::token(char domain, std::string_view text) const {
  unsigned char h[8];
  hash(domain, text, h, sizeof h);
  return to_hex(h, sizeof h);
}

std::string Pseudonymizer::user(std::string_view user) const {
  if (user.empty()) return {};
  return "user-" + token('u', ascii_lowercase(user));
}

std::string Pseudonymizer::hostname(std::string_view hostname) const {
  if (hostname.empty()) return {};
  return "host-" + token('h', ascii_lowercase(hostname));
}

std::string Pseudonymizer::ip(const IpAddr& ip) const {
  return "ip-" + token('i', std::string_view(reinterpret_cast<const char*>(ip.bytes.data()), ip.bytes.size()));
}

// ---- StateCipher -------------------------------------------------------------

StateCipher::StateCipher(const OrgKey& key) : key_(derive(key, kStateSubkey)) {
  static_assert(kNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  static_assert(kTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);
  static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == 32);
  std::array<unsigned char, 32> id = derive(key, kKeyIdSubkey);
  for (std::size_t i = 0; i < key_id_.size(); ++i) key_id_[i] = id[i];
  sodium_memzero(id.data(), id.size());
}

StateCipher::~StateCipher() { sodium_memzero(key_.data(), key_.size()); }

std::string StateCipher::seal(std::string_view plaintext, std::string_view associated) const {
  std::string out(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, kNonceBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + kNonceBytes, &written, reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(associated.data()), associated.size(), nullptr, nonce, key_.data());
  out.resize(kNonceBytes + static_cast<std::size_t>(written));
  return out;
}

std::optional<std::string> StateCipher::open(std::string_view sealed, std::string_view associated) const {
  if (sealed.size() < kNonceBytes + kTagBytes) return std::nullopt;
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  std::string out(sealed.size() - kNonceBytes - kTagBytes, '\0');
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &written, nullptr, nonce + kNonceBytes,
          sealed.size() - kNonceBytes, reinterpret_cast<const unsigned char*>(associated.data()), associated.size(),
          nonce, key_.data()) != 0) {
    return std::nullopt;
  }
  out.resize(static_cast<std::size_t>(written));
  return out;
}

}  // namespace callroot
