// Databricks OAuth M2M on the workspace host (spec §8): host metadata
// (/.well-known/databricks-config), OAuth discovery (/oidc/.well-known/oauth-authorization-
// server and .../openid-configuration), the JWKS and the client-credentials token endpoint
// /oidc/v1/token. Endpoint URLs follow the request's scheme and Host header as the client used
// them; the issuer of every token (and in discovery) is <public_url>/oidc (issue 18: one name,
// whatever alias or port-less name a client or proxy used). Unauthenticated; thread-safe.
#pragma once

#include <string>

#include "auth/login_throttle.h"
#include "base/encoding.h"
#include "http/message.h"
#include "workspace/services.h"

namespace latchkey::workspace {

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

 private:
  struct Client {
    std::string id;
    std::string secret;
  };
  // Scheme and Host as the client used them (endpoint URLs), if the Host is well-formed.
  std::string BaseUrl(const http::Request& request) const;
  std::string PublicUrl(const http::Request& request) const;
  std::string Issuer(const http::Request& request) const;
  // grant_type token-exchange (Databricks token federation, federation_policies.h).
  http::Response TokenExchange(const http::Request& request, const FormFields& form);
  // Counts the failure and audits it (rate-bounded). `known` is the service principal the id
  // named, if any: only then is the id recorded as sent (an unknown "id" may be a secret
  // pasted into the wrong field).
  http::Response Refuse(const http::Request& request, const std::string& client_id,
                        const store::Principal* known, std::string reason);

  const ServiceDeps& deps_;
  auth::LoginThrottle throttle_;
  // Failed token exchanges: ten times throttle_'s counts (a federated token cannot be guessed;
  // this bounds the work a flood causes), keyed by policy owner and address.
  auth::LoginThrottle federation_throttle_;
};

}  // namespace latchkey::workspace
