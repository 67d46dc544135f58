// latchkey's metric set (docs/operations.md lists every name): built once on a Registry by
// the composition root and handed to the identity provider and the workspace as a pointer
// (nullptr = not measured). Every label value passed in must come from a bounded set (route
// patterns, reason codes, limiter names); the HTTP method is folded to a fixed list here.
// Thread-safe; nothing here locks on the request path.
#pragma once

#include <string_view>

#include "metrics/registry.h"

namespace latchkey::metrics {

enum class TokenKind { kEntraV1, kEntraV2, kWorkspaceOAuth };

class ServiceMetrics {
 public:
  explicit ServiceMetrics(Registry& registry);

  Registry& registry() { return registry_; }

  // One call per HTTP response: `route` is the matched pattern ("unmatched" if none).
  void RecordRequest(std::string_view route, std::string_view method, int status, double seconds);
  void TokenIssued(TokenKind kind);
  void PatCreated() { pats_created_.Inc(); }
  void PatRevoked() { pats_revoked_.Inc(); }
  // A workspace audit action ("token.create", "token.delete", "oauth.token_issued",
  // "oauth.client_auth_failed", ...): bumps the matching counter, ignores the rest.
  void CountAuditAction(std::string_view action);
  // `reason`: a short code such as "unknown_token", "expired_token", "client_auth".
  void AuthFailure(std::string_view reason);
  // `cache`: "pat" or "jwt".
  void AuthCacheLookup(std::string_view cache, bool hit);
  // `limiter`: "workspace_auth", "entra_token", "oidc_token", "forward_auth".
  void RateLimited(std::string_view limiter);
  // One store call of `operation` (a Store method name) took `seconds`.
  void RecordDbOperation(std::string_view operation, double seconds);

 private:
  Registry& registry_;
  Family<Counter>& requests_;
  Family<Histogram>& request_duration_;
  Family<Counter>& tokens_issued_;
  Counter& pats_created_;
  Counter& pats_revoked_;
  Family<Counter>& auth_failures_;
  Family<Counter>& cache_hits_;
  Family<Counter>& cache_misses_;
  Family<Counter>& rate_limited_;
  Family<Histogram>& db_duration_;
};

// GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS as sent; anything else "other".
std::string_view NormalizeMethod(std::string_view method);

}  // namespace latchkey::metrics
