#include "http/server_core.h"

#include <csignal>
#include <sys/socket.h>
#include <thread>

#include "http/response_writer.h"
#include "http/tls_context.h"

namespace latchkey::http {

namespace {

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

Result<asio::ip::address> ParseHost(const std::string& host) {
  if (host.empty()) return asio::ip::address(asio::ip::address_v4::any());
  if (host == "localhost") return asio::ip::address(asio::ip::address_v4::loopback());
  ErrorCodeT ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec)
    return MakeError(ErrorCode::kInvalidArgument, "listener host is not an IP address: " + host);
  return address;
}

std::string Describe(const tcp::endpoint& endpoint) {
  std::string address = endpoint.address().to_string();
  if (endpoint.address().is_v6()) address = "[" + address + "]";
  return address + ":" + std::to_string(endpoint.port());
}

// Opens a listening socket on `endpoint` (SO_REUSEADDR; SO_REUSEPORT when `reuse_port`).
Result<Acceptor> Listen(asio::io_context& context, const tcp::endpoint& endpoint, bool reuse_port) {
  Acceptor acceptor(context.get_executor());
  ErrorCodeT ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && reuse_port) acceptor.set_option(ReusePort(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return MakeError(ErrorCode::kUnavailable,
                     "cannot listen on " + Describe(endpoint) + ": " + ec.message());
  return acceptor;
}

}  // namespace

ServerCore::ServerCore(ServerOptions options, Handler handler)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      limits_{options_.max_request_line, options_.max_header_bytes, options_.max_body_bytes} {}

ServerCore::~ServerCore() {
  pool_.reset();
  signals_.reset();
  workers_.clear();
}

Status ServerCore::Start() {
  if (started_) return MakeError(ErrorCode::kFailedPrecondition, "server already started");
  if (options_.listeners.empty()) return MakeError(ErrorCode::kInvalidArgument, "no listeners");
  for (const Listener& listener : options_.listeners) {
    if (!listener.tls) continue;
    Result<std::shared_ptr<asio::ssl::context>> tls =
        MakeTlsContext(options_.tls_cert_file, options_.tls_key_file);
    if (!tls) return std::unexpected(tls.error());
    tls_ = std::move(*tls);
    break;
  }
  const unsigned threads = options_.threads > 0 ? static_cast<unsigned>(options_.threads)
                                                : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned i = 0; i < threads; ++i) workers.push_back(std::make_unique<Worker>(*this));
  std::vector<uint16_t> ports;
  for (const Listener& listener : options_.listeners) {
    Result<asio::ip::address> address = ParseHost(listener.host);
    if (!address) return std::unexpected(address.error());
    tcp::endpoint endpoint(*address, listener.port);
    if (listener.port != 0) {
      // SO_REUSEPORT would let us share a port that another server already listens on (same
      // user); a plain bind first makes that an error instead.
      Result<Acceptor> probe = Listen(workers[0]->context(), endpoint, false);
      if (!probe) return std::unexpected(probe.error());
    }
    // One acceptor per worker on the same port: the kernel spreads connections over them.
    for (auto& worker : workers) {
      Result<Acceptor> acceptor = Listen(worker->context(), endpoint, true);
      if (!acceptor) return std::unexpected(acceptor.error());
      endpoint.port(acceptor->local_endpoint().port());
      worker->AddListener(std::move(*acceptor), listener.tls, endpoint.port());
    }
    ports.push_back(endpoint.port());
  }
  workers_ = std::move(workers);
  ports_ = std::move(ports);
  if (options_.offload_threads > 0) {
    pool_ = std::make_unique<OffloadPool>(
        handler_, options_.offload_threads, std::max<size_t>(options_.offload_queue, 1),
        options_.offload_queue_bytes,
        [this](int status, std::string_view message, std::string_view path) {
          return RenderError(status, message, path);
        });
  }
  started_ = true;
  return Ok();
}

std::vector<uint16_t> ServerCore::BoundPorts() const { return ports_; }

void ServerCore::Run() {
  if (workers_.empty()) return;
  if (handle_signals_) {
    signals_ =
        std::make_unique<SignalSet>(workers_[0]->context().get_executor(), SIGTERM, SIGINT, SIGHUP);
    WaitForSignal();
  }
  std::vector<std::thread> threads;
  for (size_t i = 1; i < workers_.size(); ++i) {
    threads.emplace_back([worker = workers_[i].get()] { worker->Run(); });
  }
  workers_[0]->Run();
  for (auto& thread : threads) thread.join();
  // Every session has ended: what is still queued is abandoned, a running request finishes
  // (its store calls refuse once its deadline has passed) before Run returns.
  if (pool_) pool_->Shutdown();
}

void ServerCore::WaitForSignal() {
  signals_->async_wait([this](const ErrorCodeT& ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      if (on_hup_) on_hup_();
      WaitForSignal();
      return;
    }
    Stop();
  });
}

void ServerCore::Stop() {
  if (stopping_.exchange(true)) return;
  for (auto& worker : workers_) worker->RequestStop();
}

Status ServerCore::ReloadTls() {
  Result<std::shared_ptr<asio::ssl::context>> tls =
      MakeTlsContext(options_.tls_cert_file, options_.tls_key_file);
  if (!tls) return std::unexpected(tls.error());
  std::lock_guard lock(tls_mu_);
  tls_ = std::move(*tls);
  return Ok();
}

void ServerCore::HandleSignals(std::function<void()> on_hup) {
  on_hup_ = std::move(on_hup);
  handle_signals_ = true;
}

ServerStats ServerCore::Stats() const {
  ServerStats stats{
      .open_connections = open_connections_.load(std::memory_order_relaxed),
      .rejected_connections = rejected_connections_.load(std::memory_order_relaxed),
      .failed_tls_handshakes = failed_handshakes_.load(std::memory_order_relaxed)};
  if (pool_) {
    const OffloadStats offload = pool_->Stats();
    stats.offload_executed = offload.executed;
    stats.offload_rejected = offload.rejected;
    stats.offload_abandoned = offload.abandoned;
    stats.offload_queued = offload.queued;
  }
  return stats;
}

Response ServerCore::RenderError(int status, std::string_view message,
                                 std::string_view path) const {
  if (options_.error_renderer) {
    try {
      Response response = options_.error_renderer(status, message, path);
      response.status = status;
      return response;
    } catch (...) {
      // A throwing renderer must not take the connection down: fall through to the default.
    }
  }
  return DefaultErrorResponse(status, message);
}

std::shared_ptr<asio::ssl::context> ServerCore::CurrentTls() const {
  std::lock_guard lock(tls_mu_);
  return tls_;
}

Admission ServerCore::Admit(const std::string& ip) {
  if (open_connections_.fetch_add(1, std::memory_order_relaxed) >= options_.max_connections) {
    open_connections_.fetch_sub(1, std::memory_order_relaxed);
    rejected_connections_.fetch_add(1, std::memory_order_relaxed);
    return Admission::kServerFull;
  }
  std::lock_guard lock(per_ip_mu_);
  size_t& count = per_ip_[ip];
  if (count >= options_.max_connections_per_ip) {
    if (count == 0) per_ip_.erase(ip);
    open_connections_.fetch_sub(1, std::memory_order_relaxed);
    rejected_connections_.fetch_add(1, std::memory_order_relaxed);
    return Admission::kIpFull;
  }
  ++count;
  return Admission::kAdmitted;
}

void ServerCore::Release(const std::string& ip) {
  {
    std::lock_guard lock(per_ip_mu_);
    auto it = per_ip_.find(ip);
    if (it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
  }
  open_connections_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace latchkey::http
