#pragma once
// A real nats-server with JetStream for tests and benchmarks: started on a
// free loopback port with its store in a fresh folder, stopped (and the
// folder removed) when the object goes. Debian's `nats-server` package.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>

namespace callroot::testing {

class NatsServer {
 public:
  /// Starts `nats-server -js -sd DIR -a 127.0.0.1 -p PORT` and waits until it
  /// takes connections; throws std::runtime_error naming what failed.
  NatsServer();
  ~NatsServer();
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  [[nodiscard]] std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] int port() const noexcept { return port_; }
  /// Its log (stderr), for a failed test's message.
  [[nodiscard]] std::string log() const;

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace callroot::testing
