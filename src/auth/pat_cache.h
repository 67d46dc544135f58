// The PAT hot path (issue #4 item 9): token id -> owner and expiry, served from memory so a
// PAT check costs no store round trip in the common case. Bounded; entries live at most `ttl`.
// The Workspace evicts an id when its PAT is deleted (the store notifies before DeletePat
// returns in-process) and clears the cache when a principal is removed. Also queues the
// coarse last_used_day updates (one write per token per day, flushed by FlushLastUsed).
// Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/clock.h"
#include "base/result.h"
#include "metrics/service_metrics.h"
#include "store/store.h"
#include "base/ttl_cache.h"

namespace latchkey::auth {

struct CachedPat {
  int64_t owner_id = 0;
  std::optional<TimePoint> expires_at;
};

class PatCache {
 public:
  // `metrics` (optional) counts hits and misses as cache "pat".
  PatCache(store::TokenStore& store, const Clock& clock, std::chrono::seconds ttl, size_t capacity,
           metrics::ServiceMetrics* metrics = nullptr);

  // kNotFound for an unknown (or deleted) token id; kUnavailable if the store is down.
  Result<CachedPat> Find(const std::string& token_id);
  void Evict(const std::string& token_id);
  void Clear();
  size_t size() const { return cache_.size(); }

  // Notes a successful use; queued only when the recorded day differs from today (UTC).
  void MarkUsed(const std::string& token_id);
  // Writes the queued days. Failed writes are queued again.
  Status FlushLastUsed();

 private:
  TimePoint Day(TimePoint t) const;

  store::TokenStore& store_;
  const Clock& clock_;
  const std::chrono::seconds ttl_;
  const size_t capacity_;
  TtlCache<CachedPat> cache_;
  metrics::ServiceMetrics* metrics_;
  std::mutex used_mu_;
  std::unordered_map<std::string, TimePoint> recorded_day_;  // last day written or queued
  std::unordered_map<std::string, TimePoint> pending_;       // token id -> day to write
};

}  // namespace latchkey::auth
