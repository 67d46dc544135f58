// Operations endpoints on the main listeners (docs/operations.md):
//   /auth/verify (any method)  forward authentication for nginx auth_request, Envoy ext_authz
//                              and Traefik forwardAuth: 200 + X-Latchkey-Principal-* headers,
//                              401 (no bearer) or 403 (invalid), always with an empty body;
//   POST /oauth2/introspect    RFC 7662 token introspection, for workspace admins;
//   GET /metrics               the Prometheus exposition, for workspace admins.
// Every bearer goes through Workspace::Guard, the API's own gate, sharing its failure throttle
// and audit; introspection checks the token in its body with Workspace::Authenticate.
// Thread-safe; borrows everything, which must outlive the Router.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "http/router.h"
#include "metrics/service_metrics.h"
#include "store/store.h"
#include "workspace/workspace.h"

namespace latchkey::app {

struct OpsDeps {
  workspace::Workspace& workspace;
  store::Store& store;
  const Clock& clock;
  metrics::ServiceMetrics& metrics;
};

class OpsRoutes {
 public:
  explicit OpsRoutes(OpsDeps deps);
  void Register(http::Router& router);

  http::Response Verify(const http::Request& request);
  http::Response Introspect(const http::Request& request);
  http::Response AdminMetrics(const http::Request& request);

 private:
  // The caller's bearer must be a workspace admin's. Returns an error response, or nullopt.
  std::optional<http::Response> RequireAdmin(const http::Request& request);
  // {"active":true,...} for a token Authenticate accepts, {"active":false} otherwise.
  Result<nlohmann::json> IntrospectToken(const std::string& token);

  OpsDeps deps_;
};

// The Prometheus exposition response (200, text/plain; version=0.0.4).
http::Response MetricsResponse(const metrics::Registry& registry);

}  // namespace latchkey::app
