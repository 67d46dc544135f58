#include "http/session.h"

#include <array>
#include <optional>
#include <chrono>
#include <string_view>
#include <type_traits>

#include <openssl/ssl.h>

#include "http/offload.h"
#include "http/request_parser.h"
#include "http/response_writer.h"
#include "http/server_core.h"

namespace latchkey::http {

namespace {

namespace bhttp = beast::http;
using std::chrono::steady_clock;

constexpr size_t kReadSize = 16 * 1024;
// Head and body go out in one write (one TLS record when small) up to this size.
constexpr size_t kTlsCoalesceLimit = 16 * 1024;
// Lingering close (as nginx does): after the last response, stop sending and discard what
// the client still sends until it closes, for a while, so that our close does not become a
// reset that destroys the response before the client has read it. Longer after an error
// response, when the client may still be sending a large request.
constexpr auto kLingerTime = std::chrono::milliseconds(500);
constexpr auto kLingerTimeAfterError = std::chrono::seconds(2);
constexpr size_t kMaxLingerBytes = 64 * 1024 * 1024;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string_view ErrorMessage(int status) {
  switch (status) {
    case 413:
      return "request body too large";
    case 414:
      return "request line too long";
    case 431:
      return "request header fields too large";
    default:
      return "malformed request";
  }
}

std::string_view AsView(asio::const_buffer buffer) {
  return {static_cast<const char*>(buffer.data()), buffer.size()};
}

template <class Stream>
class Session final : public Connection {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Session(Worker& worker, Stream stream, ConnectionInfo info,
          std::shared_ptr<asio::ssl::context> tls)
      : worker_(worker),
        core_(worker.core()),
        tls_(std::move(tls)),
        stream_(std::move(stream)),
        info_(std::move(info)) {
    worker_.Register(*this);
  }

  ~Session() override {
    core_.Release(info_.remote_address);
    worker_.Unregister(*this);
  }

  static Awaitable<> Run(std::unique_ptr<Session> self) { co_await self->Serve(); }

  void CloseIfIdle() override {
    // Cancel rather than close: if the idle read has already completed (its completion is
    // queued, the bytes are out of the socket), cancelling is a no-op and the request is
    // served; otherwise the read fails and the session ends.
    if (!idle_ || HasPendingInput()) return;
    ErrorCodeT ec;
    socket().cancel(ec);
  }

  void Close() override {
    closed_ = true;
    ErrorCodeT ec;
    socket().close(ec);
    // A request on the store pool: wake the session so that it abandons it.
    if (std::shared_ptr<OffloadWait> wait = offload_wait_.lock()) wait->timer.cancel();
  }

 private:
  Socket& socket() { return beast::get_lowest_layer(stream_); }

  // The deadline of what the session waits for now; the worker closes the connection once
  // it has passed (see Worker::Sweep).
  void ExpiresAfter(std::chrono::milliseconds timeout) {
    SetDeadline(steady_clock::now() + timeout);
  }

  bool HasPendingInput() {
    ErrorCodeT ec;
    if (socket().available(ec) > 0) return true;
    if constexpr (kTls) return SSL_pending(stream_.native_handle()) > 0;
    return false;
  }

  Awaitable<> Serve();
  Awaitable<bool> Handshake();
  void StampRequest();
  Awaitable<int> ReadRequest(RequestParser& parser);
  Response CallHandler(bool& deferred);
  Awaitable<std::optional<Response>> Offload(steady_clock::time_point start);
  void WatchPeer(const std::shared_ptr<OffloadWait>& wait);
  void Log(const Response& response, size_t body_bytes, steady_clock::time_point start);
  Awaitable<ErrorCodeT> ReadSome();
  Awaitable<> CloseGracefully(std::chrono::milliseconds linger);

