#include "idp/client_cache.h"

namespace latchkey::idp {

uint64_t ClientCache::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

std::shared_ptr<const CachedClient> ClientCache::Get(const std::string& key, TimePoint now) const {
  std::lock_guard lock(mu_);
  auto it = map_.find(key);
  if (it == map_.end() || it->second.expires_at <= now) return nullptr;
  return it->second.value;
}

void ClientCache::Put(const std::string& key, std::shared_ptr<const CachedClient> value,
                      TimePoint now, uint64_t generation) {
  std::lock_guard lock(mu_);
  if (generation != generation_) return;
  if (map_.size() >= capacity_ && map_.find(key) == map_.end()) map_.erase(map_.begin());
  map_.insert_or_assign(key, Entry{std::move(value), now + ttl_});
}

void ClientCache::Clear() {
  std::lock_guard lock(mu_);
  ++generation_;
  map_.clear();
}

std::string ClientCache::Key(const std::string& tenant, const std::string& client_id) {
  return tenant + "|" + client_id;
}

}  // namespace latchkey::idp
