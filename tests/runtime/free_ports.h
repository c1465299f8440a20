#pragma once
// Ports for tests that start daemons: a block of consecutive TCP ports the
// kernel reports free on loopback. The kernel picks the first from its
// ephemeral range at random, so tests running side by side (ctest -j, each in
// a process of its own) do not pick the same block, as ports derived from
// the process id did.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <vector>

namespace callroot::runtime::testing {

/// The first of `n` consecutive ports free for TCP (and UDP) on 127.0.0.1.
inline int free_port_block(int n) {
  const auto bind_port = [](int type, int port) {
    const int fd = socket(AF_INET, type, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      if (fd >= 0) close(fd);
      return std::make_pair(-1, 0);
    }
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    return std::make_pair(fd, static_cast<int>(ntohs(addr.sin_port)));
  };
  for (int attempt = 0; attempt < 100; ++attempt) {
    const auto [first_fd, first] = bind_port(SOCK_STREAM, 0);
    if (first_fd < 0) continue;
    std::vector<int> held{first_fd};
    bool all = first + n <= 65536;
    for (int i = 0; all && i < n; ++i) {
      if (i > 0) {
        const auto [fd, port] = bind_port(SOCK_STREAM, first + i);
        if (fd < 0) all = false;
        else held.push_back(fd);
      }
      if (all) {
        const auto [udp, port] = bind_port(SOCK_DGRAM, first + i);
        if (udp < 0) all = false;
        else held.push_back(udp);
      }
    }
    for (const int fd : held) close(fd);
    if (all) return first;
  }
  throw std::runtime_error("no block of free ports on 127.0.0.1");
}

}  // namespace callroot::runtime::testing
