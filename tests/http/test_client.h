// A small blocking HTTP/1.1 client over a raw socket (optionally TLS) for server tests: it
// sends exactly the bytes a test gives it, so that tests can send malformed, pipelined or
// trickled requests. Every call is bounded by a timeout. Not thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace latchkey::http::testing {

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Case-insensitive; "" if absent.
  std::string Header(std::string_view name) const;
  size_t HeaderCount(std::string_view name) const;
};

class TestClient {
 public:
  using Millis = std::chrono::milliseconds;

  ~TestClient();

  // nullptr if the connection (or TLS handshake) fails.
  static std::unique_ptr<TestClient> Connect(uint16_t port, const std::string& host = "127.0.0.1");
  // `max_version` (e.g. TLS1_1_VERSION) caps the protocol the client offers; 0 = no cap.
  static std::unique_ptr<TestClient> ConnectTls(uint16_t port,
                                                const std::string& host = "127.0.0.1",
                                                int max_version = 0);

  // False if the peer has closed or the send timed out.
  bool Send(std::string_view data);
  // Reads one response (a 100 Continue counts as one). nullopt on close, error or timeout.
  // `head`: the response to a HEAD request, which has no body.
  std::optional<ClientResponse> Read(bool head = false, Millis timeout = Millis(5000));
  // True if the peer closes (EOF or reset) within `timeout`; data received meanwhile is
  // discarded, and counted in `*discarded` when given.
  bool WaitClosed(Millis timeout, size_t* discarded = nullptr);
  // The subject common name of the server's certificate (TLS only).
  std::string PeerCommonName() const;

  // Sends `request` and reads its response.
  std::optional<ClientResponse> RoundTrip(std::string_view request, bool head = false);

 private:
  TestClient(int fd, void* ssl) : fd_(fd), ssl_(ssl) {}
  // Appends received bytes to buffer_; returns 0 on EOF, -1 on error or timeout.
  long ReceiveSome(Millis timeout);
  bool ReadUntil(std::string_view terminator, Millis timeout, size_t* position);
  bool ReadAtLeast(size_t size, Millis timeout);

  int fd_;
  void* ssl_;  // SSL*, or null for plain
  std::string buffer_;
};

// Convenience: "GET <path> HTTP/1.1" with a Host header and the given extra header lines.
std::string Get(std::string_view path, std::string_view extra_headers = "");
std::string Post(std::string_view path, std::string_view body, std::string_view extra_headers = "");

}  // namespace latchkey::http::testing
