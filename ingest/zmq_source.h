#pragma once
/// Receives records over ZeroMQ: a SUB socket (bound, subscribed to every
/// type) and a PULL socket (bound), both carrying two-frame messages:
/// frame 1 the record type, frame 2 the JSON object.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

namespace callroot::ingest {

struct ZmqSourceOptions {
  std::vector<std::string> sub_endpoints{"tcp://127.0.0.1:7710"};
  std::vector<std::string> pull_endpoints{"tcp://127.0.0.1:7711"};
  int receive_hwm = 100'000;  ///< ZeroMQ queues at most this many messages per socket, then drops (SUB) or blocks the sender (PULL)
  /// CurveZMQ: this server's secret key (Z85); empty: the NULL mechanism.
  /// With a key every peer must be a CURVE client that the context's ZAP
  /// handler admits (tools/curve.h); the sockets use the ZAP domain "callroot".
  std::string curve_secret_key;
};

/// Makes `socket` a CurveZMQ server with `secret_key` (Z85), consulting the
/// context's ZAP handler for every peer. Call before bind.
void make_curve_server(zmq::socket_t& socket, const std::string& secret_key);

/// One received message. The views stay valid until the next receive().
struct ZmqRecord {
  std::string_view type;
  std::string_view body;     ///< padded: SIMDJSON_PADDING readable bytes follow
  std::string_view socket;   ///< the endpoint it arrived on, for positions
  std::uint64_t sequence = 0;  ///< per-socket message number, 1-based
  /// The connection it came over (the socket and the peer's connection),
  /// stable while the peer stays connected: a clock source for the engine.
  std::uint64_t peer = 0;
  bool malformed = false;      ///< not two frames: `body` holds a description
};

class ZmqSource {
 public:
  /// Binds the sockets; throws zmq::error_t with the endpoint on failure.
  ZmqSource(zmq::context_t& context, ZmqSourceOptions options);

  /// Waits up to `timeout` for a message; false when none arrived.
  bool receive(ZmqRecord& out, std::chrono::milliseconds timeout);

  /// The bound endpoints, SUB first then PULL, with wildcard ports
  /// (`tcp://127.0.0.1:*`) resolved to the port the system picked.
  [[nodiscard]] std::vector<std::string> endpoints() const;

 private:
  struct Socket {
    zmq::socket_t socket;
    std::string endpoint;
    std::uint64_t sequence = 0;
  };
  bool read_from(Socket& s, ZmqRecord& out);

  std::vector<Socket> sockets_;
  std::vector<zmq::pollitem_t> poll_;
  std::size_t next_ = 0;  // round-robin start, so one busy socket cannot starve another
  std::vector<zmq::message_t> frames_;
  std::string type_;
  std::string buffer_;  // body plus padding
};

}  // namespace callroot::ingest
