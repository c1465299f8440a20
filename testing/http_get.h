#pragma once
/// A plain HTTP/1.1 GET over loopback, as a probe or a Prometheus scrape
/// makes one: for the tests and benchmarks of the daemon's listener.

#include <string>

namespace callroot::testing {

struct HttpResponse {
  int status = 0;  ///< 0: nothing answered
  std::string body;
};

/// GET http://127.0.0.1:`port``path` with `Connection: close`.
HttpResponse http_get(int port, const std::string& path);

}  // namespace callroot::testing
