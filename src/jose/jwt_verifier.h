// Verification of RS256 JWTs against an explicit policy (RFC 7519 §7.2, RFC 8725).
//
//   jose::StaticKeySource keys;
//   keys.Add(kid, public_key);
//   jose::VerifyPolicy policy{.issuers = {issuer}, .audiences = {"api://latchkey"}};
//   Result<jose::VerifiedJwt> jwt = jose::VerifyJwt(token, policy, keys, clock.Now());
//
// The signature is checked before any claim is trusted. Only RS256 is implemented; "none" and
// HS* are refused whatever the policy says. Keys come only from the KeySource by "kid": key
// material or URLs inside the token (jwk, jku, x5u, x5c) are never used. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "crypto/rsa.h"

namespace latchkey::jose {

// Supplies verification keys by kid. Implementations are thread-safe.
class KeySource {
 public:
  virtual ~KeySource() = default;
  // The key for `kid`, or nullopt. When a policy does not require "kid" and a token has
  // none, Find("") is asked.
  virtual std::optional<crypto::RsaPublicKey> Find(std::string_view kid) const = 0;
};

// A fixed map kid -> key. Add and Find may run concurrently.
class StaticKeySource : public KeySource {
 public:
  // Adds or replaces the key for `kid`.
  void Add(std::string kid, crypto::RsaPublicKey key);
  std::optional<crypto::RsaPublicKey> Find(std::string_view kid) const override;

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, crypto::RsaPublicKey, std::less<>> keys_;
};

struct VerifyPolicy {
  // Allow-list of "alg" values. Only "RS256" is implemented; "none" and HS* are never
  // accepted even if listed.
  std::vector<std::string> algorithms{"RS256"};
  // Accepted "iss" values, exact match. If empty, `issuer_check` decides; if both are empty
  // every token is rejected (the issuer is always checked).
  std::vector<std::string> issuers;
  std::function<bool(std::string_view)> issuer_check;
  // The token's "aud" (string or array of strings) must contain one of these. Empty rejects
  // every token.
  std::vector<std::string> audiences;
  // Clock tolerance for exp/nbf/iat; negative counts as 0, clamped to at most 300 s.
  std::chrono::seconds skew{60};
  // Claims that must be present. exp/nbf/iat, when present, are always checked.
  std::vector<std::string> required_claims{"iss", "aud", "exp", "iat"};
  bool require_kid = true;
};

struct VerifiedJwt {
  nlohmann::json header;
  nlohmann::json claims;
  TimePoint expires_at;  // from "exp"; TimePoint::max() if the token has none
};

// Verifies `token` at instant `now`. Every failure is kUnauthenticated, with a message naming
// the failed check (never the token or a claim value).
Result<VerifiedJwt> VerifyJwt(std::string_view token, const VerifyPolicy& policy,
                              const KeySource& keys, TimePoint now);
struct ParsedJwt;
// The same for a token already parsed (jose::ParseJwt), so a caller that read its claims
// first does not parse it twice.
Result<VerifiedJwt> VerifyJwt(const ParsedJwt& jwt, const VerifyPolicy& policy,
                              const KeySource& keys, TimePoint now);

}  // namespace latchkey::jose
