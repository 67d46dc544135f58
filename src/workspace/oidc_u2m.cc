// Databricks U2M on the workspace (issue 24): authorization code + PKCE for the Databricks CLI
// and SDKs, people signing in through an upstream OpenID provider (sso/relying_party.h).
//
//   client -> GET /oidc/v1/authorize -> 302 provider -> GET /sso/callback -> 302 client
//   redirect_uri?code&state -> POST /oidc/v1/token (authorization_code + code_verifier)
//   -> access token (the workspace OAuth JWT, for the user) + refresh token; refresh_token
//   grants rotate it, and a used one presented again revokes its family (RFC 9700 §4.14.2).
//
// One-time codes live in memory (bounded in bytes, <= code_ttl, one use, kept by SHA-256), so
// a replica redeems only the codes it issued: route a client's authorize and token calls to
// one replica (docs/operations.md). Refresh tokens are in the store, hashed.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "crypto/hash.h"
#include "http/offload_context.h"
#include "keys/signing_keys.h"
#include "sso/relying_party.h"
#include "workspace/api_error.h"
#include "workspace/json_input.h"
#include "workspace/oidc.h"
#include "auth/pat_format.h"

namespace latchkey::workspace {

using nlohmann::json;

namespace {

constexpr char kCallbackPath[] = "/sso/callback";
constexpr size_t kMaxState = 1024;
constexpr size_t kMaxRedirect = 2048;
constexpr size_t kCodeOverhead = 192;

int Count(const FormFields& form, std::string_view name) {
  int n = 0;
  for (const auto& [key, value] : form) n += key == name ? 1 : 0;
  return n;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += ch;
    }
  }
  return out;
}

