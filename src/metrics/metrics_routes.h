// The Prometheus exposition over HTTP: GET /metrics on the main listeners (for callers the
// admin check lets through; the workspace's OpsRoutes::RequireAdmin in latchkeyd) and on the
// optional plain metrics listener (no authentication). A library of its own (metrics_http),
// so that the registry itself stays standard library only.
#pragma once

#include <functional>
#include <optional>

#include "http/message.h"
#include "http/router.h"
#include "metrics/registry.h"

namespace latchkey::metrics {

// 200, text/plain; version=0.0.4, the registry's exposition.
http::Response MetricsResponse(const Registry& registry);

// The refusal to answer `request` with (in the caller's protocol), or nullopt to serve it.
using AdminCheck = std::function<std::optional<http::Response>(const http::Request& request)>;

// GET /metrics for callers `admin_check` lets through. Both are borrowed: they must outlive
// the router.
void RegisterAdminMetrics(http::Router& router, const Registry& registry, AdminCheck admin_check);

}  // namespace latchkey::metrics
