// /readyz's answer, kept current off the request path: a thread pings the store every
// `period` (the store's own bounded ping: 1 s to check out a connection, 1 s to answer), so a
// load balancer sees 503 while the store is unusable and 200 again after it recovers, and
// /readyz itself never waits on the database. Transitions are logged.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>

#include "app/periodic.h"

namespace latchkey::app {

class Readiness {
 public:
  // `ping` answers whether the store is usable; called on the probe's thread only.
  explicit Readiness(std::function<bool()> ping);
  ~Readiness();  // stops the thread
  Readiness(const Readiness&) = delete;
  Readiness& operator=(const Readiness&) = delete;

  // One probe, now (also the first one, before Start returns).
  void Probe();
  void Start(std::chrono::milliseconds period);
  bool ready() const { return ready_.load(std::memory_order_acquire); }

 private:
  std::function<bool()> ping_;
  std::atomic<bool> ready_{true};
  Periodic periodic_;  // last: stopped before the rest is destroyed
};

}  // namespace latchkey::app
