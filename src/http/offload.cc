#include "http/offload.h"

namespace latchkey::http {

namespace {

struct ThreadState {
  bool fast_path = false;
  bool deferred = false;
  const OffloadJob* job = nullptr;  // on a pool thread: the job being run
};

thread_local ThreadState tls_state;

}  // namespace

bool DeferToPool() {
  if (!tls_state.fast_path) return false;
  tls_state.deferred = true;
  return true;
}

bool Deferred() { return tls_state.fast_path && tls_state.deferred; }

bool Abandoned() {
  const OffloadJob* job = tls_state.job;
  if (job == nullptr) return false;
  return job->cancelled.load(std::memory_order_acquire) ||
         std::chrono::steady_clock::now() >= job->deadline;
}

bool OnPool() { return tls_state.job != nullptr; }

FastPathScope::FastPathScope(bool enabled) {
  tls_state.fast_path = enabled;
  tls_state.deferred = false;
}

FastPathScope::~FastPathScope() {
  tls_state.fast_path = false;
  tls_state.deferred = false;
}

bool FastPathScope::deferred() const { return tls_state.deferred; }

void OffloadJob::Abandon() {
  cancelled.store(true, std::memory_order_release);
  int expected = kQueued;
  state.compare_exchange_strong(expected, kAbandoned, std::memory_order_acq_rel);
}

OffloadPool::OffloadPool(const Handler& handler, int threads, size_t max_queue,
                         size_t max_queue_bytes,
                         std::function<Response(int, std::string_view, std::string_view)> render)
    : handler_(handler),
      max_queue_(max_queue),
      max_queue_bytes_(max_queue_bytes),
      render_error_(std::move(render)) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

OffloadPool::~OffloadPool() { Shutdown(); }

bool OffloadPool::Submit(std::shared_ptr<OffloadJob> job) {
  {
    std::lock_guard lock(mu_);
    if (stop_ || queue_.size() >= max_queue_ ||
        (!queue_.empty() && queued_bytes_ + job->bytes > max_queue_bytes_)) {
      rejected_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    queued_bytes_ += job->bytes;
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

void OffloadPool::Shutdown() {
  std::deque<std::shared_ptr<OffloadJob>> left;
  {
    std::lock_guard lock(mu_);
    if (stop_ && threads_.empty()) return;
    stop_ = true;
    left.swap(queue_);
    queued_bytes_ = 0;
  }
  cv_.notify_all();
  for (auto& job : left) {
    job->Abandon();
    abandoned_.fetch_add(1, std::memory_order_relaxed);
  }
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

OffloadStats OffloadPool::Stats() const {
  std::lock_guard lock(mu_);
  return {.executed = executed_.load(std::memory_order_relaxed),
          .rejected = rejected_.load(std::memory_order_relaxed),
          .abandoned = abandoned_.load(std::memory_order_relaxed),
          .queued = queue_.size()};
}

void OffloadPool::Loop() {
  for (;;) {
    std::shared_ptr<OffloadJob> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= job->bytes;
    }
    Execute(*job);
    Notify(job);
  }
}

void OffloadPool::Execute(OffloadJob& job) {
  int expected = OffloadJob::kQueued;
  if (!job.state.compare_exchange_strong(expected, OffloadJob::kRunning,
                                         std::memory_order_acq_rel)) {
    abandoned_.fetch_add(1, std::memory_order_relaxed);  // the session gave up while queued
    return;
  }
  if (job.cancelled.load(std::memory_order_acquire) ||
      std::chrono::steady_clock::now() >= job.deadline) {
    // Never executed late: the session answers 503 (if its client is still there).
    abandoned_.fetch_add(1, std::memory_order_relaxed);
    job.state.store(OffloadJob::kExpired, std::memory_order_release);
    return;
  }
  tls_state.job = &job;
  Response response;
  try {
    response = handler_(job.request);
  } catch (...) {
    response = render_error_(500, "internal error", job.request.path);
  }
  tls_state.job = nullptr;
  job.response = std::move(response);
  executed_.fetch_add(1, std::memory_order_relaxed);
  job.state.store(OffloadJob::kDone, std::memory_order_release);
}

void OffloadPool::Notify(const std::shared_ptr<OffloadJob>& job) {
  // Wakes the session on its worker's thread; a session that has gone ignores it. The
  // worker's io_context outlives the pool (ServerCore shuts the pool down first).
  asio::post(job->executor, [job] {
    if (std::shared_ptr<OffloadWait> wait = job->waiter.lock()) wait->timer.cancel();
  });
}

}  // namespace latchkey::http
