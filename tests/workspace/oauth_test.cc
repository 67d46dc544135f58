// OAuth M2M (§8): SP secrets, discovery, host metadata, /oidc/v1/token and its tokens.
#include "base/encoding.h"
#include "jose/jws.h"
#include "workspace_test_support.h"

namespace latchkey::workspace::testing {
namespace {

using ::testing::HasSubstr;

class OAuthTest : public WorkspaceTest {
 protected:
  void SetUp() override {
    WorkspaceTest::SetUp();
    sp_id_ = CreateServicePrincipal(kSpAppId);
    secrets_path_ = "/api/2.0/accounts/servicePrincipals/" + std::to_string(sp_id_) +
                    "/credentials/secrets";
    json created = Body(Admin("POST", secrets_path_, R"({"lifetime":"86400s"})"));
    secret_ = created["secret"];
    secret_id_ = created["id"];
  }

  http::Response Token(const std::string& body, const std::string& basic_id,
                       const std::string& basic_secret, std::string remote = "10.0.0.9") {
    http::Request request;
    request.method = "POST";
    request.target = request.path = "/oidc/v1/token";
    request.headers.emplace_back("Host", "127.0.0.1:8443");
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    if (!basic_id.empty()) {
      request.headers.emplace_back("Authorization",
                                   "Basic " + Base64Encode(basic_id + ":" + basic_secret));
    }
    request.body = body;
    request.remote_address = std::move(remote);
    request.tls = true;
    return router_.Dispatch(request);
  }
  http::Response BasicToken(const std::string& secret) {
    return Token("grant_type=client_credentials&scope=all-apis", kSpAppId, secret);
  }
  void ExpectInvalidClient(const http::Response& r) {
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(Body(r)["error"], "invalid_client");
    EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/json");
  }

