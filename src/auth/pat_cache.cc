#include "auth/pat_cache.h"
#include "http/offload_context.h"

#include <map>
#include <vector>

namespace latchkey::auth {

PatCache::PatCache(store::TokenStore& store, const Clock& clock, std::chrono::seconds ttl,
                   size_t capacity, metrics::ServiceMetrics* metrics)
    : store_(store),
      clock_(clock),
      ttl_(ttl),
      capacity_(capacity),
      cache_(capacity),
      metrics_(metrics) {}

Result<CachedPat> PatCache::Find(const std::string& token_id) {
  TimePoint now = clock_.Now();
  std::optional<CachedPat> cached = cache_.Get(token_id, now);
  // Counted once per request: on its fast-path attempt, not again on the store pool.
  if (metrics_ != nullptr && !http::OnPool()) metrics_->AuthCacheLookup("pat", cached.has_value());
  if (cached) return *cached;
  uint64_t generation = cache_.generation();
  Result<store::Pat> pat = store_.GetPat(token_id);
  if (!pat) return std::unexpected(pat.error());
  CachedPat entry{pat->owner_id, pat->expires_at};
  TimePoint until = now + ttl_;
  if (pat->expires_at && *pat->expires_at < until) until = *pat->expires_at;
  cache_.Put(token_id, entry, until, generation);
  if (pat->last_used_day) {
    std::lock_guard lock(used_mu_);
    if (recorded_day_.size() < capacity_) recorded_day_.try_emplace(token_id, *pat->last_used_day);
  }
  return entry;
}

void PatCache::Evict(const std::string& token_id) {
  cache_.Erase(token_id);
  std::lock_guard lock(used_mu_);
  pending_.erase(token_id);
  recorded_day_.erase(token_id);
}

void PatCache::Clear() { cache_.Clear(); }

TimePoint PatCache::Day(TimePoint t) const {
  using Days = std::chrono::duration<int64_t, std::ratio<86400>>;
  return TimePoint(std::chrono::floor<Days>(t.time_since_epoch()));
}

void PatCache::MarkUsed(const std::string& token_id) {
  TimePoint today = Day(clock_.Now());
  std::lock_guard lock(used_mu_);
  auto it = recorded_day_.find(token_id);
  if (it != recorded_day_.end() && it->second >= today) return;
  // Bounded: forgetting what was recorded only costs a redundant write.
  if (recorded_day_.size() >= capacity_) recorded_day_.clear();
  recorded_day_[token_id] = today;
  pending_[token_id] = today;
}

Status PatCache::FlushLastUsed() {
  std::unordered_map<std::string, TimePoint> pending;
  {
    std::lock_guard lock(used_mu_);
    pending.swap(pending_);
  }
  if (pending.empty()) return Ok();
  std::map<TimePoint, std::vector<std::string>> by_day;
  for (auto& [id, day] : pending) by_day[day].push_back(id);
  Status result = Ok();
  for (auto& [day, ids] : by_day) {
    Status touched = store_.TouchPats(ids, day);
    if (!touched) {
      result = touched;
      std::lock_guard lock(used_mu_);
      for (const std::string& id : ids) pending_.try_emplace(id, day);
    }
  }
  return result;
}

}  // namespace latchkey::auth
