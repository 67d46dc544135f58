#include "app/readiness.h"

#include <utility>

#include <spdlog/spdlog.h>

namespace latchkey::app {

Readiness::Readiness(std::function<bool()> ping) : ping_(std::move(ping)) {}

Readiness::~Readiness() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Readiness::Probe() {
  const bool now_ready = ping_();
  const bool was_ready = ready_.exchange(now_ready, std::memory_order_acq_rel);
  if (was_ready && !now_ready) {
    spdlog::error("event=not_ready reason=\"the store does not answer; /readyz answers 503\"");
  } else if (!was_ready && now_ready) {
    spdlog::info("event=ready reason=\"the store answers again; /readyz answers 200\"");
  }
}

void Readiness::Start(std::chrono::milliseconds period) {
  Probe();
  thread_ = std::thread([this, period] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, period, [this] { return stop_; })) {
      lock.unlock();
      Probe();
      lock.lock();
    }
  });
}

}  // namespace latchkey::app
