#include "workspace/oidc.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "http/offload_context.h"
#include "base/encoding.h"
#include "crypto/hash.h"
#include "keys/signing_keys.h"
#include "auth/basic_credentials.h"
#include "workspace/api_error.h"
#include "workspace/federation_policies.h"
#include "workspace/json_input.h"
#include "auth/pat_format.h"

namespace latchkey::workspace {

using nlohmann::json;

namespace {

constexpr char kAllApis[] = "all-apis";
constexpr char kTokenExchange[] = "urn:ietf:params:oauth:grant-type:token-exchange";
constexpr char kJwtTokenType[] = "urn:ietf:params:oauth:token-type:jwt";

http::Response JsonResponse(const json& body) {
  http::Response response =
      http::Response::Json(200, body.dump(-1, ' ', false, json::error_handler_t::replace));
  return response;
}

// A token endpoint's answer: never cached (RFC 6749 §5.1).
http::Response TokenResponse(const json& body) {
  http::Response response = JsonResponse(body);
  response.SetHeader("Cache-Control", "no-store");
  response.SetHeader("Pragma", "no-cache");
  return response;
}

// A space-separated scope that asks for nothing but all-apis (empty items ignored).
bool OnlyAllApis(std::string_view scope) {
  for (size_t start = 0; start <= scope.size();) {
    size_t end = scope.find(' ', start);
    if (end == std::string_view::npos) end = scope.size();
    std::string_view item = scope.substr(start, end - start);
    if (!item.empty() && item != kAllApis) return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

OidcService::OidcService(const ServiceDeps& deps)
    : deps_(deps),
      throttle_(deps.clock, auth::LockoutPolicy{
                                .address_failures = deps.options.oauth_max_failures * 3,
                                .client_failures = deps.options.oauth_max_failures,
                                .familiar_failures = deps.options.oauth_max_failures,
                                .window = deps.options.oauth_failure_window,
                                .lockout = deps.options.oauth_lockout}),
      federation_throttle_(deps.clock,
                           auth::LockoutPolicy{
                               .address_failures = deps.options.oauth_max_failures * 30,
                               .client_failures = deps.options.oauth_max_failures * 10,
                               .familiar_failures = deps.options.oauth_max_failures * 10,
                               .window = deps.options.oauth_failure_window,
                               .lockout = deps.options.oauth_lockout}),
      sign_in_starts_(deps.clock, kSignInStartsPerMinute, std::chrono::minutes(1),
                      std::chrono::minutes(1)),
      refresh_failures_(deps.clock, kUnknownRefreshTokensPerMinute, std::chrono::minutes(1),
                        std::chrono::minutes(1)) {}

std::string OidcService::BaseUrl(const http::Request& request) const {
  // Only a well-formed authority is echoed into URLs; otherwise the public URL.
  std::string_view host = request.UrlAuthority();
  if (host.empty()) return PublicUrl(request);
  return std::string(request.tls ? "https://" : "http://") + std::string(host);
}

std::string OidcService::PublicUrl(const http::Request& request) const {
  if (deps_.options.public_url) {
    if (std::string url = deps_.options.public_url(); !url.empty()) return url;
  }
  return std::string(request.tls ? "https://" : "http://") + "localhost";
}

std::string OidcService::Issuer(const http::Request& request) const {
  // One issuer whatever name the client used (issue 18): <public_url>/oidc. Without a
  // configured public URL (unit tests), the Host the client used.
  if (deps_.options.public_url) {
    if (std::string url = deps_.options.public_url(); !url.empty()) return url + "/oidc";
  }
  return BaseUrl(request) + "/oidc";
}

http::Response OidcService::HostMetadata(const http::Request& request) const {
  std::string base = BaseUrl(request);
  // §8.1: workspace_id and account_id must be JSON strings; WORKSPACE_HOST keeps the Go SDK's
  // routing simple.
  json body = {{"oidc_endpoint", base + "/oidc"},
               {"workspace_id", std::to_string(deps_.options.workspace_id)},
               {"cloud", "Azure"},
               {"host_type", "WORKSPACE_HOST"},
               {"token_federation_default_oidc_audiences", json::array({base + "/oidc/v1/token"})}};
  // The account id names latchkey's one account in the federation-policy paths (and is the
  // default audience of a federation policy): configured, or derived from the workspace id.
  body["account_id"] = AccountId(deps_.options);
  return JsonResponse(body);
}

http::Response OidcService::Discovery(const http::Request& request) const {
  std::string oidc = BaseUrl(request) + "/oidc";
  // §8.2 [U]: RFC 8414 fields beyond the two endpoints the clients read. The endpoints follow
  // the name the client used; the issuer is the one every token carries.
  // Issue 24: the grants that use the authorization endpoint, PKCE and public clients are
  // advertised only when U2M is configured (an upstream provider). authorization_endpoint and
  // response_types_supported stay: the Databricks JS SDK refuses a document without
  // authorization_endpoint even for M2M, and RFC 8414 requires response_types_supported;
  // without U2M the endpoint answers a clear error, not 404.
  json body = {{"issuer", Issuer(request)},
               {"authorization_endpoint", oidc + "/v1/authorize"},
               {"token_endpoint", oidc + "/v1/token"},
               {"jwks_uri", oidc + "/jwks.json"},
               {"grant_types_supported", json::array({"client_credentials"})},
               {"response_types_supported", json::array({"code"})},
               {"subject_types_supported", json::array({"public"})},
               {"id_token_signing_alg_values_supported", json::array({"RS256"})},
               {"token_endpoint_auth_methods_supported",
                json::array({"client_secret_basic", "client_secret_post"})},
               {"scopes_supported", json::array({kAllApis})}};
  // Token exchange (federation_policies.cc) works only with [federation] enabled.
  if (deps_.options.federation_keys != nullptr) {
    body["grant_types_supported"].push_back(kTokenExchange);
  }
  if (u2m_enabled()) {
    body["grant_types_supported"].push_back("authorization_code");
    body["grant_types_supported"].push_back("refresh_token");
    body["code_challenge_methods_supported"] = json::array({"S256"});
    body["token_endpoint_auth_methods_supported"].push_back("none");
    body["scopes_supported"] = json::array({kAllApis, "offline_access"});
  }
  return JsonResponse(body);
}

http::Response OidcService::Jwks(const http::Request&) const {
  if (deps_.options.signing_keys == nullptr) return JsonResponse({{"keys", json::array()}});
  return JsonResponse(deps_.options.signing_keys->Jwks());
}

Result<OidcService::Minted> OidcService::MintWorkspaceToken(const http::Request& request,
                                                            const store::Principal& who,
                                                            const std::string& client_id,
                                                            int64_t iat, int64_t exp) {
  if (deps_.options.signing_keys == nullptr) {
    return MakeError(ErrorCode::kUnavailable, "No signing key is configured.");
  }
  const bool user = who.kind == store::PrincipalKind::kUser;
  Minted minted{.token = "", .jti = deps_.random.Uuid()};
  json claims = {{"iss", Issuer(request)},
                 {"sub", user ? who.user_name : who.application_id},
                 {"aud", WorkspaceTokenAudience(deps_.options)},
                 {"scope", kAllApis},
                 {"iat", iat},
                 {"nbf", iat},
                 {"exp", exp},
                 {"jti", minted.jti}};
  if (user) claims["idtyp"] = "user";  // the authenticator looks up a user named by sub
  if (!client_id.empty()) claims["client_id"] = client_id;
  Result<std::string> token = deps_.options.signing_keys->Sign(claims);
  if (!token) return MakeError(ErrorCode::kUnavailable, "Token signing failed.");
  minted.token = std::move(*token);
  return minted;
}

http::Response OidcService::Refuse(const http::Request& request, const std::string& client_id,
                                   const store::Principal* known, std::string reason) {
  // Counted and audited once, off the I/O thread (http/offload.h).
  if (http::DeferToPool()) return OAuthErrorResponse(503, "temporarily_unavailable", "deferred");
  throttle_.RecordFailure(client_id, request.remote_address);
  // A known client's id is public. Anything else is recorded only by a hash prefix: a client
  // that swapped id and secret sends its secret as the id, and it must not reach the audit.
  std::string target = known != nullptr ? "client:" + known->application_id
                                        : "client-hash:" + auth::HashSecretValue(client_id).substr(0, 16);
  deps_.audit.RecordFailure("anonymous", "oauth.client_auth_failed", std::move(target),
                            {{"reason", std::move(reason)}}, request.remote_address);
  return OAuthErrorResponse(401, "invalid_client", "Client authentication failed.");
}

http::Response OidcService::Token(const http::Request& request) {
  std::optional<FormFields> form = ParseForm(request.body);
  if (!form) return OAuthErrorResponse(400, "invalid_request", "Malformed form body.");

  std::optional<std::string> grant_type = FindField(*form, "grant_type");
  if (!grant_type) return OAuthErrorResponse(400, "invalid_request", "grant_type is missing.");
  if ((*grant_type == "authorization_code" || *grant_type == "refresh_token") && u2m_enabled()) {
    // U2M (oidc_u2m.cc): public clients only, which authenticate with nothing but their id.
    const auto& clients = deps_.options.u2m.public_clients;
    std::optional<std::string> id = FindField(*form, "client_id");
    if (!id || std::find(clients.begin(), clients.end(), *id) == clients.end() ||
        FindField(*form, "client_secret") || !request.Header("authorization").empty()) {
      return OAuthErrorResponse(401, "invalid_client",
                                "Unknown public client, or a secret sent by a public client.");
    }
    return *grant_type == "authorization_code" ? TokenFromCode(request, *form)
                                               : TokenFromRefresh(request, *form);
  }
  if (*grant_type != "client_credentials" && *grant_type != kTokenExchange) {
    return OAuthErrorResponse(400, "unsupported_grant_type",
                              u2m_enabled() ? "Supported grants: client_credentials, "
                                              "token-exchange, authorization_code, "
                                              "refresh_token."
                                            : "Only the client_credentials and token-exchange "
                                              "grants are supported.");
  }
  // §8.3: scope defaults to all-apis; nothing else is granted.
  if (!OnlyAllApis(FindField(*form, "scope").value_or(kAllApis))) {
    return OAuthErrorResponse(400, "invalid_scope", "Only the scope all-apis is supported.");
  }
  if (*grant_type == kTokenExchange) return TokenExchange(request, *form);
  std::expected<Client, http::Response> client = ClientFromRequest(request, *form);
  if (!client) return std::move(client.error());
  return ClientCredentials(request, *client);
}

std::expected<OidcService::Client, http::Response> OidcService::ClientFromRequest(
    const http::Request& request, const FormFields& form) {
  Client client;
  std::optional<std::string> body_id = FindField(form, "client_id");
  std::optional<std::string> body_secret = FindField(form, "client_secret");
  auth::BasicCredentials basic = auth::ParseBasic(request.Header("authorization"));
  if (basic.status != auth::BasicStatus::kAbsent) {
    if (body_secret) {
      return std::unexpected(OAuthErrorResponse(
          400, "invalid_request", "Use one client authentication method, not both."));
    }
    if (basic.status == auth::BasicStatus::kMalformed) {
      return std::unexpected(
          OAuthErrorResponse(400, "invalid_request", "Malformed Basic credentials."));
    }
    if (body_id && *body_id != basic.client_id) {
      return std::unexpected(
          OAuthErrorResponse(400, "invalid_request", "client_id disagrees with Basic."));
    }
    client = {std::move(basic.client_id), basic.secret.reveal()};
  } else if (body_id && body_secret) {
    client = {*body_id, *body_secret};
  } else {
    return std::unexpected(
        OAuthErrorResponse(401, "invalid_client", "Client authentication is missing."));
  }
  if (client.id.empty() || client.id.size() > 256) {
    return std::unexpected(
        OAuthErrorResponse(401, "invalid_client", "Client authentication failed."));
  }
  return client;
}

http::Response OidcService::ClientCredentials(const http::Request& request, const Client& client) {
  // Smart lockout, checked before the credential with the client it names: the right secret
  // from an address this client has logged in from is never refused for others' failures.
  if (std::chrono::seconds wait = throttle_.Check(client.id, request.remote_address);
      wait.count() > 0) {
    if (deps_.options.metrics != nullptr) deps_.options.metrics->RateLimited("oidc_token");
    return OAuthErrorResponse(429, "slow_down", "Too many failed attempts; retry later.", wait);
  }

  Result<store::Principal> sp =
      deps_.store.FindServicePrincipalByApplicationId(AsciiLower(client.id));
  if (!sp) {
    if (sp.error().code != ErrorCode::kNotFound) {
      return OAuthErrorResponse(503, "temporarily_unavailable", "The store is unavailable.");
    }
    return Refuse(request, client.id, nullptr, "unknown client");
  }
  if (!sp->active) return Refuse(request, client.id, &*sp, "inactive service principal");
  Result<std::vector<store::OAuthSecret>> secrets = deps_.store.ListOAuthSecrets(sp->id);
  if (!secrets) return OAuthErrorResponse(503, "temporarily_unavailable", "The store is unavailable.");
  TimePoint now = deps_.clock.Now();
  std::string hash = auth::HashSecretValue(client.secret);
  bool matched = false;
  std::string secret_id;
  for (const store::OAuthSecret& s : *secrets) {
    if (crypto::ConstantTimeEquals(s.secret_hash, hash) && s.expires_at > now) {
      matched = true;
      secret_id = s.id;
    }
  }
  if (!matched) return Refuse(request, client.id, &*sp, "wrong, deleted or expired secret");

  // §3.2 [U]: iss = <request base>/oidc, sub = client_id = applicationId, aud = workspace id.
  const int64_t iat = ToUnixSeconds(now);
  Result<Minted> minted = MintWorkspaceToken(
      request, *sp, sp->application_id, iat, iat + deps_.options.oauth_token_lifetime.count());
  if (!minted) return OAuthErrorResponse(500, "server_error", minted.error().message);
  throttle_.RecordSuccess(client.id, request.remote_address);
  deps_.audit.Record("principal:" + std::to_string(sp->id), "oauth.token_issued",
                     "jwt:" + minted->jti, {{"secret_id", secret_id}}, request.remote_address);
  return TokenResponse({{"access_token", minted->token},
                        {"token_type", "Bearer"},
                        {"expires_in", deps_.options.oauth_token_lifetime.count()},
                        {"scope", kAllApis}});
}

http::Response OidcService::TokenExchange(const http::Request& request, const FormFields& form) {
  // RFC 8693 as Databricks documents it (docs "Authenticate with an identity provider token"):
  // subject_token + subject_token_type jwt; client_id selects a service principal policy.
  std::optional<std::string> subject_token = FindField(form, "subject_token");
  std::optional<std::string> token_type = FindField(form, "subject_token_type");
  if (!subject_token || subject_token->empty()) {
    return OAuthErrorResponse(400, "invalid_request", "subject_token is missing.");
  }
  if (!token_type || *token_type != kJwtTokenType) {
    return OAuthErrorResponse(400, "invalid_request",
                              "subject_token_type must be urn:ietf:params:oauth:token-type:jwt.");
  }
  if (FindField(form, "actor_token") || FindField(form, "client_secret") ||
      !request.Header("authorization").empty()) {
    return OAuthErrorResponse(400, "invalid_request",
                              "A token exchange takes no client secret and no actor token.");
  }
  std::optional<std::string> client_id = FindField(form, "client_id");
  if (client_id && (client_id->empty() || client_id->size() > 256)) {
    return OAuthErrorResponse(401, "invalid_client", "Client authentication failed.");
  }
  // Every exchange reads the store and may wait for an issuer's keys: it runs on the store
  // pool from here on, so the throttle and the audit below count it once (http/offload.h).
  if (http::DeferToPool()) return OAuthErrorResponse(503, "temporarily_unavailable", "deferred");
  // Failures are throttled like failed client secrets: per client id (the policy owner, or
  // "account") and per address, and an address that exchanged successfully stays familiar.
  const std::string throttle_key = "federation:" + client_id.value_or("account");
  if (std::chrono::seconds wait = federation_throttle_.Check(throttle_key, request.remote_address);
      wait.count() > 0) {
    if (deps_.options.metrics != nullptr) deps_.options.metrics->RateLimited("oidc_token");
    return OAuthErrorResponse(429, "slow_down", "Too many failed attempts; retry later.", wait);
  }
  auto verified =
      VerifySubjectToken(deps_, *subject_token, client_id, BaseUrl(request) + "/oidc/v1/token");
  if (!verified) return RefuseExchange(request, client_id, throttle_key, verified.error());
  const store::Principal& p = verified->principal;
  const bool user = p.kind == store::PrincipalKind::kUser;
  const int64_t iat = ToUnixSeconds(deps_.clock.Now());
  // The token lives no longer than the subject token it was exchanged for.
  int64_t exp = std::min(iat + deps_.options.oauth_token_lifetime.count(), verified->expires_at);
  if (exp <= iat) exp = iat + 1;
  Result<Minted> minted =
      MintWorkspaceToken(request, p, user ? std::string() : p.application_id, iat, exp);
  if (!minted) return OAuthErrorResponse(500, "server_error", minted.error().message);
  federation_throttle_.RecordSuccess(throttle_key, request.remote_address);
  deps_.audit.Record("principal:" + std::to_string(p.id), "federation.exchange",
                     "jwt:" + minted->jti,
                     {{"policy_id", verified->policy.policy_id},
                      {"policy_uid", verified->policy.uid},
                      {"issuer", verified->issuer},
                      {"subject", verified->subject}},
                     request.remote_address);
  return TokenResponse({{"access_token", minted->token},
                        {"token_type", "Bearer"},
                        {"expires_in", exp - iat},
                        {"scope", kAllApis},
                        {"issued_token_type", "urn:ietf:params:oauth:token-type:access_token"}});
}

http::Response OidcService::RefuseExchange(const http::Request& request,
                                           const std::optional<std::string>& client_id,
                                           const std::string& throttle_key,
                                           const FederationRefusal& r) {
  // An issuer that is down or a store outage is not the caller's failure.
  if (r.status != 503) federation_throttle_.RecordFailure(throttle_key, request.remote_address);
  // What the caller claimed, cut to 256 bytes: a failed exchange is unauthenticated.
  auto cut = [](const std::string& v) { return v.substr(0, 256); };
  json detail = {{"reason", cut(r.description)}, {"issuer", cut(r.issuer)},
                 {"subject", cut(r.subject)}};
  if (!r.policy_id.empty()) detail["policy_id"] = r.policy_id;
  // A client id that names no service principal is recorded only by a hash prefix, as for
  // client secrets (it may be a secret pasted into the wrong field).
  std::string target = "account";
  if (client_id) {
    target = r.error == "invalid_client" ? "client-hash:" + auth::HashSecretValue(*client_id).substr(0, 16)
                                         : "client:" + *client_id;
  }
  deps_.audit.RecordFailure("anonymous", "federation.exchange_failed", std::move(target),
                            std::move(detail), request.remote_address);
  if (deps_.options.metrics != nullptr) deps_.options.metrics->AuthFailure("federation");
  return OAuthErrorResponse(r.status, r.error, r.description);
}

}  // namespace latchkey::workspace
