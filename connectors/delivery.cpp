#include "connectors/delivery.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "connectors/secret.h"

namespace callroot::connectors {

std::string envelope(std::string_view type, std::string_view body) {
  std::string line = R"({"type":)";
  line += nlohmann::json(std::string(type)).dump();
  line += R"(,"body":)";
  line += body;
  line += '}';
  return line;
}

JsonlFileSink::JsonlFileSink(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) throw ConfigError("--out " + path + ": " + std::strerror(errno));
}

JsonlFileSink::~JsonlFileSink() {
  if (fd_ >= 0) ::close(fd_);
}

std::string JsonlFileSink::deliver(std::string_view type, std::string_view body) {
  const std::string line = envelope(type, body) + '\n';
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return path_ + ": " + std::strerror(errno);
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0) return path_ + ": " + std::strerror(errno);
  return {};
}

ZmqPushSink::ZmqPushSink(zmq::context_t& context, const std::string& endpoint, std::chrono::milliseconds send_timeout)
    : endpoint_(endpoint), socket_(context, zmq::socket_type::push) {
  socket_.set(zmq::sockopt::sndtimeo, static_cast<int>(send_timeout.count()));
  // At exit, what was queued must still reach the daemon.
  socket_.set(zmq::sockopt::linger, static_cast<int>(send_timeout.count()));
  try {
    socket_.connect(endpoint);
  } catch (const zmq::error_t& e) {
    throw ConfigError("--push " + endpoint + ": " + e.what());
  }
}

std::string ZmqPushSink::deliver(std::string_view type, std::string_view body) {
  try {
    if (!socket_.send(zmq::buffer(type), zmq::send_flags::sndmore) ||
        !socket_.send(zmq::buffer(body), zmq::send_flags::none)) {
      return endpoint_ + ": the daemon did not take the record in time";
    }
  } catch (const zmq::error_t& e) {
    return endpoint_ + ": " + e.what();
  }
  return {};
}

std::string CorrelatorSink::deliver(std::string_view type, std::string_view body) {
  line_ = envelope(type, body);
  correlator_.push(line_);
  return {};
}

}  // namespace callroot::connectors
