// TLS: a CA and a server certificate made in the test; the connector trusts
// the server with the CA bundle given, and refuses it without.
#include <gtest/gtest.h>

#include <cstdlib>

#include "harness.h"

namespace callroot::connectors::testing {
namespace {

/// A CA and a certificate for 127.0.0.1 signed by it, in `dir`.
void make_certificates(const TempDir& dir) {
  const std::string d = dir.file("");
  const std::string script =
      "cd '" + d + "' && "
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem "
      "-days 2 -subj /CN=callroot-test-ca && "
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr "
      "-subj /CN=127.0.0.1 && "
      "printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext.cnf && "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
      "-extfile ext.cnf";
  ASSERT_EQ(std::system((script + " > openssl.log 2>&1").c_str()), 0) << slurp(dir.file("openssl.log"));
}

TEST(Tls, TheServerIsTrustedWithTheCaBundleAndRefusedWithout) {
  TempDir certs("tls-certs");
  make_certificates(certs);
  Harness h("tls", certs.file("server.pem"), certs.file("server.key"));
  ASSERT_EQ(h.emulator.base().rfind("https://127.0.0.1:", 0), 0u);
  h.emulator.put(record(1));
  {
    CollectingRecordSink sink;
    auto c = h.connect(sink);  // the system's CAs only
    const PollResult r = c->poll_once();
    EXPECT_EQ(r.delivered, 0u);
    EXPECT_NE(r.list_error.find("SSL certificate problem"), std::string::npos) << r.list_error;
    EXPECT_EQ(h.emulator.tokens_issued(), 0);
  }
  h.config.http.ca_bundle = certs.file("ca.pem");
  CollectingRecordSink sink;
  auto c = h.connect(sink);
  const PollResult r = c->poll_once();
  EXPECT_TRUE(r.list_error.empty()) << r.list_error;
  EXPECT_EQ(r.delivered, 1u);
}

TEST(Tls, AHostNameTheCertificateDoesNotNameIsRefused) {
  TempDir certs("tls-name-certs");
  make_certificates(certs);
  Harness h("tls-name", certs.file("server.pem"), certs.file("server.key"));
  HttpOptions options;
  options.ca_bundle = certs.file("ca.pem");
  HttpClient http(options);
  // Same server, reached as "localhost": the certificate names only 127.0.0.1.
  std::string url = h.emulator.base();
  url.replace(url.find("127.0.0.1"), 9, "localhost");
  const HttpResponse r = http.send({HttpRequest::Method::kGet, url + "/v1.0/communications/callRecords", {}, {}});
  EXPECT_TRUE(r.transport_failed());
  const HttpResponse ok =
      http.send({HttpRequest::Method::kGet, h.emulator.base() + "/v1.0/communications/callRecords", {}, {}});
  EXPECT_FALSE(ok.transport_failed()) << ok.error;
  EXPECT_EQ(ok.status, 401);  // reached, and without a token
}

/// An HTTP proxy on 127.0.0.1 that answers every request itself, remembering
/// the request targets it was asked for (absolute-form: the proxied URL).
class RecordingProxy {
 public:
  RecordingProxy() {
    server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      targets_.push_back(req.target);
      res.set_content("{\"via\":\"proxy\"}", "application/json");
      return httplib::Server::HandlerResponse::Handled;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~RecordingProxy() {
    server_.stop();
    thread_.join();
  }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::vector<std::string> targets() {
    std::lock_guard lock(mutex_);
    return targets_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> targets_;
  int port_ = 0;
};

TEST(Proxy, TheConfiguredProxyCarriesTheRequestsAndTheEnvironmentsIsIgnored) {
  RecordingProxy proxy;
  // A host that does not resolve: only the proxy can answer for it.
  const std::string target = "http://graph.invalid/v1.0/communications/callRecords";
  HttpOptions options;
  options.proxy = proxy.url();
  HttpClient via(options);
  const HttpResponse r = via.send({HttpRequest::Method::kGet, target, {}, {}});
  EXPECT_FALSE(r.transport_failed()) << r.error;
  EXPECT_EQ(r.body, R"({"via":"proxy"})");
  EXPECT_EQ(proxy.targets(), std::vector<std::string>{target});

  // Without the option, http_proxy from the environment is not used either:
  // the request goes straight to a port where nothing listens.
  ::setenv("http_proxy", proxy.url().c_str(), 1);
  HttpClient direct(HttpOptions{});
  const HttpResponse d = direct.send({HttpRequest::Method::kGet, "http://127.0.0.1:1/v1.0/communications/callRecords", {}, {}});
  ::unsetenv("http_proxy");
  EXPECT_TRUE(d.transport_failed());
  EXPECT_EQ(proxy.targets().size(), 1u);
}

}  // namespace
}  // namespace callroot::connectors::testing
