#include "auth/authenticator.h"

#include <algorithm>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "http/offload_context.h"
#include "auth/bearer.h"
#include "base/encoding.h"
#include "jose/jws.h"
#include "jose/jwt_verifier.h"
#include "keys/signing_keys.h"
#include "metrics/service_metrics.h"
#include "auth/pat_format.h"

namespace latchkey::auth {
namespace {

// The principal inside a cached access record, sharing its ownership (no copy).
std::shared_ptr<const store::Principal> PrincipalOf(
    const std::shared_ptr<const PrincipalAccess>& access) {
  return {access, &access->principal};
}

using nlohmann::json;

std::string ClaimString(const json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

// "https://<authority>/oidc" -> authority; "" when the issuer does not have that shape.
std::string OidcAuthority(std::string_view iss) {
  // Plain-HTTP listeners (tests, local use) issue http:// issuers.
  std::optional<std::string_view> after_scheme = AfterHttpScheme(iss);
  if (!after_scheme) return {};
  std::string_view rest = *after_scheme;
  if (!rest.ends_with("/oidc")) return {};
  rest.remove_suffix(5);
  if (rest.empty() || rest.find('/') != std::string_view::npos) return {};
  return std::string(rest);
}

}  // namespace

std::string_view AuthKindName(AuthKind kind) {
  switch (kind) {
    case AuthKind::kPat: return "pat";
    case AuthKind::kEntra: return "entra";
    case AuthKind::kWorkspaceOAuth: return "oauth";
    case AuthKind::kWebSession: return "web_session";
  }
  return "unknown";
}

Authenticator::Authenticator(AuthenticatorStores stores, const Clock& clock,
                             AuthenticatorOptions options, PrincipalSource& principals,
                             PatCache& pats, BearerGate& gate)
    : stores_(stores),
      clock_(clock),
      options_(std::move(options)),
      principals_(principals),
      pats_(pats),
      gate_(gate),
      jwts_(options_.cache_capacity) {}

namespace {

std::unexpected<Denial> Denied(DenialReason reason, std::string detail) {
  return std::unexpected(Denial{ErrorCode::kPermissionDenied, reason,
                                               std::move(detail)});
}

// Store "row missing" answers become denials; outages stay outages (503).
std::unexpected<Denial> DeniedUnlessOutage(const Error& error, DenialReason reason,
                                                          std::string detail) {
  if (error.code == ErrorCode::kNotFound) return Denied(reason, std::move(detail));
  return std::unexpected(Denial{error.code, reason, error.message});
}

}  // namespace

Checked<jose::ParsedJwt> ParseBearerJwt(std::string_view token) {
  Result<jose::ParsedJwt> parsed = jose::ParseJwt(token);
  if (!parsed) {
    // Worded as jose::VerifyJwt words it, so an ARM error reads the same either way.
    return Denied(DenialReason::kMalformedToken,
                  "JWT rejected: malformed token (" + parsed.error().message + ")");
  }
  return std::move(*parsed);
}

Checked<jose::VerifiedJwt> VerifyAccessToken(const jose::ParsedJwt& jwt,
                                             const jose::VerifyPolicy& policy,
                                             const jose::KeySource& keys, TimePoint now) {
  Result<jose::VerifiedJwt> verified = jose::VerifyJwt(jwt, policy, keys, now);
  if (!verified) return Denied(DenialReason::kInvalidJwt, std::move(verified).error().message);
  return std::move(*verified);
}

Gated<AuthenticatedPrincipal> Authenticator::Guard(std::string_view authorization_header,
                                                   std::string_view remote_address,
                                                   std::string_view host) {
  std::string hash;  // of the bearer, once
  return gate_.Admit<AuthenticatedPrincipal>(
      authorization_header, remote_address,
      [&](std::string_view token) {
        hash = HashSecretValue(token);
        return Check(token, hash);
      },
      [&](std::string_view token, const Denial& denial) {
        if (!options_.on_denied) return;
        // By id: the PAT's token id or a hash prefix of the JWT, never the value.
        options_.on_denied({.target = token.starts_with("dapi") ? "token:" + hash
                                                                : "jwt:" + hash.substr(0, 16),
                            .reason = denial.reason,
                            .detail = denial.detail,
                            .host = host,
                            .remote_address = remote_address});
      });
}

Checked<AuthenticatedPrincipal> Authenticator::Authenticate(std::string_view token,
                                                            std::optional<jose::ParsedJwt>* jwt) {
  return Check(token, HashSecretValue(token), jwt);
}

Checked<AuthenticatedPrincipal> Authenticator::Check(std::string_view token,
                                                     const std::string& hash,
                                                     std::optional<jose::ParsedJwt>* jwt) {
  return token.starts_with("dapi") ? CheckPat(token, hash) : CheckJwt(token, hash, jwt);
}

Checked<std::shared_ptr<const PrincipalAccess>> Authenticator::ActivePrincipal(
    int64_t principal_id) {
  Result<std::shared_ptr<const PrincipalAccess>> access = principals_.Get(principal_id);
  if (!access) {
    return DeniedUnlessOutage(access.error(), DenialReason::kUnknownPrincipal,
                              "principal no longer exists");
  }
  if (!(*access)->principal.active) {
    return Denied(DenialReason::kInactivePrincipal, "principal is inactive");
  }
  return std::move(*access);
}

Checked<AuthenticatedPrincipal> Authenticator::CheckPat(std::string_view token,
                                                        const std::string& token_id) {
  if (!LooksLikePat(token)) return Denied(DenialReason::kMalformedToken, "malformed PAT");
  Result<bool> enabled = principals_.PatsEnabled();
  if (!enabled) {
    return std::unexpected(
        Denial{enabled.error().code, DenialReason::kTokensDisabled, enabled.error().message});
  }
  // §3.1: PATs stop working while enableTokensConfig is false, and work again afterwards.
  if (!*enabled) {
    return Denied(DenialReason::kTokensDisabled, "PATs are disabled (enableTokensConfig=false)");
  }
  Result<CachedPat> pat = pats_.Find(token_id);
  if (!pat) {
    return DeniedUnlessOutage(pat.error(), DenialReason::kUnknownToken, "unknown or revoked PAT");
  }
  if (pat->expires_at && *pat->expires_at <= clock_.Now()) {
    return Denied(DenialReason::kExpiredToken, "expired PAT");
  }
  Checked<std::shared_ptr<const PrincipalAccess>> access = ActivePrincipal(pat->owner_id);
  if (!access) return std::unexpected(access.error());
  // §3.1: a principal without CAN_USE/CAN_MANAGE can neither create nor use PATs.
  if (!(*access)->can_use_tokens) {
    return Denied(DenialReason::kNoPermission, "owner has no token permission");
  }
  pats_.MarkUsed(token_id);
  return AuthenticatedPrincipal{PrincipalOf(*access), (*access)->is_admin, AuthKind::kPat,
                                token_id};
}

Checked<AuthenticatedPrincipal> Authenticator::CheckJwt(std::string_view token,
                                                        const std::string& cache_key,
                                                        std::optional<jose::ParsedJwt>* jwt_out) {
  if (std::count(token.begin(), token.end(), '.') != 2 || token.size() > jose::kMaxJwtSize) {
    return Denied(DenialReason::kMalformedToken, "not a PAT or a JWT");
  }
  TimePoint now = clock_.Now();
  std::optional<std::shared_ptr<const CachedJwt>> cached = jwts_.Get(cache_key, now);
  if (options_.metrics != nullptr && !http::OnPool()) {  // once per request (pat_cache.cc)
    options_.metrics->AuthCacheLookup("jwt", cached.has_value());
  }
  if (!cached) {
    uint64_t generation = jwts_.generation();
    Checked<jose::ParsedJwt> parsed = ParseBearerJwt(token);
    if (!parsed) return Denied(DenialReason::kMalformedToken, "malformed JWT");
    std::string issuer = ClaimString(parsed->claims, "iss");
    std::string authority = OidcAuthority(issuer);
    // Only an issuer naming this server selects the workspace-token path; every other issuer
    // (Entra tenants, external OpenID issuers) goes through the Entra policy.
    bool own = !authority.empty() && options_.is_own_authority &&
               options_.is_own_authority(authority);
    Checked<CachedJwt> verified = own ? VerifyWorkspaceToken(*parsed, cache_key, issuer)
                                      : VerifyEntraToken(*parsed, cache_key, issuer);
    if (!verified) return std::unexpected(verified.error());
    // exp was checked by VerifyJwt; compare in seconds so a far-future exp cannot overflow.
    TimePoint until = now + options_.cache_ttl;
    auto exp_it = parsed->claims.find("exp");
    if (exp_it != parsed->claims.end() && exp_it->is_number_integer() &&
        exp_it->get<int64_t>() < ToUnixSeconds(until)) {
      until = FromUnixSeconds(exp_it->get<int64_t>());
    }
    cached = std::make_shared<const CachedJwt>(std::move(*verified));
    jwts_.Put(cache_key, *cached, until, generation);
    if (jwt_out != nullptr) *jwt_out = std::move(*parsed);
  }
  const CachedJwt& jwt = **cached;
  Checked<std::shared_ptr<const PrincipalAccess>> access = ActivePrincipal(jwt.principal_id);
  if (!access) return std::unexpected(access.error());
  if (jwt_out != nullptr && !jwt_out->has_value()) {  // verified earlier: parsed only now
    if (Result<jose::ParsedJwt> parsed = jose::ParseJwt(token)) *jwt_out = std::move(*parsed);
  }
  return AuthenticatedPrincipal{PrincipalOf(*access), (*access)->is_admin, jwt.kind,
                                jwt.token_id};
}

Checked<Authenticator::CachedJwt> Authenticator::VerifyWorkspaceToken(
    const jose::ParsedJwt& token, const std::string& hash, const std::string& issuer) {
  if (options_.signing_keys == nullptr) {
    return Denied(DenialReason::kInvalidJwt, "workspace OAuth is not configured");
  }
  jose::VerifyPolicy policy;
  policy.issuers = {issuer};
  policy.audiences = {options_.workspace_audience};
  policy.required_claims = {"iss", "aud", "exp", "iat", "sub"};
  Checked<jose::VerifiedJwt> jwt =
      VerifyAccessToken(token, policy, *options_.signing_keys, clock_.Now());
  if (!jwt) return Denied(DenialReason::kInvalidJwt, "workspace token: " + jwt.error().detail);
  std::string sub = ClaimString(jwt->claims, "sub");
  // A workspace token stands for a user, named by sub, when it says idtyp "user" (issued to a
  // person by U2M, or exchanged through an account federation policy: oidc.cc
  // MintWorkspaceToken); every other one names a service principal's application id.
  const bool user = ClaimString(jwt->claims, "idtyp") == "user";
  Result<store::Principal> sp = user ? stores_.principals.FindUserByName(sub)
                                     : stores_.principals.FindServicePrincipalByApplicationId(sub);
  if (!sp) {
    return DeniedUnlessOutage(sp.error(), DenialReason::kUnknownPrincipal,
                              "workspace token for an unknown principal");
  }
  std::string jti = ClaimString(jwt->claims, "jti");
  return CachedJwt{sp->id, AuthKind::kWorkspaceOAuth,
                   jti.empty() ? hash.substr(0, 16) : jti};
}

Checked<bool> Authenticator::BoundToIssuer(const std::string& issuer,
                                                          const std::string& app_id) {
  if (!options_.issuer_binding) return true;
  const IssuerBinding binding = options_.issuer_binding(issuer);
  if (!binding.service_principals) {
    return Denied(DenialReason::kWrongIssuer, "this issuer may not authenticate service principals");
  }
  if (binding.own_tenant) {
    // latchkey signed it: the application must have a service principal in that tenant.
    Result<store::DirectoryServicePrincipal> sp =
        stores_.directory.FindDirectoryServicePrincipal(*binding.own_tenant, app_id);
    if (!sp) {
      return DeniedUnlessOutage(sp.error(), DenialReason::kWrongIssuer,
                                "application not in the issuing tenant");
    }
    return true;
  }
  // An external issuer never stands for an application of latchkey's own directory, whatever
  // client id it chose to mint.
  Result<store::Application> own_app = stores_.directory.GetApplicationByAppId(app_id);
  if (own_app) {
    return Denied(DenialReason::kWrongIssuer,
                  "application registered in this server's directory, token from another issuer");
  }
  if (own_app.error().code != ErrorCode::kNotFound) {
    return std::unexpected(Denial{own_app.error().code, DenialReason::kWrongIssuer,
                                  own_app.error().message});
  }
  return true;
}

Checked<Authenticator::CachedJwt> Authenticator::VerifyEntraToken(
    const jose::ParsedJwt& token, const std::string& hash, const std::string& issuer) {
  // Keys are bound to their issuer: a token naming issuer X verifies only with X's keys.
  const jose::KeySource* keys = options_.entra_keys_for_issuer
                                    ? options_.entra_keys_for_issuer(issuer)
                                    : options_.entra_keys;
  if (keys == nullptr || !options_.entra_issuer_check) {
    return Denied(DenialReason::kInvalidJwt, "Entra token from an untrusted issuer");
  }
  jose::VerifyPolicy policy;
  policy.algorithms = {"RS256"};
  policy.issuer_check = options_.entra_issuer_check;
  policy.audiences = options_.entra_audiences;
  Checked<jose::VerifiedJwt> jwt = VerifyAccessToken(token, policy, *keys, clock_.Now());
  if (!jwt) return Denied(DenialReason::kInvalidJwt, "Entra token: " + jwt.error().detail);
  const json& claims = jwt->claims;
  // §3.3 [U]: a user token carries upn/unique_name (and idtyp "user"); an app-only token has
  // appid (v1) or azp (v2) naming the client, which is the SP's applicationId.
  std::string user_name = ClaimString(claims, "upn");
  if (user_name.empty()) user_name = ClaimString(claims, "unique_name");
  bool app_only = ClaimString(claims, "idtyp") == "app" || user_name.empty();
  Result<store::Principal> principal = MakeError(ErrorCode::kNotFound, "");
  if (app_only) {
    std::string app_id = ClaimString(claims, "appid");
    if (app_id.empty()) app_id = ClaimString(claims, "azp");
    if (app_id.empty()) return Denied(DenialReason::kInvalidJwt, "Entra token without appid/azp");
    app_id = AsciiLower(app_id);
    if (Checked<bool> bound = BoundToIssuer(issuer, app_id); !bound) {
      return std::unexpected(bound.error());
    }
    principal = stores_.principals.FindServicePrincipalByApplicationId(app_id);
  } else {
    if (options_.issuer_binding && !options_.issuer_binding(issuer).users) {
      return Denied(DenialReason::kWrongIssuer, "this issuer may not authenticate users");
    }
    principal = stores_.principals.FindUserByName(user_name);
  }
  if (!principal) {
    return DeniedUnlessOutage(principal.error(), DenialReason::kUnknownPrincipal,
                              "Entra principal not in workspace");
  }
  std::string jti = ClaimString(claims, "uti");
  if (jti.empty()) jti = ClaimString(claims, "jti");
  return CachedJwt{principal->id, AuthKind::kEntra,
                   jti.empty() ? hash.substr(0, 16) : jti};
}

}  // namespace latchkey::auth
