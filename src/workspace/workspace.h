// The Databricks workspace side of latchkey: PATs (token API, token management, token
// permissions), workspace-conf, SCIM identities, OAuth M2M (service principal secrets and
// /oidc/v1/token), host metadata and the audit listing. Wire contract:
// shared/spec/databricks-workspace-api.md.
//
// Workspace owns its services, caches and the authentication path; it borrows the store,
// clock and random, which must outlive it. Thread-safe: RegisterRoutes is for setup; the
// registered handlers, Authenticate and FlushLastUsed may run concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/random.h"
#include "base/result.h"
#include "base/secret.h"
#include "store/store.h"
#include "auth/failure.h"
#include "jose/jws.h"
#include "workspace/call_context.h"
#include "workspace/options.h"

namespace latchkey::http {
class Router;
}

namespace latchkey::workspace {

struct Services;

class Workspace {
 public:
  Workspace(store::Store& store, const Clock& clock, Random& random, WorkspaceOptions options);
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  // Adds every /api/2.0/*, /oidc/* and /.well-known/databricks-config route. Unknown paths
  // and wrong methods are left to the router's defaults (404 ENDPOINT_NOT_FOUND, 405 + Allow).
  // The handlers refer to this Workspace: it must outlive every Dispatch on `router`.
  void RegisterRoutes(http::Router& router);

  // Checks an Authorization header value ("Bearer <PAT | Entra JWT | workspace OAuth JWT>")
  // exactly as the API does. kUnauthenticated: no bearer credential (the API answers 401);
  // kPermissionDenied: the token is invalid, expired, revoked, or its principal is unknown,
  // inactive or may not use PATs (403 "Invalid access token."); kUnavailable: store down.
  // kResourceExhausted: the address is locked out after repeated failures (retry_after).
  // The gate of every bearer-authenticated route (Authenticator::Guard): `remote_address`
  // and `host` go to the failure throttle and the (rate-bounded) audit record.
  auth::Gated<auth::AuthenticatedPrincipal> Guard(std::string_view authorization_header,
                                                  std::string_view remote_address,
                                                  std::string_view host);
  // Checks one token alone (introspection): no throttle, no audit.
  // `jwt` (optional) receives an accepted JWT, parsed (auth::Authenticator::Authenticate).
  auth::Checked<auth::AuthenticatedPrincipal> Authenticate(
      std::string_view token, std::optional<jose::ParsedJwt>* jwt = nullptr);

  // Writes the queued coarse last_used_day updates of PATs (one store call per day seen).
  void FlushLastUsed();

  // Deletes expired PATs from the store (housekeeping; CreatePat also purges its owner's).
  void PurgeExpiredPats();

  // Forgets every cached authentication answer (after signing keys were reloaded out of band,
  // e.g. on SIGHUP after `latchkeyd keys remove`).
  void FlushAuthCaches();

  // Entries in the authentication caches (for the latchkey_auth_cache_entries gauge).
  struct AuthCacheSizes {
    size_t pats = 0;
    size_t jwts = 0;
  };
  AuthCacheSizes CacheSizes() const;

 private:
  std::unique_ptr<Services> services_;
  // Declared last: it unregisters (and waits out a call in progress) before services_ goes.
  store::ChangeSubscription subscription_;
};

struct BootstrapResult {
  int64_t admin_id = 0;
  std::string admin_user_name;
  Secret admin_token;  // the PAT value, shown once
  int64_t admins_group_id = 0;
  int64_t users_group_id = 0;
};

// Called once by `latchkeyd init`: creates the groups "admins" and "users", the admin user
// (member of both) and a PAT for it that never expires, and records audit events.
// kAlreadyExists if the workspace already has an "admins" group; kInvalidArgument for an
// empty user name.
Result<BootstrapResult> BootstrapWorkspace(store::Store& store, const Clock& clock,
                                           Random& random, std::string admin_user_name);

struct RecoveryResult {
  int64_t admin_id = 0;
  std::string admin_user_name;
  Secret admin_token;  // the PAT value, shown once
  TimePoint expires_at;
  bool created = false;  // the user did not exist and was created
};

// Break-glass, for `latchkeyd recover-admin` on the host (docs/operations.md): makes the user
// `admin_user_name` (created if missing) an active member of "admins" and "users", switches
// PATs back on (enableTokensConfig = "true") and issues the user a PAT that expires after
// `token_lifetime`, past the quota. Audited as actor "system". kFailedPrecondition when the
// workspace was never initialised; kInvalidArgument for an empty user name.
Result<RecoveryResult> RecoverAdmin(store::Store& store, const Clock& clock, Random& random,
                                    std::string admin_user_name,
                                    std::chrono::seconds token_lifetime);

}  // namespace latchkey::workspace
