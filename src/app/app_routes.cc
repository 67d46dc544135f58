#include "app/app_routes.h"

#include <nlohmann/json.hpp>

#include "metrics/metrics_routes.h"
#include "web/web_routes.h"

namespace latchkey::app {
namespace {

using nlohmann::json;

std::string Dump(const json& body) {
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

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

http::Response RenderServerError(int status, std::string_view message, std::string_view path) {
  const std::string text(message);
  json body;
  if (path.starts_with("/api/2.0/preview/scim/")) {
    body = {{"schemas", json::array({"urn:ietf:params:scim:api:messages:2.0:Error"})},
            {"detail", text},
            {"status", std::to_string(status)}};
    if (status == 400) body["scimType"] = "invalidSyntax";
  } else if (path.starts_with("/api/")) {
    const char* code = status == 413   ? "REQUEST_TOO_LARGE"
                       : status == 429 ? "REQUEST_LIMIT_EXCEEDED"
                       : status == 503 ? "TEMPORARILY_UNAVAILABLE"
                       : status >= 500 ? "INTERNAL_ERROR"
                                       : "BAD_REQUEST";
    body = {{"error_code", code}, {"message", text}};
  } else if (IsGraphPath(path)) {
    const char* code = status == 503 ? "serviceNotAvailable"
                       : status >= 500 ? "generalException"
                                       : "BadRequest";
    body = {{"error", {{"code", code}, {"message", text}}}};
  } else {
    const char* error = status == 503   ? "temporarily_unavailable"
                        : status >= 500 ? "server_error"
                                        : "invalid_request";
    if (IsOAuthPath(path)) {
      body = {{"error", error}, {"error_description", text}};
    } else {
      // Entra: AADSTS90023 InvalidRequest, AADSTS90033 a transient error.
      const int aadsts = status >= 500 ? 90033 : 90023;
      body = {{"error", error},
              {"error_description", "AADSTS" + std::to_string(aadsts) + ": " + text},
              {"error_codes", json::array({aadsts})}};
    }
  }
  return http::Response::Json(status, Dump(body));
}

}  // namespace latchkey::app
