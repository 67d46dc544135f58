// A thread that runs one function every period until its owner goes: the probe loops of
// app/readiness.h and app/outage_guard.h. Declare it as the owner's last member, so it stops
// (and a run in progress returns) before anything the function uses is destroyed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace latchkey::app {

class PeriodicThread {
 public:
  PeriodicThread() = default;
  ~PeriodicThread() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  // Runs `fn` every `period` (the first time at once, or after one period when `wait_first`)
  // on a thread of its own. Call once.
  void Start(std::chrono::milliseconds period, std::function<void()> fn, bool wait_first) {
    thread_ = std::thread([this, period, fn = std::move(fn), wait_first] {
      std::unique_lock lock(mu_);
      if (wait_first && cv_.wait_for(lock, period, [this] { return stop_; })) return;
      while (!stop_) {
        lock.unlock();
        fn();
        lock.lock();
        cv_.wait_for(lock, period, [this] { return stop_; });
      }
    });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace latchkey::app
