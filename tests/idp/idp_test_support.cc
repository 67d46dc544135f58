#include "idp_test_support.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "support/request.h"
#include "support/seeded_signing_keys.h"

#include "base/encoding.h"
#include "base/files.h"
#include "jose/jwk.h"

namespace latchkey::idp::testing {

const crypto::RsaPrivateKey& ServerKey() {
  static const crypto::RsaPrivateKey key = [] {
    Result<crypto::RsaPrivateKey> k = crypto::RsaPrivateKey::Generate(2048);
    LATCHKEY_CHECK(k.has_value());
    return *k;
  }();
  return key;
}

std::string ReadTestData(const std::string& name) {
  std::ifstream in(std::string(LATCHKEY_TESTDATA_DIR) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void IdpTest::SetUp() {
  spdlog::set_level(spdlog::level::warn);
  Result<std::unique_ptr<store::Store>> store = store::OpenStore("sqlite::memory:");
  ASSERT_TRUE(store.has_value()) << store.error().message;
  store_ = std::move(*store);

  char dir_template[] = "/tmp/latchkey-idp-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  key_dir_ = dir_template;
  Result<std::unique_ptr<keys::SigningKeys>> signing =
      latchkey::testing::OpenSeededSigningKeys(*store_, ServerKey(), key_dir_, clock_);
  ASSERT_TRUE(signing.has_value()) << signing.error().message;
  signing_keys_ = std::move(*signing);

  IdpOptions options;
  options.is_own_authority = [](std::string_view authority) { return authority == kHost; };
  idp_ = std::make_unique<IdentityProvider>(*store_, *signing_keys_, clock_, random_, options);
  idp_->RegisterRoutes(router_);

  // What `latchkeyd init` makes: a tenant and a directory admin app with a secret.
  Result<store::Tenant> tenant = idp_->directory().CreateTenant("test-tenant");
  ASSERT_TRUE(tenant.has_value());
  tenant_ = tenant->id;
  Result<store::Application> admin = idp_->directory().CreateApplication(
      tenant_, "directory-admin", {}, {"Application.ReadWrite.All"});
  ASSERT_TRUE(admin.has_value()) << admin.error().message;
  admin_client_id_ = admin->app_id;
  Result<NewPassword> secret =
      idp_->directory().AddPassword(admin->object_id, "test", std::nullopt);
  ASSERT_TRUE(secret.has_value());
  admin_secret_ = secret->secret_text.reveal();
}

void IdpTest::TearDown() {
  idp_.reset();
  if (!key_dir_.empty()) std::filesystem::remove_all(key_dir_);
}

http::Response IdpTest::Call(std::string method, std::string target, std::string body,
                             const std::string& bearer, std::string content_type) {
  latchkey::testing::RequestSpec spec{.method = std::move(method),
                                      .target = std::move(target),
                                      .host = kHost,
                                      .local_port = 8443};
  if (!body.empty()) spec.headers.emplace_back("Content-Type", std::move(content_type));
  if (!bearer.empty()) spec.headers.emplace_back("Authorization", "Bearer " + bearer);
  spec.body = std::move(body);
  http::Request request = latchkey::testing::MakeRequest(std::move(spec));
  return router_.Dispatch(request);
}

json IdpTest::Body(const http::Response& response) {
  return json::parse(response.body, nullptr, false);
}

http::Response IdpTest::Token(const std::string& form) {
  return Call("POST", "/" + tenant_ + "/oauth2/v2.0/token", form, "",
              "application/x-www-form-urlencoded");
}

std::string IdpTest::GraphToken() {
  http::Response r = Token("grant_type=client_credentials&client_id=" + admin_client_id_ +
                           "&client_secret=" + admin_secret_ +
                           "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default");
  EXPECT_EQ(r.status, 200) << r.body;
  return Body(r).value("access_token", "");
}

http::Response IdpTest::Graph(std::string method, std::string target, const json& body) {
  return Call(std::move(method), std::move(target), body.is_null() ? "" : body.dump(),
              GraphToken());
}

json IdpTest::CreateApp(const std::string& name, bool with_service_principal) {
  http::Response app = Graph("POST", "/v1.0/applications", {{"displayName", name}});
  EXPECT_EQ(app.status, 201) << app.body;
  json j = Body(app);
  if (with_service_principal) {
    http::Response sp = Graph("POST", "/v1.0/servicePrincipals", {{"appId", j["appId"]}});
    EXPECT_EQ(sp.status, 201) << sp.body;
  }
  return j;
}

}  // namespace latchkey::idp::testing
