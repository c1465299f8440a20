#pragma once
/// CurveZMQ for the daemon's sockets: key files, and the ZAP handler that
/// admits only the clients whose public keys are in an allow-list folder.
///
/// Keys are ZeroMQ's Z85 text (40 characters for 32 bytes). A key pair is two
/// files, written by `callroot keygen NAME`: `NAME.key` (public and secret
/// key, mode 0600) and `NAME.pub` (the public key alone, to hand out). The
/// daemon reads its own `.key`, refusing one that others may read, and admits
/// a client when the client's `.pub` is in the allow-list folder; the folder
/// is read again on SIGHUP. See docs/security.md.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <spdlog/logger.h>
#include <zmq.hpp>

namespace callroot::runtime {

struct CurveKeyPair {
  std::string public_key;  ///< Z85, 40 characters
  std::string secret_key;  ///< Z85, 40 characters
};

/// A new key pair (libzmq's, from libsodium's random source).
CurveKeyPair generate_curve_key_pair();

/// Writes `base.key` (mode 0600) and `base.pub` (0644); never overwrites:
/// throws std::runtime_error naming the file that exists or cannot be written.
void write_curve_key_pair(const std::string& base, const CurveKeyPair& keys);

/// Reads a `.key` file; throws std::runtime_error (file, line, what) on a
/// malformed file or one that the group or others may read.
CurveKeyPair read_curve_secret_file(const std::string& path);

/// Reads a `.pub` file (or the `public-key` line of a `.key` file); throws
/// std::runtime_error on a malformed one.
std::string read_curve_public_file(const std::string& path);

/// Whether binding `endpoint` exposes the socket beyond this machine:
/// anything but loopback TCP, `ipc://` and `inproc://` (a host or interface
/// name counts as exposed, since it may resolve anywhere).
bool exposed_endpoint(const std::string& endpoint);

/// The ZAP handler (RFC 27) of one ZeroMQ context: every CURVE handshake on a
/// socket of that context with a ZAP domain is decided here. Runs on a thread
/// of its own; construct it before the sockets bind.
class CurveAuthenticator {
 public:
  /// Reads the allow-list folder (`*.pub` files); throws std::runtime_error
  /// when it cannot be read or holds a malformed key.
  CurveAuthenticator(zmq::context_t& context, std::string allow_dir, std::shared_ptr<spdlog::logger> log);
  ~CurveAuthenticator();
  CurveAuthenticator(const CurveAuthenticator&) = delete;
  CurveAuthenticator& operator=(const CurveAuthenticator&) = delete;

  /// Reads the folder again (SIGHUP). On an error the old list stays and
  /// the error is logged; returns whether the new list is in force.
  bool reload();

  [[nodiscard]] std::size_t allowed_keys() const;
  [[nodiscard]] std::uint64_t accepted() const noexcept { return accepted_.load(); }
  [[nodiscard]] std::uint64_t refused() const noexcept { return refused_.load(); }

 private:
  [[nodiscard]] std::set<std::string> read_allow_list() const;
  void serve();
  bool admits(const std::string& public_z85);

  zmq::context_t& context_;
  std::string allow_dir_;
  std::shared_ptr<spdlog::logger> log_;
  mutable std::mutex mutex_;
  std::set<std::string> allowed_;  // Z85 public keys, guarded by mutex_
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<bool> stop_{false};
  zmq::socket_t handler_;  // bound before the thread starts, so no handshake can come before it
  std::thread thread_;
};

}  // namespace callroot::runtime
