// Smart lockout for client-credential logins (Entra's "familiar locations", in miniature).
//
// A failed login counts against the address that made it and, separately, against the client
// id it named, but only as a failure "from an unfamiliar address": an address becomes familiar
// to a client once the client has logged in from it. So
//   - an address that keeps failing is refused (for clients unfamiliar with it),
//   - a client whose secret is being guessed from elsewhere is refused from everywhere it has
//     never logged in from, and
//   - the right secret from an address the client has used before is never refused because of
//     someone else's failures; only that client's own failures from that address (after
//     `familiar_failures` of them) slow it down.
// Check() before the credential is verified; RecordFailure()/RecordSuccess() after. Client ids
// are compared case-insensitively (ASCII), as the lookups that follow compare them.
//
// Memory is bounded in bytes (each table is a FailureThrottle of hashed keys, or a familiar
// set of hashed pairs), whatever the ids and addresses: see max_bytes(). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"
#include "base/rate_limiter.h"

namespace latchkey::auth {

struct LockoutPolicy {
  int address_failures = 100;  // from one address, against clients unfamiliar with it
  int client_failures = 10;    // against one client, from addresses unfamiliar to it
  int familiar_failures = 10;  // of one client from one familiar address
  std::chrono::seconds window{300};
  std::chrono::seconds lockout{60};
  std::chrono::seconds familiar_for{std::chrono::hours(24 * 30)};
  size_t max_bytes = size_t{16} << 20;  // all tables together
};

class LoginThrottle {
 public:
  // One familiar (client, address) pair: hash-map node, bucket and LRU node.
  static constexpr size_t kBytesPerFamiliar = 160;

  LoginThrottle(const Clock& clock, LockoutPolicy policy);

  // 0: go ahead and check the credential. Otherwise the seconds to wait (Retry-After).
  // `client_id` may be empty (bearer logins name no client): then only the address counts.
  std::chrono::seconds Check(std::string_view client_id, std::string_view address) const;
  void RecordFailure(std::string_view client_id, std::string_view address);
  void RecordSuccess(std::string_view client_id, std::string_view address);

  const LockoutPolicy& policy() const { return policy_; }
  size_t max_bytes() const { return policy_.max_bytes; }

 private:
  uint64_t PairHash(std::string_view client_id, std::string_view address) const;
  bool IsFamiliar(uint64_t pair) const;

  const Clock& clock_;
  const LockoutPolicy policy_;
  FailureThrottle by_address_;
  FailureThrottle by_client_;  // failures from unfamiliar addresses only
  FailureThrottle by_pair_;    // failures from familiar addresses only
  const size_t max_familiar_;
  const KeyedHash hash_;
  mutable std::mutex mu_;
  struct Familiar {
    TimePoint until;
    std::list<uint64_t>::iterator lru;
  };
  std::unordered_map<uint64_t, Familiar> familiar_;
  std::list<uint64_t> familiar_lru_;  // front = most recent success
};

}  // namespace latchkey::auth
