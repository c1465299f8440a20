#include "ingest/zmq_source.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace callroot::ingest {
namespace {

/// A zmq::error_t whose text names the endpoint, so "Address already in use"
/// says which address. Callers still catch it as zmq::error_t.
class BindError : public zmq::error_t {
 public:
  BindError(int err, const std::string& endpoint)
      : zmq::error_t(err), message_("cannot bind " + endpoint + ": " + zmq_strerror(err)) {}
  [[nodiscard]] const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

// No record comes near this; it stops one hostile peer from making us buffer gigabytes.
constexpr std::int64_t kMaxMessageBytes = 64 << 20;
// The first frame of a malformed message is echoed at most this long, for the log.
constexpr std::size_t kMaxTypeEcho = 128;

/// Who sent `msg`, for the log: " from <address>" (TCP peers; ipc and inproc
/// have none), plus the CURVE key the ZAP handler admitted when there is one.
std::string sender_of(zmq::message_t& msg) {
  const auto property = [&](const char* name) {
    const char* value = zmq_msg_gets(msg.handle(), name);
    return std::string(value != nullptr ? value : "");
  };
  const std::string address = property("Peer-Address");
  const std::string key = property("User-Id");
  std::string out = address.empty() ? "" : " from " + address;
  if (!key.empty()) out += address.empty() ? " from key " + key : " (key " + key + ")";
  return out;
}

}  // namespace

void make_curve_server(zmq::socket_t& socket, const std::string& secret_key) {
  socket.set(zmq::sockopt::curve_server, true);
  socket.set(zmq::sockopt::curve_secretkey, secret_key);
  // A ZAP domain makes libzmq ask the handler even where no handler would mean "allow all".
  socket.set(zmq::sockopt::zap_domain, "callroot");
}

ZmqSource::ZmqSource(zmq::context_t& context, ZmqSourceOptions options) {
  auto add = [&](zmq::socket_type type, const std::string& endpoint) {
    Socket s{zmq::socket_t(context, type), endpoint, 0};
    s.socket.set(zmq::sockopt::rcvhwm, options.receive_hwm);
    s.socket.set(zmq::sockopt::maxmsgsize, kMaxMessageBytes);
    s.socket.set(zmq::sockopt::linger, 0);  // a receiver has nothing to flush at close
    if (type == zmq::socket_type::sub) s.socket.set(zmq::sockopt::subscribe, "");
    // In-process peers (the capture thread) share our address space: nothing to authenticate.
    if (!options.curve_secret_key.empty() && endpoint.rfind("inproc://", 0) != 0) {
      make_curve_server(s.socket, options.curve_secret_key);
    }
    try {
      s.socket.bind(endpoint);
    } catch (const zmq::error_t& e) {
      throw BindError(e.num(), endpoint);
    }
    // Positions and logs show the real port when the option asked for `*`.
    s.endpoint = s.socket.get(zmq::sockopt::last_endpoint);
    spdlog::debug("ingest: {} bound on {}", type == zmq::socket_type::sub ? "SUB" : "PULL", s.endpoint);
    sockets_.push_back(std::move(s));
  };
  for (const auto& ep : options.sub_endpoints) add(zmq::socket_type::sub, ep);
  for (const auto& ep : options.pull_endpoints) add(zmq::socket_type::pull, ep);
  for (auto& s : sockets_) poll_.push_back({s.socket.handle(), 0, ZMQ_POLLIN, 0});
  frames_.resize(3);  // type, body, and a slot that drains any extra frames
}

std::vector<std::string> ZmqSource::endpoints() const {
  std::vector<std::string> out;
  out.reserve(sockets_.size());
  for (const auto& s : sockets_) out.push_back(s.endpoint);
  return out;
}

bool ZmqSource::receive(ZmqRecord& out, std::chrono::milliseconds timeout) {
  if (sockets_.empty()) return false;
  const std::size_t n = sockets_.size();
  // Try every socket without waiting first: under load a poll per message is wasted work.
  for (int attempt = 0; attempt < 2; ++attempt) {
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = (next_ + k) % n;
      if (read_from(sockets_[i], out)) {
        next_ = (i + 1) % n;
        return true;
      }
    }
    if (attempt == 1) break;
    try {
      if (zmq::poll(poll_, timeout) == 0) return false;
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) return false;  // a signal: let the caller look at its stop flag
      throw;
    }
  }
  return false;
}

bool ZmqSource::read_from(Socket& s, ZmqRecord& out) {
  // One huge message must not pin its size in memory for the life of the
  // process: the last message's buffers (no longer in use: views are valid
  // until the next receive) are given back when they grew past a few MiB.
  constexpr std::size_t kKeptBytes = 4 << 20;
  if (buffer_.capacity() > kKeptBytes) std::string().swap(buffer_);
  for (zmq::message_t& f : frames_) {
    if (f.size() > kKeptBytes) f.rebuild();
  }
  zmq::message_t& first = frames_[0];
  if (!s.socket.recv(first, zmq::recv_flags::dontwait)) return false;
  std::size_t count = 1;
  std::size_t bytes = first.size();
  bool more = first.more();
  // The rest of a multipart message is already queued whole. Frames past the
  // second all land in one scratch slot, so a malformed sender cannot grow memory.
  while (more) {
    zmq::message_t& target = frames_[count < 2 ? 1 : 2];
    if (!s.socket.recv(target, zmq::recv_flags::none)) break;
    more = target.more();
    ++count;
    bytes += target.size();
  }
  ++s.sequence;
  out.socket = s.endpoint;
  out.sequence = s.sequence;
  // libzmq names a connection by its file descriptor (-1 for inproc); with
  // the socket's index it tells the peers of one bound socket apart.
  const int fd = zmq_msg_get(first.handle(), ZMQ_SRCFD);
  out.peer = static_cast<std::uint64_t>(&s - sockets_.data() + 1) << 32 | static_cast<std::uint32_t>(fd + 1);

  type_.assign(static_cast<const char*>(first.data()), first.size());
  if (count == 2) {
    const zmq::message_t& body = frames_[1];
    buffer_.resize(body.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(buffer_.data(), body.data(), body.size());
    out.type = type_;
    out.body = std::string_view(buffer_.data(), body.size());
    out.malformed = false;
    return true;
  }
  if (type_.size() > kMaxTypeEcho) type_.resize(kMaxTypeEcho);
  buffer_ = "expected 2 frames (type, JSON body), got " + std::to_string(count) + " (" + std::to_string(bytes) +
            " bytes)" + sender_of(first);
  const std::size_t length = buffer_.size();
  buffer_.resize(length + simdjson::SIMDJSON_PADDING);
  out.type = type_;
  out.body = std::string_view(buffer_.data(), length);
  out.malformed = true;
  return true;
}

}  // namespace callroot::ingest
