// Creates PATs for the token API (§4.1) and on-behalf-of creation (§5.5): the lifetime
// policy, enableTokensConfig, the quota, storage of the hash only, and the audit event.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/secret.h"
#include "store/records.h"
#include "workspace/access.h"
#include "workspace/call_context.h"
#include "workspace/services.h"

namespace latchkey::workspace {

inline constexpr size_t kMaxCommentLength = 1000;
// Scopes (§4.1, new in 2026). latchkey does not enforce API scopes, so it refuses to issue a
// token that claims to be narrower than its owner's access: the only scope accepted is
// "all-apis", which is what an unscoped token has. The bounds keep the check (and the error
// message) cheap whatever a client sends.
inline constexpr char kAllApisScope[] = "all-apis";
inline constexpr size_t kMaxScopes = 32;
inline constexpr size_t kMaxScopeLength = 128;
// Beyond any configured maximum: keeps expiry arithmetic far from overflow.
inline constexpr std::chrono::seconds kAbsoluteMaxLifetime{100LL * 366 * 86400};

struct PatRequest {
  int64_t owner_id = 0;
  std::optional<int64_t> lifetime_seconds;
  std::string comment;
  std::vector<std::string> scopes;
};

struct IssuedPat {
  Secret value;
  store::Pat pat;
};

// The expiry of a new PAT (nullopt: never). kInvalidArgument for a lifetime <= 0 (§4.1: the
// real service says "Invalid timeout"), above maxTokenLifetimeDays (§4.1 [U]) or above
// kAbsoluteMaxLifetime. Omitted: `default_lifetime`, capped by the maximum; with no default,
// the maximum if set, else never (issue #4).
Result<std::optional<TimePoint>> PatExpiry(std::optional<int64_t> lifetime_seconds,
                                           const TokenPolicy& policy,
                                           std::optional<std::chrono::seconds> default_lifetime,
                                           TimePoint now);

// The scopes to store for a token request: empty or {"all-apis"}. kInvalidArgument for more
// than kMaxScopes entries, an entry longer than kMaxScopeLength, or any other scope.
Result<std::vector<std::string>> CheckScopes(const std::vector<std::string>& scopes);

class PatIssuer {
 public:
  explicit PatIssuer(const ServiceDeps& deps) : deps_(deps) {}

  // kPermissionDenied while PATs are disabled (§4.1 [U]: 403); kInvalidArgument for a bad
  // lifetime, comment or scopes; kResourceExhausted past the quota (QUOTA_EXCEEDED).
  Result<IssuedPat> Issue(const PatRequest& request, const CallContext& context,
                          std::string_view audit_action);

 private:
  const ServiceDeps& deps_;
};

}  // namespace latchkey::workspace
