// The Workspace's internals: every service, cache and throttle, built once and shared by the
// routes (routes.cc) and the public entry points (workspace.cc). Internal to src/workspace/.
#pragma once

#include <memory>

#include "auth/authenticator.h"
#include "auth/pat_cache.h"
#include "http/message.h"
#include "store/store.h"
#include "workspace/access.h"
#include "workspace/audit.h"
#include "workspace/endpoint.h"
#include "workspace/federation_policies.h"
#include "workspace/oauth_secrets.h"
#include "workspace/oidc.h"
#include "workspace/options.h"
#include "workspace/pat_issuer.h"
#include "workspace/permissions.h"
#include "workspace/scim.h"
#include "workspace/services.h"
#include "workspace/token_management.h"
#include "workspace/tokens.h"
#include "workspace/web_sessions.h"
#include "workspace/workspace_conf.h"

namespace latchkey::workspace {

enum class ErrorStyle { kDatabricks, kScim };

struct Services {
  Services(store::Store& store, const Clock& clock, Random& random, WorkspaceOptions opts);

  // Cache invalidation from the store's change notifications (§issue 4 item 9).
  void OnChange(const store::Change& change);
  // Wraps an ApiHandler: throttle, authenticate once, parse query and body, map errors.
  http::Handler Api(ErrorStyle style, ApiHandler handler);

  WorkspaceOptions options;
  store::Store& store;
  const Clock& clock;
  AuditLog audit;
  AccessControl access;
  auth::PatCache pats;
  ServiceDeps deps;
  std::unique_ptr<auth::BearerGate> own_gate;  // when options.bearer_gate is null
  auth::Authenticator authenticator;
  PatIssuer issuer;
  TokenService tokens;
  TokenManagementService token_management;
  PermissionsService permissions;
  WorkspaceConfService conf;
  ScimService scim;
  OAuthSecretService secrets;
  FederationPolicyService federation_policies;
  WebSessions web_sessions;  // the page's cookie sessions (web_sessions.h)
  OidcService oidc;
};

}  // namespace latchkey::workspace
