#include "metrics/service_metrics.h"

#include <array>
#include <charconv>

namespace latchkey::metrics {

std::string_view NormalizeMethod(std::string_view method) {
  static constexpr std::array<std::string_view, 7> kKnown = {"GET",   "HEAD",   "POST",   "PUT",
                                                             "PATCH", "DELETE", "OPTIONS"};
  for (std::string_view m : kKnown) {
    if (m == method) return m;
  }
  return "other";
}

ServiceMetrics::ServiceMetrics(Registry& registry)
    : registry_(registry),
      requests_(registry.Counter("latchkey_http_requests_total",
                                 "HTTP requests answered, by route pattern, method and status.",
                                 {"route", "method", "status"})),
      request_duration_(registry.Histogram(
          "latchkey_http_request_duration_seconds",
          "Time from the first request byte to the response written, by route pattern.", {"route"},
          LatencyBuckets())),
      tokens_issued_(registry.Counter(
          "latchkey_tokens_issued_total",
          "Access tokens issued: entra_v1 (resource=), entra_v2 (scope=), workspace_oauth "
          "(/oidc/v1/token).",
          {"kind"})),
      pats_created_(registry
                        .Counter("latchkey_pats_created_total",
                                 "Personal access tokens created (own and on behalf of).")
                        .With({})),
      pats_revoked_(registry
                        .Counter("latchkey_pats_revoked_total",
                                 "Personal access tokens revoked (deleted by owner or admin, or "
                                 "by a permission change).")
                        .With({})),
      auth_failures_(registry.Counter(
          "latchkey_auth_failures_total",
          "Failed authentications (bearer tokens and client credentials), by reason.", {"reason"})),
      cache_hits_(registry.Counter("latchkey_auth_cache_hits_total",
                                   "Authentication cache hits, by cache (pat, jwt).", {"cache"})),
      cache_misses_(registry.Counter("latchkey_auth_cache_misses_total",
                                     "Authentication cache misses, by cache (pat, jwt).",
                                     {"cache"})),
      rate_limited_(registry.Counter("latchkey_rate_limited_total",
                                     "Requests refused by a failure throttle, by limiter.",
                                     {"limiter"})),
      db_duration_(registry.Histogram("latchkey_db_operation_duration_seconds",
                                      "Store calls, by operation (Store method name).",
                                      {"operation"}, DatabaseBuckets())) {
  // Zero-valued series exist from the start, so rate() and increase() see the first event.
  for (std::string_view kind : {"entra_v1", "entra_v2", "workspace_oauth"}) {
    tokens_issued_.With({kind});
  }
  for (std::string_view cache : {"pat", "jwt"}) {
    cache_hits_.With({cache});
    cache_misses_.With({cache});
  }
}

void ServiceMetrics::RecordRequest(std::string_view route, std::string_view method, int status,
                                   double seconds) {
  if (route.empty()) route = "unmatched";
  char buf[8];
  if (status < 100 || status > 999) status = 0;
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, status);
  requests_.With({route, NormalizeMethod(method), std::string_view(buf, end - buf)}).Inc();
  request_duration_.With({route}).Observe(seconds);
}

void ServiceMetrics::TokenIssued(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEntraV1: tokens_issued_.With({"entra_v1"}).Inc(); break;
    case TokenKind::kEntraV2: tokens_issued_.With({"entra_v2"}).Inc(); break;
    case TokenKind::kWorkspaceOAuth: tokens_issued_.With({"workspace_oauth"}).Inc(); break;
  }
}

void ServiceMetrics::CountAuditAction(std::string_view action) {
  if (action == "token.create" || action == "token.obo_create") {
    PatCreated();
  } else if (action == "token.delete" || action == "token.admin_delete" ||
             action == "token.revoked_by_permission") {
    PatRevoked();
  } else if (action == "oauth.token_issued") {
    TokenIssued(TokenKind::kWorkspaceOAuth);
  } else if (action == "oauth.client_auth_failed") {
    AuthFailure("client_auth");
  }
}

void ServiceMetrics::AuthFailure(std::string_view reason) { auth_failures_.With({reason}).Inc(); }

void ServiceMetrics::AuthCacheLookup(std::string_view cache, bool hit) {
  (hit ? cache_hits_ : cache_misses_).With({cache}).Inc();
}

void ServiceMetrics::RateLimited(std::string_view limiter) { rate_limited_.With({limiter}).Inc(); }

void ServiceMetrics::RecordDbOperation(std::string_view operation, double seconds) {
  db_duration_.With({operation}).Observe(seconds);
}

}  // namespace latchkey::metrics
