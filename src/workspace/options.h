// Configuration of the Databricks-compatible workspace (see workspace.h). Plain values; the
// pointers and functions are borrowed and must outlive the Workspace.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/issuer_binding.h"

namespace latchkey::jose {
class KeySource;
}
namespace latchkey::metrics {
class ServiceMetrics;
}
namespace latchkey::store {
struct AuditEvent;
}
namespace latchkey::keys {
class SigningKeys;
}
namespace latchkey::idp {
class FederationKeys;
}

namespace latchkey::sso {
class RelyingParty;
}
namespace latchkey::auth {
class BearerGate;
struct BearerGateOptions;
}

namespace latchkey::workspace {

struct WorkspaceOptions {
  int64_t workspace_id = 0;  // numeric, e.g. 16 digits; sent as X-Databricks-Org-Id
  // Account id reported by host metadata (§8.1). Empty: the field is omitted and any account
  // id is accepted in /api/2.0/accounts/{account_id}/... paths.
  std::string account_id;
  // Accepted `aud` values of Entra access tokens (§3.3): the Azure Databricks resource id.
  std::vector<std::string> entra_audiences{"2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"};
  // Accepts the `iss` of an Entra token: latchkey's own tenants (+ configured external ones).
  std::function<bool(std::string_view iss)> entra_issuer_check;
  const jose::KeySource* entra_keys = nullptr;  // verifies Entra tokens; null: none accepted
  // When set, replaces entra_keys: the keys that verify tokens of one issuer (latchkey's own
  // tenants, or a configured external OpenID issuer); nullptr for an untrusted issuer.
  std::function<const jose::KeySource*(std::string_view iss)> entra_keys_for_issuer;
  keys::SigningKeys* signing_keys = nullptr;    // signs/verifies workspace OAuth tokens
  // True for an authority ("127.0.0.1:8443", "adb-1.1.azuredatabricks.net") that names this
  // server: a workspace OAuth token's iss must be "https://<authority>/oidc" with one of them.
  std::function<bool(std::string_view authority)> is_own_authority;
  // Issuer binding (security review finding 11): which principals the issuer of a verified
  // Entra-style token may stand for. Unset: any (unit tests without external issuers).
  std::function<auth::IssuerBinding(std::string_view iss)> issuer_binding;
  // The server's public URL ("https://host[:port]"): workspace OAuth tokens are issued by
  // <public_url>/oidc whatever Host the client used. Unset or empty: the request's Host.
  std::function<std::string()> public_url;
  int pat_quota = 600;  // live PATs per owner (§4.1)
  // Lifetime of a PAT created without lifetime_seconds. nullopt: never expires (legacy
  // fidelity) unless maxTokenLifetimeDays caps it.
  std::optional<std::chrono::seconds> default_pat_lifetime;
  bool allow_obo = true;  // POST /api/2.0/token-management/on-behalf-of/tokens (§5.5)
  std::chrono::seconds oauth_token_lifetime{3600};
  std::chrono::seconds oauth_secret_default_lifetime{730 * 24 * 3600};  // §8.5
  // Bound on how long a cached principal/permission/token answer may be stale if a change
  // notification from another replica is lost.
  std::chrono::seconds auth_cache_ttl{300};
  size_t auth_cache_capacity = 100000;  // entries per cache (PATs, JWTs, principals)
  // Failed bearer authentications per remote address before 429 (§2.3), for the gate the
  // workspace makes when `bearer_gate` is null (see WorkspaceGateOptions).
  int auth_max_failures = 20;
  std::chrono::seconds auth_failure_window{60};
  std::chrono::seconds auth_lockout{60};
  // The one failed-bearer gate, shared with Graph and the operations endpoints (made by the
  // composition root from WorkspaceGateOptions); null: the workspace makes its own.
  auth::BearerGate* bearer_gate = nullptr;
  // Failed client authentications at /oidc/v1/token: oauth_max_failures per client id, three
  // times as many per remote address (one address may legitimately serve several clients).
  int oauth_max_failures = 10;
  std::chrono::seconds oauth_failure_window{60};
  std::chrono::seconds oauth_lockout{60};
  // Failed-authentication audit events written per minute at most (AuditLog::RecordFailure).
  int audit_failures_per_minute = 60;
  // Counters for tokens, PATs, auth failures, cache lookups and throttling; null: none.
  metrics::ServiceMetrics* metrics = nullptr;
  // Receives every audit event (on the request's thread, before it is stored) instead of the
  // default log line; the composition root writes them to the "audit" log stream.
  std::function<void(const store::AuditEvent&)> audit_sink;
  // Databricks token federation (federation_policies.h): external issuers' keys (shared with
  // the identity provider's federated credentials); null: token exchange is refused.
  idp::FederationKeys* federation_keys = nullptr;
  std::chrono::seconds federation_skew{60};                  // exp, nbf, iat tolerance
  std::chrono::seconds federation_max_token_lifetime{86400};  // exp - iat of a subject token
  // Databricks U2M (issue 24, oidc_u2m.cc): people sign in through an upstream provider.
  struct U2m {
    sso::RelyingParty* relying_party = nullptr;  // null: U2M is off and not advertised
    // Public clients (no secret) allowed to use the flow: the Databricks CLI and SDKs.
    std::vector<std::string> public_clients{"databricks-cli"};
    // Redirect URIs accepted besides loopback ones (RFC 8252 §7.3, any port), exactly.
    std::vector<std::string> redirect_uris;
    std::chrono::seconds code_ttl{60};
    std::chrono::seconds refresh_token_lifetime{30 * 86400};
    size_t max_code_bytes = 4 << 20;  // one-time codes waiting to be redeemed
  } u2m;
  // The web page's sessions (issue 24, web_sessions.h): [web] in the config.
  struct Web {
    std::chrono::seconds idle_timeout{30 * 60};
    std::chrono::seconds absolute_timeout{12 * 3600};
    int max_per_user = 20;  // a user's oldest sessions beyond this end at the next sign-in
    bool pat_sign_in = true;  // the page offers PAT sign-in (a page switch; web_sessions.h)
  } web;
};

// The bearer gate's options from auth_max_failures, auth_failure_window, auth_lockout, metrics.
auth::BearerGateOptions WorkspaceGateOptions(const WorkspaceOptions& options);

// The `aud` of workspace OAuth tokens: the workspace id in decimal, so a token is bound to
// this workspace whichever host name the client used (spec §3.2 is [U]).
inline std::string WorkspaceTokenAudience(const WorkspaceOptions& options) {
  return std::to_string(options.workspace_id);
}

}  // namespace latchkey::workspace
