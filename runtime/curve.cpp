#include "runtime/curve.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

#include <zmq.h>

#include "models/text.h"
#include "runtime/new_file.h"

namespace callroot::runtime {
namespace {

constexpr std::size_t kZ85KeyChars = 40;
/// The ZAP endpoint is fixed by RFC 27: libzmq connects to it in the same context.
constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";

bool valid_z85_key(std::string_view k) {
  if (k.size() != kZ85KeyChars) return false;
  std::array<std::uint8_t, 32> raw{};
  const std::string copy(k);
  return zmq_z85_decode(raw.data(), copy.c_str()) != nullptr;
}

/// The keys of a key file: `public-key = ...` and `secret-key = ...` lines,
/// or a bare key (a `.pub` file). Z85 has `#` and `=` in its alphabet, so a
/// comment is a whole line starting with `#` and the name ends at the first `=`.
std::vector<std::pair<std::string, std::string>> key_lines(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  std::vector<std::pair<std::string, std::string>> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.size() > 1000) throw std::runtime_error(path + ":" + std::to_string(n) + ": line too long");
    const std::string_view text = trim(line);
    if (text.empty() || text.front() == '#') continue;
    bool named = false;
    for (const char* name : {"public-key", "secret-key"}) {
      const std::string_view prefix(name);
      if (text.substr(0, prefix.size()) != prefix) continue;
      const std::string_view rest = trim(text.substr(prefix.size()));
      if (rest.empty() || rest.front() != '=') continue;
      out.emplace_back(name, std::string(trim(rest.substr(1))));
      named = true;
    }
    if (!named) out.emplace_back("public-key", std::string(text));
  }
  return out;
}

/// The first characters of a public key, enough to tell keys apart in a log.
std::string key_id(const std::string& z85) { return escape_for_log(z85.substr(0, 8)); }

}  // namespace

CurveKeyPair generate_curve_key_pair() {
  char pub[kZ85KeyChars + 1] = {};
  char sec[kZ85KeyChars + 1] = {};
  if (zmq_curve_keypair(pub, sec) != 0) {
    throw std::runtime_error(std::string("cannot make a CURVE key pair: ") + zmq_strerror(zmq_errno()));
  }
  return CurveKeyPair{pub, sec};
}

void write_curve_key_pair(const std::string& base, const CurveKeyPair& keys) {
  const std::string header = "# callroot CurveZMQ key pair (Z85). Keep this file secret.\n";
  write_new_file(base + ".key",
                 header + "public-key = " + keys.public_key + "\nsecret-key = " + keys.secret_key + "\n", 0600);
  write_new_file(base + ".pub", keys.public_key + "\n", 0644);
}

CurveKeyPair read_curve_secret_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    throw std::runtime_error(path + ": the secret key may be read by the group or others (mode " +
                             std::to_string((st.st_mode >> 6) & 7) + std::to_string((st.st_mode >> 3) & 7) +
                             std::to_string(st.st_mode & 7) + "); chmod 600 it");
  }
  CurveKeyPair keys;
  for (const auto& [k, v] : key_lines(path)) {
    if (k == "public-key") keys.public_key = v;
    else if (k == "secret-key") keys.secret_key = v;
  }
  if (!valid_z85_key(keys.secret_key)) throw std::runtime_error(path + ": no valid `secret-key = <40 Z85 characters>`");
  if (!valid_z85_key(keys.public_key)) throw std::runtime_error(path + ": no valid `public-key = <40 Z85 characters>`");
  return keys;
}

std::string read_curve_public_file(const std::string& path) {
  for (const auto& [k, v] : key_lines(path)) {
    if (k == "public-key") {
      if (!valid_z85_key(v)) throw std::runtime_error(path + ": not a public key of 40 Z85 characters");
      return v;
    }
  }
  throw std::runtime_error(path + ": no public key");
}

bool exposed_endpoint(const std::string& endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0) return false;
  if (endpoint.rfind("tcp://", 0) != 0) return true;
  std::string host = endpoint.substr(6);
  // `tcp://[::1]:7711`, `tcp://127.0.0.1:7711`, `tcp://source;dest` (connect-side syntax) is not ours.
  if (host.rfind('[', 0) == 0) {
    const auto close = host.find(']');
    host = close == std::string::npos ? host : host.substr(1, close - 1);
  } else {
    host = host.substr(0, host.rfind(':'));
  }
  return !(host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0);
}

