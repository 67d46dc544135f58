// An HTTP/1.1 server (plain and TLS listeners) that calls one Handler per request.
//
// Each worker thread owns an io_context and one SO_REUSEPORT acceptor per listener, so the
// kernel spreads connections across threads and a connection stays on one thread for its
// life; the request path takes no lock. The handler runs synchronously on that thread, unless
// it defers to the store pool (http/offload.h): then the thread serves its other connections
// until the pool answers.
//
// Supports keep-alive and pipelining (responses in request order), HTTP/1.0 close semantics,
// HEAD, Expect: 100-continue and chunked request bodies. Every read has a deadline. Every
// response carries "Server: latchkey" and "x-request-id". The server never logs headers,
// query strings or bodies.
//
// Thread safety: Start, HandleSignals and Run are called once, in that order, from one
// thread. Stop, ReloadTls, BoundPorts and Stats may be called from any thread once Start has
// returned. Destroy the Server only after Run has returned (or if it was never called).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "http/message.h"

namespace latchkey::http {

struct Listener {
  std::string host;   // an IP address ("127.0.0.1", "::1", "0.0.0.0", "::") or "localhost"
  uint16_t port = 0;  // 0 = ephemeral; see Server::BoundPorts
  bool tls = false;
};

struct AccessLogEntry {
  std::string request_id;
  std::string method;
  std::string path;  // no query
  // Request::route: the matched route pattern, "unmatched", or "" when no handler ran (the
  // server's own 400/413/414/431/503). Points into the Router.
  std::string_view route;
  std::string remote_address;
  int status = 0;
  size_t response_bytes = 0;             // body bytes sent
  std::chrono::microseconds latency{0};  // first request byte to response written
  std::string principal;                 // Response::log_principal
  bool tls = false;
};

struct ServerOptions {
  std::vector<Listener> listeners;
  int threads = 0;                                  // 0 = hardware_concurrency
  size_t max_header_bytes = 16 * 1024;              // header fields over this -> 431, then close
  size_t max_request_line = 8 * 1024;               // request line over this -> 414, then close
  size_t max_body_bytes = 1024 * 1024;              // -> 413, then close
  std::chrono::milliseconds header_timeout{10000};  // TLS handshake; whole header block
  std::chrono::milliseconds body_timeout{30000};    // whole body; also writing a response
  std::chrono::milliseconds idle_timeout{60000};    // keep-alive idle
  std::chrono::milliseconds shutdown_grace{10000};  // max wait for in-flight requests on Stop
  // The store pool (http/offload.h): a handler that calls DeferToPool() on its worker thread
  // runs again on one of `offload_threads` (0: no pool, every handler runs on its worker).
  // At most `offload_queue` requests and `offload_queue_bytes` of them wait; over that: 503
  // with Retry-After. A request is answered (503 if not done) by `request_timeout` after its
  // first byte, and one still queued then is never executed.
  int offload_threads = 0;
  size_t offload_queue = 1024;
  size_t offload_queue_bytes = 32 * 1024 * 1024;
  std::chrono::milliseconds request_timeout{10000};
  size_t max_connections = 10000;                   // over it: 503 (plain) or close, at accept
  size_t max_connections_per_ip = 1000;             // over it: accept and close immediately
  std::string tls_cert_file, tls_key_file;          // PEM; required if any listener has tls
  // Renders the server's own errors (400, 413, 414, 431, 500, 503) in the API's format, given
  // the status, a short message and the request path ("" if not parsed). Default:
  // {"error_code":"...","message":"..."}.
  std::function<Response(int status, std::string_view message, std::string_view path)>
      error_renderer;
  // Called once per request that got a response, on a worker thread (concurrently).
  std::function<void(const AccessLogEntry&)> access_log;
};

struct ServerStats {
  size_t open_connections = 0;
  uint64_t rejected_connections = 0;  // over max_connections or max_connections_per_ip
  uint64_t failed_tls_handshakes = 0;
  uint64_t offload_executed = 0;   // requests run on the store pool
  uint64_t offload_rejected = 0;   // its queue was full: 503
  uint64_t offload_abandoned = 0;  // never run: deadline passed or client gone
  size_t offload_queued = 0;
};

class ServerCore;

class Server {
 public:
  // `handler` is usually [&router](Request& r) { return router.Dispatch(r); }.
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens on every listener (SO_REUSEADDR) and loads TLS. Fails with
  // kInvalidArgument for bad options, an unknown host or unusable TLS files, and with
  // kUnavailable when an address cannot be bound (for example, the port is in use).
  Status Start();

  // The bound port of each listener, in listener order (real ports for port 0). Empty
  // before Start.
  std::vector<uint16_t> BoundPorts() const;

  // Runs the worker threads, the calling thread being one of them; returns after Stop().
  void Run();

  // Graceful stop: stops accepting, closes idle keep-alive connections, lets in-flight
  // requests finish (their responses carry "Connection: close"), then Run returns. After
  // shutdown_grace the remaining connections are closed. Idempotent; not async-signal-safe
  // (use HandleSignals).
  void Stop();

  // Re-reads tls_cert_file and tls_key_file into a new TLS context for new connections;
  // existing connections keep theirs. On failure (kInvalidArgument) the old one stays.
  Status ReloadTls();

  // Makes SIGTERM and SIGINT call Stop() and SIGHUP call `on_hup`, handled on a worker thread
  // while Run is running. Call before Run().
  void HandleSignals(std::function<void()> on_hup);

  ServerStats Stats() const;

 private:
  std::unique_ptr<ServerCore> core_;
};

}  // namespace latchkey::http
