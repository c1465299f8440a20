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

}  // namespace
}  // namespace callroot::connectors::testing
