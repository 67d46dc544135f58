#include "workspace_test_support.h"

#include <cstdlib>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "support/request.h"
#include "support/seeded_signing_keys.h"

#include "base/files.h"
#include "jose/jwk.h"
#include "jose/jws.h"

namespace latchkey::workspace::testing {

namespace {

crypto::RsaPrivateKey GenerateOnce() {
  Result<crypto::RsaPrivateKey> key = crypto::RsaPrivateKey::Generate(2048);
  LATCHKEY_CHECK(key.has_value());
  return *key;
}

}  // namespace

const crypto::RsaPrivateKey& EntraKey() {
  static const crypto::RsaPrivateKey key = GenerateOnce();
  return key;
}
const crypto::RsaPrivateKey& WorkspaceKey() {
  static const crypto::RsaPrivateKey key = GenerateOnce();
  return key;
}
const crypto::RsaPrivateKey& AttackerKey() {
  static const crypto::RsaPrivateKey key = GenerateOnce();
  return key;
}

std::string EntraIssuer() { return std::string("https://sts.windows.net/") + kTenant + "/"; }

void WorkspaceTest::SetUp() {
  spdlog::set_level(spdlog::level::warn);  // audit lines would drown the test output
  Result<std::unique_ptr<store::Store>> store = store::OpenStore("sqlite::memory:");
  ASSERT_TRUE(store.has_value()) << store.error().message;
  store_ = std::move(*store);

  // Seed SigningKeys with the pre-generated key so no test pays for RSA generation.
  char dir_template[] = "/tmp/latchkey-ws-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  key_dir_ = dir_template;
  Result<std::unique_ptr<keys::SigningKeys>> signing =
      latchkey::testing::OpenSeededSigningKeys(*store_, WorkspaceKey(), key_dir_, clock_);
  ASSERT_TRUE(signing.has_value()) << signing.error().message;
  signing_keys_ = std::move(*signing);

  entra_keys_.Add(kEntraKid, EntraKey().PublicKey());

  Result<BootstrapResult> boot =
      BootstrapWorkspace(*store_, clock_, random_, "admin@example.com");
  ASSERT_TRUE(boot.has_value()) << boot.error().message;
  boot_ = std::move(*boot);
  admin_token_ = boot_.admin_token.reveal();

  options_.workspace_id = kWorkspaceId;
  options_.entra_issuer_check = [](std::string_view iss) {
    return iss == EntraIssuer() ||
           iss == std::string("https://login.microsoftonline.com/") + kTenant + "/v2.0";
  };
  options_.entra_keys = &entra_keys_;
  options_.signing_keys = signing_keys_.get();
  options_.is_own_authority = [](std::string_view authority) {
    return authority == kHost || authority == "127.0.0.1:8443";
  };
  Configure(options_);
  workspace_ = std::make_unique<Workspace>(*store_, clock_, random_, options_);
  workspace_->RegisterRoutes(router_);
}

void WorkspaceTest::TearDown() {
  workspace_.reset();
  if (!key_dir_.empty()) std::filesystem::remove_all(key_dir_);
}

http::Response WorkspaceTest::Call(std::string method, std::string target, std::string body,
                                   const std::string& bearer, std::string remote) {
  http::HeaderList headers;
  if (!bearer.empty()) headers.emplace_back("Authorization", "Bearer " + bearer);
  return CallWith(std::move(method), std::move(target), headers, std::move(body), std::move(remote));
}

http::Response WorkspaceTest::CallWith(std::string method, std::string target,
                                       const http::HeaderList& headers, std::string body,
                                       std::string remote) {
  latchkey::testing::RequestSpec spec{
      .method = std::move(method),
      .target = std::move(target),
      .host = kHost,
      .headers = {{"Content-Type", "text/json"}},  // as the legacy CLI sends
      .body = std::move(body),
      .remote_address = std::move(remote)};
  for (const auto& header : headers) spec.headers.push_back(header);
  http::Request request = latchkey::testing::MakeRequest(std::move(spec));
  return router_.Dispatch(request);
}

http::Response WorkspaceTest::Admin(std::string method, std::string target, std::string body) {
  return Call(std::move(method), std::move(target), std::move(body), admin_token_);
}

json WorkspaceTest::Body(const http::Response& response) {
  json parsed = json::parse(response.body, nullptr, false);
  return parsed;
}

std::string WorkspaceTest::HeaderOf(const http::Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return value;
    }
  }
  return {};
}

int64_t WorkspaceTest::CreateServicePrincipal(const std::string& app_id, const std::string& name) {
  http::Response r = Admin("POST", "/api/2.0/preview/scim/v2/ServicePrincipals",
                           json{{"applicationId", app_id}, {"displayName", name}}.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  return std::stoll(Body(r)["id"].get<std::string>());
}

int64_t WorkspaceTest::CreateUser(const std::string& user_name) {
  http::Response r = Admin("POST", "/api/2.0/preview/scim/v2/Users",
                           json{{"userName", user_name}}.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  return std::stoll(Body(r)["id"].get<std::string>());
}

void WorkspaceTest::GrantCanUse(const std::string& field, const std::string& name) {
  http::Response r =
      Admin("PATCH", "/api/2.0/permissions/authorization/tokens",
            json{{"access_control_list",
                  json::array({{{field, name}, {"permission_level", "CAN_USE"}}})}}
                .dump());
  EXPECT_EQ(r.status, 200) << r.body;
}

std::string WorkspaceTest::EntraToken(const std::string& app_id, const json& overrides) {
  int64_t now = ToUnixSeconds(clock_.Now());
  json claims = {{"aud", kDatabricksResource},
                 {"iss", EntraIssuer()},
                 {"iat", now},
                 {"nbf", now},
                 {"exp", now + 3600},
                 {"appid", app_id},
                 {"appidacr", "1"},
                 {"idtyp", "app"},
                 {"oid", "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"},
                 {"sub", "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"},
                 {"tid", kTenant},
                 {"ver", "1.0"}};
  for (const auto& [key, value] : overrides.items()) {
    if (value.is_null()) {
      claims.erase(key);
    } else {
      claims[key] = value;
    }
  }
  Result<std::string> token = jose::SignJwt(claims, EntraKey(), kEntraKid);
  EXPECT_TRUE(token.has_value());
  return token.value_or("");
}

json WorkspaceTest::CreatePat(const std::string& bearer, const json& request) {
  http::Response r = Call("POST", "/api/2.0/token/create", request.dump(), bearer);
  EXPECT_EQ(r.status, 200) << r.body;
  return Body(r);
}

}  // namespace latchkey::workspace::testing
