// Bearer authentication, the one path for every bearer-authenticated surface (the workspace
// API, forward-auth, introspection; Graph through VerifyOwnEntraToken): a PAT, an Entra ID
// access token or a workspace OAuth token from /oidc/v1/token, told apart by shape (spec §3).
// PAT checks go through PatCache; verified JWTs are cached under the SHA-256 of the whole
// token string (so an altered token can never hit the cache) until min(exp, ttl). Guard() is
// the gate: a denial is throttled per remote address (auth/login_throttle.h) and, unless
// throttled, reported to `on_denied` (the workspace audits it at a bounded rate) by token id
// or token hash, never the token. Principals come through PrincipalSource, the store through
// its narrow roles: auth/ depends on no workspace code. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/issuer_binding.h"
#include "auth/login_throttle.h"
#include "auth/pat_cache.h"
#include "auth/principal.h"
#include "base/clock.h"
#include "base/result.h"
#include "base/ttl_cache.h"
#include "store/store.h"

namespace latchkey::jose {
class KeySource;
}
namespace latchkey::keys {
class SigningKeys;
}
namespace latchkey::metrics {
class ServiceMetrics;
}

namespace latchkey::auth {

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

// A counted denial, for the audit record (never the token).
struct DeniedBearer {
  std::string target;  // "token:<token id>" (PAT) or "jwt:<16 hex of its SHA-256>"
  DenialReason reason = DenialReason::kMalformedToken;
  std::string detail;
  std::string_view host;
  std::string_view remote_address;
};

struct AuthenticatorOptions {
  // The `aud` of workspace OAuth tokens (the workspace id in decimal).
  std::string workspace_audience;
  // Accepted `aud` values of Entra access tokens (§3.3).
  std::vector<std::string> entra_audiences;
  // Accepts the `iss` of an Entra token: latchkey's own tenants (+ configured external ones).
  std::function<bool(std::string_view iss)> entra_issuer_check;
  const jose::KeySource* entra_keys = nullptr;  // verifies Entra tokens; null: none accepted
  // When set, replaces entra_keys: the keys of one issuer; nullptr for an untrusted issuer.
  std::function<const jose::KeySource*(std::string_view iss)> entra_keys_for_issuer;
  keys::SigningKeys* signing_keys = nullptr;  // verifies workspace OAuth tokens
  // True for an authority that names this server (workspace OAuth iss "https://<it>/oidc").
  std::function<bool(std::string_view authority)> is_own_authority;
  // Which principals the issuer of a verified Entra-style token may stand for; unset: any.
  std::function<IssuerBinding(std::string_view iss)> issuer_binding;
  std::chrono::seconds cache_ttl{300};
  size_t cache_capacity = 100000;
  // Failed bearers per remote address before 429.
  int max_failures = 20;
  std::chrono::seconds failure_window{60};
  std::chrono::seconds lockout{60};
  metrics::ServiceMetrics* metrics = nullptr;  // null: nothing counted
  // A denial that was counted (not throttled), off the I/O thread; unset: not reported.
  std::function<void(const DeniedBearer&)> on_denied;
};

// The stores the authenticator reads: principals (users, service principals) and, for the
// issuer binding, the directory's applications.
struct AuthenticatorStores {
  store::PrincipalStore& principals;
  store::DirectoryStore& directory;
};

class Authenticator {
 public:
  Authenticator(AuthenticatorStores stores, const Clock& clock, AuthenticatorOptions options,
                PrincipalSource& principals, PatCache& pats);

  // The gate: parses the header (auth/bearer.h), authenticates, and on a denial refuses a
  // throttled address outright (nothing recorded) or counts and reports the failure.
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

  AuthenticatorStores stores_;
  const Clock& clock_;
  const AuthenticatorOptions options_;
  PrincipalSource& principals_;
  PatCache& pats_;
  LoginThrottle throttle_;  // failed bearers per remote address
  TtlCache<std::shared_ptr<const CachedJwt>> jwts_;
};

}  // namespace latchkey::auth
