#pragma once
/// Verdict sinks: JSON Lines to a stream, a readable table for terminals, a
/// ZeroMQ PUB socket, and a fan-out to several of them.

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "engine/sink.h"

namespace callroot::tools {

/// One JSON object per line; buffered, flushed by flush() and on destruction.
class JsonlSink final : public engine::VerdictSink {
 public:
  /// Writes to `file`, which the caller owns and keeps open.
  explicit JsonlSink(std::FILE* file) : file_(file) {}
  ~JsonlSink() override { flush(); }
  void on_verdict(const Verdict& v) override;
  void flush();

 private:
  std::FILE* file_;
  std::string buffer_;
};

/// A fixed-width table for a person at a terminal: one line per segment.
class TableSink final : public engine::VerdictSink {
 public:
  explicit TableSink(std::FILE* file) : file_(file) {}
  void on_verdict(const Verdict& v) override;

 private:
  std::FILE* file_;
  bool header_done_ = false;
};

/// Publishes each verdict as a two-frame message ("verdict", JSON).
class ZmqPubSink final : public engine::VerdictSink {
 public:
  /// Binds a PUB socket on each endpoint; throws zmq::error_t on failure.
  ZmqPubSink(zmq::context_t& context, const std::vector<std::string>& endpoints);
  void on_verdict(const Verdict& v) override;
  [[nodiscard]] std::uint64_t published() const noexcept { return published_; }

 private:
  zmq::socket_t socket_;
  std::string buffer_;
  std::uint64_t published_ = 0;
};

/// Counts verdicts and forwards them; used by tests and the summary.
class CollectingSink final : public engine::VerdictSink {
 public:
  void on_verdict(const Verdict& v) override { verdicts.push_back(v); }
  std::vector<Verdict> verdicts;
};

}  // namespace callroot::tools
