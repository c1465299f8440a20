#pragma once
/// ZMTP 3.x (RFC 23/ZMTP, 37/ZMTP) from one direction of a reassembled TCP
/// connection: the bytes a PUB or PUSH peer sends to callroot's SUB or PULL
/// socket, as a capture saw them. Yields the messages the socket would have
/// received, so that a capture of the daemon's ingest replays to the records
/// the daemon read.
///
/// - **Greeting** (64 bytes): signature 0xFF, 8 bytes, 0x7F; version 3.x
///   (ZMTP 1.0/2.0 peers are refused: `zmtp_version`); mechanism NULL or
///   PLAIN (both send messages in clear; PLAIN's HELLO/WELCOME/INITIATE are
///   commands like READY). CURVE encrypts messages: `zmtp_mechanism`, and the
///   rest of the connection is skipped.
/// - **Frames**: a flags byte (MORE 0x01, LONG 0x02, COMMAND 0x04; other bits
///   set are a protocol error), a 1- or 8-byte size, the body. Commands
///   (READY, SUBSCRIBE, PING, ...) are skipped; READY's Socket-Type is kept.
/// - **Messages**: frames up to the first without MORE. The first two frames
///   are kept (type and JSON body, as `ZmqSource` hands them out); others
///   are only counted, so a malformed sender cannot grow memory. A message
///   over `max_message_bytes` is skipped by its declared sizes and reported
///   `too_large` (libzmq's ZMQ_MAXMSGSIZE would have refused it).
/// - **Resynchronisation.** After a gap in the TCP stream, or when the
///   capture began after the greeting, the framing is lost. The decoder then
///   looks for the start of a callroot record: a short frame with MORE
///   holding a record type (letters, digits, `.`, `_`, `-`), then a last
///   frame whose body starts with `{`. JSON bodies hold no control bytes, so
///   a false match inside a body needs a chance alignment of sizes and
///   braces; counted as `resyncs`, with the bytes skipped.

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "ingest/tcp_reassembly.h"

namespace callroot::ingest {

#define CALLROOT_ZMTP_ISSUES(X)                                                                  \
  X(kBadGreeting, "bad_greeting", "the connection does not start with a ZMTP signature")         \
  X(kVersion, "zmtp_version", "a ZMTP version before 3.0")                                       \
  X(kMechanism, "zmtp_mechanism", "a security mechanism that encrypts (CURVE, GSSAPI): skipped") \
  X(kBadFrame, "bad_frame", "reserved flag bits set: the framing is lost")                       \
  X(kTooLarge, "too_large", "a message over the size limit")                                     \
  X(kGap, "gap", "bytes missing from the TCP stream (not captured)")                             \
  X(kMidstream, "midstream", "the capture began after the connection's greeting")

enum class ZmtpIssue : std::uint8_t {
#define CALLROOT_X(id, code, text) id,
  CALLROOT_ZMTP_ISSUES(CALLROOT_X)
#undef CALLROOT_X
};
inline constexpr std::size_t kZmtpIssueCount = 0
#define CALLROOT_X(id, code, text) +1
    CALLROOT_ZMTP_ISSUES(CALLROOT_X)
#undef CALLROOT_X
    ;
std::string_view code(ZmtpIssue issue) noexcept;
std::string_view description(ZmtpIssue issue) noexcept;

struct ZmtpOptions {
  std::uint64_t max_message_bytes = 64ull << 20;  ///< as ZmqSource's ZMQ_MAXMSGSIZE
};

/// One message as the socket would deliver it.
struct ZmtpMessage {
  std::string_view type;     ///< frame 1
  std::string_view body;     ///< frame 2, followed by kZmtpPadding readable bytes
  std::uint64_t frames = 0;  ///< how many frames the message had
  bool too_large = false;    ///< skipped for its size: type and body are empty
};

/// Readable bytes after every body, for simdjson (its SIMDJSON_PADDING).
inline constexpr std::size_t kZmtpPadding = 64;

struct ZmtpCounters {
  std::uint64_t messages = 0;
  std::uint64_t commands = 0;
  std::uint64_t frames = 0;
  std::uint64_t resyncs = 0;
  std::uint64_t skipped_bytes = 0;  ///< not decoded: looking for a record after lost framing, or a refused connection
  std::array<std::uint64_t, kZmtpIssueCount> issues{};
  [[nodiscard]] std::uint64_t count(ZmtpIssue i) const noexcept { return issues[static_cast<std::size_t>(i)]; }
};

class ZmtpDecoder final : public TcpSink {
 public:
  using MessageSink = std::function<void(const ZmtpMessage&)>;

  ZmtpDecoder(MessageSink sink, ZmtpOptions options = {});

  /// The capture may have begun after the greeting: unless the first byte
  /// starts one, look for a record's frames (counted `midstream`).
  void start_midstream();
  void on_data(const std::uint8_t* data, std::size_t len) override;
  void on_gap(std::uint64_t bytes) override;

  [[nodiscard]] const ZmtpCounters& counters() const noexcept { return counters_; }
  [[nodiscard]] bool greeted() const noexcept { return greeted_; }
  [[nodiscard]] bool refused() const noexcept { return state_ == State::kRefused; }
  [[nodiscard]] std::string_view mechanism() const noexcept { return mechanism_; }
  /// The peer's socket type from its READY command ("PUSH", "PUB"), if seen.
  [[nodiscard]] std::string_view socket_type() const noexcept { return socket_type_; }
  [[nodiscard]] unsigned version_major() const noexcept { return greeting_[10]; }
  [[nodiscard]] unsigned version_minor() const noexcept { return greeting_[11]; }

 private:
  enum class State : std::uint8_t { kGreeting, kFlags, kSize, kBody, kResync, kRefused };
  void issue(ZmtpIssue i) noexcept { ++counters_.issues[static_cast<std::size_t>(i)]; }
  std::size_t feed_greeting(const std::uint8_t* p, std::size_t n);
  std::size_t feed_frames(const std::uint8_t* p, std::size_t n);
  void feed_resync(const std::uint8_t* p, std::size_t n);
  void begin_frame_body();
  void end_frame();
  void read_command();
  void lose_framing();

  MessageSink sink_;
  ZmtpOptions options_;
  State state_ = State::kGreeting;
  std::array<std::uint8_t, 64> greeting_{};
  std::size_t greeting_len_ = 0;
  bool greeted_ = false;
  bool maybe_midstream_ = false;
  std::string mechanism_;
  std::string socket_type_;

  // The frame being read.
  std::uint8_t flags_ = 0;
  std::array<std::uint8_t, 8> size_bytes_{};
  std::size_t size_len_ = 0, size_need_ = 0;
  std::uint64_t frame_size_ = 0, frame_read_ = 0;
  std::string* target_ = nullptr;  // where the body goes; nullptr: skipped

  // The message being read.
  std::uint64_t frames_ = 0;
  std::uint64_t message_bytes_ = 0;
  bool too_large_ = false;
  std::string type_, body_, command_;
  std::string scan_;  // resynchronisation window
  ZmtpCounters counters_;
};

}  // namespace callroot::ingest
