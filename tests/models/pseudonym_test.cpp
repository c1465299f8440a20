// Privacy mode's primitives: keys from hex, keyed pseudonyms (stable for one
// key, unrelated across keys, MACs still valid unicast MACs), and the
// authenticated encryption of state files.

#include "models/pseudonym.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>

namespace callroot {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kHexA = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kHexB = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

OrgKey key_a() { return OrgKey::parse_hex(kHexA, "test"); }
OrgKey key_b() { return OrgKey::parse_hex(kHexB, "test"); }
Mac mac(const char* text) { return *Mac::parse(text); }

std::string parse_error(const std::string& text) {
  try {
    OrgKey::parse_hex(text, "key file /etc/k");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(OrgKey, ParsesHexWithWhitespaceAnywhereAndEitherCase) {
  EXPECT_EQ(key_a().hex(), kHexA);
  std::string wrapped = kHexA.substr(0, 32) + "\n  " + kHexA.substr(32) + "\n";
  for (char& c : wrapped) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(OrgKey::parse_hex(wrapped, "test").hex(), kHexA);
}

TEST(OrgKey, WrongKeysAreRefusedNamingTheFileButNotTheText) {
  EXPECT_THAT(parse_error(kHexA.substr(2)), HasSubstr("key file /etc/k: not a key: 62 hexadecimal digits, expected 64"));
  EXPECT_THAT(parse_error(kHexA + "00"), HasSubstr("66 hexadecimal digits"));
  EXPECT_THAT(parse_error(""), HasSubstr("0 hexadecimal digits"));
  const std::string secretish = "secret-" + kHexA.substr(7);
  const std::string e = parse_error(secretish);
  EXPECT_THAT(e, HasSubstr("key file /etc/k: not a key: byte 1 is not a hexadecimal digit"));
  EXPECT_THAT(e, Not(HasSubstr("secret")));
}

TEST(OrgKey, GeneratedKeysDiffer) {
  EXPECT_NE(OrgKey::generate().hex(), OrgKey::generate().hex());
  EXPECT_EQ(OrgKey::generate().hex().size(), 64u);
}

TEST(Pseudonymizer, StableForOneKeyDifferentAcrossKeys) {
  const Pseudonymizer a(key_a()), a2(key_a()), b(key_b());
  const Mac m = mac("f0:18:98:42:85:d2");
  EXPECT_EQ(a.mac(m), a2.mac(m));
  EXPECT_NE(a.mac(m), b.mac(m));
  EXPECT_NE(a.mac(m), m);
  EXPECT_EQ(a.user("hiro.meyer@contoso.example"), a2.user("hiro.meyer@contoso.example"));
  EXPECT_NE(a.user("hiro.meyer@contoso.example"), b.user("hiro.meyer@contoso.example"));
  EXPECT_EQ(a.hostname("HQ-LT-4152"), a2.hostname("HQ-LT-4152"));
  EXPECT_NE(a.hostname("HQ-LT-4152"), b.hostname("HQ-LT-4152"));
  const IpAddr ip = *IpAddr::parse("10.1.16.25");
  EXPECT_EQ(a.ip(ip), a2.ip(ip));
  EXPECT_NE(a.ip(ip), b.ip(ip));
}

TEST(Pseudonymizer, KnownAnswersPinTheDerivation) {
  // Changing the KDF context, the subkey ids or the domain tags changes every
  // pseudonym operators have on file: this test makes such a change deliberate.
  const Pseudonymizer a(key_a());
  EXPECT_EQ(a.mac(mac("f0:18:98:42:85:d2")).str(), "9a:fc:0f:4a:79:28");
  EXPECT_EQ(a.user("hiro.meyer@contoso.example"), "user-880e00cc2531c13a");
  EXPECT_EQ(a.hostname("hq-lt-4152"), "host-148041b623bdbbcc");
  EXPECT_EQ(a.ip(*IpAddr::parse("10.1.16.25")), "ip-0ec4e149d34b048f");
}

TEST(Pseudonymizer, MacsStayLocallyAdministeredUnicast) {
  const Pseudonymizer a(key_a());
  std::set<std::uint64_t> seen;
  for (std::uint64_t i = 0; i < 2000; ++i) {
    const Mac in{0xf01898000000ULL + i * 7919};
    const Mac out = a.mac(in);
    const auto first = static_cast<std::uint8_t>(out.bits >> 40);
    EXPECT_EQ(first & 0x02, 0x02) << in.str();  // locally administered
    EXPECT_EQ(first & 0x01, 0x00) << in.str();  // unicast
    EXPECT_FALSE(out.is_placeholder());
    EXPECT_EQ(out.bits >> 48, 0u);
    seen.insert(out.bits);
  }
  EXPECT_EQ(seen.size(), 2000u);  // distinct values, distinct pseudonyms
}

TEST(Pseudonymizer, PlaceholdersStayPlaceholders) {
  const Pseudonymizer a(key_a());
  EXPECT_EQ(a.mac(mac("02:00:00:00:00:00")), mac("02:00:00:00:00:00"));
  EXPECT_EQ(a.mac(mac("00:00:00:00:00:00")), mac("00:00:00:00:00:00"));
}

TEST(Pseudonymizer, UsersAndHostnamesIgnoreCase) {
  const Pseudonymizer a(key_a());
  EXPECT_EQ(a.user("Hiro.Meyer@Contoso.example"), a.user("hiro.meyer@contoso.example"));
  EXPECT_EQ(a.hostname("HQ-LT-4152"), a.hostname("hq-lt-4152"));
  EXPECT_NE(a.user("hiro.meyer@contoso.example"), a.user("hiro.meyer@contoso.exampl"));
  // The same text as a user and as a hostname: two unrelated pseudonyms.
  EXPECT_NE(a.user("hq-lt-4152").substr(5), a.hostname("hq-lt-4152").substr(5));
  EXPECT_EQ(a.user(""), "");
  EXPECT_EQ(a.hostname(""), "");
}

TEST(Pseudonymizer, DistinctValuesDiffer) {
  const Pseudonymizer a(key_a());
  std::set<std::string> users, hosts, ips;
  for (int i = 0; i < 1000; ++i) {
    users.insert(a.user("user" + std::to_string(i) + "@contoso.example"));
    hosts.insert(a.hostname("HQ-LT-" + std::to_string(i)));
    ips.insert(a.ip(*IpAddr::parse("10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250))));
  }
  EXPECT_EQ(users.size(), 1000u);
  EXPECT_EQ(hosts.size(), 1000u);
  EXPECT_EQ(ips.size(), 1000u);
}

TEST(StateCipher, RoundTripAndEveryWayItFails) {
  const StateCipher a(key_a()), a2(key_a()), b(key_b());
  const std::string plain = "open incidents of kate.novak@contoso.example";
  const std::string sealed = a.seal(plain, "header");
  EXPECT_EQ(sealed.size(), plain.size() + StateCipher::kNonceBytes + StateCipher::kTagBytes);
  EXPECT_EQ(sealed.find("kate"), std::string::npos);
  EXPECT_EQ(a2.open(sealed, "header"), plain);
  EXPECT_NE(a.seal(plain, "header"), sealed);  // a fresh nonce every time
  EXPECT_FALSE(b.open(sealed, "header"));      // another key
  EXPECT_FALSE(a.open(sealed, "headex"));      // another header
  for (std::size_t i = 0; i < sealed.size(); i += 7) {
    std::string bad = sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(a.open(bad, "header")) << "byte " << i;
  }
  EXPECT_FALSE(a.open(sealed.substr(0, 30), "header"));
  EXPECT_EQ(a.key_id(), a2.key_id());
  EXPECT_NE(a.key_id(), b.key_id());
  EXPECT_EQ(a.open(a.seal("", ""), ""), "");
}

}  // namespace
}  // namespace callroot
