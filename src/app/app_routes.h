// The routes latchkeyd serves on its main listeners and the error bodies the HTTP layer
// writes for them, composed once here so that Serve, the malformed-input walk
// (tests/app/malformed_input_test.cc) and the whole-request fuzz target (fuzz/app_request_fuzz.cc)
// cover exactly the same routes.
#pragma once

#include <functional>
#include <string_view>

#include "http/message.h"
#include "http/router.h"
#include "idp/identity_provider.h"
#include "metrics/registry.h"
#include "store/store.h"
#include "workspace/ops_routes.h"
#include "workspace/workspace.h"

namespace latchkey::app {

// /healthz, /readyz, the identity provider (Entra, Graph, ARM), the workspace (Databricks
// API, SCIM, /oidc), the web UI, the operations endpoints (workspace/ops_routes.h) and GET
// /metrics for workspace admins (metrics/metrics_routes.h). Everything is borrowed and
// must outlive the router.
// `ready`, when given, answers /readyz without a store call (app/readiness.h); otherwise
// /readyz pings the store itself.
void RegisterAppRoutes(http::Router& router, store::Store& store, idp::IdentityProvider& idp,
                       workspace::Workspace& workspace, workspace::OpsRoutes& ops,
                       const metrics::Registry& registry, std::function<bool()> ready = {});

// The body of an error the HTTP layer answers itself (400 framing, 413, 414, 431, the
// connection limit's 503, a handler's exception), in the error shape of the protocol that
// `path` belongs to: SCIM's under /api/2.0/preview/scim/, Databricks' elsewhere under /api/,
// Graph's (and ARM's) under /v1.0/ and on /subscriptions and /tenants, OAuth's on /oidc/,
// /oauth2/, /auth/ and /.well-known/, and Entra's (OAuth plus AADSTS `error_codes`) on the
// rest, which is the identity provider's. Never throws.
http::Response RenderServerError(int status, std::string_view message, std::string_view path);

}  // namespace latchkey::app
