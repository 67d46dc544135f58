#include "metrics/service_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace latchkey::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ServiceMetricsTest, RequestsAreLabelledByRouteMethodAndStatus) {
  Registry registry;
  ServiceMetrics m(registry);
  m.RecordRequest("/api/2.0/token/create", "POST", 200, 0.003);
  m.RecordRequest("", "BREW", 404, 0.0001);

  std::string text = registry.Expose();
  EXPECT_THAT(text, HasSubstr("latchkey_http_requests_total{route=\"/api/2.0/token/create\","
                              "method=\"POST\",status=\"200\"} 1\n"));
  // Unknown methods fold into "other"; no route means "unmatched".
  EXPECT_THAT(text, HasSubstr("latchkey_http_requests_total{route=\"unmatched\","
                              "method=\"other\",status=\"404\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("latchkey_http_request_duration_seconds_bucket{"
                              "route=\"/api/2.0/token/create\",le=\"0.005\"} 1\n"));
}

TEST(ServiceMetricsTest, AuditActionsMoveTheTokenCounters) {
  Registry registry;
  ServiceMetrics m(registry);
  for (const char* action : {"token.create", "token.obo_create", "token.delete",
                             "token.admin_delete", "token.revoked_by_permission",
                             "oauth.token_issued", "oauth.client_auth_failed", "group.create"}) {
    m.CountAuditAction(action);
  }

  std::string text = registry.Expose();
  EXPECT_THAT(text, HasSubstr("latchkey_pats_created_total 2\n"));
  EXPECT_THAT(text, HasSubstr("latchkey_pats_revoked_total 3\n"));
  EXPECT_THAT(text, HasSubstr("latchkey_tokens_issued_total{kind=\"workspace_oauth\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("latchkey_auth_failures_total{reason=\"client_auth\"} 1\n"));
}

TEST(ServiceMetricsTest, SeriesExistBeforeTheFirstEvent) {
  Registry registry;
  ServiceMetrics m(registry);

  std::string text = registry.Expose();
  EXPECT_THAT(text, HasSubstr("latchkey_tokens_issued_total{kind=\"entra_v2\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("latchkey_auth_cache_hits_total{cache=\"pat\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("latchkey_pats_created_total 0\n"));
  EXPECT_THAT(text, Not(HasSubstr("latchkey_auth_failures_total{")));
}

}  // namespace
}  // namespace latchkey::metrics
