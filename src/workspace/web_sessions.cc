#include "workspace/web_sessions.h"

#include <algorithm>

#include "base/encoding.h"
#include "crypto/hash.h"
#include "http/offload_context.h"
#include "sso/relying_party.h"
#include "workspace/oidc.h"

namespace latchkey::workspace {

using nlohmann::json;

namespace {

constexpr char kCallbackPath[] = "/sso/callback";
constexpr size_t kSessionIdChars = 43;  // base64url of 32 random bytes
constexpr size_t kMaxUserAgent = 256;
constexpr size_t kMaxAddress = 64;
constexpr size_t kMaxListed = 1000;

bool IsBase64Url(std::string_view s) {
  return s.find_first_not_of(
             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
         std::string_view::npos;
}

// Printable ASCII only, at most `n` bytes: what a list shows of a header the client chose.
std::string Printable(std::string_view s, size_t n) {
  std::string out;
  for (char ch : s.substr(0, n)) out += (ch >= 0x20 && ch < 0x7f) ? ch : '?';
  return out;
}

bool StateChanging(std::string_view method) { return method != "GET" && method != "HEAD"; }

http::Response NoStoreRedirect(const std::string& location) {
  http::Response r = http::Response::Text(302, "");
  r.SetHeader("Location", location);
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

http::Response TextPage(int status, const std::string& text) {
  http::Response r = http::Response::Text(status, text + "\n");
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

using Gated = auth::Gated<auth::AuthenticatedPrincipal>;

Gated Refused(auth::DenialReason reason, std::string message) {
  return std::unexpected(auth::Failure{auth::FailureKind::kDenied, reason, std::move(message), {}});
}

Gated Unavailable(const Error& error) {
  return std::unexpected(auth::Failure{.kind = auth::FailureKind::kUnavailable,
                                       .detail = error.message,
                                       .outage = error.code});
}

json SessionJson(const store::WebSession& w, std::string_view current_id,
                 const std::string& user_name) {
  return {{"id", w.id},
          {"user_id", std::to_string(w.principal_id)},
          {"user_name", user_name},
          {"provider", w.provider_id},
          {"created_time", ToUnixMillis(w.created_at)},
          {"last_seen_time", ToUnixMillis(w.last_seen_at)},
          {"expiry_time", ToUnixMillis(w.expires_at)},
          {"address", w.address},
          {"user_agent", w.user_agent},
          {"current", w.id == current_id}};
}

}  // namespace

std::string CookieValue(const http::Request& request, std::string_view name) {
  std::string_view header = request.Header("cookie");
  while (!header.empty()) {
    size_t semi = header.find(';');
    std::string_view item = header.substr(0, semi);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (item.size() > name.size() && item.starts_with(name) && item[name.size()] == '=') {
      return std::string(item.substr(name.size() + 1));
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

std::string CsrfTokenOf(std::string_view session_id) {
  return Base64UrlEncode(crypto::Sha256("latchkey-web-csrf:" + std::string(session_id)));
}

std::string SessionCookie(std::string_view name, std::string_view value, int64_t max_age) {
  return std::string(name) + "=" + std::string(value) +
         "; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(max_age);
}

WebSessions::WebSessions(const ServiceDeps& deps)
    : deps_(deps),
      failures_(deps.clock, kBadCookiesPerMinute, std::chrono::minutes(1), std::chrono::minutes(1)) {}

bool WebSessions::UsesCookie(const http::Request& request) {
  return request.Header("authorization").empty() &&
         !CookieValue(request, kWebSessionCookie).empty();
}

std::chrono::milliseconds WebSessions::TouchInterval() const {
  auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(deps_.options.web.idle_timeout);
  return std::clamp<std::chrono::milliseconds>(idle / 4, std::chrono::milliseconds(250),
                                               std::chrono::seconds(60));
}

Gated WebSessions::Guard(const http::Request& request) {
  const std::string sid = CookieValue(request, kWebSessionCookie);
  // A cross-site request never rides on the cookie: the browser's own word first (Fetch
  // Metadata, Origin), then the CSRF token, which only the page's own script can read.
  std::string_view site = request.Header("sec-fetch-site");
  if (!site.empty() && site != "same-origin") return Refused(auth::DenialReason::kCrossSite, "Cross-site request refused.");
  if (StateChanging(request.method)) {
    std::string_view origin = request.Header("origin");
    const std::string own = std::string(request.tls ? "https://" : "http://") + request.Host();
    if (!origin.empty() && origin != own) return Refused(auth::DenialReason::kCrossSite, "Cross-origin request refused.");
    std::string_view csrf = request.Header(kCsrfHeader);
    if (csrf.empty() || !crypto::ConstantTimeEquals(csrf, CsrfTokenOf(sid))) {
      return Refused(auth::DenialReason::kCrossSite, "Missing or invalid CSRF token.");
    }
  }
  if (http::DeferToPool()) return Unavailable(Error{ErrorCode::kUnavailable, "deferred"});
  // As Authenticator::Guard: a valid cookie is never slowed; while an address is locked out,
  // its bad cookies get 429 and are not counted again.
  auto deny = [&]() -> Gated {
    if (std::chrono::seconds wait = failures_.Check(request.remote_address); wait.count() > 0) {
      return std::unexpected(auth::Failure{.kind = auth::FailureKind::kThrottled,
                                           .detail = "Too many failed attempts.",
                                           .retry_after = wait});
    }
    failures_.RecordFailure(request.remote_address);
    return Refused(auth::DenialReason::kInvalidSession, "Invalid or expired session.");
  };
  if (sid.size() != kSessionIdChars || !IsBase64Url(sid)) return deny();
  Result<store::WebSession> session = deps_.store.GetWebSession(crypto::Sha256Hex(sid));
  if (!session) {
    if (session.error().code != ErrorCode::kNotFound) return Unavailable(session.error());
    return deny();
  }
  const TimePoint now = deps_.clock.Now();
  if (now >= session->expires_at || now - session->last_seen_at >= deps_.options.web.idle_timeout) {
    return deny();  // the row goes at the next sign-in's purge
  }
  Result<std::shared_ptr<const auth::PrincipalAccess>> access = deps_.access.Get(session->principal_id);
  if (!access) {
    if (access.error().code != ErrorCode::kNotFound) return Unavailable(access.error());
    return deny();
  }
  if (!(*access)->principal.active) return deny();
  if (now - session->last_seen_at >= TouchInterval()) {
    (void)deps_.store.TouchWebSession(session->id, now);  // best effort; bounded per session
  }
  std::shared_ptr<const store::Principal> principal(*access, &(*access)->principal);
  return auth::AuthenticatedPrincipal{std::move(principal), (*access)->is_admin,
                                      auth::AuthKind::kWebSession, session->id};
}

Result<std::string> WebSessions::Create(const store::Principal& user,
                                        const std::string& provider_id, bool provisioned,
                                        const http::Request& request) {
  const auto& web = deps_.options.web;
  const std::string sid = Base64UrlEncode(deps_.random.Bytes(32));  // CSPRNG, 256 bits
  const TimePoint now = deps_.clock.Now();
  store::WebSession session{
      .id = deps_.random.Uuid(),
      .token_hash = crypto::Sha256Hex(sid),
      .principal_id = user.id,
      .provider_id = provider_id,
      .created_at = now,
      .last_seen_at = now,
      .expires_at = now + web.absolute_timeout,
      .address = Printable(request.remote_address, kMaxAddress),
      .user_agent = Printable(request.Header("user-agent"), kMaxUserAgent)};
  store::AuditEvent event = deps_.audit.Event(
      "principal:" + std::to_string(user.id), "web_session.created", "web_session:" + session.id,
      {{"provider", provider_id}, {"jit_provisioned", provisioned ? "true" : "false"}},
      request.remote_address);
  Status written = deps_.audit.Write(event, [&](const store::AuditEvent* e) {
    return deps_.store.CreateWebSession(session, web.max_per_user, now - web.idle_timeout, e);
  });
  if (!written) return std::unexpected(written.error());
  return SessionCookie(kWebSessionCookie, sid, web.absolute_timeout.count());
}

Result<Reply> WebSessions::Current(const ApiCall& call, const CallContext& context) {
  if (context.auth.kind != auth::AuthKind::kWebSession) {
    return MakeError(ErrorCode::kNotFound, "This call is not authenticated by a web session.");
  }
  json body = {{"id", context.auth.token_id},
               {"user_name", PrincipalName(context.principal())},
               {"csrf_token", CsrfTokenOf(CookieValue(call.http, kWebSessionCookie))},
               {"csrf_header", std::string(kCsrfHeader)}};
  Reply reply(std::move(body));
  reply.headers.emplace_back("Cache-Control", "no-store");
  return reply;
}

Result<Reply> WebSessions::SignOut(const ApiCall&, const CallContext& context) {
  if (context.auth.kind != auth::AuthKind::kWebSession) {
    return MakeError(ErrorCode::kNotFound, "This call is not authenticated by a web session.");
  }
  store::AuditEvent event =
      deps_.audit.Event(context.Actor(), "web_session.signed_out",
                        "web_session:" + context.auth.token_id, json::object(), context.remote_address);
  Status deleted = deps_.audit.Write(event, [&](const store::AuditEvent* e) {
    return deps_.store.DeleteWebSession(context.auth.token_id, context.principal().id, e);
  });
  if (!deleted && deleted.error().code != ErrorCode::kNotFound) return std::unexpected(deleted.error());
  Reply reply;
  reply.headers.emplace_back("Set-Cookie", SessionCookie(kWebSessionCookie, "", 0));
  reply.headers.emplace_back("Cache-Control", "no-store");
  return reply;
}

Result<Reply> WebSessions::List(const ApiCall& call, const CallContext& context) {
  const bool all = call.Query("all").value_or("") == "true";
  if (all) {
    if (Status ok = RequireAdmin(context, "list everyone's web sessions"); !ok) {
      return std::unexpected(ok.error());
    }
  }
  Result<std::vector<store::WebSession>> sessions =
      deps_.store.ListWebSessions(all ? 0 : context.principal().id);
  if (!sessions) return std::unexpected(sessions.error());
  const TimePoint now = deps_.clock.Now();
  const std::string current = context.auth.kind == auth::AuthKind::kWebSession ? context.auth.token_id : "";
  json list = json::array();
  for (const store::WebSession& w : *sessions) {
    if (list.size() >= kMaxListed) break;
    if (now >= w.expires_at || now - w.last_seen_at >= deps_.options.web.idle_timeout) continue;
    std::string name = PrincipalName(context.principal());
    if (w.principal_id != context.principal().id) {  // an admin's list: the owner's name
      Result<std::shared_ptr<const auth::PrincipalAccess>> owner = deps_.access.Get(w.principal_id);
      name = owner ? PrincipalName((*owner)->principal) : std::string();
    }
    list.push_back(SessionJson(w, current, name));
  }
  return Reply(json{{"sessions", std::move(list)}});
}

Result<Reply> WebSessions::Revoke(const ApiCall& call, const CallContext& context) {
  const std::string id = call.Param("session_id");
  if (id.empty() || id.size() > 64) return MakeError(ErrorCode::kNotFound, "No such web session.");
  // Anyone may end their own sessions; admins anyone's.
  const int64_t owner = context.is_admin() ? 0 : context.principal().id;
  store::AuditEvent event = deps_.audit.Event(context.Actor(), "web_session.revoked",
                                              "web_session:" + id, json::object(),
                                              context.remote_address);
  Status deleted = deps_.audit.Write(event, [&](const store::AuditEvent* e) {
    return deps_.store.DeleteWebSession(id, owner, e);
  });
  if (!deleted) {
    if (deleted.error().code == ErrorCode::kNotFound) {
      return MakeError(ErrorCode::kNotFound, "No such web session.");
    }
    return std::unexpected(deleted.error());
  }
  return Reply();
}

// ---- The page's sign-in through the upstream providers (OidcService members) ----

http::Response OidcService::WebConfig(const http::Request&) const {
  json providers = json::array();
  if (const sso::RelyingParty* rp = deps_.options.u2m.relying_party; rp != nullptr) {
    for (const sso::ProviderConfig& p : rp->providers()) {
      providers.push_back({{"id", p.id},
                           {"display_name", p.display_name},
                           {"start_url", "/sso/web/start?provider=" + PercentEncode(p.id)}});
    }
  }
  json body = {{"providers", std::move(providers)},
               {"pat_sign_in", deps_.options.web.pat_sign_in}};
  http::Response r = http::Response::Json(200, body.dump());
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

http::Response OidcService::WebStart(const http::Request& request) {
  // Fetches the provider's discovery document on first use and records a pending sign-in:
  // off the I/O thread, run once (http/offload.h).
  if (http::DeferToPool()) return TextPage(503, "Deferred");
  const sso::RelyingParty* rp = deps_.options.u2m.relying_party;
  if (rp == nullptr) return TextPage(404, "Sign-in through an identity provider is not configured.");
  std::optional<FormFields> q = ParseForm(request.query);
  const std::optional<std::string> provider = q ? FindField(*q, "provider") : std::nullopt;
  if (!provider || provider->size() > 64 || rp->Find(*provider) == nullptr) {
    return TextPage(400, "Unknown sign-in provider.");
  }
  if (std::chrono::seconds wait = sign_in_starts_.Check(request.remote_address); wait.count() > 0) {
    http::Response busy = TextPage(429, "Too many sign-ins from this address; wait a minute.");
    busy.SetHeader("Retry-After", std::to_string(wait.count()));
    return busy;
  }
  Result<std::string> url = deps_.options.u2m.relying_party->Begin(
      *provider, PublicUrl(request) + kCallbackPath, json{{"kind", "web"}}.dump());
  if (!url) return TextPage(503, "The identity provider cannot be reached; try again later.");
  sign_in_starts_.RecordFailure(request.remote_address);  // counts starts (as Authorize does)
  // The state, in a cookie of this browser: the callback accepts the sign-in only from the
  // browser that started it (no login CSRF, no session planted by a link).
  std::string state;
  if (size_t at = url->find("&state="); at != std::string::npos) {
    state = url->substr(at + 7, url->find('&', at + 7) - (at + 7));
  }
  http::Response r = NoStoreRedirect(*url);
  r.headers.emplace_back(
      "Set-Cookie", SessionCookie(kWebSignInCookie, state, 600));
  return r;
}

bool OidcService::IsWebSignIn(const http::Request& request, std::string_view state) const {
  const std::string bound = CookieValue(request, kWebSignInCookie);
  return !bound.empty() && crypto::ConstantTimeEquals(bound, state);
}

http::Response OidcService::WebSignInDone(const http::Request& request,
                                          std::string_view refusal) {
  http::Response r = NoStoreRedirect(refusal.empty() ? "/ui/"
                                                     : "/ui/?sso_error=" + std::string(refusal));
  if (!CookieValue(request, kWebSignInCookie).empty()) {
    r.headers.emplace_back("Set-Cookie", SessionCookie(kWebSignInCookie, "", 0));
  }
  return r;
}

http::Response OidcService::WebSignedIn(const http::Request& request, const sso::SignedIn& who,
                                        std::string_view state) {
  if (!IsWebSignIn(request, state)) {
    deps_.audit.RecordFailure("principal:" + std::to_string(who.principal.id),
                              "sso.sign_in_failed", "sso",
                              {{"reason", "started_in_another_browser"}, {"flow", "web"}},
                              request.remote_address);
    return WebSignInDone(request, "started_in_another_browser");
  }
  if (web_sessions_ == nullptr || who.principal.kind != store::PrincipalKind::kUser) {
    return WebSignInDone(request, "not_a_user");
  }
  Result<std::string> cookie = web_sessions_->Create(who.principal, who.provider_id, who.created,
                                                     request);
  if (!cookie) return TextPage(503, "The store is unavailable; sign in again later.");
  http::Response r = WebSignInDone(request, "");
  r.headers.emplace_back("Set-Cookie", *cookie);
  return r;
}

}  // namespace latchkey::workspace
