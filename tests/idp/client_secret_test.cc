// Client secrets (client_credentials with client_secret) at the real token endpoint, through the
// real store, client cache, signing keys and RSA: the token verifies with the keys the tenant
// publishes and names the client, the tenant and its service principal; a wrong, removed or
// expired secret is refused with Entra's error, whatever the client cache holds.
#include "base/encoding.h"
#include "idp_test_support.h"
#include "jose/jwk.h"
#include "jose/jwt_verifier.h"

namespace latchkey::idp::testing {
namespace {

constexpr char kResource[] = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";

class ClientSecretTest : public IdpTest {
 protected:
  void SetUp() override {
    IdpTest::SetUp();
    app_ = CreateApp("secret-client");
    client_id_ = app_["appId"];
    secret_ = AddPassword();
  }

  // A new password of the app; returns its secret text (and remembers its keyId).
  std::string AddPassword(const json& credential = json::object()) {
    http::Response r = Graph("POST", "/v1.0/applications/" + app_["id"].get<std::string>() +
                                         "/addPassword",
                             {{"passwordCredential", credential}});
    EXPECT_EQ(r.status, 200) << r.body;
    key_id_ = Body(r).value("keyId", "");
    return Body(r).value("secretText", "");
  }

  http::Response TokenWith(const std::string& secret) {
    return Token("grant_type=client_credentials&client_id=" + client_id_ + "&client_secret=" +
                 PercentEncode(secret) + "&scope=" + kResource + "%2F.default");
  }

  static void ExpectEntraError(const http::Response& r, int status, const std::string& error,
                               int aadsts) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(Body(r).value("error", ""), error) << r.body;
    EXPECT_EQ(Body(r)["error_codes"], json::array({aadsts})) << r.body;
    EXPECT_EQ(Body(r).value("access_token", ""), "") << r.body;
  }

  // The tenant's published signing keys, read from the JWKS its discovery document names.
  void ReadPublishedKeys(const json& discovery, jose::StaticKeySource& keys) {
    std::string uri = discovery.value("jwks_uri", "");
    EXPECT_TRUE(uri.starts_with(kBase)) << uri;
    http::Response jwks = Call("GET", uri.substr(std::string(kBase).size()));
    EXPECT_EQ(jwks.status, 200) << jwks.body;
    const json published = Body(jwks);
    ASSERT_TRUE(published.contains("keys")) << jwks.body;
    for (const json& jwk : published["keys"]) {
      Result<crypto::RsaPublicKey> key = jose::RsaPublicKeyFromJwk(jwk);
      EXPECT_TRUE(key.has_value());
      if (key) keys.Add(jwk.value("kid", ""), *key);
    }
  }

  json app_;
  std::string client_id_;
  std::string secret_;
  std::string key_id_;
};

TEST_F(ClientSecretTest, ATokenVerifiesWithThePublishedKeysAndNamesTheClientAndTenant) {
  http::Response r = TokenWith(secret_);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string token = Body(r).value("access_token", "");
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(Body(r).value("token_type", ""), "Bearer");

  const json discovery = Body(Call("GET", "/" + tenant_ + "/.well-known/openid-configuration"));
  jose::StaticKeySource keys;
  ReadPublishedKeys(discovery, keys);
  jose::VerifyPolicy policy;
  policy.issuers = {discovery.value("issuer", "")};
  policy.audiences = {kResource};
  Result<jose::VerifiedJwt> verified = jose::VerifyJwt(token, policy, keys, clock_.Now());
  ASSERT_TRUE(verified.has_value()) << verified.error().message;
  const json& c = verified->claims;
  EXPECT_EQ(c.value("appid", ""), client_id_);
  EXPECT_EQ(c.value("tid", ""), tenant_);
  EXPECT_EQ(c.value("sub", ""), c.value("oid", "x"));
  EXPECT_FALSE(c.value("oid", "").empty());
  // One hour (IdpOptions' default), issued now; Entra answers expires_in one second short.
  EXPECT_EQ(c["iat"].get<int64_t>(), ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(c["exp"].get<int64_t>() - c["iat"].get<int64_t>(), 3600);
  EXPECT_EQ(Body(r)["expires_in"], 3599) << r.body;

  // The same token with one signature byte changed does not verify with those keys.
  std::string forged = token;
  forged[forged.size() - 5] = forged[forged.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(jose::VerifyJwt(forged, policy, keys, clock_.Now()).has_value());
}

TEST_F(ClientSecretTest, AWrongSecretOrUnknownClientIsRefusedWithEntrasError) {
  ExpectEntraError(TokenWith(secret_ + "x"), 401, "invalid_client", 7000215);
  // The secret's id instead of its value, a common mistake.
  ExpectEntraError(TokenWith(key_id_), 401, "invalid_client", 7000215);
  const std::string other = "6d1f5c3e-0000-4000-8000-000000000001";
  ExpectEntraError(Token("grant_type=client_credentials&client_id=" + other +
                         "&client_secret=x&scope=" + kResource + "%2F.default"),
                   400, "unauthorized_client", 700016);
}

TEST_F(ClientSecretTest, ARemovedSecretStopsWorkingAtOnceEvenWhenTheClientIsCached) {
  ASSERT_EQ(TokenWith(secret_).status, 200);  // the client and its hashes are now cached
  http::Response removed = Graph("POST", "/v1.0/applications/" + app_["id"].get<std::string>() +
                                             "/removePassword",
                                 {{"keyId", key_id_}});
  ASSERT_EQ(removed.status, 204) << removed.body;
  ExpectEntraError(TokenWith(secret_), 401, "invalid_client", 7000215);
}

TEST_F(ClientSecretTest, ASecretAddedAfterTheClientWasCachedWorksAtOnce) {
  ASSERT_EQ(TokenWith(secret_).status, 200);
  const std::string second = AddPassword();
  ASSERT_NE(second, secret_);
  EXPECT_EQ(TokenWith(second).status, 200);
  EXPECT_EQ(TokenWith(secret_).status, 200);  // the first one too
}

TEST_F(ClientSecretTest, AnExpiredSecretIsRefusedAsExpired) {
  const std::string short_lived = AddPassword({{"endDateTime", "2027-01-02T00:00:00Z"}});
  ASSERT_EQ(TokenWith(short_lived).status, 200);
  clock_.Advance(std::chrono::hours(25));
  ExpectEntraError(TokenWith(short_lived), 401, "invalid_client", 7000222);
  EXPECT_EQ(TokenWith(secret_).status, 200);  // the app's other secret still works
}

}  // namespace
}  // namespace latchkey::idp::testing
