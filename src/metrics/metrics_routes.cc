#include "metrics/metrics_routes.h"

#include <string>
#include <utility>

namespace latchkey::metrics {

http::Response MetricsResponse(const Registry& registry) {
  return http::Response::Text(200, registry.Expose(), std::string(kExpositionContentType));
}

void RegisterAdminMetrics(http::Router& router, const Registry& registry, AdminCheck admin_check) {
  router.Add("GET", "/metrics",
             [&registry, check = std::move(admin_check)](http::Request& request) {
               if (std::optional<http::Response> refused = check(request)) return *refused;
               return MetricsResponse(registry);
             });
}

}  // namespace latchkey::metrics
