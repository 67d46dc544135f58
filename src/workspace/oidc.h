// Databricks OAuth M2M on the workspace host (spec §8): host metadata
// (/.well-known/databricks-config), OAuth discovery (/oidc/.well-known/oauth-authorization-
// server and .../openid-configuration), the JWKS and the client-credentials token endpoint
// /oidc/v1/token. URLs are built from the request's scheme and Host header exactly as the
// client used them (issue #5; §8.2's "configured base URL" alternative is not needed because
// is_own_authority decides which hosts are ours). Unauthenticated; thread-safe.
#pragma once

#include <string>

#include "base/rate_limiter.h"
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
  // percent-decoded, RFC 6749 §2.3.1) or form body, never both. Failures are throttled per
  // client id and per remote address (429 + Retry-After).
  http::Response Token(const http::Request& request);

 private:
  struct Client {
    std::string id;
    std::string secret;
  };
  static std::string BaseUrl(const http::Request& request);
  http::Response Refuse(const http::Request& request, const std::string& client_id,
                        std::string reason);

  const ServiceDeps& deps_;
  FailureThrottle by_client_;
  FailureThrottle by_address_;
};

}  // namespace latchkey::workspace
