// The one TTL cache: a small thread-safe map with a per-entry expiry and a size bound, used for
// the auth-path caches (PATs, verified JWTs, principals, Entra clients). Invalidation bumps a generation; a value computed
// from a read that began before an invalidation is dropped by Put, so a cache fill racing
// with a delete can never resurrect the deleted entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "base/clock.h"

namespace latchkey {

template <class V>
class TtlCache {
 public:
  explicit TtlCache(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Read before the store lookup that produces a value for Put.
  uint64_t generation() const {
    std::lock_guard lock(mu_);
    return generation_;
  }

  std::optional<V> Get(const std::string& key, TimePoint now) const {
    std::lock_guard lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end() || it->second.expires_at <= now) return std::nullopt;
    return it->second.value;
  }

  // Stores `value` until `expires_at` unless the cache was invalidated since `generation`.
  void Put(const std::string& key, V value, TimePoint expires_at, uint64_t generation) {
    std::lock_guard lock(mu_);
    if (generation != generation_) return;
    if (map_.size() >= capacity_ && map_.find(key) == map_.end()) {
      // Bounded memory: drop an arbitrary entry; a miss only costs one store read.
      map_.erase(map_.begin());
    }
    map_.insert_or_assign(key, Entry{std::move(value), expires_at});
  }

  void Erase(const std::string& key) {
    std::lock_guard lock(mu_);
    ++generation_;
    map_.erase(key);
  }

  void Clear() {
    std::lock_guard lock(mu_);
    ++generation_;
    map_.clear();
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return map_.size();
  }

 private:
  struct Entry {
    V value;
    TimePoint expires_at;
  };
  const size_t capacity_;
  mutable std::mutex mu_;
  uint64_t generation_ = 0;
  std::unordered_map<std::string, Entry> map_;
};

}  // namespace latchkey
