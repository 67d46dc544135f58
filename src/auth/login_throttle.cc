#include "auth/login_throttle.h"

#include <algorithm>
#include <string>

#include "base/encoding.h"

namespace latchkey::auth {
namespace {

// The byte budget split: a quarter each for addresses, clients, familiar-pair failures and
// the familiar set itself.
size_t Quarter(const LockoutPolicy& p) { return p.max_bytes / 4; }

std::string ClientKey(std::string_view client_id) { return AsciiLower(std::string(client_id)); }

}  // namespace

LoginThrottle::LoginThrottle(const Clock& clock, LockoutPolicy policy)
    : clock_(clock),
      policy_(policy),
      by_address_(clock, policy.address_failures, policy.window, policy.lockout, Quarter(policy)),
      by_client_(clock, policy.client_failures, policy.window, policy.lockout, Quarter(policy)),
      by_pair_(clock, policy.familiar_failures, policy.window, policy.lockout, Quarter(policy)),
      max_familiar_(std::max<size_t>(1, Quarter(policy) / kBytesPerFamiliar)) {}

uint64_t LoginThrottle::PairHash(std::string_view client_id, std::string_view address) const {
  // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
  std::string data = std::to_string(client_id.size()) + ":" + ClientKey(client_id);
  data.append(address);
  return hash_(data);
}

bool LoginThrottle::IsFamiliar(uint64_t pair) const {
  std::lock_guard lock(mu_);
  auto it = familiar_.find(pair);
  return it != familiar_.end() && it->second.until > clock_.Now();
}

std::chrono::seconds LoginThrottle::Check(std::string_view client_id,
                                          std::string_view address) const {
  if (!client_id.empty()) {
    const uint64_t pair = PairHash(client_id, address);
    if (IsFamiliar(pair)) return by_pair_.Check(std::to_string(pair));
  }
  std::chrono::seconds wait = by_address_.Check(address);
  if (!client_id.empty()) wait = std::max(wait, by_client_.Check(ClientKey(client_id)));
  return wait;
}

void LoginThrottle::RecordFailure(std::string_view client_id, std::string_view address) {
  by_address_.RecordFailure(address);
  if (client_id.empty()) return;
  const uint64_t pair = PairHash(client_id, address);
  if (IsFamiliar(pair)) {
    by_pair_.RecordFailure(std::to_string(pair));
  } else {
    by_client_.RecordFailure(ClientKey(client_id));
  }
}

void LoginThrottle::RecordSuccess(std::string_view client_id, std::string_view address) {
  if (client_id.empty()) return;
  const uint64_t pair = PairHash(client_id, address);
  by_pair_.RecordSuccess(std::to_string(pair));
  std::lock_guard lock(mu_);
  const TimePoint until = clock_.Now() + policy_.familiar_for;
  auto it = familiar_.find(pair);
  if (it != familiar_.end()) {
    it->second.until = until;
    familiar_lru_.splice(familiar_lru_.begin(), familiar_lru_, it->second.lru);
    return;
  }
  if (familiar_.size() >= max_familiar_ && !familiar_lru_.empty()) {
    familiar_.erase(familiar_lru_.back());
    familiar_lru_.pop_back();
  }
  familiar_lru_.push_front(pair);
  familiar_.emplace(pair, Familiar{until, familiar_lru_.begin()});
}

}  // namespace latchkey::auth
