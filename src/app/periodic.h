// A background thread that runs a task every period until stopped: the outage guard's ticks,
// the readiness probe and serve's housekeeping. Stop (and the destructor) wakes the thread,
// lets a run in progress finish and joins it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace latchkey::app {

class Periodic {
 public:
  Periodic() = default;
  ~Periodic() { Stop(); }
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

  // Runs `task` every `period` on a thread of its own: the first run at once when
  // `run_first`, else after one period. Call once.
  void Start(std::chrono::milliseconds period, std::function<void()> task, bool run_first) {
    thread_ = std::thread([this, period, task = std::move(task), run_first] {
      std::unique_lock lock(mu_);
      bool run = run_first;
      while (true) {
        if (run) {
          lock.unlock();
          task();
          lock.lock();
        }
        if (cv_.wait_for(lock, period, [this] { return stop_; })) return;
        run = true;
      }
    });
  }

  // Idempotent; a no-op when never started.
  void Stop() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace latchkey::app
