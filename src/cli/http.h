// HTTP for the CLI: plain request/response values, a Transport interface (libcurl in
// production, fakes in tests) and a retrying wrapper. Transports are used from one thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli_error.h"

namespace latchkey::cli {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string url;     // absolute, query included
  Headers headers;     // may carry Authorization: never log them
  std::string body;
};

struct HttpResponse {
  long status = 0;
  Headers headers;  // names lowercased
  std::string body;

  std::optional<std::string> Header(std::string_view lowercase_name) const;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends one request. An HTTP error status is a successful Send; failures to get any answer
  // (DNS, connect, TLS, timeout) are kNetwork errors with a one-line explanation.
  virtual CliResult<HttpResponse> Send(const HttpRequest& request) = 0;
};

struct TlsOptions {
  std::vector<std::string> ca_files;  // trusted in addition to the system store
};

// libcurl with connect timeout 10 s and total timeout 60 s.
std::unique_ptr<Transport> MakeCurlTransport(const TlsOptions& tls);

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void Sleep(std::chrono::seconds duration) = 0;
};

class RealSleeper final : public Sleeper {
 public:
  void Sleep(std::chrono::seconds duration) override;
};

struct RetryPolicy {
  int max_attempts = 3;
  std::chrono::seconds max_total_wait{30};
};

// Retries 429 and 503 answers: waits the integer Retry-After seconds when the server sends them,
// else 1 s, 2 s, 4 s...; at most `max_attempts` tries and `max_total_wait` of waiting in total
// (a Retry-After that would exceed the budget ends the retries). With `debug` set, writes one
// line per request (method, URL, status) there: never headers or bodies.
class RetryingTransport final : public Transport {
 public:
  RetryingTransport(Transport& inner, Sleeper& sleeper, RetryPolicy policy, std::ostream* debug)
      : inner_(inner), sleeper_(sleeper), policy_(policy), debug_(debug) {}
  CliResult<HttpResponse> Send(const HttpRequest& request) override;

 private:
  Transport& inner_;
  Sleeper& sleeper_;
  RetryPolicy policy_;
  std::ostream* debug_;
};

}  // namespace latchkey::cli
