// Bearer authentication for every /api/2.0/* call (spec §3): a PAT, an Entra ID access token
// or a workspace OAuth token from /oidc/v1/token, told apart by shape. PAT checks go through
// PatCache; verified JWTs are cached under the SHA-256 of the whole token string (so an
// altered token can never hit the cache) until min(exp, ttl). Guard() is the one gate in
// front of every bearer-authenticated surface (the API, forward-auth, admin-only operations
// endpoints): a denial is throttled per remote address (auth/login_throttle.h) and, unless
// throttled, audited by token id or token hash (never the token) at a bounded rate.
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "auth/login_throttle.h"
#include "base/clock.h"
#include "base/result.h"
#include "store/store.h"
#include "workspace/access.h"
#include "workspace/audit.h"
#include "workspace/bounded_cache.h"
#include "workspace/call_context.h"
#include "workspace/options.h"
#include "workspace/pat_cache.h"

namespace latchkey::workspace {

// The `aud` of workspace OAuth tokens: the workspace id in decimal, so a token is bound to
// this workspace whichever host name the client used (spec §3.2 is [U]).
std::string WorkspaceTokenAudience(const WorkspaceOptions& options);

// Why a bearer token was refused: labels latchkey_auth_failures_total and the audit record;
// callers only ever see "Invalid access token.".
enum class DenialReason {
  kMalformedToken,
  kTokensDisabled,
  kUnknownToken,
  kExpiredToken,
  kUnknownPrincipal,
  kInactivePrincipal,
  kNoPermission,
  kInvalidJwt,
  kWrongIssuer,  // a principal bound to another issuer (issuer binding)
};
std::string_view DenialReasonName(DenialReason reason);

class Authenticator {
 public:
  Authenticator(store::Store& store, const Clock& clock, const WorkspaceOptions& options,
                AccessControl& access, PatCache& pats, AuditLog& audit);

  // The gate: parses the header (auth/bearer.h), authenticates, and on a denial refuses a
  // throttled address outright (nothing recorded) or counts and audits the failure.
  // `remote_address` and `host` only go to the throttle and the audit record.
  GuardResult Guard(std::string_view authorization_header, std::string_view remote_address,
                    std::string_view host);
  // Just the check of one token (introspection): no throttling, no audit. kPermissionDenied
  // for an invalid token, kUnavailable for an outage.
  Result<AuthenticatedPrincipal> Authenticate(std::string_view token);
  void ClearJwtCache() { jwts_.Clear(); }
  // A check's failure, inside the authenticator: why, for the metric and the audit record.
  struct Denial {
    ErrorCode code = ErrorCode::kPermissionDenied;  // kUnavailable: an outage, not a denial
    DenialReason reason = DenialReason::kMalformedToken;
    std::string detail;  // for the audit record; never the token
  };
  template <class T>
  using Checked = std::expected<T, Denial>;

  size_t jwt_cache_size() const { return jwts_.size(); }

 private:
  struct CachedJwt {
    int64_t principal_id = 0;
    AuthKind kind = AuthKind::kEntra;
    std::string token_id;
  };
  Checked<AuthenticatedPrincipal> Check(std::string_view token);
  Checked<AuthenticatedPrincipal> CheckPat(std::string_view token);
  Checked<AuthenticatedPrincipal> CheckJwt(std::string_view token);
  Checked<CachedJwt> VerifyWorkspaceToken(const std::string& token, const std::string& issuer);
  Checked<CachedJwt> VerifyEntraToken(const std::string& token, const std::string& issuer);
  // Whether `issuer` may stand for the service principal of `app_id` (issuer binding).
  Checked<bool> BoundToIssuer(const std::string& issuer, const std::string& app_id);
  Checked<std::shared_ptr<const PrincipalAccess>> ActivePrincipal(int64_t principal_id);

  store::Store& store_;
  const Clock& clock_;
  const WorkspaceOptions& options_;
  AccessControl& access_;
  PatCache& pats_;
  AuditLog& audit_;
  auth::LoginThrottle throttle_;  // failed bearers per remote address
  BoundedTtlCache<std::shared_ptr<const CachedJwt>> jwts_;
};

}  // namespace latchkey::workspace
