// Entra and workspace-token authentication (§3.3, §3.5): forgeries, claim checks, mapping.
#include "base/encoding.h"
#include "crypto/hash.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "workspace_test_support.h"

namespace latchkey::workspace::testing {
namespace {

std::string Segment(const json& value) { return Base64UrlEncode(value.dump()); }

constexpr char kTenantOwn[] = "4a3b2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d";

class EntraAuthTest : public WorkspaceTest {
 protected:
  void SetUp() override {
    WorkspaceTest::SetUp();
    sp_id_ = CreateServicePrincipal(kSpAppId);
    GrantCanUse("service_principal_name", kSpAppId);
  }
  int Status(const std::string& token) {
    return Call("GET", "/api/2.0/preview/scim/v2/Me", "", token).status;
  }
  json ValidClaims() {
    Result<jose::ParsedJwt> parsed = jose::ParseJwt(EntraToken());
    return parsed ? parsed->claims : json::object();
  }
  int64_t sp_id_ = 0;
};

TEST_F(EntraAuthTest, ValidAppTokenAuthenticatesAsTheServicePrincipal) {
  http::Response r = Call("GET", "/api/2.0/preview/scim/v2/Me", "", EntraToken());

  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["userName"], kSpAppId);
  EXPECT_EQ(Body(r)["id"], std::to_string(sp_id_));
}

TEST_F(EntraAuthTest, V2TokenWithAzpIsAccepted) {
  std::string token = EntraToken(
      "", {{"appid", nullptr},
           {"azp", kSpAppId},
           {"ver", "2.0"},
           {"iss", std::string("https://login.microsoftonline.com/") + kTenant + "/v2.0"}});

  EXPECT_EQ(Status(token), 200);
}

TEST_F(EntraAuthTest, AlgNoneIsRefused) {
  std::string token = Segment({{"alg", "none"}, {"typ", "JWT"}}) + "." + Segment(ValidClaims()) + ".";

  EXPECT_EQ(Status(token), 403);
}

TEST_F(EntraAuthTest, Hs256KeyedWithTheRsaPublicKeyIsRefused) {
  std::string input =
      Segment({{"alg", "HS256"}, {"typ", "JWT"}, {"kid", kEntraKid}}) + "." + Segment(ValidClaims());
  std::string mac = crypto::HmacSha256(EntraKey().PublicKey().ToPem(), input);

  EXPECT_EQ(Status(input + "." + Base64UrlEncode(mac)), 403);
}

TEST_F(EntraAuthTest, UnknownKidIsRefused) {
  Result<std::string> token = jose::SignJwt(ValidClaims(), AttackerKey(), "attacker-kid");

  EXPECT_EQ(Status(*token), 403);
}

TEST_F(EntraAuthTest, EmbeddedJwkAndJkuAreIgnored) {
  json jwk = jose::RsaPublicJwk(AttackerKey().PublicKey(), "attacker-kid");
  Result<std::string> with_jwk =
      jose::SignJwt(ValidClaims(), AttackerKey(), "attacker-kid", {{"jwk", jwk}});
  Result<std::string> with_jku = jose::SignJwt(ValidClaims(), AttackerKey(), kEntraKid,
                                               {{"jku", "https://evil.example/keys"}});

  EXPECT_EQ(Status(*with_jwk), 403);
  EXPECT_EQ(Status(*with_jku), 403);
}

TEST_F(EntraAuthTest, WrongAudienceIncludingGraphIsRefused) {
  EXPECT_EQ(Status(EntraToken(kSpAppId, {{"aud", "https://graph.microsoft.com"}})), 403);
  EXPECT_EQ(Status(EntraToken(kSpAppId, {{"aud", "https://management.core.windows.net/"}})), 403);
}

TEST_F(EntraAuthTest, WrongIssuerIsRefused) {
  EXPECT_EQ(Status(EntraToken(kSpAppId, {{"iss", "https://sts.windows.net/other-tenant/"}})), 403);
}

TEST_F(EntraAuthTest, ExpiredAndNotYetValidTokensAreRefused) {
  std::string token = EntraToken();
  int64_t now = ToUnixSeconds(clock_.Now());
  std::string future = EntraToken(kSpAppId, {{"nbf", now + 600}, {"iat", now}});

  EXPECT_EQ(Status(future), 403);
  EXPECT_EQ(Status(token), 200);  // cached from here on
  clock_.Advance(std::chrono::seconds(3600 + 61));
  EXPECT_EQ(Status(token), 403);  // the cache entry ends at exp
}

TEST_F(EntraAuthTest, TamperedPayloadIsRefusedEvenWhenTheOriginalIsCached) {
  std::string token = EntraToken();
  ASSERT_EQ(Status(token), 200);  // now in the JWT cache
  size_t first = token.find('.');
  size_t second = token.find('.', first + 1);
  json claims = ValidClaims();
  claims["oid"] = "00000000-0000-0000-0000-000000000000";
  std::string forged = token.substr(0, first + 1) + Segment(claims) + token.substr(second);

  EXPECT_EQ(Status(forged), 403);
  EXPECT_EQ(Status(token), 200);
}

TEST_F(EntraAuthTest, UnknownOrInactiveServicePrincipalIsRefused) {
  EXPECT_EQ(Status(EntraToken("11111111-2222-3333-4444-555555555555")), 403);

  std::string token = EntraToken();
  ASSERT_EQ(Status(token), 200);
  ASSERT_EQ(Admin("PATCH", "/api/2.0/preview/scim/v2/ServicePrincipals/" + std::to_string(sp_id_),
                  R"({"Operations":[{"op":"replace","path":"active","value":false}]})")
                .status,
            200);
  EXPECT_EQ(Status(token), 403);
}

TEST_F(EntraAuthTest, UserTokenMapsToScimUserByUpn) {
  CreateUser("alice@example.com");
  std::string token = EntraToken("", {{"appid", "04b07795-8ddb-461a-bbee-02f9e1bf7b46"},
                                      {"idtyp", "user"},
                                      {"upn", "Alice@Example.com"},
                                      {"scp", "user_impersonation"}});

  http::Response r = Call("GET", "/api/2.0/preview/scim/v2/Me", "", token);

  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["userName"], "alice@example.com");
}

