#include "ingest/zmtp.h"

#include <strings.h>

#include <algorithm>
#include <cstring>

namespace callroot::ingest {

namespace {

constexpr std::string_view kIssueCodes[] = {
#define CALLROOT_X(id, code, text) code,
    CALLROOT_ZMTP_ISSUES(CALLROOT_X)
#undef CALLROOT_X
};
constexpr std::string_view kIssueTexts[] = {
#define CALLROOT_X(id, code, text) text,
    CALLROOT_ZMTP_ISSUES(CALLROOT_X)
#undef CALLROOT_X
};

constexpr std::uint8_t kMore = 0x01, kLong = 0x02, kCommand = 0x04;
// Commands are small (READY carries a few properties); longer ones are skipped unread.
constexpr std::uint64_t kMaxCommandBytes = 64 << 10;
bool type_char(std::uint8_t c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

std::uint64_t be64(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

enum class Candidate : std::uint8_t { kNo, kMore, kYes };

/// Does a callroot record [type, {json}] start at s[i]?
Candidate record_at(const std::string& s, std::size_t i, std::uint64_t max_bytes) noexcept {
  const auto* b = reinterpret_cast<const std::uint8_t*>(s.data());
  const std::size_t n = s.size();
  if (b[i] != kMore) return Candidate::kNo;
  if (i + 2 > n) return Candidate::kMore;
  const std::size_t len = b[i + 1];
  if (i + 2 + len + 1 > n) return Candidate::kMore;
  for (std::size_t k = 0; k < len; ++k) {
    if (!type_char(b[i + 2 + k])) return Candidate::kNo;
  }
  const std::size_t f2 = i + 2 + len;
  if (b[f2] != 0x00 && b[f2] != kLong) return Candidate::kNo;  // the last frame of a message
  if (b[f2] == 0x00) {
    if (f2 + 2 > n) return Candidate::kMore;
    const std::size_t size = b[f2 + 1];
    if (size < 2) return Candidate::kNo;
    const std::size_t body = f2 + 2;
    if (body + size > n) return Candidate::kMore;
    if (b[body] != '{') return Candidate::kNo;
    std::size_t last = body + size - 1;
    while (last > body && (b[last] == ' ' || b[last] == '\n' || b[last] == '\r' || b[last] == '\t')) --last;
    return b[last] == '}' ? Candidate::kYes : Candidate::kNo;
  }
  if (f2 + 10 > n) return Candidate::kMore;
  const std::uint64_t size = be64(b + f2 + 1);
  if (size < 256 || size > max_bytes) return Candidate::kNo;  // shorter bodies use short frames
  return b[f2 + 9] == '{' ? Candidate::kYes : Candidate::kNo;
}

}  // namespace

std::string_view code(ZmtpIssue issue) noexcept { return kIssueCodes[static_cast<std::size_t>(issue)]; }
std::string_view description(ZmtpIssue issue) noexcept { return kIssueTexts[static_cast<std::size_t>(issue)]; }

ZmtpDecoder::ZmtpDecoder(MessageSink sink, ZmtpOptions options) : sink_(std::move(sink)), options_(options) {}

void ZmtpDecoder::start_midstream() {
  // A capture that starts between the handshake and the greeting still has it.
  if (state_ == State::kGreeting && greeting_len_ == 0) {
    maybe_midstream_ = true;
    return;
  }
  issue(ZmtpIssue::kMidstream);
  lose_framing();
}

void ZmtpDecoder::lose_framing() {
  type_.clear();
  body_.clear();
  frames_ = 0;
  message_bytes_ = 0;
  too_large_ = false;
  target_ = nullptr;
  greeting_len_ = 0;
  scan_.clear();
  state_ = State::kResync;
}

void ZmtpDecoder::on_gap(std::uint64_t bytes) {
  issue(ZmtpIssue::kGap);
  counters_.skipped_bytes += bytes;
  if (state_ != State::kRefused) lose_framing();
}

void ZmtpDecoder::on_data(const std::uint8_t* p, std::size_t n) {
  std::string hold;  // bytes to decode again after resynchronising
  while (n > 0) {
    switch (state_) {
      case State::kRefused: counters_.skipped_bytes += n; return;
      case State::kGreeting: {
        const std::size_t used = feed_greeting(p, n);
        p += used;
        n -= used;
        break;
      }
      case State::kResync: {
        scan_.append(reinterpret_cast<const char*>(p), n);
        n = 0;
        std::size_t i = 0;
        bool found = false;
        for (; i < scan_.size(); ++i) {
          const Candidate c = record_at(scan_, i, options_.max_message_bytes);
          if (c == Candidate::kYes) {
            found = true;
            break;
          }
          if (c == Candidate::kMore) break;
        }
        // Bytes before the candidate (all of them when there is none) are given up.
        counters_.skipped_bytes += i;
        if (!found) {
          scan_.erase(0, i);
          return;
        }
        ++counters_.resyncs;
        std::string rest(scan_, i);
        scan_.clear();
        hold.swap(rest);
        p = reinterpret_cast<const std::uint8_t*>(hold.data());
        n = hold.size();
        state_ = State::kFlags;
        break;
      }
      default: {
        const std::size_t used = feed_frames(p, n);
        p += used;
        n -= used;
        break;
      }
    }
  }
}

std::size_t ZmtpDecoder::feed_greeting(const std::uint8_t* p, std::size_t n) {
  std::size_t used = 0;
  while (used < n && greeting_len_ < greeting_.size()) {
    greeting_[greeting_len_++] = p[used++];
    const std::size_t at = greeting_len_;
    if ((at == 1 && greeting_[0] != 0xFF) || (at == 10 && (greeting_[9] & 1) == 0)) {
      // Not a greeting: perhaps a connection whose start was not captured.
      issue(maybe_midstream_ && at == 1 ? ZmtpIssue::kMidstream : ZmtpIssue::kBadGreeting);
      lose_framing();
      return at == 1 ? used - 1 : used;
    }
    if (at == 11 && greeting_[10] < 3) {
      issue(ZmtpIssue::kVersion);
      state_ = State::kRefused;
      return used;
    }
  }
  if (greeting_len_ < greeting_.size()) return used;
  const auto* mech = reinterpret_cast<const char*>(greeting_.data() + 12);
  mechanism_.assign(mech, strnlen(mech, 20));
  if (mechanism_ != "NULL" && mechanism_ != "PLAIN") {
    issue(ZmtpIssue::kMechanism);
    state_ = State::kRefused;
    return used;
  }
  greeted_ = true;
  state_ = State::kFlags;
  return used;
}

std::size_t ZmtpDecoder::feed_frames(const std::uint8_t* p, std::size_t n) {
  std::size_t used = 0;
  while (used < n && (state_ == State::kFlags || state_ == State::kSize || state_ == State::kBody)) {
    if (state_ == State::kFlags) {
      flags_ = p[used++];
      if ((flags_ & 0xF8) != 0) {
        issue(ZmtpIssue::kBadFrame);
        lose_framing();
        return used;
      }
      size_need_ = (flags_ & kLong) != 0 ? 8 : 1;
      size_len_ = 0;
      state_ = State::kSize;
    } else if (state_ == State::kSize) {
      size_bytes_[size_len_++] = p[used++];
      if (size_len_ < size_need_) continue;
      frame_size_ = size_need_ == 8 ? be64(size_bytes_.data()) : size_bytes_[0];
      frame_read_ = 0;
      begin_frame_body();
      if (frame_size_ == 0) end_frame();
    } else {
      const std::uint64_t want = frame_size_ - frame_read_;
      const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(want, n - used));
      if (target_ != nullptr) target_->append(reinterpret_cast<const char*>(p + used), take);
      used += take;
      frame_read_ += take;
      if (frame_read_ == frame_size_) end_frame();
    }
  }
  return used;
}

void ZmtpDecoder::begin_frame_body() {
  state_ = State::kBody;
  if ((flags_ & kCommand) != 0) {
    command_.clear();
    target_ = frame_size_ <= kMaxCommandBytes ? &command_ : nullptr;
    return;
  }
  ++frames_;
  message_bytes_ += frame_size_;
  if (message_bytes_ > options_.max_message_bytes || frame_size_ > options_.max_message_bytes) {
    too_large_ = true;
    type_.clear();
    body_.clear();
  }
  target_ = nullptr;
  if (too_large_) return;
  if (frames_ == 1) {
    type_.clear();
    target_ = &type_;
  } else if (frames_ == 2) {
    body_.clear();
    target_ = &body_;
  }
  if (target_ != nullptr)
    target_->reserve(static_cast<std::size_t>(std::min<std::uint64_t>(frame_size_, 1u << 20)) + kZmtpPadding);
}

void ZmtpDecoder::end_frame() {
  ++counters_.frames;
  state_ = State::kFlags;
  target_ = nullptr;
  if ((flags_ & kCommand) != 0) {
    ++counters_.commands;
    read_command();
    return;
  }
  if ((flags_ & kMore) != 0) return;
  ZmtpMessage m;
  m.frames = frames_;
  m.too_large = too_large_;
  if (too_large_) {
    issue(ZmtpIssue::kTooLarge);
  } else {
    m.type = type_;
    const std::size_t len = body_.size();
    body_.append(kZmtpPadding, '\0');
    m.body = std::string_view(body_.data(), len);
  }
  ++counters_.messages;
  sink_(m);
  type_.clear();
  body_.clear();
  frames_ = 0;
  message_bytes_ = 0;
  too_large_ = false;
}

void ZmtpDecoder::read_command() {
  // [name length][name][properties: name length, name, 4-byte value length, value]...
  const auto* b = reinterpret_cast<const std::uint8_t*>(command_.data());
  const std::size_t n = command_.size();
  if (n < 1 || 1 + static_cast<std::size_t>(b[0]) > n) return;
  const std::string_view name(command_.data() + 1, b[0]);
  if (name != "READY") return;
  std::size_t at = 1 + b[0];
  while (at < n) {
    const std::size_t klen = b[at];
    if (at + 1 + klen + 4 > n) return;
    const std::string_view key(command_.data() + at + 1, klen);
    const std::size_t vat = at + 1 + klen;
    const std::size_t vlen = (static_cast<std::size_t>(b[vat]) << 24) | (static_cast<std::size_t>(b[vat + 1]) << 16) |
                             (static_cast<std::size_t>(b[vat + 2]) << 8) | b[vat + 3];
    if (vat + 4 + vlen > n) return;
    if (klen == 11 && strncasecmp(key.data(), "Socket-Type", 11) == 0) {
      socket_type_.assign(command_.data() + vat + 4, std::min<std::size_t>(vlen, 32));
    }
    at = vat + 4 + vlen;
  }
}

}  // namespace callroot::ingest
