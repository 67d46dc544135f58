// Throttles repeated failures per key (client id, remote address, ...) to slow brute force
// without affecting other keys. After `max_failures` failures inside `window`, the key is
// locked out for `lockout`; Check() then returns the seconds left (for Retry-After).
//
// Memory is bounded in bytes, whatever the keys: a key is never stored, only its 64-bit
// SipHash-2-4 under a per-process random key (so an outsider can neither read nor aim
// collisions), and at most max_bytes / kBytesPerEntry keys are tracked, the least recently
// failed forgotten first. A 1 MiB key costs what an 8-byte one does. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"

namespace latchkey {

// 64-bit SipHash-2-4 of `data` under a 128-bit key (k0, k1).
uint64_t SipHash24(uint64_t k0, uint64_t k1, std::string_view data);

// SipHash-2-4 under a key drawn from /dev/urandom when constructed: it only has to be unknown
// to clients, so that they can neither read the hashes nor aim collisions.
class KeyedHash {
 public:
  KeyedHash();
  uint64_t operator()(std::string_view data) const { return SipHash24(k0_, k1_, data); }

 private:
  uint64_t k0_ = 0;
  uint64_t k1_ = 0;
};

class FailureThrottle {
 public:
  // What one tracked key costs at most: the map node, its bucket and its LRU list node, with
  // the allocator's rounding (tests/base/rate_limiter_test.cc measures it).
  static constexpr size_t kBytesPerEntry = 160;
  static constexpr size_t kDefaultMaxBytes = size_t{8} << 20;  // 8 MiB: ~52 k keys

  FailureThrottle(const Clock& clock, int max_failures, std::chrono::seconds window,
                  std::chrono::seconds lockout, size_t max_bytes = kDefaultMaxBytes);

  // 0 when the key may proceed; otherwise the whole seconds until it may (at least 1).
  std::chrono::seconds Check(std::string_view key) const;
  void RecordFailure(std::string_view key);
  void RecordSuccess(std::string_view key);

  size_t size() const;
  size_t max_entries() const { return max_entries_; }

 private:
  struct Entry {
    int failures = 0;
    TimePoint window_start;
    TimePoint locked_until;
    std::list<uint64_t>::iterator lru;
  };
  uint64_t Hash(std::string_view key) const { return hash_(key); }

  const Clock& clock_;
  const int max_failures_;
  const std::chrono::seconds window_;
  const std::chrono::seconds lockout_;
  const size_t max_entries_;
  const KeyedHash hash_;
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Entry> entries_;
  std::list<uint64_t> lru_;  // front = most recent
};

}  // namespace latchkey
