#pragma once
/// Where a connector's client secret comes from: a file only its owner can
/// read, or an environment variable. The value is never logged and never
/// part of an error message.

#include <stdexcept>
#include <string>

namespace callroot::connectors {

/// A configuration error found at start-up (or on a reload): the message
/// names the key or the file and says what is wrong.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SecretSource {
  std::string file;  ///< mode 0600 or 0400: refused when group or others may read or write it
  std::string env;   ///< the name of an environment variable
};

/// Reads the secret: the file's content with one trailing newline removed, or
/// the variable's value. Throws ConfigError when the file is missing, readable
/// by group or others, empty, or the variable is unset or empty.
std::string read_secret(const SecretSource& source);

}  // namespace callroot::connectors
