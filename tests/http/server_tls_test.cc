// TLS listeners: round trips, protocol floor, certificate reload, failed handshakes.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "http/server.h"
#include "test_client.h"
#include "test_support.h"

namespace latchkey::http {
namespace {

using namespace std::chrono_literals;
using testing::Get;
using testing::RunningServer;
using testing::TestClient;

class HttpServerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::WriteSelfSignedCert("first.test", cert_file(), key_file());
    options_ = testing::LoopbackOptions();
    options_.listeners = {{.host = "127.0.0.1", .port = 0, .tls = true},
                          {.host = "127.0.0.1", .port = 0, .tls = false}};
    options_.tls_cert_file = cert_file();
    options_.tls_key_file = key_file();
  }

  std::string cert_file() const { return dir_.path() / "cert.pem"; }
  std::string key_file() const { return dir_.path() / "key.pem"; }

  static Response Describe(Request& request) {
    return Response::Text(200, std::string(request.tls ? "tls " : "plain ") + request.body);
  }

  testing::TempDir dir_;
  ServerOptions options_;
};

TEST_F(HttpServerTlsTest, GetAndPostOverTls) {
  RunningServer server(options_, Describe);
  auto client = TestClient::ConnectTls(server.port(0));
  ASSERT_NE(client, nullptr);

  auto get = client->RoundTrip(Get("/"));
  auto post = client->RoundTrip(testing::Post("/p", "body"));

  ASSERT_TRUE(get && post);
  EXPECT_EQ(get->body, "tls ");
  EXPECT_EQ(post->body, "tls body");
  EXPECT_FALSE(post->Header("x-request-id").empty());
  EXPECT_EQ(client->PeerCommonName(), "first.test");
}

// Bodies over one TLS record (16 KiB) arrive whole, with keep-alive and with close.
TEST_F(HttpServerTlsTest, LargeBodiesArriveWhole) {
  std::string big(200 * 1024 + 7, 'x');
  for (size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>('a' + i % 26);
  RunningServer server(options_, [&big](Request&) { return Response::Text(200, big); });
  auto client = TestClient::ConnectTls(server.port(0));
  ASSERT_NE(client, nullptr);

  auto first = client->RoundTrip(Get("/"));
  auto second = client->RoundTrip(Get("/", "Connection: close\r\n"));

  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->body, big);
  EXPECT_EQ(second->body, big);
}

TEST_F(HttpServerTlsTest, PlainListenerBesideTlsListenerStaysPlain) {
  RunningServer server(options_, Describe);
  auto client = TestClient::Connect(server.port(1));
  ASSERT_NE(client, nullptr);

  auto response = client->RoundTrip(Get("/"));

  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "plain ");
}

TEST_F(HttpServerTlsTest, ConnectionCloseOverTlsEndsCleanly) {
  RunningServer server(options_, Describe);
  auto client = TestClient::ConnectTls(server.port(0));
  ASSERT_NE(client, nullptr);

  auto response = client->RoundTrip(Get("/", "Connection: close\r\n"));

  ASSERT_TRUE(response);
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_TRUE(client->WaitClosed(3s));
}

TEST_F(HttpServerTlsTest, Tls11ClientIsRefused) {
  RunningServer server(options_, Describe);

  auto client = TestClient::ConnectTls(server.port(0), "127.0.0.1", TLS1_1_VERSION);

  EXPECT_EQ(client, nullptr);
  EXPECT_TRUE(
      testing::WaitFor([&] { return server.server().Stats().failed_tls_handshakes == 1; }, 3s));
}

TEST_F(HttpServerTlsTest, FailedHandshakeIsCountedAndServerKeepsServing) {
  RunningServer server(options_, Describe);
  auto garbage = TestClient::Connect(server.port(0));
  ASSERT_NE(garbage, nullptr);

  ASSERT_TRUE(garbage->Send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_TRUE(garbage->WaitClosed(3s));
  auto client = TestClient::ConnectTls(server.port(0));

  ASSERT_NE(client, nullptr);
  EXPECT_TRUE(client->RoundTrip(Get("/")));
  EXPECT_EQ(server.server().Stats().failed_tls_handshakes, 1u);
}

// A client that opens a TCP connection to the TLS port and never starts the handshake is
// dropped after header_timeout, not before.
TEST_F(HttpServerTlsTest, StalledHandshakeIsDroppedAfterHeaderTimeout) {
  options_.header_timeout = 300ms;
  RunningServer server(options_, Describe);
  auto silent = TestClient::Connect(server.port(0));
  ASSERT_NE(silent, nullptr);
  const auto start = std::chrono::steady_clock::now();

  EXPECT_TRUE(silent->WaitClosed(3s));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
  EXPECT_TRUE(
      testing::WaitFor([&] { return server.server().Stats().failed_tls_handshakes == 1; }, 3s));
}

TEST_F(HttpServerTlsTest, ReloadTlsSwitchesCertificateForNewConnections) {
  RunningServer server(options_, Describe);
  auto before = TestClient::ConnectTls(server.port(0));
  ASSERT_NE(before, nullptr);
  ASSERT_EQ(before->PeerCommonName(), "first.test");

  testing::WriteSelfSignedCert("second.test", cert_file(), key_file());
  ASSERT_TRUE(server.server().ReloadTls());
  auto after = TestClient::ConnectTls(server.port(0));

  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->PeerCommonName(), "second.test");
  EXPECT_TRUE(after->RoundTrip(Get("/")));
  EXPECT_TRUE(before->RoundTrip(Get("/")));  // the old connection is unaffected
}

TEST_F(HttpServerTlsTest, FailedReloadKeepsTheOldCertificate) {
  RunningServer server(options_, Describe);
  std::filesystem::remove(key_file());

  Status reloaded = server.server().ReloadTls();
  auto client = TestClient::ConnectTls(server.port(0));

  ASSERT_FALSE(reloaded);
  EXPECT_EQ(reloaded.error().code, ErrorCode::kInvalidArgument);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->PeerCommonName(), "first.test");
}

TEST_F(HttpServerTlsTest, StartFailsWithInvalidArgumentForMissingFiles) {
  options_.tls_key_file = (dir_.path() / "missing.pem").string();
  Server server(options_, Describe);

  Status started = server.Start();

  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(HttpServerTlsTest, StartFailsWithInvalidArgumentForMismatchedKey) {
  testing::WriteSelfSignedCert("other", dir_.path() / "other_cert.pem",
                               dir_.path() / "other_key.pem");
  options_.tls_key_file = (dir_.path() / "other_key.pem").string();
  Server server(options_, Describe);

  Status started = server.Start();

  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace latchkey::http
