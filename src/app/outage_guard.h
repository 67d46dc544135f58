// How long cached credentials may keep authenticating while this replica cannot hear
// revocations made through other replicas (issue 22 item 5, docs/deployment.md).
//
// Cached authentication answers (PATs, verified JWTs, principals and permissions, the token
// endpoint's clients with their secret hashes) are only as fresh as the change notifications
// that evict them. While the store's change listener is connected, they are trusted as usual.
// While it is not:
//   - and the store answers: the caches are flushed on every check, so each authentication
//     reads the store again (nothing goes unheard for longer than one period; this covers the
//     seconds after a failover in which the pool already reaches the new primary and the
//     listener is still reconnecting);
//   - and the store does not answer (no primary): cached answers keep authenticating for
//     `grace` from the first check that found it unreachable; then the caches are flushed on
//     every check, so a credential that is not in the store's reach fails closed (503).
// `grace` 0 fails closed at the first such check. SQLite (one process, its own writes evict
// in-process) reports listening() true; a database without LISTEN is always read through.
// Thread-safe: Tick runs on one thread (Start); the probes must be callable from it.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include "app/periodic.h"
#include "base/clock.h"

namespace latchkey::app {

class OutageGuard {
 public:
  struct Probes {
    std::function<bool()> listening;  // changes made through other replicas reach this one
    std::function<bool()> reachable;  // the store answers (a ping with a short timeout)
    std::function<void()> flush;      // drop every cached authentication answer
  };
  enum class State {
    kListening,     // nothing to do
    kRevalidating,  // not listening, store reachable: caches flushed
    kWithinGrace,   // store unreachable for less than grace: cached answers still served
    kFailedClosed,  // store unreachable for grace or longer: caches flushed
  };

  OutageGuard(Probes probes, const Clock& clock, std::chrono::seconds grace);
  ~OutageGuard();  // stops the thread, if started
  OutageGuard(const OutageGuard&) = delete;
  OutageGuard& operator=(const OutageGuard&) = delete;

  // One check: probes, flushes if needed, logs state changes. Returns the new state.
  State Tick();
  // Runs Tick every `period` on a thread of its own until destroyed.
  void Start(std::chrono::milliseconds period);

 private:
  Probes probes_;
  const Clock& clock_;
  const std::chrono::seconds grace_;
  State state_ = State::kListening;
  std::optional<TimePoint> unreachable_since_;

  Periodic periodic_;  // last: stopped before the rest is destroyed
};

}  // namespace latchkey::app