http::Response Page(int status, const std::string& title, const std::string& body_html) {
  http::Response r = http::Response::Text(
      status,
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + HtmlEscape(title) +
          "</title></head><body><h1>" + HtmlEscape(title) + "</h1>" + body_html + "</body></html>",
      "text/html; charset=utf-8");
  r.SetHeader("Cache-Control", "no-store");
  r.SetHeader("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  r.SetHeader("X-Frame-Options", "DENY");
  return r;
}

http::Response Redirect(const std::string& location) {
  http::Response r = http::Response::Text(302, "");
  r.SetHeader("Location", location);
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

// RFC 8252 §7.3 (and §8.3's note on localhost, which the Databricks CLI uses): http to a
// loopback host with any port; no fragment, no user info.
bool IsLoopbackRedirect(std::string_view uri) {
  if (!uri.starts_with("http://")) return false;
  std::string_view rest = uri.substr(7);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  if (uri.find('#') != std::string_view::npos) return false;
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with("[::1]")) {
    host = "[::1]";
    port = authority.substr(5);
  } else if (size_t colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon);
  }
  if (host != "127.0.0.1" && host != "[::1]" && host != "localhost") return false;
  if (!port.empty()) {
    if (port.size() < 2 || port.size() > 6 || port[0] != ':' ||
        port.substr(1).find_first_not_of("0123456789") != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// RFC 7636 §4.1/§4.2: 43-128 characters of [A-Za-z0-9-._~].
bool IsPkceString(std::string_view s) {
  if (s.size() < 43 || s.size() > 128) return false;
  constexpr std::string_view kChars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
  return s.find_first_not_of(kChars) == std::string_view::npos;
}

bool ScopeAllowed(std::string_view scope) {
  for (size_t start = 0; start <= scope.size();) {
    size_t end = scope.find(' ', start);
    if (end == std::string_view::npos) end = scope.size();
    std::string_view item = scope.substr(start, end - start);
    if (!item.empty() && item != "all-apis" && item != "offline_access" && item != "openid" &&
        item != "email" && item != "profile") {
      return false;
    }
    start = end + 1;
  }
  return true;
}

std::string WithQuery(const std::string& uri, const std::string& query) {
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + query;
}

http::Response NoStore(http::Response r) {
  r.SetHeader("Cache-Control", "no-store");
  r.SetHeader("Pragma", "no-cache");
  return r;
}

// Several providers and none named: a page linking to each, the same request with ?provider=.
template <class Providers>
http::Response ProviderChooser(std::string_view query, const Providers& providers) {
  std::string links;
  for (const auto& p : providers) {
    links += "<li><a href=\"/oidc/v1/authorize?" + HtmlEscape(query) + "&amp;provider=" +
             HtmlEscape(PercentEncode(p.id)) + "\">Sign in with " + HtmlEscape(p.display_name) +
             "</a></li>";
  }
  return Page(200, "Sign in", "<ul>" + links + "</ul>");
}

}  // namespace

http::Response OidcService::Authorize(const http::Request& request) {
  const auto& u2m = deps_.options.u2m;
  // Fetches the provider's discovery document on first use: off the I/O thread, and run once
  // (the pending sign-in it records must not be recorded twice; http/offload.h).
  if (http::DeferToPool()) return Page(503, "Deferred", "");
  if (u2m.relying_party == nullptr) {
    return Page(400, "Interactive sign-in is not configured",
                "<p>This server has no upstream identity provider ([[sso.providers]]), so it "
                "signs in machines only (client credentials). Ask its administrator.</p>");
  }
  std::optional<FormFields> q = ParseForm(request.query);
  if (!q) return Page(400, "Sign-in request refused", "<p>The request is malformed.</p>");
  for (const char* once : {"client_id", "redirect_uri", "response_type", "code_challenge",
                           "code_challenge_method", "state", "scope", "provider"}) {
    if (Count(*q, once) > 1) {
      return Page(400, "Sign-in request refused",
                  "<p>A parameter appears more than once.</p>");
    }
  }
  // RFC 6749 §4.1.2.1: with a bad client or redirect URI, tell the person, never redirect.
  const std::string client_id = FormField(*q, "client_id");
  if (std::find(u2m.public_clients.begin(), u2m.public_clients.end(), client_id) ==
      u2m.public_clients.end()) {
    return Page(400, "Sign-in request refused", "<p>Unknown client_id.</p>");
  }
  const std::string redirect_uri = FormField(*q, "redirect_uri");
  const bool registered = std::find(u2m.redirect_uris.begin(), u2m.redirect_uris.end(),
                                    redirect_uri) != u2m.redirect_uris.end();
  if (redirect_uri.empty() || redirect_uri.size() > kMaxRedirect ||
      (!registered && !IsLoopbackRedirect(redirect_uri))) {
    return Page(400, "Sign-in request refused",
                "<p>The redirect_uri is not a loopback address and not registered.</p>");
  }
  const std::string state = FormField(*q, "state");
  auto fail = [&](std::string_view error, std::string_view description) {
    std::string query = "error=" + std::string(error) +
                        "&error_description=" + PercentEncode(description);
    if (!state.empty()) query += "&state=" + PercentEncode(state);
    return Redirect(WithQuery(redirect_uri, query));
  };
  if (state.size() > kMaxState) return fail("invalid_request", "state is too long");
  if (FormField(*q, "response_type") != "code") {
    return fail("unsupported_response_type", "Only response_type=code is supported.");
  }
  const std::string method = FormField(*q, "code_challenge_method");
  const std::string challenge = FormField(*q, "code_challenge");
  if (method != "S256" || !IsPkceString(challenge)) {
    return fail("invalid_request", "PKCE is required: code_challenge_method=S256 and a code_challenge.");
  }
  std::string scope = FormField(*q, "scope");
  if (scope.size() > 256 || !ScopeAllowed(scope)) {
    return fail("invalid_scope", "Supported scopes: all-apis offline_access openid email profile.");
  }
  const auto& providers = u2m.relying_party->providers();
  std::string provider = FormField(*q, "provider");
  if (provider.empty() && providers.size() == 1) provider = providers.front().id;
  if (provider.empty()) return ProviderChooser(request.query, providers);
  if (u2m.relying_party->Find(provider) == nullptr) {
    return fail("invalid_request", "Unknown provider.");
  }
  if (std::chrono::seconds wait = sign_in_starts_.Check(request.remote_address); wait.count() > 0) {
    http::Response busy = Page(429, "Too many sign-ins",
                               "<p>Too many sign-ins were started from this address. Wait a "
                               "minute and start again from your application.</p>");
    busy.SetHeader("Retry-After", std::to_string(wait.count()));
    return busy;
  }
  json continuation = {{"kind", "u2m"},  {"client_id", client_id}, {"redirect_uri", redirect_uri},
                       {"challenge", challenge}, {"state", state}, {"scope", scope}};
  Result<std::string> url =
      u2m.relying_party->Begin(provider, PublicUrl(request) + kCallbackPath, continuation.dump());
  if (!url) {
    return fail("temporarily_unavailable", "The identity provider cannot be reached.");
  }
  sign_in_starts_.RecordFailure(request.remote_address);  // counts starts, not failures
  return Redirect(*url);
}

http::Response OidcService::SsoCallback(const http::Request& request) {
  const auto& u2m = deps_.options.u2m;
  // Takes the pending sign-in (once), calls the provider's token endpoint and the store: all
  // off the I/O thread, run once (http/offload.h).
  if (http::DeferToPool()) return Page(503, "Deferred", "");
  if (u2m.relying_party == nullptr) return Page(404, "Not found", "");
  std::optional<FormFields> q = ParseForm(request.query);
  if (!q) return Page(400, "Sign-in failed", "<p>The request is malformed.</p>");
  auto result = u2m.relying_party->Complete({FormField(*q, "state"), FormField(*q, "code"),
                                             FormField(*q, "error"), PublicUrl(request) + kCallbackPath});
  if (!result) {
    deps_.audit.RecordFailure("anonymous", "sso.sign_in_failed", "sso",
                              {{"reason", sso::RefusalName(result.error().refusal)}},
                              request.remote_address);
    if (IsWebSignIn(request, FormField(*q, "state"))) {
      return WebSignInDone(request, sso::RefusalName(result.error().refusal));
    }
    return Page(result.error().refusal == sso::Refusal::kUpstreamUnavailable ? 503 : 403,
                "Sign-in failed",
                "<p>You could not be signed in (" +
                    HtmlEscape(sso::RefusalName(result.error().refusal)) +
                    "). Start again from your application.</p>");
  }
  json c = json::parse(result->continuation, nullptr, false);
  if (c.is_object() && c.value("kind", "") == "web") {
    return WebSignedIn(request, *result, FormField(*q, "state"));  // web_sessions.cc
  }
  if (!c.is_object() || c.value("kind", "") != "u2m") {
    return Page(400, "Sign-in failed", "<p>Unknown sign-in.</p>");
  }
  const std::string code = Base64UrlEncode(deps_.random.Bytes(32));
  PendingCode pending{.principal_id = result->principal.id,
                      .client_id = c.value("client_id", ""),
                      .redirect_uri = c.value("redirect_uri", ""),
                      .challenge = c.value("challenge", ""),
                      .scope = c.value("scope", ""),
                      .created = deps_.clock.Now()};
  pending.bytes = kCodeOverhead + pending.client_id.size() + pending.redirect_uri.size() +
                  pending.challenge.size() + pending.scope.size();
  const std::string redirect_uri = pending.redirect_uri;
  const std::string client_id = pending.client_id;
  {
    std::lock_guard lock(codes_mu_);
    while (!code_order_.empty() &&
           code_bytes_ + pending.bytes > deps_.options.u2m.max_code_bytes) {
      auto it = codes_.find(code_order_.front());
      code_order_.pop_front();
      if (it == codes_.end()) continue;
      code_bytes_ -= it->second.bytes;
      codes_.erase(it);
    }
    const std::string key = crypto::Sha256Hex(code);
    code_bytes_ += pending.bytes;
    code_order_.push_back(key);
    codes_.emplace(key, std::move(pending));
  }
  deps_.audit.Record("principal:" + std::to_string(result->principal.id), "oauth.u2m_authorized",
                     "client:" + client_id,
                     {{"provider", result->provider_id},
                      {"jit_provisioned", result->created ? "true" : "false"}},
                     request.remote_address);
  std::string query = "code=" + code;
  if (std::string state = c.value("state", ""); !state.empty()) query += "&state=" + PercentEncode(state);
  return Redirect(WithQuery(redirect_uri, query));
}

http::Response OidcService::TokenFromCode(const http::Request& request, const FormFields& form) {
  // The code is spent on first presentation and the store is written: run once, on the pool.
  if (http::DeferToPool()) return OAuthErrorResponse(503, "temporarily_unavailable", "deferred");
  const std::string code = FormField(form, "code");
  const std::string verifier = FormField(form, "code_verifier");
  const std::string client_id = FormField(form, "client_id");
  const std::string redirect_uri = FormField(form, "redirect_uri");
  if (code.empty() || code.size() > 256) return OAuthErrorResponse(400, "invalid_request", "code is missing.");
  std::optional<PendingCode> pending;
  {
    // One use: the code is gone from the first presentation on, whatever follows.
    std::lock_guard lock(codes_mu_);
    auto it = codes_.find(crypto::Sha256Hex(code));
    if (it != codes_.end()) {
      pending = std::move(it->second);
      code_bytes_ -= pending->bytes;
      codes_.erase(it);
    }
  }
  auto refuse = [&](std::string reason) {
    deps_.audit.RecordFailure("anonymous", "oauth.u2m_code_refused", "client-hash:" +
                                  auth::HashSecretValue(client_id).substr(0, 16),
                              {{"reason", std::move(reason)}}, request.remote_address);
    return OAuthErrorResponse(400, "invalid_grant",
                              "The authorization code is invalid, expired, used, or was issued "
                              "for another client, redirect URI or code verifier.");
  };
  if (!pending) return refuse("unknown or used code");
  if (deps_.clock.Now() - pending->created > deps_.options.u2m.code_ttl) return refuse("expired code");
  if (client_id != pending->client_id) return refuse("client_id differs");
  if (redirect_uri != pending->redirect_uri) return refuse("redirect_uri differs");
  if (!IsPkceString(verifier)) return refuse("code_verifier missing or malformed");
  if (!crypto::ConstantTimeEquals(Base64UrlEncode(crypto::Sha256(verifier)), pending->challenge)) {
    return refuse("code_verifier does not match");
  }
  Result<store::Principal> user = deps_.store.GetPrincipal(pending->principal_id);
  if (!user || !user->active || user->kind != store::PrincipalKind::kUser) {
    return refuse("user gone or deactivated");
  }
  const TimePoint now = deps_.clock.Now();
  const std::string refresh = Base64UrlEncode(deps_.random.Bytes(32));
  store::RefreshToken record{.token_hash = crypto::Sha256Hex(refresh),
                             .family_id = deps_.random.Uuid(),
                             .principal_id = user->id,
                             .client_id = client_id,
                             .scope = "all-apis offline_access",
                             .created_at = now,
                             .expires_at = now + deps_.options.u2m.refresh_token_lifetime};
  if (Status ok = deps_.store.CreateRefreshToken(record); !ok) {
    return OAuthErrorResponse(503, "temporarily_unavailable", "The store is unavailable.");
  }
  return UserTokens(request, *user, client_id, refresh, record.family_id);
}

http::Response OidcService::TokenFromRefresh(const http::Request& request, const FormFields& form) {
  if (http::DeferToPool()) return OAuthErrorResponse(503, "temporarily_unavailable", "deferred");
  const std::string presented = FormField(form, "refresh_token");
  const std::string client_id = FormField(form, "client_id");
  if (presented.empty() || presented.size() > 256) {
    return OAuthErrorResponse(400, "invalid_request", "refresh_token is missing.");
  }
  if (std::chrono::seconds wait = refresh_failures_.Check(request.remote_address);
      wait.count() > 0) {
    return OAuthErrorResponse(429, "slow_down", "Too many invalid refresh tokens; retry later.",
                              wait);
  }
  auto refuse = [&](std::string reason, const std::string& family) {
    std::map<std::string, std::string> detail{{"reason", std::move(reason)}};
    if (!family.empty()) detail["family"] = family;
    deps_.audit.RecordFailure("anonymous", "oauth.refresh_refused",
                              "client-hash:" + auth::HashSecretValue(client_id).substr(0, 16),
                              std::move(detail), request.remote_address);
    return OAuthErrorResponse(400, "invalid_grant", "The refresh token is invalid, expired or revoked.");
  };
  const std::string hash = crypto::Sha256Hex(presented);
  Result<store::RefreshToken> found = deps_.store.GetRefreshToken(hash);
  if (!found) {
    if (found.error().code != ErrorCode::kNotFound) {
      return OAuthErrorResponse(503, "temporarily_unavailable", "The store is unavailable.");
    }
    refresh_failures_.RecordFailure(request.remote_address);
    return refuse("unknown refresh token", "");
  }
  // Presented by another client: refused without consuming it (RFC 6749 §6).
  if (client_id != found->client_id) return refuse("client_id differs", "");
  const TimePoint now = deps_.clock.Now();
  if (found->expires_at <= now) return refuse("expired", found->family_id);
  Result<store::Principal> user = deps_.store.GetPrincipal(found->principal_id);
  if (!user || !user->active) {
    (void)deps_.store.RevokeRefreshTokenFamily(found->family_id);
    return refuse("user gone or deactivated", found->family_id);
  }
  const std::string next = Base64UrlEncode(deps_.random.Bytes(32));
  store::RefreshToken record{.token_hash = crypto::Sha256Hex(next),
                             .family_id = found->family_id,
                             .principal_id = user->id,
                             .client_id = client_id,
                             .scope = found->scope,
                             .created_at = now,
                             .expires_at = now + deps_.options.u2m.refresh_token_lifetime};
  Result<store::RefreshToken> rotated = deps_.store.RotateRefreshToken(hash, record);
  if (!rotated) {
    if (rotated.error().code == ErrorCode::kFailedPrecondition) {
      deps_.audit.RecordFailure("principal:" + std::to_string(user->id), "oauth.refresh_reuse",
                                "family:" + found->family_id,
                                {{"reason", "a used or revoked refresh token was presented; "
                                            "the family is revoked"}},
                                request.remote_address);
      return OAuthErrorResponse(400, "invalid_grant", "The refresh token is invalid, expired or revoked.");
    }
    if (rotated.error().code == ErrorCode::kNotFound) return refuse("unknown refresh token", "");
    return OAuthErrorResponse(503, "temporarily_unavailable", "The store is unavailable.");
  }
  return UserTokens(request, *user, client_id, next, found->family_id);
}

http::Response OidcService::UserTokens(const http::Request& request, const store::Principal& user,
                                       const std::string& client_id,
                                       const std::string& refresh_token,
                                       const std::string& family) {
  // The same workspace OAuth JWT as M2M, for a user (sub: the user name, idtyp "user").
  const int64_t iat = ToUnixSeconds(deps_.clock.Now());
  Result<Minted> minted = MintWorkspaceToken(request, user, client_id, iat,
                                             iat + deps_.options.oauth_token_lifetime.count());
  if (!minted) return OAuthErrorResponse(500, "server_error", minted.error().message);
  deps_.audit.Record("principal:" + std::to_string(user.id), "oauth.u2m_token_issued",
                     "jwt:" + minted->jti, {{"client_id", client_id}, {"family", family}},
                     request.remote_address);
  json body = {{"access_token", minted->token},
               {"token_type", "Bearer"},
               {"expires_in", deps_.options.oauth_token_lifetime.count()},
               {"refresh_token", refresh_token},
               {"scope", "all-apis offline_access"}};
  return NoStore(http::Response::Json(200, body.dump()));
}

}  // namespace latchkey::workspace
