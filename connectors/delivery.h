#pragma once
/// Where fetched documents go, in the framings of docs/contract.md: a JSON
/// Lines file of envelopes (`{"type":"graph.callRecord","body":{…}}`, what
/// `callroot replay` reads), a daemon's ZeroMQ PULL socket (frame 1 the
/// type, frame 2 the document), or an embedder's Correlator (the envelope).
/// The engine decides what a document yields: a connector does not filter.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include "runtime/correlator.h"

namespace callroot::connectors {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  /// Hands over one document (`body`: a JSON object on one line). Returns
  /// the error, empty when it was delivered; a failed delivery is not
  /// marked in the cursor, so the next poll tries it again.
  virtual std::string deliver(std::string_view type, std::string_view body) = 0;
};

/// `{"type":TYPE,"body":BODY}`: the JSON Lines envelope of a raw cloud document.
std::string envelope(std::string_view type, std::string_view body);

/// Appends envelopes to a file, each line written and synced before the
/// cursor moves past it.
class JsonlFileSink final : public RecordSink {
 public:
  /// Throws ConfigError when the file cannot be opened for appending.
  explicit JsonlFileSink(const std::string& path);
  ~JsonlFileSink() override;
  JsonlFileSink(const JsonlFileSink&) = delete;
  JsonlFileSink& operator=(const JsonlFileSink&) = delete;
  std::string deliver(std::string_view type, std::string_view body) override;

 private:
  std::string path_;
  int fd_ = -1;
};

/// A PUSH socket connected to a daemon's PULL endpoint (`callroot run`).
class ZmqPushSink final : public RecordSink {
 public:
  /// `send_timeout`: how long a send may wait for a daemon that does not read.
  /// Throws ConfigError when the endpoint is not one ZeroMQ can connect to.
  ZmqPushSink(zmq::context_t& context, const std::string& endpoint,
              std::chrono::milliseconds send_timeout = std::chrono::milliseconds(30'000));
  std::string deliver(std::string_view type, std::string_view body) override;

 private:
  std::string endpoint_;
  zmq::socket_t socket_;
};

/// In process: Correlator::push of the envelope. A document the decoder
/// rejects is still delivered (counted and logged by the pipeline).
class CorrelatorSink final : public RecordSink {
 public:
  explicit CorrelatorSink(runtime::Correlator& correlator) : correlator_(correlator) {}
  std::string deliver(std::string_view type, std::string_view body) override;

 private:
  runtime::Correlator& correlator_;
  std::string line_;
};

}  // namespace callroot::connectors
