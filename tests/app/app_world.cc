#include "app_world.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "app/config.h"
#include "app/init.h"
#include "base/encoding.h"
#include "support/request.h"

namespace latchkey::app::testing {
namespace {

using nlohmann::json;

bool Fail(const std::string& what) {
  std::fprintf(stderr, "AppWorld: %s\n", what.c_str());
  return false;
}

}  // namespace

std::unique_ptr<AppWorld> AppWorld::Create(const std::string& dir, bool real_throttles) {
  std::unique_ptr<AppWorld> world(new AppWorld());
  if (!world->Compose(dir, real_throttles)) return nullptr;
  return world;
}

AppWorld::~AppWorld() = default;

http::Response AppWorld::Dispatch(http::Request& request) {
  try {
    return router_.Dispatch(request);
  } catch (...) {
    return RenderServerError(500, "internal error", request.path);
  }
}

http::Response AppWorld::Call(std::string method, std::string target, std::string body,
                              std::string authorization, std::string content_type) {
  latchkey::testing::RequestSpec spec{.method = std::move(method),
                                      .target = std::move(target),
                                      .host = kWorldHost,
                                      .remote_address = "192.0.2.1",
                                      .request_id = "world-setup"};
  if (!authorization.empty()) spec.headers.emplace_back("Authorization", std::move(authorization));
  if (!content_type.empty()) spec.headers.emplace_back("Content-Type", std::move(content_type));
  spec.body = std::move(body);
  http::Request request = latchkey::testing::MakeRequest(std::move(spec));
  return Dispatch(request);
}

bool AppWorld::Compose(const std::string& dir, bool real_throttles) {
  ConfigOverrides flags;
  flags.data_dir = dir;
  flags.listen = {"127.0.0.1:0"};
  Result<Config> config = LoadConfig(flags, {});
  if (!config) return Fail("config: " + config.error().message);
  Result<std::string> init = InitDataDir(*config, InitMode::kRefuseExisting);
  if (!init) return Fail("init: " + init.error().message);
  const json boot = json::parse(*init);
  tenant_id = boot["tenant_id"].get<std::string>();
  admin_pat = boot["admin"]["token"].get<std::string>();
  graph_client_id = boot["directory_admin"]["client_id"].get<std::string>();
  graph_client_secret = boot["directory_admin"]["client_secret"].get<std::string>();

  metrics_ = std::make_unique<metrics::ServiceMetrics>(registry_);
  auto opened = store::OpenStore(config->database_url);
  if (!opened) return Fail("store: " + opened.error().message);
  store_ = std::move(*opened);
  auto keys = keys::SigningKeys::Open(*store_, config->KeyDir(), clock_,
                                      config->access_token_lifetime * 2);
  if (!keys) return Fail("keys: " + keys.error().message);
  keys_ = std::move(*keys);
  own_.AddPublicHost(kWorldHost);
  auto is_own = [this](std::string_view authority) { return own_.Contains(authority); };

  // One failed-bearer gate for every surface, as serve.cc makes it.
  gate_ = std::make_unique<auth::BearerGate>(
      clock_, auth::BearerGateOptions{.max_failures = real_throttles ? 20 : 1 << 30,
                                      .metrics = metrics_.get()});
  idp::IdpOptions idp_options;
  idp_options.bearer_gate = gate_.get();
  idp_options.access_token_lifetime = config->access_token_lifetime;
  idp_options.is_own_authority = is_own;
  idp_options.metrics = metrics_.get();
  if (!real_throttles) {
    idp_options.lockout.address_failures = 1 << 30;
    idp_options.lockout.client_failures = 1 << 30;
    idp_options.lockout.familiar_failures = 1 << 30;
  }
  idp_ = std::make_unique<idp::IdentityProvider>(*store_, *keys_, clock_, random_, idp_options);

  workspace::WorkspaceOptions ws_options;
  ws_options.workspace_id = config->workspace_id;
  ws_options.bearer_gate = gate_.get();
  ws_options.entra_audiences = config->databricks_audiences;
  ws_options.entra_issuer_check = [this](std::string_view iss) {
    return idp_->OwnIssuerTenant(iss).has_value();
  };
  ws_options.entra_keys_for_issuer = [this](std::string_view iss) -> const jose::KeySource* {
    return idp_->OwnIssuerTenant(iss) ? keys_.get() : nullptr;
  };
  ws_options.signing_keys = keys_.get();
  ws_options.is_own_authority = is_own;
  ws_options.pat_quota = config->pat_quota;
  ws_options.oauth_token_lifetime = config->oauth_token_lifetime;
  ws_options.metrics = metrics_.get();
  if (!real_throttles) {
    ws_options.oauth_max_failures = 1 << 20;
  }
  workspace_ = std::make_unique<workspace::Workspace>(*store_, clock_, random_, ws_options);
  ops_ = std::make_unique<workspace::OpsRoutes>(workspace::OpsDeps{*workspace_, *store_});
  RegisterAppRoutes(router_, *store_, *idp_, *workspace_, *ops_, registry_);

  // A Graph token for the directory admin, through the token endpoint.
  http::Response token = Call(
      "POST", "/" + tenant_id + "/oauth2/v2.0/token",
      "grant_type=client_credentials&client_id=" + graph_client_id + "&client_secret=" +
          PercentEncode(graph_client_secret) + "&scope=" +
          PercentEncode("https://graph.microsoft.com/.default"),
      "", "application/x-www-form-urlencoded");
  if (token.status != 200) return Fail("graph token: " + token.body);
  graph_token = json::parse(token.body)["access_token"].get<std::string>();

  // A workspace service principal with an OAuth secret, for /oidc/v1/token.
  oauth_client_id = random_.Uuid();
  http::Response sp = Call("POST", "/api/2.0/preview/scim/v2/ServicePrincipals",
                           json{{"applicationId", oauth_client_id}, {"displayName", "walker"}}.dump(),
                           "Bearer " + admin_pat, "application/json");
  if (sp.status != 201) return Fail("service principal: " + sp.body);
  const std::string sp_id = json::parse(sp.body)["id"].get<std::string>();
  http::Response secret =
      Call("POST", "/api/2.0/accounts/servicePrincipals/" + sp_id + "/credentials/secrets", "{}",
           "Bearer " + admin_pat, "application/json");
  if (secret.status != 200) return Fail("oauth secret: " + secret.body);
  oauth_client_secret = json::parse(secret.body)["secret"].get<std::string>();
  return true;
}

}  // namespace latchkey::app::testing
