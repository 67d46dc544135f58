#include "workspace/ops_routes.h"

#include "base/encoding.h"
#include "jose/jws.h"
#include "workspace/api_error.h"
#include "workspace/call_context.h"

namespace latchkey::workspace {
namespace {

using nlohmann::json;

// The operations endpoints' bearer challenge (a 401 of forward-auth or of an admin's call).
constexpr std::string_view kChallenge = "Bearer realm=\"latchkey\"";

http::Response Empty(int status) {
  http::Response r;
  r.status = status;
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

http::Response Unauthenticated() {
  http::Response r = Empty(401);
  r.SetHeader("WWW-Authenticate", std::string(kChallenge));
  return r;
}

http::Response OAuthError(int status, std::string_view error, std::string_view description,
                          std::chrono::seconds retry_after = std::chrono::seconds(0)) {
  return OAuthErrorResponse(status, error, description, retry_after, kChallenge);
}

std::string_view PrincipalType(const store::Principal& p) {
  return p.kind == store::PrincipalKind::kUser ? "user" : "service_principal";
}

}  // namespace

OpsRoutes::OpsRoutes(OpsDeps deps) : deps_(deps) {}

void OpsRoutes::Register(http::Router& router) {
  // auth_request subrequests keep the original method; Envoy and Traefik do too.
  for (const char* method : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    router.Add(method, "/auth/verify", [this](http::Request& r) { return Verify(r); });
  }
  router.Add("POST", "/oauth2/introspect", [this](http::Request& r) { return Introspect(r); });
}

http::Response OpsRoutes::Verify(const http::Request& request) {
  auth::Gated<auth::AuthenticatedPrincipal> auth = deps_.workspace.Guard(
      request.Header("authorization"), request.remote_address, request.Host());
  if (!auth) {
    switch (auth.error().kind) {
      case auth::FailureKind::kNoCredential:
      case auth::FailureKind::kEmptyCredential: return Unauthenticated();
      case auth::FailureKind::kDenied: return Empty(403);
      case auth::FailureKind::kThrottled: {
        // auth_request only passes 401 and 403 through, so a locked-out address's failures
        // stay 403, with Retry-After; valid tokens from it (all clients share the proxy's
        // address) are never slowed.
        http::Response refused = Empty(403);
        refused.SetHeader("Retry-After", std::to_string(auth.error().retry_after.count()));
        return refused;
      }
      case auth::FailureKind::kUnavailable: break;
    }
    return Empty(503);  // the store is down: fail closed
  }
  const store::Principal& p = *auth->principal;
  http::Response ok = Empty(200);
  ok.SetHeader("X-Latchkey-Principal-Id", std::to_string(p.id));
  ok.SetHeader("X-Latchkey-Principal-Name", PrincipalName(p));
  ok.SetHeader("X-Latchkey-Principal-Type", std::string(PrincipalType(p)));
  ok.SetHeader("X-Latchkey-Auth-Kind", std::string(auth::AuthKindName(auth->kind)));
  ok.log_principal = "principal:" + std::to_string(p.id);
  return ok;
}

std::optional<http::Response> OpsRoutes::RequireAdmin(const http::Request& request) {
  auth::Gated<auth::AuthenticatedPrincipal> caller = deps_.workspace.Guard(
      request.Header("authorization"), request.remote_address, request.Host());
  if (!caller) {
    switch (caller.error().kind) {
      case auth::FailureKind::kNoCredential:
      case auth::FailureKind::kEmptyCredential:
        return OAuthError(401, "invalid_client", "A workspace admin's bearer token is required.");
      case auth::FailureKind::kDenied:
        return OAuthError(401, "invalid_client", "Invalid bearer token.");
      case auth::FailureKind::kThrottled:
        return OAuthError(429, "slow_down", "Too many failed attempts; retry later.",
                          caller.error().retry_after);
      case auth::FailureKind::kUnavailable: break;
    }
    return OAuthError(503, "temporarily_unavailable", "Try again later.");
  }
  if (!caller->is_admin) {
    return OAuthError(403, "insufficient_scope", "Only workspace admins may call this endpoint.");
  }
  return std::nullopt;
}

http::Response OpsRoutes::Introspect(const http::Request& request) {
  if (std::optional<http::Response> refused = RequireAdmin(request)) return *refused;
  std::optional<FormFields> form = ParseForm(request.body);
  if (!form) return OAuthError(400, "invalid_request", "The body must be form-encoded.");
  std::optional<std::string> token;
  for (const auto& [name, value] : *form) {
    if (name != "token") continue;
    if (token) return OAuthError(400, "invalid_request", "token must appear once.");
    token = value;
  }
  if (!token) return OAuthError(400, "invalid_request", "token is required.");
  // token_type_hint is optional and only a hint (RFC 7662 §2.1): every kind is tried anyway.
  Result<json> answer = IntrospectToken(*token);
  if (!answer) return OAuthError(503, "temporarily_unavailable", "Try again later.");
  http::Response r = http::Response::Json(200, answer->dump());
  r.SetHeader("Cache-Control", "no-store");
  r.SetHeader("Pragma", "no-cache");
  return r;
}

Result<json> OpsRoutes::IntrospectToken(const std::string& token) {
  const json inactive = {{"active", false}};
  if (token.empty() || token.find_first_of(" \t\r\n") != std::string::npos) return inactive;
  std::optional<jose::ParsedJwt> jwt;  // an accepted JWT, parsed once
  auth::Checked<auth::AuthenticatedPrincipal> auth = deps_.workspace.Authenticate(token, &jwt);
  if (!auth) {
    // Any reason (unknown, revoked, expired, malformed, principal gone) is just "inactive";
    // only an outage is an error, and it says nothing about the token.
    if (auth.error().code == ErrorCode::kUnavailable) {
      return MakeError(ErrorCode::kUnavailable, auth.error().detail);
    }
    return inactive;
  }
  const store::Principal& p = *auth->principal;
  json out = {{"active", true},
              {"sub", std::to_string(p.id)},
              {"token_type", "Bearer"},
              {"auth_kind", auth::AuthKindName(auth->kind)},
              {"principal_type", PrincipalType(p)},
              {"jti", auth->token_id}};
  if (p.kind == store::PrincipalKind::kUser) {
    out["username"] = p.user_name;
  } else {
    out["client_id"] = p.application_id;
  }
  if (auth->kind == auth::AuthKind::kPat) {
    Result<store::Pat> pat = deps_.tokens.GetPat(auth->token_id);
    if (!pat) {
      // Revoked between the two reads: inactive. An outage is an outage.
      if (pat.error().code == ErrorCode::kUnavailable) return std::unexpected(pat.error());
      return inactive;
    }
    out["iat"] = ToUnixSeconds(pat->created_at);
    if (pat->expires_at) out["exp"] = ToUnixSeconds(*pat->expires_at);
    if (!pat->scopes.empty()) {
      std::string scope;
      for (const auto& s : pat->scopes) scope += (scope.empty() ? "" : " ") + s;
      out["scope"] = scope;
    }
    return out;
  }
  // A JWT that Authenticate verified: report its registered claims.
  if (!jwt) return inactive;
  const json& claims = jwt->claims;
  for (const char* name : {"exp", "iat", "nbf"}) {
    if (auto it = claims.find(name); it != claims.end() && it->is_number_integer()) {
      out[name] = *it;
    }
  }
  for (const char* name : {"iss", "aud"}) {
    if (auto it = claims.find(name); it != claims.end()) out[name] = *it;
  }
  if (auto it = claims.find("scope"); it != claims.end() && it->is_string()) {
    out["scope"] = *it;
  } else if (auto scp = claims.find("scp"); scp != claims.end() && scp->is_string()) {
    out["scope"] = *scp;
  }
  return out;
}

}  // namespace latchkey::workspace
