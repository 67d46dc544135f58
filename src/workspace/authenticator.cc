#include "workspace/authenticator.h"

#include <algorithm>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "base/encoding.h"
#include "jose/jws.h"
#include "jose/jwt_verifier.h"
#include "keys/signing_keys.h"
#include "metrics/service_metrics.h"
#include "workspace/pat_format.h"

namespace latchkey::workspace {
namespace {

// The principal inside a cached access record, sharing its ownership (no copy).
std::shared_ptr<const store::Principal> PrincipalOf(
    const std::shared_ptr<const PrincipalAccess>& access) {
  return {access, &access->principal};
}

using nlohmann::json;

// A denial's message is "<reason code>: <detail>". Only this file produces and reads it: the
// code (a fixed word) labels latchkey_auth_failures_total, the whole text goes to the audit
// record, and callers only ever see "Invalid access token.".
std::unexpected<Error> Denied(std::string_view code, std::string_view detail) {
  return MakeError(ErrorCode::kPermissionDenied, std::string(code) + ": " + std::string(detail));
}

std::string_view DenialCode(const Error& error) {
  std::string_view message = error.message;
  return message.substr(0, message.find(':'));
}

// Store "row missing" answers become "invalid token"; outages stay kUnavailable (503).
std::unexpected<Error> DeniedUnlessOutage(const Error& error, std::string_view code,
                                          std::string_view detail) {
  if (error.code == ErrorCode::kNotFound) return Denied(code, detail);
  return std::unexpected(error);
}

std::string ClaimString(const json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

// "https://<authority>/oidc" -> authority; "" when the issuer does not have that shape.
std::string OidcAuthority(std::string_view iss) {
  std::string_view rest;
  if (iss.starts_with("https://")) {
    rest = iss.substr(8);
  } else if (iss.starts_with("http://")) {
    rest = iss.substr(7);  // plain-HTTP listeners (tests, local use) issue http:// issuers
  } else {
    return {};
  }
  if (!rest.ends_with("/oidc")) return {};
  rest.remove_suffix(5);
  if (rest.empty() || rest.find('/') != std::string_view::npos) return {};
  return std::string(rest);
}

}  // namespace

std::string WorkspaceTokenAudience(const WorkspaceOptions& options) {
  return std::to_string(options.workspace_id);
}

Authenticator::Authenticator(store::Store& store, const Clock& clock,
                             const WorkspaceOptions& options, AccessControl& access,
                             PatCache& pats, AuditLog& audit)
    : store_(store),
      clock_(clock),
      options_(options),
      access_(access),
      pats_(pats),
      audit_(audit),
      jwts_(options.auth_cache_capacity) {}

Result<AuthenticatedPrincipal> Authenticator::Authenticate(std::string_view authorization_header,
                                                           std::string_view remote_address,
                                                           std::string_view host) {
  std::string_view header = authorization_header;
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  size_t space = header.find(' ');
  // §3.5: no header, a scheme other than Bearer (Basic reached end of life) or an empty
  // bearer value: 401.
  if (space == std::string_view::npos || !IEquals(header.substr(0, space), "Bearer")) {
    if (options_.metrics != nullptr) options_.metrics->AuthFailure("missing_credential");
    return MakeError(ErrorCode::kUnauthenticated, "No bearer credential.");
  }
  std::string_view value = header.substr(space + 1);
  while (!value.empty() && (value.front() == ' ' || value.back() == ' ')) {
    value.front() == ' ' ? value.remove_prefix(1) : value.remove_suffix(1);
  }
  if (value.empty()) {
    if (options_.metrics != nullptr) options_.metrics->AuthFailure("missing_credential");
    return MakeError(ErrorCode::kUnauthenticated, "Empty bearer credential.");
  }

  const std::string_view token = value;
  bool is_pat = token.starts_with("dapi");
  Result<AuthenticatedPrincipal> result = is_pat ? CheckPat(token) : CheckJwt(token);
  if (!result && result.error().code == ErrorCode::kPermissionDenied) {
    // Audit by id: the PAT's token id or a hash prefix of the JWT, never the value.
    std::string target = is_pat ? "token:" + HashSecretValue(token)
                                : "jwt:" + HashSecretValue(token).substr(0, 16);
    if (options_.metrics != nullptr) options_.metrics->AuthFailure(DenialCode(result.error()));
    audit_.Record("anonymous", "token.auth_failed", target,
                  {{"reason", result.error().message}, {"host", std::string(host)}},
                  std::string(remote_address));
    return MakeError(ErrorCode::kPermissionDenied, "Invalid access token.");
  }
  return result;
}

Result<std::shared_ptr<const PrincipalAccess>> Authenticator::ActivePrincipal(
    int64_t principal_id) {
  Result<std::shared_ptr<const PrincipalAccess>> access = access_.Get(principal_id);
  if (!access) {
    return DeniedUnlessOutage(access.error(), "unknown_principal", "principal no longer exists");
  }
  if (!(*access)->principal.active) return Denied("inactive_principal", "principal is inactive");
  return access;
}

Result<AuthenticatedPrincipal> Authenticator::CheckPat(std::string_view token) {
  if (!LooksLikePat(token)) return Denied("malformed_token", "malformed PAT");
  std::string token_id = HashSecretValue(token);
  Result<TokenPolicy> policy = access_.Policy();
  if (!policy) return std::unexpected(policy.error());
  // §3.1: PATs stop working while enableTokensConfig is false, and work again afterwards.
  if (!policy->tokens_enabled) {
    return Denied("tokens_disabled", "PATs are disabled (enableTokensConfig=false)");
  }
  Result<CachedPat> pat = pats_.Find(token_id);
  if (!pat) return DeniedUnlessOutage(pat.error(), "unknown_token", "unknown or revoked PAT");
  if (pat->expires_at && *pat->expires_at <= clock_.Now()) {
    return Denied("expired_token", "expired PAT");
  }
  Result<std::shared_ptr<const PrincipalAccess>> access = ActivePrincipal(pat->owner_id);
  if (!access) return std::unexpected(access.error());
  // §3.1: a principal without CAN_USE/CAN_MANAGE can neither create nor use PATs.
  if (!(*access)->can_use_tokens) {
    return Denied("no_permission", "owner has no token permission");
  }
  pats_.MarkUsed(token_id);
  return AuthenticatedPrincipal{PrincipalOf(*access), (*access)->is_admin, AuthKind::kPat,
                                token_id};
}

Result<AuthenticatedPrincipal> Authenticator::CheckJwt(std::string_view token) {
  if (std::count(token.begin(), token.end(), '.') != 2 || token.size() > jose::kMaxJwtSize) {
    return Denied("malformed_token", "not a PAT or a JWT");
  }
  TimePoint now = clock_.Now();
  std::string cache_key = HashSecretValue(token);
  std::optional<std::shared_ptr<const CachedJwt>> cached = jwts_.Get(cache_key, now);
  if (options_.metrics != nullptr) options_.metrics->AuthCacheLookup("jwt", cached.has_value());
  if (!cached) {
    uint64_t generation = jwts_.generation();
    Result<jose::ParsedJwt> parsed = jose::ParseJwt(token);
    if (!parsed) return Denied("malformed_token", "malformed JWT");
    std::string issuer = ClaimString(parsed->claims, "iss");
    std::string authority = OidcAuthority(issuer);
    // Only an issuer naming this server selects the workspace-token path; every other issuer
    // (Entra tenants, external OpenID issuers) goes through the Entra policy.
    bool own = !authority.empty() && options_.is_own_authority &&
               options_.is_own_authority(authority);
    const std::string whole(token);
    Result<CachedJwt> verified = own ? VerifyWorkspaceToken(whole, issuer)
                                     : VerifyEntraToken(whole, issuer);
    if (!verified) return std::unexpected(verified.error());
    // exp was checked by VerifyJwt; compare in seconds so a far-future exp cannot overflow.
    TimePoint until = now + options_.auth_cache_ttl;
    auto exp_it = parsed->claims.find("exp");
    if (exp_it != parsed->claims.end() && exp_it->is_number_integer() &&
        exp_it->get<int64_t>() < ToUnixSeconds(until)) {
      until = FromUnixSeconds(exp_it->get<int64_t>());
    }
    cached = std::make_shared<const CachedJwt>(std::move(*verified));
    jwts_.Put(cache_key, *cached, until, generation);
  }
  const CachedJwt& jwt = **cached;
  Result<std::shared_ptr<const PrincipalAccess>> access = ActivePrincipal(jwt.principal_id);
  if (!access) return std::unexpected(access.error());
  return AuthenticatedPrincipal{PrincipalOf(*access), (*access)->is_admin, jwt.kind,
                                jwt.token_id};
}

Result<Authenticator::CachedJwt> Authenticator::VerifyWorkspaceToken(const std::string& token,
                                                                     const std::string& issuer) {
  if (options_.signing_keys == nullptr) {
    return Denied("invalid_jwt", "workspace OAuth is not configured");
  }
  jose::VerifyPolicy policy;
  policy.issuers = {issuer};
  policy.audiences = {WorkspaceTokenAudience(options_)};
  policy.required_claims = {"iss", "aud", "exp", "iat", "sub"};
  Result<jose::VerifiedJwt> jwt =
      jose::VerifyJwt(token, policy, *options_.signing_keys, clock_.Now());
  if (!jwt) return Denied("invalid_jwt", "workspace token: " + jwt.error().message);
  std::string sub = ClaimString(jwt->claims, "sub");
  Result<store::Principal> sp = store_.FindServicePrincipalByApplicationId(sub);
  if (!sp) {
    return DeniedUnlessOutage(sp.error(), "unknown_principal",
                              "workspace token for an unknown principal");
  }
  std::string jti = ClaimString(jwt->claims, "jti");
  return CachedJwt{sp->id, AuthKind::kWorkspaceOAuth,
                   jti.empty() ? HashSecretValue(token).substr(0, 16) : jti};
}

Result<Authenticator::CachedJwt> Authenticator::VerifyEntraToken(const std::string& token,
                                                                 const std::string& issuer) {
  // Keys are bound to their issuer: a token naming issuer X verifies only with X's keys.
  const jose::KeySource* keys = options_.entra_keys_for_issuer
                                    ? options_.entra_keys_for_issuer(issuer)
                                    : options_.entra_keys;
  if (keys == nullptr || !options_.entra_issuer_check) {
    return Denied("invalid_jwt", "Entra token from an untrusted issuer");
  }
  jose::VerifyPolicy policy;
  policy.algorithms = {"RS256"};
  policy.issuer_check = options_.entra_issuer_check;
  policy.audiences = options_.entra_audiences;
  Result<jose::VerifiedJwt> jwt = jose::VerifyJwt(token, policy, *keys, clock_.Now());
  if (!jwt) return Denied("invalid_jwt", "Entra token: " + jwt.error().message);
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
    if (app_id.empty()) return Denied("invalid_jwt", "Entra token without appid/azp");
    principal = store_.FindServicePrincipalByApplicationId(AsciiLower(app_id));
  } else {
    principal = store_.FindUserByName(user_name);
  }
  if (!principal) {
    return DeniedUnlessOutage(principal.error(), "unknown_principal",
                              "Entra principal not in workspace");
  }
  std::string jti = ClaimString(claims, "uti");
  if (jti.empty()) jti = ClaimString(claims, "jti");
  return CachedJwt{principal->id, AuthKind::kEntra,
                   jti.empty() ? HashSecretValue(token).substr(0, 16) : jti};
}

}  // namespace latchkey::workspace
