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
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/issuer_binding.h"
#include "auth/bearer_gate.h"
#include "auth/failure.h"
#include "auth/pat_cache.h"
#include "auth/principal.h"
#include "base/clock.h"
#include "base/result.h"
#include "base/ttl_cache.h"
#include "jose/jws.h"
#include "jose/jwt_verifier.h"
#include "store/store.h"

namespace latchkey::keys {
class SigningKeys;
}
namespace latchkey::metrics {
class ServiceMetrics;
}

namespace latchkey::auth {

// The JWT in a bearer, parsed once (jose::ParseJwt): a kMalformedToken denial whose detail is
// "JWT rejected: malformed token (<the rule it broke>)", as jose::VerifyJwt words it.
Checked<jose::ParsedJwt> ParseBearerJwt(std::string_view token);
// An access token checked against `policy` with `keys` (jose::VerifyJwt, on the parsed token):
// a kInvalidJwt denial whose detail is the failed check. The one verification step of every
// JWT bearer: the authenticator's Entra and workspace paths, and the Graph and ARM adapters
// (idp/identity_provider.cc, idp/graph_api.cc).
Checked<jose::VerifiedJwt> VerifyAccessToken(const jose::ParsedJwt& jwt,
                                             const jose::VerifyPolicy& policy,
                                             const jose::KeySource& keys, TimePoint now);

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
  // `gate` is shared with every other bearer-authenticated surface (one failure budget).
  Authenticator(AuthenticatorStores stores, const Clock& clock, AuthenticatorOptions options,
                PrincipalSource& principals, PatCache& pats, BearerGate& gate);

  // Through the gate (auth/bearer_gate.h): parses the header, authenticates, and on a denial
  // refuses a throttled address outright (nothing recorded) or counts and reports the
  // failure. `remote_address` and `host` only go to the throttle and the audit record.
  Gated<AuthenticatedPrincipal> Guard(std::string_view authorization_header,
                                      std::string_view remote_address, std::string_view host);
  // Just the check of one token (introspection): no throttling, no audit. A denial (with its
  // reason) or an outage (code kUnavailable). When `jwt` is given and the token is an accepted
  // JWT, it receives the parsed token (parsed once: the check's own parse, or one parse when
  // the verified token came from the cache).
  Checked<AuthenticatedPrincipal> Authenticate(std::string_view token,
                                               std::optional<jose::ParsedJwt>* jwt = nullptr);
  void ClearJwtCache() { jwts_.Clear(); }

  size_t jwt_cache_size() const { return jwts_.size(); }

 private:
  struct CachedJwt {
    int64_t principal_id = 0;
    AuthKind kind = AuthKind::kEntra;
    std::string token_id;
  };
  // `hash` is HashSecretValue(token), computed once per request: the PAT's token id, the
  // verified-JWT cache key, the JWT's id when it has no jti, and the audit target.
  Checked<AuthenticatedPrincipal> Check(std::string_view token, const std::string& hash,
                                        std::optional<jose::ParsedJwt>* jwt = nullptr);
  Checked<AuthenticatedPrincipal> CheckPat(std::string_view token, const std::string& hash);
  Checked<AuthenticatedPrincipal> CheckJwt(std::string_view token, const std::string& hash,
                                           std::optional<jose::ParsedJwt>* jwt_out);
  Checked<CachedJwt> VerifyWorkspaceToken(const jose::ParsedJwt& jwt, const std::string& hash,
                                          const std::string& issuer);
  Checked<CachedJwt> VerifyEntraToken(const jose::ParsedJwt& jwt, const std::string& hash,
                                      const std::string& issuer);
  // Whether `issuer` may stand for the service principal of `app_id` (issuer binding).
  Checked<bool> BoundToIssuer(const std::string& issuer, const std::string& app_id);
  Checked<std::shared_ptr<const PrincipalAccess>> ActivePrincipal(int64_t principal_id);

  AuthenticatorStores stores_;
  const Clock& clock_;
  const AuthenticatorOptions options_;
  PrincipalSource& principals_;
  PatCache& pats_;
  BearerGate& gate_;
  TtlCache<std::shared_ptr<const CachedJwt>> jwts_;
};

}  // namespace latchkey::auth
