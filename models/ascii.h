#pragma once
/// ASCII case folding for identifiers that are case-insensitive by their
/// standards (UPNs, e-mail addresses, DNS names, tenant ids, Graph enum
/// values). Deliberately not std::tolower: that depends on the C locale, and
/// these identifiers must compare the same whatever locale a host sets.

#include <string>
#include <string_view>

namespace callroot {

constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

inline std::string ascii_lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

constexpr bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

}  // namespace callroot
