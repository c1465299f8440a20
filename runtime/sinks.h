#pragma once
/// Verdict and incident sinks: JSON Lines to a stream, a readable table for
/// terminals, a ZeroMQ PUB socket, and a collector for tests.

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "engine/sink.h"

namespace callroot::runtime {

/// One JSON object per line; buffered, flushed by flush() and on destruction.
class JsonlSink final : public engine::VerdictSink {
 public:
  /// Writes to `file`, which the caller owns and keeps open.
  explicit JsonlSink(std::FILE* file) : file_(file) {}
  ~JsonlSink() override { flush(); }
  void on_verdict(const Verdict& v) override;
  /// Incident records go into the same stream, in the order the engine emits them.
  void on_incident(const Incident& x) override;
  void flush();

 private:
  std::FILE* file_;
  std::string buffer_;
};

/// A fixed-width table for a person at a terminal: one line per segment, and
/// a line of its own for each incident record.
/// Segment ids are written whole, so `rules explain --segment` takes them as
/// shown; with `width` (a terminal's columns) each line is cut to fit.
class TableSink final : public engine::VerdictSink {
 public:
  explicit TableSink(std::FILE* file, std::size_t width = 0) : file_(file), width_(width) {}
  void on_verdict(const Verdict& v) override;
  void on_incident(const Incident& x) override;

 private:
  void header();
  void write(std::string line);
  std::FILE* file_;
  std::size_t width_;
  bool header_done_ = false;
};

/// Passes on the poor segments' verdicts and every incident record (`--poor`).
class PoorOnlySink final : public engine::VerdictSink {
 public:
  explicit PoorOnlySink(engine::VerdictSink& next) : next_(next) {}
  void on_verdict(const Verdict& v) override;
  void on_incident(const Incident& x) override { next_.on_incident(x); }

 private:
  engine::VerdictSink& next_;
};

/// Publishes each verdict as a two-frame message ("verdict", JSON), each
/// incident record as ("incident", JSON), and whatever else the daemon
/// announces (a "checkpoint" acknowledgment) through publish().
class ZmqPubSink final : public engine::VerdictSink {
 public:
  /// Binds a PUB socket on each endpoint; throws zmq::error_t on failure.
  /// With `curve_secret_key` (Z85) only CURVE clients the context's ZAP
  /// handler admits may subscribe (tools/curve.h).
  ZmqPubSink(zmq::context_t& context, const std::vector<std::string>& endpoints,
             const std::string& curve_secret_key = {});
  void on_verdict(const Verdict& v) override;
  void on_incident(const Incident& x) override;
  /// Sends (`type`, `body`) as one two-frame message.
  void publish(std::string_view type, std::string_view body);
  [[nodiscard]] std::uint64_t published() const noexcept { return published_; }

 private:
  zmq::socket_t socket_;
  std::string buffer_;
  std::uint64_t published_ = 0;
};

/// Keeps every verdict and incident record; used by tests.
class CollectingSink final : public engine::VerdictSink {
 public:
  void on_verdict(const Verdict& v) override { verdicts.push_back(v); }
  void on_incident(const Incident& x) override { incidents.push_back(x); }
  std::vector<Verdict> verdicts;
  std::vector<Incident> incidents;
};

}  // namespace callroot::runtime
