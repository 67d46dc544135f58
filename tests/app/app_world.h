// latchkeyd's whole route table over a real data dir, without sockets: `latchkeyd init` in a
// directory (real SQLite store, real signing keys, the default tenant, the directory-admin
// app, the workspace admin and its PAT), then the same composition as `latchkeyd serve`
// (app::RegisterAppRoutes). Shared by the malformed-input walk (malformed_input_test.cc) and
// the whole-request fuzz target (fuzz/app_request_fuzz.cc).
#pragma once

#include <memory>
#include <string>

#include "app/app_routes.h"
#include "app/own_authorities.h"
#include "auth/bearer_gate.h"
#include "base/clock.h"
#include "crypto/openssl_random.h"
#include "http/router.h"
#include "idp/identity_provider.h"
#include "keys/signing_keys.h"
#include "metrics/service_metrics.h"
#include "store/store.h"
#include "workspace/ops_routes.h"
#include "workspace/workspace.h"

namespace latchkey::app::testing {

// The Host every request of the walk and the fuzz target sends; an own authority.
inline constexpr char kWorldHost[] = "latchkey.test";

class AppWorld {
 public:
  // `dir` must not exist or be empty. The throttles are relaxed (the walk sends thousands of
  // failing requests from one address) unless `real_throttles`. nullptr (with the reason on
  // stderr) if anything fails.
  static std::unique_ptr<AppWorld> Create(const std::string& dir, bool real_throttles = false);
  ~AppWorld();

  http::Router& router() { return router_; }
  store::Store& store() { return *store_; }
  // Dispatches like the server does, a handler's exception included (500).
  http::Response Dispatch(http::Request& request);

  std::string tenant_id;
  std::string admin_pat;            // the workspace admin's PAT
  std::string graph_client_id;      // the directory-admin app (Application.ReadWrite.All)
  std::string graph_client_secret;
  std::string graph_token;          // its access token for Microsoft Graph
  std::string oauth_client_id;      // a workspace service principal's OAuth secret (/oidc)
  std::string oauth_client_secret;

 private:
  AppWorld() = default;
  bool Compose(const std::string& dir, bool real_throttles);
  http::Response Call(std::string method, std::string target, std::string body,
                      std::string authorization, std::string content_type);

  SystemClock clock_;
  crypto::OpenSslRandom random_;
  metrics::Registry registry_;
  std::unique_ptr<metrics::ServiceMetrics> metrics_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<keys::SigningKeys> keys_;
  OwnAuthorities own_;
  std::unique_ptr<auth::BearerGate> gate_;  // shared by Graph, ARM, the API and ops routes
  std::unique_ptr<idp::IdentityProvider> idp_;
  std::unique_ptr<workspace::Workspace> workspace_;
  std::unique_ptr<workspace::OpsRoutes> ops_;
  http::Router router_;
};

}  // namespace latchkey::app::testing
