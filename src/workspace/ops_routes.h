// Operations endpoints of the workspace's authentication (docs/operations.md):
//   /auth/verify (any method)  forward authentication for nginx auth_request, Envoy ext_authz
//                              and Traefik forwardAuth: 200 + X-Latchkey-Principal-* headers,
//                              401 (no bearer) or 403 (invalid), always with an empty body;
//   POST /oauth2/introspect    RFC 7662 token introspection, for workspace admins.
// RequireAdmin also gates GET /metrics (metrics/metrics_routes.h). Every bearer goes through
// Workspace::Guard, the API's own gate, sharing its failure throttle and audit; introspection
// checks the token in its body with Workspace::Authenticate. The auth failures are mapped to
// these endpoints' shapes here, their OAuth errors written by workspace/api_error.h.
// Thread-safe; borrows everything, which must outlive the Router.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "http/router.h"
#include "store/store.h"
#include "workspace/workspace.h"

namespace latchkey::workspace {

struct OpsDeps {
  Workspace& workspace;
  store::TokenStore& tokens;  // introspection reads a PAT's dates and scopes
};

class OpsRoutes {
 public:
  explicit OpsRoutes(OpsDeps deps);
  void Register(http::Router& router);

  http::Response Verify(const http::Request& request);
  http::Response Introspect(const http::Request& request);
  // The caller's bearer must be a workspace admin's. Returns an error response (OAuth's
  // shape), or nullopt.
  std::optional<http::Response> RequireAdmin(const http::Request& request);

 private:
  // {"active":true,...} for a token Authenticate accepts, {"active":false} otherwise.
  Result<nlohmann::json> IntrospectToken(const std::string& token);

  OpsDeps deps_;
};

}  // namespace latchkey::workspace
