// Web page sessions (issue 24): people sign in to the page (/ui/) through an upstream OpenID
// provider (sso/relying_party.h, via OidcService::WebStart and the shared /sso/callback) and
// get a server-side session: a random 256-bit id in a cookie
//   __Host-latchkey-session=<id>; Path=/; Secure; HttpOnly; SameSite=Lax
// The store keeps only its SHA-256 (store/query/web_sessions.cc), so sessions work on every
// replica and a revocation anywhere ends them everywhere on the next request.
//
// The cookie authenticates only the page's same-origin calls to /api/2.0/* (Services::Api, when
// the request has no Authorization header); bearer calls are unchanged, and forward-auth,
// introspection and /metrics never look at it. Every state-changing call (anything but GET and
// HEAD) must carry X-Latchkey-CSRF: a token derived from the session id (SHA-256 of a prefix
// and the id), compared in constant time; Origin, when sent, must be this origin, and
// Sec-Fetch-Site, when sent, same-origin. Idle and absolute timeouts; last-seen is written at
// most once per touch interval (min(60 s, idle / 4)). Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "auth/failure.h"
#include "auth/principal.h"
#include "base/rate_limiter.h"
#include "http/message.h"
#include "workspace/call_context.h"
#include "workspace/endpoint.h"
#include "workspace/services.h"

namespace latchkey::workspace {

inline constexpr std::string_view kWebSessionCookie = "__Host-latchkey-session";
// Binds a sign-in to the browser that started it: the state, in a cookie the callback checks.
inline constexpr std::string_view kWebSignInCookie = "__Host-latchkey-signin";
inline constexpr std::string_view kCsrfHeader = "X-Latchkey-CSRF";

// The value of cookie `name` in the request's Cookie header ("" if absent).
std::string CookieValue(const http::Request& request, std::string_view name);
// The CSRF token of a session id (base64url SHA-256 of "latchkey-web-csrf:" + id).
std::string CsrfTokenOf(std::string_view session_id);
// "<name>=<value>; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=<max_age>".
std::string SessionCookie(std::string_view name, std::string_view value, int64_t max_age);

class WebSessions {
 public:
  explicit WebSessions(const ServiceDeps& deps);

  // True when the page's cookie, not a bearer, is to authenticate the request: no
  // Authorization header and a session cookie.
  static bool UsesCookie(const http::Request& request);
  // The cookie's gate (the counterpart of Authenticator::Guard): CSRF and origin checks, the
  // session by hash, timeouts, the principal active. Denials are throttled per address (a
  // throttled request writes nothing); nothing is written for a refused request.
  auth::Gated<auth::AuthenticatedPrincipal> Guard(const http::Request& request);

  // A new session for `user` (signed in through `provider_id`): the Set-Cookie value, after the
  // row and its audit event are committed. Expired sessions are purged, and the user's oldest
  // beyond max_per_user.
  Result<std::string> Create(const store::Principal& user, const std::string& provider_id,
                             bool provisioned, const http::Request& request);

  // /api/2.0/latchkey/web-sessions... (routes.cc).
  Result<Reply> Current(const ApiCall& call, const CallContext& context);
  Result<Reply> SignOut(const ApiCall& call, const CallContext& context);
  Result<Reply> List(const ApiCall& call, const CallContext& context);
  Result<Reply> Revoke(const ApiCall& call, const CallContext& context);

 private:
  std::chrono::milliseconds TouchInterval() const;
  const ServiceDeps& deps_;
  // Unknown or expired session cookies per address.
  static constexpr int kBadCookiesPerMinute = 20;
  FailureThrottle failures_;
};

}  // namespace latchkey::workspace
