#pragma once
// The sockets a test uses to talk to a running `callroot run`.

#include <string>
#include <zmq.hpp>

namespace callroot::runtime::testing {

/// A SUB socket on the daemon's PUB, subscribed to `prefix`; a receive waits at most 200 ms.
inline zmq::socket_t subscriber(zmq::context_t& ctx, const std::string& endpoint, const std::string& prefix) {
  zmq::socket_t s(ctx, zmq::socket_type::sub);
  s.set(zmq::sockopt::subscribe, prefix);
  s.set(zmq::sockopt::rcvtimeo, 200);
  s.connect(endpoint);
  return s;
}

/// A PUSH socket to the daemon's PULL. A send fails after 10 s: a daemon that
/// died must fail the test, not hang it.
inline zmq::socket_t pusher(zmq::context_t& ctx, const std::string& endpoint) {
  zmq::socket_t s(ctx, zmq::socket_type::push);
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::sndtimeo, 10'000);
  s.connect(endpoint);
  return s;
}

}  // namespace callroot::runtime::testing
