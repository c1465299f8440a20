#include "models/text.h"

namespace callroot {

std::string_view trim(std::string_view s) noexcept {
  const auto space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::size_t first_invalid_utf8(std::string_view text) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    // The second byte's range depends on the first (RFC 3629, section 4).
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    if (i + len > n || s[i + 1] < lo || s[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

namespace {

/// Length of the well-formed UTF-8 sequence at `i`, or 0 when the byte there is not one.
std::size_t sequence_at(std::string_view text, std::size_t i) noexcept {
  const std::size_t bad = first_invalid_utf8(text.substr(i, 4));
  const auto c = static_cast<unsigned char>(text[i]);
  const std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  return bad == std::string_view::npos || bad >= len ? len : 0;
}

bool is_c0(unsigned char c) noexcept { return c < 0x20 || c == 0x7F; }
/// U+0080..U+009F, encoded as C2 80..C2 9F.
bool is_c1(std::string_view text, std::size_t i) noexcept {
  return static_cast<unsigned char>(text[i]) == 0xC2 && i + 1 < text.size() &&
         static_cast<unsigned char>(text[i + 1]) <= 0x9F;
}

}  // namespace

bool needs_log_escape(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\\' || is_c0(c)) return true;
    if (c < 0x80) {
      ++i;
      continue;
    }
    const std::size_t len = sequence_at(text, i);
    if (len == 0 || is_c1(text, i)) return true;
    i += len;
  }
  return false;
}

std::string escape_for_log(std::string_view text) {
  const auto hex = [](std::string& out, const char* prefix, unsigned char b) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += prefix;
    out += kHex[b >> 4];
    out += kHex[b & 15];
  };
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (is_c0(c)) {
      hex(out, "\\x", c);
    } else if (c >= 0x80) {
      const std::size_t len = sequence_at(text, i);
      if (len == 0) {
        hex(out, "\\x", c);
      } else if (is_c1(text, i)) {
        hex(out, "\\u00", static_cast<unsigned char>(text[i + 1]));
        i += 2;
        continue;
      } else {
        out.append(text.substr(i, len));
        i += len;
        continue;
      }
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  return out;
}

std::string escape_markup(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace callroot