TEST_F(EntraAuthTest, AuthFailuresAreAuditedWithoutTheToken) {
  std::string token = EntraToken(kSpAppId, {{"aud", "https://graph.microsoft.com"}});
  ASSERT_EQ(Status(token), 403);

  Result<std::vector<store::AuditEvent>> events = store_->ListAudit(0, 1000);
  ASSERT_TRUE(events.has_value());
  bool found = false;
  for (const store::AuditEvent& e : *events) {
    EXPECT_EQ(e.detail.find(token), std::string::npos);
    EXPECT_EQ(e.target.find(token), std::string::npos);
    if (e.action == "token.auth_failed") found = true;
  }
  EXPECT_TRUE(found);
}

TEST_F(EntraAuthTest, IdpStyleTokenCannotPoseAsWorkspaceToken) {
  // Signed by the Entra key but claiming the workspace issuer: verified against the workspace
  // signing keys, so refused.
  std::string token = EntraToken(kSpAppId, {{"iss", std::string("https://") + kHost + "/oidc"},
                                            {"aud", std::to_string(kWorkspaceId)},
                                            {"sub", kSpAppId}});
  EXPECT_EQ(Status(token), 403);
}

// Security review finding 11: a second trusted issuer (a Keycloak whose client ids its admin
// chooses) mints `azp` equal to a service principal of latchkey's own directory, or of the
// issuer that owns service principals. Each principal is bound to one issuer.
constexpr char kKeycloak[] = "https://keycloak.example.com/realms/ci";
constexpr char kKeycloakKid[] = "keycloak-key";

class IssuerBindingTest : public EntraAuthTest {
 protected:
  void Configure(WorkspaceOptions& options) override {
    keycloak_keys_.Add(kKeycloakKid, WorkspaceKey().PublicKey());
    options.entra_issuer_check = [](std::string_view iss) {
      return iss == EntraIssuer() || iss == kKeycloak;
    };
    options.entra_keys_for_issuer = [this](std::string_view iss) -> const jose::KeySource* {
      if (iss == EntraIssuer()) return &entra_keys_;
      if (iss == kKeycloak) return &keycloak_keys_;
      return nullptr;
    };
    // As [[trusted_issuers]] would say: Entra authenticates service principals, Keycloak users.
    options.issuer_binding = [](std::string_view iss) {
      auth::IssuerBinding binding;
      binding.service_principals = iss == EntraIssuer();
      binding.users = iss == kKeycloak;
      return binding;
    };
  }
  std::string KeycloakToken(const json& claims) {
    int64_t now = ToUnixSeconds(clock_.Now());
    json all = {{"iss", kKeycloak}, {"aud", kDatabricksResource}, {"iat", now},
                {"nbf", now},      {"exp", now + 3600}};
    all.update(claims);
    return jose::SignJwt(all, WorkspaceKey(), kKeycloakKid).value_or("");
  }
  jose::StaticKeySource keycloak_keys_;
};

TEST_F(IssuerBindingTest, AnotherIssuerCannotMintTheServicePrincipalsOfTheOne) {
  ASSERT_EQ(Status(EntraToken()), 200);  // Entra stands for its service principal
  std::string forged = KeycloakToken({{"azp", kSpAppId}, {"idtyp", "app"}});
  ASSERT_FALSE(forged.empty());

  EXPECT_EQ(Status(forged), 403);
  EXPECT_EQ(Status(KeycloakToken({{"appid", kSpAppId}})), 403);
}

TEST_F(IssuerBindingTest, UsersOnlyFromTheIssuerThatOwnsThem) {
  CreateUser("alice@example.com");
  EXPECT_EQ(Status(KeycloakToken({{"upn", "alice@example.com"}, {"idtyp", "user"}})), 200);
  // The admin user too, from the issuer that may not authenticate users: refused.
  EXPECT_EQ(Status(EntraToken("", {{"upn", "admin@example.com"}, {"idtyp", "user"}})), 403);
}

TEST_F(IssuerBindingTest, AnExternalIssuerNeverStandsForAnApplicationOfOurDirectory) {
  // The same app id registered in latchkey's own directory (the admin SP of a quickstart):
  // an external issuer, even the one allowed service principals, cannot mint it.
  ASSERT_TRUE(store_->CreateTenant({kTenantOwn, "own", clock_.Now()}).has_value());
  store::Application app;
  app.object_id = "6e5d4c3b-2a1f-4e0d-9c8b-7a6f5e4d3c2b";
  app.app_id = kSpAppId;
  app.tenant_id = kTenantOwn;
  app.display_name = "admin-sp";
  app.created_at = clock_.Now();
  store::DirectoryServicePrincipal sp{"7f6e5d4c-3b2a-4f1e-8d9c-8b7a6f5e4d3c", kSpAppId,
                                      kTenantOwn, "admin-sp", clock_.Now()};
  ASSERT_TRUE(store_->CreateApplication(app, sp).has_value());

  EXPECT_EQ(Status(EntraToken()), 403);
}

}  // namespace
}  // namespace latchkey::workspace::testing
