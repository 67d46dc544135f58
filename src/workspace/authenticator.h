// Bearer authentication for every /api/2.0/* call (spec §3): a PAT, an Entra ID access token
// or a workspace OAuth token from /oidc/v1/token, told apart by shape. PAT checks go through
// PatCache; verified JWTs are cached under the SHA-256 of the whole token string (so an
// altered token can never hit the cache) until min(exp, ttl). Every failure is audited by
// token id or token hash, never the token. Thread-safe.
#pragma once

#include <string>
#include <string_view>

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

class Authenticator {
 public:
  Authenticator(store::Store& store, const Clock& clock, const WorkspaceOptions& options,
                AccessControl& access, PatCache& pats, AuditLog& audit);

  // See Workspace::Authenticate for the error codes. `remote_address` and `host` only go to
  // the audit record of a failure.
  Result<AuthenticatedPrincipal> Authenticate(std::string_view authorization_header,
                                              std::string_view remote_address,
                                              std::string_view host);
  void ClearJwtCache() { jwts_.Clear(); }
  size_t jwt_cache_size() const { return jwts_.size(); }

 private:
  struct CachedJwt {
    int64_t principal_id = 0;
    AuthKind kind = AuthKind::kEntra;
    std::string token_id;
  };
  // kPermissionDenied carries the reason (for the audit record) in its message.
  Result<AuthenticatedPrincipal> CheckPat(std::string_view token);
  Result<AuthenticatedPrincipal> CheckJwt(std::string_view token);
  Result<CachedJwt> VerifyWorkspaceToken(const std::string& token, const std::string& issuer);
  Result<CachedJwt> VerifyEntraToken(const std::string& token, const std::string& issuer);
  Result<std::shared_ptr<const PrincipalAccess>> ActivePrincipal(int64_t principal_id);

  store::Store& store_;
  const Clock& clock_;
  const WorkspaceOptions& options_;
  AccessControl& access_;
  PatCache& pats_;
  AuditLog& audit_;
  BoundedTtlCache<std::shared_ptr<const CachedJwt>> jwts_;
};

}  // namespace latchkey::workspace