  Worker& worker_;
  ServerCore& core_;
  std::shared_ptr<asio::ssl::context> tls_;  // outlives stream_; null for plain sessions
  Stream stream_;
  ConnectionInfo info_;
  beast::flat_buffer buffer_;
  Request request_;  // reused, so that its strings keep their capacity across requests
  std::string head_;
  bool idle_ = false;
  bool closed_ = false;
  std::weak_ptr<OffloadWait> offload_wait_;  // while a request is on the store pool
};

// TLS sessions: the handshake, within header_timeout. False when it failed (counted).
template <class Stream>
Awaitable<bool> Session<Stream>::Handshake() {
  if constexpr (kTls) {
    ErrorCodeT ec;
    ExpiresAfter(core_.options().header_timeout);
    co_await stream_.async_handshake(asio::ssl::stream_base::server, Redirect(ec));
    if (ec) {
      core_.CountFailedHandshake();
      co_return false;
    }
  }
  co_return true;
}

// What the handler learns of the connection, and the request's id.
template <class Stream>
void Session<Stream>::StampRequest() {
  // The handler may have moved these out of the previous request.
  request_.remote_address = info_.remote_address;
  request_.local_port = info_.local_port;
  request_.tls = kTls;
  NextRequestId(request_.request_id);
}

template <class Stream>
Awaitable<> Session<Stream>::Serve() {
  const ServerOptions& options = core_.options();
  ErrorCodeT ec;
  if (!co_await Handshake()) co_return;
  bool first = true;
  for (;;) {
    if (buffer_.size() == 0) {
      // Wait for the first byte of the next request: this is the only state in which Stop
      // closes a connection without answering it.
      if (core_.stopping() && !HasPendingInput()) {
        Close();
        co_return;
      }
      ExpiresAfter(first ? options.header_timeout : options.idle_timeout);
      idle_ = true;
      ec = co_await ReadSome();
      idle_ = false;
      if (ec || closed_) co_return;
    }
    first = false;
    const steady_clock::time_point start = steady_clock::now();
    RequestParser parser(request_, core_.limits());
    const int error_status = co_await ReadRequest(parser);
    if (error_status < 0 || closed_) co_return;
    StampRequest();
    Response response;
    if (error_status != 0) {
      response = core_.RenderError(error_status, ErrorMessage(error_status), request_.path);
    } else {
      bool deferred = false;
      response = CallHandler(deferred);
      if (deferred) {
        // It would block: the store pool runs it while this thread serves other connections.
        std::optional<Response> offloaded = co_await Offload(start);
        if (!offloaded) {
          Close();  // the client has gone: nothing to answer
          co_return;
        }
        response = std::move(*offloaded);
      }
      if (closed_) co_return;
    }
    const bool keep_alive = error_status == 0 && parser.keep_alive() && !core_.stopping();
    const bool with_body = SerializeHead(
        response,
        {.version = parser.version(), .keep_alive = keep_alive,
         .head = request_.method == "HEAD", .request_id = request_.request_id},
        head_);
    const std::array<asio::const_buffer, 2> buffers{
        asio::buffer(head_), with_body ? asio::buffer(response.body) : asio::const_buffer()};
    ExpiresAfter(options.body_timeout);
    // Write after the worker has handled the requests already waiting on its other
    // connections (the post queues this session behind them), as Redis sends its replies
    // before it sleeps. Under load the responses of one batch leave together, so a client
    // with many connections is woken once for several of them instead of once each; on a
    // shared machine each wake-up preempts a worker. Idle, the post costs one queue turn. A
    // batch is what one epoll_wait returned (Asio takes up to 128 events), so a response
    // waits for at most that many handlers; requests that arrive meanwhile queue behind it.
    // Measured on token issuance: wrk's preemptions of the workers 0.87 -> 0.48 per token,
    // +8-10 % tokens/s, lower p99 (bench/README.md).
    co_await asio::post(stream_.get_executor(), kUseAwaitable);
    if (kTls && with_body && head_.size() + response.body.size() > kTlsCoalesceLimit) {
      // Beast 1.74's ssl_stream (its flat_stream) turns the rest of a two-buffer sequence
      // over 16 KiB into a zero-length write once the head is out, and async_write stops
      // there without an error: the body was silently dropped. One buffer per write.
      co_await asio::async_write(stream_, asio::buffer(head_), Redirect(ec));
      if (!ec) co_await asio::async_write(stream_, asio::buffer(response.body), Redirect(ec));
    } else {
      co_await asio::async_write(stream_, buffers, Redirect(ec));
    }
    Log(response, with_body ? response.body.size() : 0, start);
    if (ec || closed_) co_return;
    if (!keep_alive) {
      co_await CloseGracefully(error_status == 0 ? kLingerTime : kLingerTimeAfterError);
      co_return;
    }
  }
}

// Returns 0 once a whole request is in request_, -1 if the connection should close without
// a response (peer closed, timeout, Stop), or the status of the error response to send.
template <class Stream>
Awaitable<int> Session<Stream>::ReadRequest(RequestParser& parser) {
  const ServerOptions& options = core_.options();
  ErrorCodeT ec;
  // The whole header block must arrive within header_timeout of its first byte.
  ExpiresAfter(options.header_timeout);
  while (!parser.is_header_done()) {
    if (buffer_.size() > 0) {
      buffer_.consume(parser.put(buffer_.data(), ec));
      if (ec && ec != bhttp::error::need_more)
        co_return parser.ErrorStatus(ec, AsView(buffer_.data()));
      if (parser.is_header_done()) break;
    }
    if (co_await ReadSome()) co_return -1;
  }
  if (parser.is_done()) co_return 0;
  ExpiresAfter(options.body_timeout);
  if (parser.expects_continue() && parser.version() == 11) {
    // RFC 9110 §10.1.1: the client waits for this before sending the body.
    co_await asio::async_write(stream_, asio::buffer(kContinue), Redirect(ec));
    if (ec) co_return -1;
  }
  for (;;) {
    if (buffer_.size() > 0) {
      const size_t used = parser.put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec && ec != bhttp::error::need_more) co_return parser.ErrorStatus(ec, {});
      if (parser.is_done()) co_return 0;
      if (used > 0 && buffer_.size() > 0) continue;
    }
    if (co_await ReadSome()) co_return -1;
  }
}

template <class Stream>
Response Session<Stream>::CallHandler(bool& deferred) {
  // The fast path: with a store pool, code about to block defers (http/offload.h).
  FastPathScope fast_path(core_.pool() != nullptr);
  // The one last-resort catch (STYLE §4): a throwing handler costs its request, not the
  // server. The exception's text may hold anything, so it is not used.
  Response response;
  try {
    response = core_.handler()(request_);
  } catch (...) {
    response = core_.RenderError(500, "internal error", request_.path);
  }
  deferred = fast_path.deferred();
  return response;
}

// Runs the request on the store pool and waits for it without blocking the worker. Returns
// the response, a 503 (queue full, or the request's deadline passed), or nullopt if the
// client has gone (then the request was not executed, or its further store calls refuse).
template <class Stream>
Awaitable<std::optional<Response>> Session<Stream>::Offload(steady_clock::time_point start) {
  const ServerOptions& options = core_.options();
  const auto deadline = start + options.request_timeout;
  size_t bytes = request_.target.size() + request_.body.size() + 256;
  for (const auto& [name, value] : request_.headers) bytes += name.size() + value.size() + 4;
  auto job = std::make_shared<OffloadJob>(request_, deadline, worker_.context().get_executor());
  job->bytes = bytes;
  auto wait = std::make_shared<OffloadWait>(worker_.context().get_executor());
  job->waiter = wait;
  offload_wait_ = wait;
  if (!core_.pool()->Submit(job)) {
    Response busy = core_.RenderError(503, "too many requests are waiting for the store; retry",
                                      request_.path);
    busy.SetHeader("Retry-After", "1");
    co_return busy;
  }
  // The sweep is a backstop only: the timer below answers at the deadline.
  SetDeadline(deadline + options.body_timeout);
  WatchPeer(wait);
  wait->timer.expires_at(deadline);
  bool client_gone = false;
  for (;;) {
    ErrorCodeT ec;
    co_await wait->timer.async_wait(Redirect(ec));
    const int state = job->state.load(std::memory_order_acquire);
    if (state == OffloadJob::kDone || state == OffloadJob::kExpired) break;
    if (closed_) break;
    if (wait->peer_event) {
      wait->peer_event = false;
      ErrorCodeT peek_ec;
      // Readable with nothing to read: the peer closed (or reset) the connection. Readable
      // with bytes: a pipelined request, which waits its turn (the watch is not re-armed).
      if (socket().available(peek_ec) == 0 || peek_ec) {
        client_gone = true;
        break;
      }
    }
    if (steady_clock::now() >= deadline) break;
  }
  ErrorCodeT ignored;
  if (!closed_) socket().cancel(ignored);  // ends the peer watch
  if (job->state.load(std::memory_order_acquire) == OffloadJob::kDone) {
    request_.route = job->request.route;
    co_return std::move(job->response);
  }
  job->Abandon();
  if (client_gone || closed_) co_return std::nullopt;
  Response late = core_.RenderError(503, "the request timed out; retry", request_.path);
  late.SetHeader("Retry-After", "1");
  co_return late;
}

// While a request is on the pool nothing reads the connection: a one-shot readiness wait
// notices the client closing it (curl --max-time, a load balancer's timeout).
template <class Stream>
void Session<Stream>::WatchPeer(const std::shared_ptr<OffloadWait>& wait) {
  if (buffer_.size() > 0) return;  // a pipelined request is already here
  socket().async_wait(tcp::socket::wait_read,
                      [weak = std::weak_ptr<OffloadWait>(wait)](const ErrorCodeT& ec) {
                        if (ec == asio::error::operation_aborted) return;
                        if (std::shared_ptr<OffloadWait> w = weak.lock()) {
                          w->peer_event = true;
                          w->timer.cancel();
                        }
                      });
}

template <class Stream>
void Session<Stream>::Log(const Response& response, size_t body_bytes,
                          steady_clock::time_point start) {
  const auto& access_log = core_.options().access_log;
  if (!access_log) return;
  AccessLogEntry entry{
      .request_id = request_.request_id,
      .method = request_.method,
      .path = request_.path,
      .route = request_.route,
      .remote_address = info_.remote_address,
      .status = response.status,
      .response_bytes = body_bytes,
      .latency = std::chrono::duration_cast<std::chrono::microseconds>(steady_clock::now() - start),
      .principal = response.log_principal,
      .tls = kTls,
  };
  access_log(entry);
}

template <class Stream>
Awaitable<ErrorCodeT> Session<Stream>::ReadSome() {
  ErrorCodeT ec;
  const size_t n = co_await stream_.async_read_some(buffer_.prepare(kReadSize), Redirect(ec));
  buffer_.commit(n);
  co_return ec;
}

template <class Stream>
Awaitable<> Session<Stream>::CloseGracefully(std::chrono::milliseconds linger) {
  if (closed_) co_return;
  ErrorCodeT ec;
  ExpiresAfter(linger);
  if constexpr (kTls) {
    // Sends close_notify; returns when the peer answers or closes, or at the deadline.
    co_await stream_.async_shutdown(Redirect(ec));
    if (closed_) co_return;
  }
  socket().shutdown(tcp::socket::shutdown_send, ec);
  for (size_t discarded = 0; discarded < kMaxLingerBytes && !ec && !closed_;) {
    buffer_.clear();
    discarded += co_await socket().async_read_some(buffer_.prepare(kReadSize), Redirect(ec));
  }
  if (!closed_) socket().close(ec);
}

}  // namespace

void StartPlainSession(Worker& worker, Socket socket, ConnectionInfo info) {
  using PlainSession = Session<Socket>;
  auto session =
      std::make_unique<PlainSession>(worker, std::move(socket), std::move(info), nullptr);
  asio::co_spawn(worker.context().get_executor(), PlainSession::Run(std::move(session)),
                 asio::detached);
}

void StartTlsSession(Worker& worker, Socket socket, ConnectionInfo info,
                     std::shared_ptr<asio::ssl::context> tls) {
  using TlsSession = Session<TlsStream>;
  TlsStream stream(std::move(socket), *tls);
  auto session =
      std::make_unique<TlsSession>(worker, std::move(stream), std::move(info), std::move(tls));
  asio::co_spawn(worker.context().get_executor(), TlsSession::Run(std::move(session)),
                 asio::detached);
}

}  // namespace latchkey::http
