#include "ingest/reject.h"

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

std::uint64_t RejectCounters::total() const noexcept {
  std::uint64_t sum = 0;
  for (const auto c : counts_) sum += c;
  return sum;
}

}  // namespace callroot::ingest
