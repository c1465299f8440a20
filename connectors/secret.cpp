#include "connectors/secret.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace callroot::connectors {

std::string read_secret(const SecretSource& source) {
  if (!source.file.empty()) {
    struct stat st {};
    if (::stat(source.file.c_str(), &st) != 0) {
      throw ConfigError("secret_file " + source.file + ": " + std::strerror(errno));
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      throw ConfigError("secret_file " + source.file + " has mode " + mode +
                        ": group and others must have no access (chmod 600 it)");
    }
    std::ifstream in(source.file, std::ios::binary);
    if (!in) throw ConfigError("secret_file " + source.file + ": cannot be read");
    std::ostringstream text;
    text << in.rdbuf();
    std::string secret = text.str();
    if (!secret.empty() && secret.back() == '\n') secret.pop_back();
    if (!secret.empty() && secret.back() == '\r') secret.pop_back();
    if (secret.empty()) throw ConfigError("secret_file " + source.file + " is empty");
    return secret;
  }
  if (!source.env.empty()) {
    const char* value = std::getenv(source.env.c_str());
    if (value == nullptr || *value == '\0') {
      throw ConfigError("secret_env: the environment variable " + source.env + " is unset or empty");
    }
    return value;
  }
  throw ConfigError("secret_file or secret_env: one of them must name where the client secret is");
}

}  // namespace callroot::connectors
