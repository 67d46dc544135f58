// The state behind Server: options, workers, TLS context and connection accounting.
// Thread-safe where noted; internal to src/http/.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/asio.h"
#include "http/offload.h"
#include "http/request_parser.h"
#include "http/server.h"
#include "http/worker.h"

namespace latchkey::http {

enum class Admission { kAdmitted, kServerFull, kIpFull };

class ServerCore {
 public:
  ServerCore(ServerOptions options, Handler handler);
  ~ServerCore();

  Status Start();
  std::vector<uint16_t> BoundPorts() const;
  void Run();
  void Stop();
  Status ReloadTls();
  void HandleSignals(std::function<void()> on_hup);
  ServerStats Stats() const;

  // For workers and sessions; all thread-safe.
  const ServerOptions& options() const { return options_; }
  const RequestLimits& limits() const { return limits_; }
  const Handler& handler() const { return handler_; }
  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }
  Response RenderError(int status, std::string_view message, std::string_view path) const;
  std::shared_ptr<asio::ssl::context> CurrentTls() const;
  // Counts a new connection from `ip` unless that would exceed a limit.
  Admission Admit(const std::string& ip);
  void Release(const std::string& ip);
  void CountFailedHandshake() { failed_handshakes_.fetch_add(1, std::memory_order_relaxed); }
  // The store pool, or null when options().offload_threads is 0.
  OffloadPool* pool() const { return pool_.get(); }

 private:
  void WaitForSignal();

  const ServerOptions options_;
  const Handler handler_;
  RequestLimits limits_;
  std::atomic<bool> stopping_{false};
  bool started_ = false;

  std::atomic<size_t> open_connections_{0};
  std::atomic<uint64_t> rejected_connections_{0};
  std::atomic<uint64_t> failed_handshakes_{0};
  std::mutex per_ip_mu_;  // taken once per connection accept and close, never per request
  std::unordered_map<std::string, size_t> per_ip_;

  mutable std::mutex tls_mu_;
  std::shared_ptr<asio::ssl::context> tls_;

  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<uint16_t> ports_;
  std::function<void()> on_hup_;
  bool handle_signals_ = false;
  std::unique_ptr<SignalSet> signals_;  // after workers_: destroyed before their io_contexts
  // Last: shut down (its running requests finished) before the workers' io_contexts go.
  std::unique_ptr<OffloadPool> pool_;
};

}  // namespace latchkey::http
