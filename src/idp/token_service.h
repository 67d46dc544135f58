// The OAuth2 client-credentials grant (RFC 6749 §4.4) as Entra ID answers it, at
// /{tenant}/oauth2/v2.0/token (v2), /{tenant}/oauth2/token (v1) and /adfs/oauth2/token (the
// tenant-less shape Debian's az needs; the tenant is the client's home tenant). Clients
// authenticate with a client secret (body or HTTP Basic) or a client assertion signed by a
// registered certificate. Failures are throttled by smart lockout (auth/login_throttle.h).
// Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/random.h"
#include "auth/bearer_gate.h"
#include "auth/login_throttle.h"
#include "http/message.h"
#include "idp/client_auth.h"
#include "idp/client_cache.h"
#include "idp/directory.h"
#include "idp/entra_error.h"
#include "idp/federation.h"
#include "keys/signing_keys.h"
#include "metrics/service_metrics.h"

namespace latchkey::idp {

// Resource ids the identity provider issues tokens for without an app registration.
inline constexpr std::string_view kDatabricksResource = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";
inline constexpr std::string_view kGraphResource = "https://graph.microsoft.com";
inline constexpr std::string_view kGraphAppId = "00000003-0000-0000-c000-000000000000";

// One entry of the audit trail, written by the composition root (app/serve.cc) to the log and
// the store. `failure` events come at a bounded rate (anyone can cause one).
struct IdpAuditEvent {
  bool failure = false;
  std::string actor;   // "app:<client id>"
  std::string action;  // "federation.exchange", "federation.exchange_failed"
  std::string target;  // "federated_credential:<id>" or "app:<client id>"
  nlohmann::json detail;  // never a token
  std::string remote_address;
};

struct IdpOptions {
  std::chrono::seconds access_token_lifetime{3600};
  // True for "host:port" authorities that are this service (its listeners and public URLs).
  std::function<bool(std::string_view authority)> is_own_authority;
  // Smart lockout of failed client authentications (auth/login_throttle.h): per address, per
  // client from unfamiliar addresses, per client and familiar address.
  auth::LockoutPolicy lockout;
  // Counts issued tokens, client authentication failures and throttled requests; null: none.
  metrics::ServiceMetrics* metrics = nullptr;
  // Workload identity federation: external issuers' keys (null: federated tokens are refused
  // with AADSTS50166) and the token rules (idp/federation.h).
  FederationKeys* federation_keys = nullptr;
  FederationOptions federation;
  // Where audit events go; null: nowhere.
  std::function<void(IdpAuditEvent)> audit;
  // Called after a Graph credential change has committed together with its audit row (the
  // row is stored whatever this is; this writes the audit log line and counts it). Null: none.
  std::function<void(const store::AuditEvent&)> audit_committed;
  // The failed-bearer gate of Graph and ARM, shared with the workspace API and the operations
  // endpoints (auth/bearer_gate.h); null: the identity provider makes its own.
  auth::BearerGate* bearer_gate = nullptr;
};

enum class TokenEndpoint { kV2, kV1, kAdfs };

// "https://host:port" as the client addressed this server (scheme from the listener, authority
// from the Host header when it is a well-formed authority, else the listener's 127.0.0.1:port).
// For endpoint URLs in discovery documents only: nothing signed depends on it.
std::string RequestBaseUrl(const http::Request& request);

// The issuer of every token this identity provider signs for `tenant_id`: Entra's canonical
// forms, https://sts.windows.net/{tid}/ (v1) and https://login.microsoftonline.com/{tid}/v2.0
// (v2), independent of the Host a client used.
std::string EntraIssuer(std::string_view tenant_id, bool v2);

class TokenService {
 public:
  TokenService(Directory& directory, keys::SigningKeys& keys, const Clock& clock, Random& random,
               IdpOptions options);

  http::Response Handle(const http::Request& request, TokenEndpoint endpoint);
  // Drops the cached clients (app/outage_guard.h: their secrets are read again).
  void FlushClientCache() { clients_->Clear(); }

  const IdpOptions& options() const { return options_; }

 private:
  struct Issued;
  struct Resource;
  using Fail = std::function<std::unexpected<EntraError>(EntraError)>;
  std::expected<Issued, EntraError> Issue(const http::Request& request, TokenEndpoint endpoint);
  // Checks the client's secret, federated token or client assertion; its appidacr ("1" for a
  // secret, "2" otherwise). A secret the cached client does not know re-reads `client` (and
  // `tenant`, from the path's `path_tenant`) once. `fail` counts a failure against the smart
  // lockout.
  std::expected<std::string, EntraError> VerifyCredential(
      const http::Request& request, const ClientCredentials& creds, const std::string& path_tenant,
      std::shared_ptr<const CachedClient>& client, std::string& tenant, const Fail& fail);
  // Workload identity federation (idp/federation.h), with its own throttle and audit.
  std::expected<void, EntraError> VerifyFederated(const http::Request& request,
                                                  const ClientCredentials& creds,
                                                  const store::Application& app,
                                                  const std::string& tenant);
  // The signed app-only access token; nullopt if it cannot be written or signed.
  std::optional<std::string> SignAccessToken(const CachedClient& client,
                                             const std::string& tenant, const Resource& res,
                                             const std::string& appidacr, TimePoint now,
                                             TimePoint exp);
  // The app (by lower-case client id), its SP in `tenant` ("" = the app's home tenant, which
  // is then set) and its password credentials: from the cache unless `fresh`.
  std::expected<std::shared_ptr<const CachedClient>, EntraError> LoadClient(
      const std::string& client_id, std::string& tenant, bool fresh,
      const Fail& fail);
  // Writes federation.exchange (match set) or federation.exchange_failed to options_.audit.
  void AuditFederation(const http::Request& request, const store::Application& app,
                       const std::string& tenant, std::string_view assertion,
                       const FederatedMatch* match, const EntraError& error);
  std::expected<Resource, EntraError> ResolveResource(const std::string& resource,
                                                      const store::Application& client,
                                                      const std::string& tenant, bool v2);

  Directory& directory_;
  keys::SigningKeys& keys_;
  const Clock& clock_;
  Random& random_;
  IdpOptions options_;
  auth::LoginThrottle throttle_;
  auth::LoginThrottle federation_throttle_;  // federated-token failures only
  std::unique_ptr<ClientCache> clients_;
  // Declared last: it unregisters (and waits out a call in progress) before clients_ goes.
  store::ChangeSubscription subscription_;
};

}  // namespace latchkey::idp
