// Time comes in through this interface so that tests move time instead of sleeping.
// Implementations are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace latchkey {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

// The real wall clock (system_clock::now appears only in system_clock.cc).
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
};

// A clock for tests: starts at a fixed instant and moves only when told.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start) : now_(start) {}
  TimePoint Now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void Advance(std::chrono::system_clock::duration d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }
  void Set(TimePoint t) {
    std::lock_guard lock(mu_);
    now_ = t;
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_;
};

inline int64_t ToUnixSeconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
inline int64_t ToUnixMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline TimePoint FromUnixSeconds(int64_t s) { return TimePoint(std::chrono::seconds(s)); }
inline TimePoint FromUnixMillis(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

// `t` (whole seconds) through strftime's `format`, in UTC or in the local time zone; the text
// is at most 63 bytes.
std::string FormatUtc(TimePoint t, const char* format);
std::string FormatLocal(TimePoint t, const char* format);
// "2026-12-06T05:30:00Z".
inline std::string Rfc3339Utc(TimePoint t) { return FormatUtc(t, "%Y-%m-%dT%H:%M:%SZ"); }

}  // namespace latchkey
