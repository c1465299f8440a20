#include "ingest/reject.h"

#include <cctype>

#include "models/net.h"

namespace callroot::ingest {
namespace {

constexpr std::array<std::string_view, kRejectReasonCount> kCodes{
#define CALLROOT_X(id, code, text) code,
    CALLROOT_REJECT_REASONS(CALLROOT_X)
#undef CALLROOT_X
};

constexpr std::array<std::string_view, kRejectReasonCount> kDescriptions{
#define CALLROOT_X(id, code, text) text,
    CALLROOT_REJECT_REASONS(CALLROOT_X)
#undef CALLROOT_X
};

}  // namespace

std::string_view code(RejectReason r) noexcept {
  const auto i = static_cast<std::size_t>(r);
  return i < kCodes.size() ? kCodes[i] : "unknown";
}

std::string_view description(RejectReason r) noexcept {
  const auto i = static_cast<std::size_t>(r);
  return i < kDescriptions.size() ? kDescriptions[i] : "unknown reason";
}

bool parse_reject_code(std::string_view c, RejectReason& out) noexcept {
  for (std::size_t i = 0; i < kCodes.size(); ++i) {
    if (kCodes[i] == c) {
      out = static_cast<RejectReason>(i);
      return true;
    }
  }
  return false;
}

std::string Position::str() const {
  std::string out(source);
  if (!unit.empty()) {
    out += ' ';
    out += unit;
    out += ' ';
    out += std::to_string(index);
    return out;
  }
  // Files are addressed by line (`file:42`), sockets by message number (`tcp://...#42`).
  const bool socket = source.find("://") != std::string_view::npos;
  out += socket ? '#' : ':';
  out += std::to_string(index);
  return out;
}

namespace {

bool word_char(char c) noexcept {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == ':' || c == '-' || c == '@' ||
         c == '_' || c == '%' || c == '+' || c == '[' || c == ']' || c == '/';
}

/// What `word` stands for when it is personal or names a host: "<mac>",
/// "<ip>", "<redacted>"; empty when it is none of these.
std::string_view classify(std::string_view word) {
  if (word.empty()) return {};
  if (word.find('@') != std::string_view::npos) return "<redacted>";
  if (Mac::parse(word)) return "<mac>";
  if (IpAddr::parse(word) || Cidr::parse(word)) return "<ip>";
  // `10.0.0.1:5004`, `[2001:db8::1]:5004` (the bracket is already gone)
  const auto colon = word.rfind(':');
  if (colon != std::string_view::npos && colon + 1 < word.size()) {
    std::string_view host = word.substr(0, colon);
    const std::string_view port = word.substr(colon + 1);
    bool digits = true;
    for (const char c : port) digits = digits && std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (!host.empty() && host.back() == ']') host.remove_suffix(1);
    if (digits && IpAddr::parse(host)) return "<ip>";
  }
  return {};
}

}  // namespace

std::string redact_values(std::string_view text) {
  std::string unquoted;
  const auto first = text.find('"');
  if (first == std::string_view::npos) {
    unquoted.assign(text);
  } else {
    const auto last = text.rfind('"');
    unquoted.assign(text.substr(0, first));
    unquoted += "\x01";  // a marker no word contains, replaced below
    if (last > first) unquoted.append(text.substr(last + 1));
  }
  std::string out;
  out.reserve(unquoted.size());
  std::size_t i = 0;
  while (i < unquoted.size()) {
    if (!word_char(unquoted[i])) {
      out += unquoted[i++];
      continue;
    }
    std::size_t j = i;
    while (j < unquoted.size() && word_char(unquoted[j])) ++j;
    // Punctuation around a word ("10.0.0.1:5004->", "f0-18-98-42-85-d2.") is kept.
    std::size_t b = i, e = j;
    while (b < e && (unquoted[b] == '[' || unquoted[b] == '-')) ++b;
    while (e > b && (unquoted[e - 1] == '.' || unquoted[e - 1] == ':' || unquoted[e - 1] == '-' ||
                     unquoted[e - 1] == ']')) {
      --e;
    }
    const std::string_view as = classify(std::string_view(unquoted.data() + b, e - b));
    if (as.empty()) {
      out.append(unquoted, i, j - i);
    } else {
      out.append(unquoted, i, b - i);
      out.append(as);
      out.append(unquoted, e, j - e);
    }
    i = j;
  }
  if (const auto m = out.find('\x01'); m != std::string::npos) out.replace(m, 1, "\"<redacted>\"");
  return out;
}

std::uint64_t RejectCounters::total() const noexcept {
  std::uint64_t sum = 0;
  for (const auto c : counts_) sum += c;
  return sum;
}

}  // namespace callroot::ingest