  int64_t sp_id_ = 0;
  std::string secrets_path_;
  std::string secret_;
  std::string secret_id_;
};

TEST_F(OAuthTest, SecretCreateResponseShape) {
  http::Response r = Admin("POST", secrets_path_, "{}");

  ASSERT_EQ(r.status, 200) << r.body;
  json body = Body(r);
  EXPECT_THAT(body["secret"].get<std::string>(), ::testing::MatchesRegex("dose[0-9a-f]{32}"));
  EXPECT_TRUE(IsGuid(body["id"].get<std::string>()));
  EXPECT_EQ(body["create_time"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(body["expire_time"], "2028-01-01T00:00:00Z");  // 730 days
  EXPECT_EQ(body["status"], "ACTIVE");
  EXPECT_THAT(body["secret_hash"].get<std::string>(), ::testing::MatchesRegex("[0-9a-f]{64}"));
}

TEST_F(OAuthTest, SecretListHidesValuesAndDeleteWorksOnBothPathForms) {
  json list = Body(Admin("GET", secrets_path_));
  ASSERT_EQ(list["secrets"].size(), 1u);
  EXPECT_FALSE(list["secrets"][0].contains("secret"));

  std::string account_path = "/api/2.0/accounts/acct-1/servicePrincipals/" +
                             std::to_string(sp_id_) + "/credentials/secrets/" + secret_id_;
  EXPECT_EQ(Admin("DELETE", account_path).status, 200);
  EXPECT_EQ(Admin("DELETE", account_path).status, 404);
  EXPECT_EQ(Body(Admin("GET", secrets_path_))["secrets"].size(), 0u);
}

TEST_F(OAuthTest, SecretEndpointsRefuseBadInput) {
  for (std::string lifetime : {"0s", "-5s", "10", "abc", "63072001s", "1.s"}) {
    EXPECT_EQ(Admin("POST", secrets_path_, json{{"lifetime", lifetime}}.dump()).status, 400)
        << lifetime;
  }
  EXPECT_EQ(Admin("POST", "/api/2.0/accounts/servicePrincipals/" + std::to_string(boot_.admin_id) +
                              "/credentials/secrets",
                  "{}")
                .status,
            404);  // a user, not an SP
  GrantCanUse("service_principal_name", kSpAppId);
  EXPECT_EQ(Call("GET", secrets_path_, "", EntraToken()).status, 403);
}

TEST_F(OAuthTest, BasicAuthIssuesAWorkingOneHourToken) {
  http::Response r = BasicToken(secret_);

  ASSERT_EQ(r.status, 200) << r.body;
  json body = Body(r);
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_EQ(body["expires_in"], 3600);
  EXPECT_EQ(body["scope"], "all-apis");
  std::string token = body["access_token"];
  Result<jose::ParsedJwt> parsed = jose::ParseJwt(token);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->claims["iss"], "https://127.0.0.1:8443/oidc");
  EXPECT_EQ(parsed->claims["sub"], kSpAppId);
  EXPECT_EQ(parsed->header["alg"], "RS256");

  http::Response me = Call("GET", "/api/2.0/preview/scim/v2/Me", "", token);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(Body(me)["userName"], kSpAppId);

  clock_.Advance(std::chrono::seconds(3600 + 61));
  EXPECT_EQ(Call("GET", "/api/2.0/preview/scim/v2/Me", "", token).status, 403);
}

TEST_F(OAuthTest, BodyAuthWorksAndBothAtOnceIsInvalidRequest) {
  std::string form = "grant_type=client_credentials&scope=all-apis&client_id=" +
                     std::string(kSpAppId) + "&client_secret=" + secret_;
  EXPECT_EQ(Token(form, "", "").status, 200);

  http::Response both = Token(form, kSpAppId, secret_);
  EXPECT_EQ(both.status, 400);
  EXPECT_EQ(Body(both)["error"], "invalid_request");
}

TEST_F(OAuthTest, BasicCredentialsArePercentDecoded) {
  // golang.org/x/oauth2 URL-encodes both parts (RFC 6749 §2.3.1).
  http::Response r = Token("grant_type=client_credentials", PercentEncode(kSpAppId),
                           PercentEncode(secret_));
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(OAuthTest, WrongDeletedAndExpiredSecretsAreInvalidClient) {
  ExpectInvalidClient(BasicToken("dose" + std::string(32, '0')));

  ASSERT_EQ(Admin("DELETE", secrets_path_ + "/" + secret_id_).status, 200);
  ExpectInvalidClient(BasicToken(secret_));

  json fresh = Body(Admin("POST", secrets_path_, R"({"lifetime":"60s"})"));
  ASSERT_EQ(BasicToken(fresh["secret"]).status, 200);
  clock_.Advance(std::chrono::seconds(61));
  ExpectInvalidClient(BasicToken(fresh["secret"]));
}

TEST_F(OAuthTest, RemovedOrInactivePrincipalIsInvalidClientAndItsTokenIsRefused) {
  std::string token = Body(BasicToken(secret_))["access_token"];
  ASSERT_EQ(Call("GET", "/api/2.0/preview/scim/v2/Me", "", token).status, 200);

  ASSERT_EQ(Admin("DELETE", "/api/2.0/preview/scim/v2/ServicePrincipals/" + std::to_string(sp_id_))
                .status,
            204);

  EXPECT_EQ(Call("GET", "/api/2.0/preview/scim/v2/Me", "", token).status, 403);
  ExpectInvalidClient(BasicToken(secret_));
}

TEST_F(OAuthTest, ScopeGrantAndMissingAuthErrors) {
  http::Response scope = Token("grant_type=client_credentials&scope=sql", kSpAppId, secret_);
  EXPECT_EQ(scope.status, 400);
  EXPECT_EQ(Body(scope)["error"], "invalid_scope");

  http::Response grant = Token("grant_type=password", kSpAppId, secret_);
  EXPECT_EQ(grant.status, 400);
  EXPECT_EQ(Body(grant)["error"], "unsupported_grant_type");

  ExpectInvalidClient(Token("grant_type=client_credentials", "", ""));
  EXPECT_EQ(Body(Token("scope=all-apis", kSpAppId, secret_))["error"], "invalid_request");
}

TEST_F(OAuthTest, FailuresAreThrottledPerClient) {
  for (int i = 0; i < 10; ++i) ExpectInvalidClient(BasicToken("wrong"));

  http::Response r = BasicToken(secret_);

  EXPECT_EQ(r.status, 429);
  EXPECT_GT(std::stoi(HeaderOf(r, "Retry-After")), 0);
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/json");
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_EQ(BasicToken(secret_).status, 200);
}

TEST_F(OAuthTest, FailuresAreThrottledPerRemoteAddressAcrossClients) {
  for (int i = 0; i < 30; ++i) {
    ExpectInvalidClient(Token("grant_type=client_credentials",
                              "client-" + std::to_string(i), "wrong"));
  }

  EXPECT_EQ(BasicToken(secret_).status, 429);
  EXPECT_EQ(Token("grant_type=client_credentials", kSpAppId, secret_, "10.0.0.10").status, 200);
}

TEST_F(OAuthTest, TokenForAnotherWorkspaceAuthorityIsRefused) {
  std::string token = Body(BasicToken(secret_))["access_token"];
  Result<jose::ParsedJwt> parsed = jose::ParseJwt(token);
  json claims = parsed->claims;
  claims["iss"] = "https://evil.example/oidc";
  Result<std::string> forged = signing_keys_->Sign(claims);  // even with our own key

  EXPECT_EQ(Call("GET", "/api/2.0/preview/scim/v2/Me", "", *forged).status, 403);
  claims["iss"] = parsed->claims["iss"];
  claims["aud"] = "another-workspace";
  EXPECT_EQ(Call("GET", "/api/2.0/preview/scim/v2/Me", "", *signing_keys_->Sign(claims)).status,
            403);
}

TEST_F(OAuthTest, DiscoveryAndHostMetadataUseTheRequestHost) {
  http::Request request;
  request.method = "GET";
  request.target = request.path = "/oidc/.well-known/oauth-authorization-server";
  request.headers.emplace_back("Host", "127.0.0.1:8443");
  request.tls = true;
  json discovery = Body(router_.Dispatch(request));
  EXPECT_EQ(discovery["token_endpoint"], "https://127.0.0.1:8443/oidc/v1/token");
  EXPECT_EQ(discovery["authorization_endpoint"], "https://127.0.0.1:8443/oidc/v1/authorize");
  EXPECT_EQ(discovery["jwks_uri"], "https://127.0.0.1:8443/oidc/jwks.json");

  request.target = request.path = "/oidc/.well-known/openid-configuration";
  request.tls = false;
  EXPECT_EQ(Body(router_.Dispatch(request))["issuer"], "http://127.0.0.1:8443/oidc");

  request.target = request.path = "/.well-known/databricks-config";
  request.tls = true;
  json metadata = Body(router_.Dispatch(request));
  EXPECT_EQ(metadata["oidc_endpoint"], "https://127.0.0.1:8443/oidc");
  EXPECT_EQ(metadata["workspace_id"], std::to_string(kWorkspaceId));
  EXPECT_EQ(metadata["host_type"], "WORKSPACE_HOST");

  request.target = request.path = "/oidc/jwks.json";
  json jwks = Body(router_.Dispatch(request));
  ASSERT_EQ(jwks["keys"].size(), 1u);
  EXPECT_EQ(jwks["keys"][0]["kid"], signing_keys_->current_kid());
}

}  // namespace
}  // namespace latchkey::workspace::testing
