#include "app/outage_guard.h"

#include <utility>

#include <spdlog/spdlog.h>

namespace latchkey::app {

OutageGuard::OutageGuard(Probes probes, const Clock& clock, std::chrono::seconds grace)
    : probes_(std::move(probes)), clock_(clock), grace_(grace) {}

OutageGuard::State OutageGuard::Tick() {
  State next;
  if (probes_.listening()) {
    unreachable_since_.reset();
    next = State::kListening;
  } else if (probes_.reachable()) {
    unreachable_since_.reset();
    probes_.flush();
    next = State::kRevalidating;
  } else {
    TimePoint now = clock_.Now();
    if (!unreachable_since_) unreachable_since_ = now;
    if (now - *unreachable_since_ >= grace_) {
      probes_.flush();
      next = State::kFailedClosed;
    } else {
      next = State::kWithinGrace;
    }
  }
  if (next != state_) {
    switch (next) {
      case State::kListening:
        spdlog::info("event=auth_cache_trusted reason=\"change notifications are heard again\"");
        break;
      case State::kRevalidating:
        spdlog::warn(
            "event=auth_cache_revalidating reason=\"change notifications are not heard; cached "
            "credentials are checked against the database\"");
        break;
      case State::kWithinGrace:
        spdlog::warn(
            "event=auth_cache_outage_grace grace_seconds={} reason=\"database unreachable; "
            "cached credentials keep authenticating for the grace period\"",
            grace_.count());
        break;
      case State::kFailedClosed:
        spdlog::error(
            "event=auth_cache_failed_closed grace_seconds={} reason=\"database unreachable "
            "beyond the grace period; cached credentials are refused (503)\"",
            grace_.count());
        break;
    }
    state_ = next;
  }
  return next;
}

void OutageGuard::Start(std::chrono::milliseconds period) {
  thread_.Start(period, [this] { Tick(); }, /*wait_first=*/false);
}

}  // namespace latchkey::app
