// Requests that may block (on the store, on a network fetch) leave the I/O threads.
//
// Every handler first runs on its connection's worker thread (the fast path: a cached
// authentication of a GET served from caches, /healthz, static pages cost no extra hop).
// Code about to block calls DeferToPool(): on the fast path it answers true, the caller
// returns at once without side effects (its response is discarded), and the session runs the
// whole handler again on the server's store pool (OffloadPool), whose bounded queue holds
// the request with its deadline. The worker meanwhile serves its other connections; the
// session answers when the pool completes the request, so responses keep their order per
// connection. A request whose deadline passes while queued, or whose client has gone, is
// never executed; once running, every further blocking call refuses (Abandoned()), so no new
// store call starts for a request that is not going to be answered.
//
// The rule for handlers: nothing with an effect that matters (a durable write, a throttle's
// count, an audit line) may happen before the first DeferToPool() of a fast-path attempt.
// Store calls check it themselves (app/instrumented_store.h); so do the failure throttles'
// callers and federation's key wait.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "http/asio.h"
#include "http/message.h"
#include "http/offload_context.h"

namespace latchkey::http {

// Wakes the waiting session (internal; lives on the worker's thread).
struct OffloadWait {
  explicit OffloadWait(const Executor& executor) : timer(executor) {}
  Timer timer;
  bool peer_event = false;
};

struct OffloadJob {
  enum State : int { kQueued, kRunning, kDone, kExpired, kAbandoned };
  Request request;  // a copy: the session keeps its own
  std::chrono::steady_clock::time_point deadline;
  size_t bytes = 0;  // counted against the queue's byte bound
  std::atomic<int> state{kQueued};
  std::atomic<bool> cancelled{false};  // the session gave up (deadline, client gone)
  Response response;                   // valid once state is kDone (acquire)
  Executor executor;                   // the session's worker
  std::weak_ptr<OffloadWait> waiter;

  OffloadJob(Request r, std::chrono::steady_clock::time_point d, Executor e)
      : request(std::move(r)), deadline(d), executor(std::move(e)) {}
  // The session gives up: a queued job will never run, a running one refuses further
  // blocking calls.
  void Abandon();
};

struct OffloadStats {
  uint64_t executed = 0;
  uint64_t rejected = 0;   // queue full: answered 503
  uint64_t abandoned = 0;  // never executed: deadline passed or client gone
  size_t queued = 0;
};

class OffloadPool {
 public:
  // `handler` must outlive the pool; `executed` calls run on the pool's threads.
  OffloadPool(const Handler& handler, int threads, size_t max_queue, size_t max_queue_bytes,
              std::function<Response(int, std::string_view, std::string_view)> render_error);
  ~OffloadPool();  // Shutdown()
  OffloadPool(const OffloadPool&) = delete;
  OffloadPool& operator=(const OffloadPool&) = delete;

  // Queues `job` unless the queue is full (entries or bytes) or the pool has stopped.
  bool Submit(std::shared_ptr<OffloadJob> job);
  // Abandons what is queued and joins the threads (a running job finishes first).
  void Shutdown();
  OffloadStats Stats() const;

 private:
  void Loop();
  void Execute(OffloadJob& job);
  static void Notify(const std::shared_ptr<OffloadJob>& job);

  const Handler& handler_;
  const size_t max_queue_;
  const size_t max_queue_bytes_;
  std::function<Response(int, std::string_view, std::string_view)> render_error_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<OffloadJob>> queue_;
  size_t queued_bytes_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
  std::atomic<uint64_t> executed_{0}, rejected_{0}, abandoned_{0};
};

}  // namespace latchkey::http
