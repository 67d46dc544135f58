// Throttles repeated failures per key (client id, remote address, ...) to slow brute force
// without affecting other keys. After `max_failures` failures inside `window`, the key is
// locked out for `lockout`; Check() then returns the seconds left (for Retry-After).
// Memory is bounded: at most `max_keys` keys are tracked; the oldest are forgotten first.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"

namespace latchkey {

class FailureThrottle {
 public:
  FailureThrottle(const Clock& clock, int max_failures, std::chrono::seconds window,
                  std::chrono::seconds lockout, size_t max_keys = 100000);

  // 0 when the key may proceed; otherwise the whole seconds until it may (at least 1).
  std::chrono::seconds Check(std::string_view key) const;
  void RecordFailure(std::string_view key);
  void RecordSuccess(std::string_view key);

 private:
  struct Entry {
    int failures = 0;
    TimePoint window_start;
    TimePoint locked_until;
    std::list<std::string>::iterator lru;
  };
  const Clock& clock_;
  const int max_failures_;
  const std::chrono::seconds window_;
  const std::chrono::seconds lockout_;
  const size_t max_keys_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // front = most recent
};

}  // namespace latchkey
