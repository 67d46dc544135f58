#include "test_client.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/encoding.h"

namespace latchkey::http::testing {

namespace {

using Clock = std::chrono::steady_clock;

int Dial(uint16_t port, const std::string& host) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  if (host.find(':') != std::string::npos) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    v6->sin6_family = family = AF_INET6;
    v6->sin6_port = htons(port);
    if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) != 1) return -1;
    length = sizeof(sockaddr_in6);
  } else {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) != 1) return -1;
    length = sizeof(sockaddr_in);
  }
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval send_timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
  if (connect(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Tests check the server certificate by common name instead of verifying it.
SSL_CTX* ClientContext(int max_version) {
  SSL_CTX* c = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
  if (max_version != 0) {
    SSL_CTX_set_security_level(c, 0);  // lets OpenSSL 3 offer TLS 1.0 and 1.1 at all
    SSL_CTX_set_min_proto_version(c, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(c, max_version);
  }
  return c;
}

}  // namespace

std::string ClientResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (IEquals(key, name)) return value;
  }
  return "";
}

size_t ClientResponse::HeaderCount(std::string_view name) const {
  size_t count = 0;
  for (const auto& header : headers) count += IEquals(header.first, name) ? 1 : 0;
  return count;
}

TestClient::~TestClient() {
  if (ssl_ != nullptr) SSL_free(static_cast<SSL*>(ssl_));
  close(fd_);
}

std::unique_ptr<TestClient> TestClient::Connect(uint16_t port, const std::string& host) {
  int fd = Dial(port, host);
  if (fd < 0) return nullptr;
  return std::unique_ptr<TestClient>(new TestClient(fd, nullptr));
}

std::unique_ptr<TestClient> TestClient::ConnectTls(uint16_t port, const std::string& host,
                                                   int max_version) {
  int fd = Dial(port, host);
  if (fd < 0) return nullptr;
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  SSL_CTX* context = ClientContext(max_version);
  SSL* ssl = SSL_new(context);
  SSL_CTX_free(context);  // the SSL keeps its own reference
  SSL_set_fd(ssl, fd);
  std::unique_ptr<TestClient> client(new TestClient(fd, ssl));
  if (SSL_connect(ssl) != 1) return nullptr;
  return client;
}

bool TestClient::Send(std::string_view data) {
  while (!data.empty()) {
    long n = 0;
    if (ssl_ != nullptr) {
      n = SSL_write(static_cast<SSL*>(ssl_), data.data(), static_cast<int>(data.size()));
    } else {
      n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    }
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

long TestClient::ReceiveSome(Millis timeout) {
  char chunk[16384];
  if (ssl_ == nullptr || SSL_pending(static_cast<SSL*>(ssl_)) == 0) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return -1;
  }
  long n = 0;
  if (ssl_ != nullptr) {
    n = SSL_read(static_cast<SSL*>(ssl_), chunk, sizeof(chunk));
    if (n <= 0) {
      int error = SSL_get_error(static_cast<SSL*>(ssl_), static_cast<int>(n));
      return error == SSL_ERROR_ZERO_RETURN || error == SSL_ERROR_SYSCALL || error == SSL_ERROR_SSL
                 ? 0
                 : -1;
    }
  } else {
    n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0) return errno == ECONNRESET ? 0 : -1;
  }
  buffer_.append(chunk, static_cast<size_t>(n));
  return n;
}

bool TestClient::ReadUntil(std::string_view terminator, Millis timeout, size_t* position) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    size_t found = buffer_.find(terminator);
    if (found != std::string::npos) {
      *position = found;
      return true;
    }
    auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
    if (left.count() <= 0 || ReceiveSome(left) <= 0) return false;
  }
}

bool TestClient::ReadAtLeast(size_t size, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  while (buffer_.size() < size) {
    auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
    if (left.count() <= 0 || ReceiveSome(left) <= 0) return false;
  }
  return true;
}

std::optional<ClientResponse> TestClient::Read(bool head, Millis timeout) {
  size_t end = 0;
  if (!ReadUntil("\r\n\r\n", timeout, &end)) return std::nullopt;
  std::string_view block(buffer_.data(), end);
  ClientResponse response;
  size_t line_end = block.find("\r\n");
  std::string_view status_line = block.substr(0, line_end);
  if (status_line.size() < 12) return std::nullopt;
  response.status = std::stoi(std::string(status_line.substr(9, 3)));
  while (line_end != std::string_view::npos) {
    size_t start = line_end + 2;
    line_end = block.find("\r\n", start);
    std::string_view line = block.substr(start, line_end - start);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  buffer_.erase(0, end + 4);
  std::string length = response.Header("content-length");
  size_t body_size = head || length.empty() ? 0 : std::stoul(length);
  if (!ReadAtLeast(body_size, timeout)) return std::nullopt;
  response.body = buffer_.substr(0, body_size);
  buffer_.erase(0, body_size);
  return response;
}

bool TestClient::WaitClosed(Millis timeout, size_t* discarded) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (discarded != nullptr) *discarded += buffer_.size();
    buffer_.clear();
    auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    long n = ReceiveSome(left);
    if (n == 0) return true;
    if (n < 0) return false;
  }
}

std::string TestClient::PeerCommonName() const {
  if (ssl_ == nullptr) return "";
  X509* cert = SSL_get1_peer_certificate(static_cast<SSL*>(ssl_));
  if (cert == nullptr) return "";
  char name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name, sizeof(name));
  X509_free(cert);
  return name;
}

std::optional<ClientResponse> TestClient::RoundTrip(std::string_view request, bool head) {
  if (!Send(request)) return std::nullopt;
  return Read(head);
}

std::string Get(std::string_view path, std::string_view extra_headers) {
  std::string out = "GET ";
  out.append(path).append(" HTTP/1.1\r\nHost: test\r\n").append(extra_headers).append("\r\n");
  return out;
}

std::string Post(std::string_view path, std::string_view body, std::string_view extra_headers) {
  std::string out = "POST ";
  out.append(path).append(" HTTP/1.1\r\nHost: test\r\nContent-Length: ");
  out.append(std::to_string(body.size())).append("\r\n").append(extra_headers).append("\r\n");
  out.append(body);
  return out;
}

}  // namespace latchkey::http::testing
