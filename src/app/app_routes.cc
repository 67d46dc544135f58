#include "app/app_routes.h"

#include "idp/entra_error.h"
#include "metrics/metrics_routes.h"
#include "workspace/api_error.h"
#include "web/web_routes.h"

namespace latchkey::app {
namespace {

bool IsGraphPath(std::string_view path) {
  return path.starts_with("/v1.0/") || path == "/v1.0" || path == "/subscriptions" ||
         path == "/tenants";
}

bool IsOAuthPath(std::string_view path) {
  return path.starts_with("/oidc/") || path.starts_with("/oauth2/") ||
         path.starts_with("/auth/") || path.starts_with("/.well-known/");
}

}  // namespace

void RegisterAppRoutes(http::Router& router, store::Store& store, idp::IdentityProvider& idp,
                       workspace::Workspace& workspace, workspace::OpsRoutes& ops,
                       const metrics::Registry& registry, std::function<bool()> ready) {
  router.Add("GET", "/healthz", [](http::Request&) {
    return http::Response::Json(200, R"({"status":"ok"})");
  });
  router.Add("GET", "/readyz", [&store, ready = std::move(ready)](http::Request&) {
    const bool ok = ready ? ready() : store.Ping().has_value();
    if (!ok) return http::Response::Json(503, R"({"status":"unavailable","reason":"database"})");
    return http::Response::Json(200, R"({"status":"ok"})");
  });
  idp.RegisterRoutes(router);
  workspace.RegisterRoutes(router);
  web::RegisterWebRoutes(router);
  ops.Register(router);
  metrics::RegisterAdminMetrics(router, registry,
                                [&ops](const http::Request& r) { return ops.RequireAdmin(r); });
}

// Each protocol's body comes from its own mapping file (workspace/api_error.h,
// idp/entra_error.h); only the choice of code for a status is made here.
http::Response RenderServerError(int status, std::string_view message, std::string_view path) {
  if (path.starts_with("/api/2.0/preview/scim/")) {
    return http::Response::Json(
        status, workspace::ScimErrorBody(status, message, status == 400 ? "invalidSyntax" : ""));
  }
  if (path.starts_with("/api/")) {
    const char* code = status == 413   ? "REQUEST_TOO_LARGE"
                       : status == 429 ? "REQUEST_LIMIT_EXCEEDED"
                       : status == 503 ? "TEMPORARILY_UNAVAILABLE"
                       : status >= 500 ? "INTERNAL_ERROR"
                                       : "BAD_REQUEST";
    return http::Response::Json(status, workspace::DatabricksErrorBody(code, message));
  }
  if (IsGraphPath(path)) {
    const char* code = status == 503 ? "serviceNotAvailable"
                       : status >= 500 ? "generalException"
                                       : "BadRequest";
    return idp::RenderArmError(status, code, message);  // Graph and ARM share the shape
  }
  const char* error = status == 503   ? "temporarily_unavailable"
                      : status >= 500 ? "server_error"
                                      : "invalid_request";
  if (IsOAuthPath(path)) {
    return http::Response::Json(status, workspace::OAuthErrorBody(error, message));
  }
  // Entra: AADSTS90023 InvalidRequest, AADSTS90033 a transient error.
  return idp::RenderBareEntraError(status, error, status >= 500 ? 90033 : 90023, message);
}

}  // namespace latchkey::app
