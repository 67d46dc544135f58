#include "app/readiness.h"

#include <utility>

#include <spdlog/spdlog.h>

namespace latchkey::app {

Readiness::Readiness(std::function<bool()> ping) : ping_(std::move(ping)) {}

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
  thread_.Start(period, [this] { Probe(); }, /*wait_first=*/true);
}

}  // namespace latchkey::app
