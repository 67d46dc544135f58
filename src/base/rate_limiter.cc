#include "base/rate_limiter.h"

namespace latchkey {

FailureThrottle::FailureThrottle(const Clock& clock, int max_failures, std::chrono::seconds window,
                                 std::chrono::seconds lockout, size_t max_keys)
    : clock_(clock),
      max_failures_(max_failures),
      window_(window),
      lockout_(lockout),
      max_keys_(max_keys) {}

std::chrono::seconds FailureThrottle::Check(std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(key));
  if (it == entries_.end()) return std::chrono::seconds(0);
  TimePoint now = clock_.Now();
  if (it->second.locked_until <= now) return std::chrono::seconds(0);
  auto left = std::chrono::ceil<std::chrono::seconds>(it->second.locked_until - now);
  return left < std::chrono::seconds(1) ? std::chrono::seconds(1) : left;
}

void FailureThrottle::RecordFailure(std::string_view key) {
  std::lock_guard lock(mu_);
  TimePoint now = clock_.Now();
  std::string k(key);
  auto it = entries_.find(k);
  if (it == entries_.end()) {
    if (entries_.size() >= max_keys_ && !lru_.empty()) {
      entries_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.push_front(k);
    it = entries_.emplace(k, Entry{0, now, TimePoint{}, lru_.begin()}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  Entry& e = it->second;
  if (now - e.window_start > window_) {
    e.window_start = now;
    e.failures = 0;
  }
  if (++e.failures >= max_failures_) {
    e.locked_until = now + lockout_;
    e.failures = 0;
    e.window_start = now;
  }
}

void FailureThrottle::RecordSuccess(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(key));
  if (it == entries_.end() || it->second.locked_until > clock_.Now()) return;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

}  // namespace latchkey
