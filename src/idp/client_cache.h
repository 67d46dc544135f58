// The store reads of a client-credentials request, cached (bench/README.md: they were the
// largest cost of issuance after the RS256 signature): the application by client id, its
// service principal in the requested tenant and its password credential hashes.
//
// Invalidation: kCredentialChanged (a password or certificate removed, an application or a
// service principal deleted; from this process and, on PostgreSQL, from other replicas) clears
// the cache; a Put of a read that began before a clear is dropped. Adding a password notifies
// nothing, so a secret that does not match the cached hashes is checked again against a fresh
// read before the request fails (TokenService). Entries live at most `ttl`. Misses are not
// cached. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/ttl_cache.h"
#include "store/records.h"

namespace latchkey::idp {

struct CachedClient {
  store::Application app;
  store::DirectoryServicePrincipal sp;  // in the tenant the entry was read for
  std::vector<store::PasswordCredential> passwords;
};

class ClientCache {
 public:
  ClientCache(std::chrono::seconds ttl, size_t capacity) : ttl_(ttl), cache_(capacity) {}

  // Read before the store reads whose result goes to Put.
  uint64_t generation() const { return cache_.generation(); }
  std::shared_ptr<const CachedClient> Get(const std::string& key, TimePoint now) const {
    auto hit = cache_.Get(key, now);
    return hit ? std::move(*hit) : nullptr;
  }
  void Put(const std::string& key, std::shared_ptr<const CachedClient> value, TimePoint now,
           uint64_t generation) {
    cache_.Put(key, std::move(value), now + ttl_, generation);
  }
  void Clear() { cache_.Clear(); }

  // "<tenant from the path, or empty on /adfs>|<lower-case client id>".
  static std::string Key(const std::string& tenant, const std::string& client_id);

 private:
  const std::chrono::seconds ttl_;
  TtlCache<std::shared_ptr<const CachedClient>> cache_;
};

}  // namespace latchkey::idp