CurveAuthenticator::CurveAuthenticator(zmq::context_t& context, std::string allow_dir,
                                       std::shared_ptr<spdlog::logger> log)
    : context_(context), allow_dir_(std::move(allow_dir)), log_(std::move(log)), handler_(context, zmq::socket_type::rep) {
  allowed_ = read_allow_list();
  handler_.set(zmq::sockopt::linger, 0);
  handler_.set(zmq::sockopt::rcvtimeo, 100);  // so the thread sees stop_ soon
  handler_.bind(kZapEndpoint);
  thread_ = std::thread([this] { serve(); });
  log_->info("curve: {} client key(s) allowed from {}", allowed_.size(), allow_dir_);
}

CurveAuthenticator::~CurveAuthenticator() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::set<std::string> CurveAuthenticator::read_allow_list() const {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(allow_dir_, ec)) throw std::runtime_error(allow_dir_ + ": not a folder of client public keys");
  std::set<std::string> keys;
  for (const auto& entry : fs::directory_iterator(allow_dir_, ec)) {
    if (entry.path().extension() != ".pub" || !entry.is_regular_file()) continue;
    keys.insert(read_curve_public_file(entry.path().string()));
  }
  if (ec) throw std::runtime_error(allow_dir_ + ": " + ec.message());
  return keys;
}

bool CurveAuthenticator::reload() {
  try {
    std::set<std::string> keys = read_allow_list();
    const std::size_t n = keys.size();
    {
      const std::lock_guard lock(mutex_);
      allowed_ = std::move(keys);
    }
    log_->info("curve: allow-list reloaded, {} client key(s)", n);
    return true;
  } catch (const std::exception& e) {
    log_->warn("curve: allow-list not reloaded, the old one stays: {}", e.what());
    return false;
  }
}

std::size_t CurveAuthenticator::allowed_keys() const {
  const std::lock_guard lock(mutex_);
  return allowed_.size();
}

bool CurveAuthenticator::admits(const std::string& public_z85) {
  const std::lock_guard lock(mutex_);
  return allowed_.contains(public_z85);
}

void CurveAuthenticator::serve() {
  // Refusals are logged one by one up to this many, then one in kLogEvery:
  // a peer retrying with a wrong key must not flood the log.
  constexpr std::uint64_t kLogFirst = 20, kLogEvery = 1000;
  std::vector<zmq::message_t> request;
  while (!stop_) {
    request.clear();
    zmq::message_t frame;
    try {
      if (!handler_.recv(frame)) continue;  // the receive timeout: look at stop_
      request.push_back(std::move(frame));
      while (request.back().more()) {
        zmq::message_t next;
        if (!handler_.recv(next)) break;
        request.push_back(std::move(next));
      }
    } catch (const zmq::error_t&) {
      return;  // the context is going away
    }
    // version, request id, domain, address, identity, mechanism, credentials...
    if (request.size() < 6) continue;
    const std::string version = request[0].to_string();
    const std::string address = request[3].to_string();
    const std::string mechanism = request[5].to_string();
    std::string key;
    if (mechanism == "CURVE" && request.size() >= 7 && request[6].size() == 32) {
      char z85[kZ85KeyChars + 1] = {};
      zmq_z85_encode(z85, static_cast<const std::uint8_t*>(request[6].data()), 32);
      key = z85;
    }
    const bool ok = version == "1.0" && !key.empty() && admits(key);
    if (ok) {
      ++accepted_;
    } else {
      const std::uint64_t n = ++refused_;
      if (n <= kLogFirst || n % kLogEvery == 0) {
        log_->warn("curve: refused a {} client{} from {}: {}{}", escape_for_log(mechanism),
                   key.empty() ? "" : " with key " + key_id(key) + "...", escape_for_log(address),
                   key.empty() ? "no CURVE key" : "its key is not in " + allow_dir_,
                   n == kLogFirst ? " (further refusals are logged 1 in 1000)" : "");
      }
    }
    try {
      handler_.send(zmq::buffer(version), zmq::send_flags::sndmore);
      handler_.send(request[1], zmq::send_flags::sndmore);
      const std::string_view status = ok ? "200" : "400";
      const std::string_view text = ok ? "OK" : "key not allowed";
      handler_.send(zmq::buffer(status), zmq::send_flags::sndmore);
      handler_.send(zmq::buffer(text), zmq::send_flags::sndmore);
      handler_.send(zmq::buffer(ok ? key : std::string()), zmq::send_flags::sndmore);  // user id
      handler_.send(zmq::str_buffer(""), zmq::send_flags::none);                       // metadata
    } catch (const zmq::error_t&) {
      return;
    }
  }
}

}  // namespace callroot::runtime
