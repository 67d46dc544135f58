// Databricks OAuth M2M on the workspace host (spec §8): host metadata
// (/.well-known/databricks-config), OAuth discovery (/oidc/.well-known/oauth-authorization-
// server and .../openid-configuration), the JWKS and the client-credentials token endpoint
// /oidc/v1/token. Endpoint URLs follow the request's scheme and Host header as the client used
// them; the issuer of every token (and in discovery) is <public_url>/oidc (issue 18: one name,
// whatever alias or port-less name a client or proxy used). Unauthenticated; thread-safe.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "auth/login_throttle.h"
#include "base/rate_limiter.h"
#include "base/encoding.h"
#include "http/message.h"
#include "workspace/services.h"

namespace latchkey::sso {
struct SignedIn;
}

namespace latchkey::workspace {

class WebSessions;

class OidcService {
 public:
  explicit OidcService(const ServiceDeps& deps);

  http::Response HostMetadata(const http::Request& request) const;
  http::Response Discovery(const http::Request& request) const;
  http::Response Jwks(const http::Request& request) const;
  // client_credentials with scope all-apis; client authentication by HTTP Basic (both parts
  // percent-decoded, RFC 6749 §2.3.1) or form body, never both. Failures are throttled by
  // smart lockout (auth/login_throttle.h: an address the client has logged in from is not
  // locked by others' failures; 429 + Retry-After).
  http::Response Token(const http::Request& request);

  // Databricks U2M (oidc_u2m.cc; off unless options.u2m.relying_party is set).
  // GET /oidc/v1/authorize: response_type=code, a public client id, a loopback or registered
  // redirect URI, PKCE S256 required; redirects to the upstream provider (a chooser page when
  // there are several and none is named by ?provider=).
  http::Response Authorize(const http::Request& request);
  // GET /sso/callback: the provider's redirect; on success a one-time code (<= code_ttl, bound
  // to client id, redirect URI and PKCE challenge) goes to the client's redirect URI.
  http::Response SsoCallback(const http::Request& request);
  bool u2m_enabled() const { return deps_.options.u2m.relying_party != nullptr; }

  // The web page's sign-in (web_sessions.cc). GET /sso/web/config: the providers' buttons and
  // whether the page offers PAT sign-in. GET /sso/web/start?provider=ID: to the provider, the
  // state bound to this browser by a cookie; the callback (/sso/callback) then creates the
  // session (WebSignedIn) or sends the browser back to /ui/?sso_error=<reason>.
  http::Response WebConfig(const http::Request& request) const;
  http::Response WebStart(const http::Request& request);
  void AttachWebSessions(WebSessions* sessions) { web_sessions_ = sessions; }

 private:
  struct Client {
    std::string id;
    std::string secret;
  };
  // Scheme and Host as the client used them (endpoint URLs), if the Host is well-formed.
  std::string BaseUrl(const http::Request& request) const;
  std::string PublicUrl(const http::Request& request) const;
  std::string Issuer(const http::Request& request) const;
  // A workspace OAuth JWT for `who`, valid from `iat` to `exp` (unix seconds): iss
  // <public_url>/oidc, aud the workspace, scope all-apis. A service principal's sub is its
  // application id; a user's is its user name, marked idtyp "user" for the authenticator.
  // `client_id`, when not empty, is the client the token was issued to. Returns the token and
  // its jti; kUnavailable when no signing key is configured or signing fails.
  struct Minted {
    std::string token;
    std::string jti;
  };
  Result<Minted> MintWorkspaceToken(const http::Request& request, const store::Principal& who,
                                    const std::string& client_id, int64_t iat, int64_t exp);
  // grant_type token-exchange (Databricks token federation, federation_policies.h).
  http::Response TokenExchange(const http::Request& request, const FormFields& form);
  // Counts the failure and audits it (rate-bounded). `known` is the service principal the id
  // named, if any: only then is the id recorded as sent (an unknown "id" may be a secret
  // pasted into the wrong field).
  http::Response Refuse(const http::Request& request, const std::string& client_id,
                        const store::Principal* known, std::string reason);

  // U2M grants at /oidc/v1/token (oidc_u2m.cc).
  http::Response TokenFromCode(const http::Request& request, const FormFields& form);
  http::Response TokenFromRefresh(const http::Request& request, const FormFields& form);
  http::Response UserTokens(const http::Request& request, const store::Principal& user,
                            const std::string& client_id, const std::string& refresh_token,
                            const std::string& family);
  bool IsWebSignIn(const http::Request& request, std::string_view state) const;
  http::Response WebSignInDone(const http::Request& request, std::string_view refusal);
  http::Response WebSignedIn(const http::Request& request, const sso::SignedIn& who,
                             std::string_view state);
  WebSessions* web_sessions_ = nullptr;
  struct PendingCode {
    int64_t principal_id = 0;
    std::string client_id;
    std::string redirect_uri;
    std::string challenge;
    std::string scope;
    TimePoint created;
    size_t bytes = 0;
  };

  const ServiceDeps& deps_;
  auth::LoginThrottle throttle_;
  // Failed token exchanges: ten times throttle_'s counts (a federated token cannot be guessed;
  // this bounds the work a flood causes), keyed by policy owner and address.
  auth::LoginThrottle federation_throttle_;
  // Sign-ins started per address (oidc_u2m.cc): each holds a pending entry in the relying
  // party until its callback or its TTL, so one address may not crowd out everyone else's.
  static constexpr int kSignInStartsPerMinute = 30;
  FailureThrottle sign_in_starts_;
  // Refresh tokens that match nothing, per address (oidc_u2m.cc): each costs a store read, so
  // a flood of guesses from one address is slowed (a per-client count would lock every person
  // out: the Databricks CLI's client id is shared by all).
  static constexpr int kUnknownRefreshTokensPerMinute = 20;
  FailureThrottle refresh_failures_;
  std::mutex codes_mu_;
  std::map<std::string, PendingCode, std::less<>> codes_;  // by SHA-256 of the code
  std::deque<std::string> code_order_;
  size_t code_bytes_ = 0;
};

}  // namespace latchkey::workspace
