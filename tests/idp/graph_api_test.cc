// The Graph v1.0 directory API through the real router, store and token service.
#include "base/encoding.h"
#include "crypto/x509.h"
#include "idp_test_support.h"

namespace latchkey::idp::testing {
namespace {

class GraphApiTest : public IdpTest {
 protected:
  http::Response AddPassword(const std::string& object_id, const json& credential) {
    return Graph("POST", "/v1.0/applications/" + object_id + "/addPassword",
                 {{"passwordCredential", credential}});
  }
  size_t PasswordCount(const std::string& object_id) {
    return Body(Graph("GET", "/v1.0/applications/" + object_id))["passwordCredentials"].size();
  }
};

TEST_F(GraphApiTest, AddPasswordKeepsTheEndDateItWasGiven) {
  const std::string id = CreateApp("dates")["id"];
  http::Response r =
      AddPassword(id, {{"displayName", "z"}, {"endDateTime", "2028-06-30T12:00:00Z"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["endDateTime"], "2028-06-30T12:00:00Z");
  EXPECT_EQ(Body(r)["startDateTime"], "2027-01-01T00:00:00Z");
  // An offset and a fraction, as .NET and Python clients write them.
  r = AddPassword(id, {{"endDateTime", "2028-06-30T14:00:00.1234567+02:00"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["endDateTime"], "2028-06-30T12:00:00Z");
  // No zone at all is UTC; the last day latchkey can hold is accepted.
  r = AddPassword(id, {{"endDateTime", "2261-12-31T23:59:59"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["endDateTime"], "2261-12-31T23:59:59Z");
  // A null displayName (az sends one) is no name.
  r = AddPassword(id, {{"displayName", nullptr}, {"endDateTime", "2028-01-01T00:00:00Z"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["displayName"], "");
  // Default: two years after the start.
  r = AddPassword(id, {{"startDateTime", "2027-03-01T00:00:00Z"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["startDateTime"], "2027-03-01T00:00:00Z");
  EXPECT_EQ(Body(r)["endDateTime"], "2029-02-28T00:00:00Z");
}

TEST_F(GraphApiTest, AddPasswordRefusesAnEndDateOutOfRange) {
  const std::string id = CreateApp("far")["id"];
  const size_t before = PasswordCount(id);
  // The finding: year 3000 used to overflow into a secret that ended in 1830.
  for (const char* end : {"3000-01-01T00:00:00", "2262-01-01T00:00:00Z", "9999-12-31T23:59:59Z"}) {
    http::Response r = AddPassword(id, {{"endDateTime", end}});
    EXPECT_EQ(r.status, 400) << end << ": " << r.body;
    EXPECT_EQ(Body(r)["error"].value("code", ""), "Request_BadRequest") << end;
    EXPECT_THAT(Body(r)["error"].value("message", ""), ::testing::HasSubstr("'endDateTime'"));
  }
  // A start near the limit whose default end (start + 2 years) would pass it.
  http::Response r = AddPassword(id, {{"startDateTime", "2261-06-01T00:00:00Z"}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_THAT(Body(r)["error"].value("message", ""), ::testing::HasSubstr("'endDateTime'"));
  // In the past, or before the start.
  for (const json& cred : {json{{"endDateTime", "2026-12-31T23:59:59Z"}},
                           json{{"endDateTime", "1970-01-01T00:00:00Z"}},
                           json{{"startDateTime", "2028-01-01T00:00:00Z"},
                                {"endDateTime", "2027-06-01T00:00:00Z"}}}) {
    http::Response refused = AddPassword(id, cred);
    EXPECT_EQ(refused.status, 400) << cred << ": " << refused.body;
    EXPECT_THAT(Body(refused)["error"].value("message", ""), ::testing::HasSubstr("endDateTime"));
  }
  EXPECT_EQ(PasswordCount(id), before);
}

TEST_F(GraphApiTest, AddPasswordRefusesWhatIsNoDate) {
  const std::string id = CreateApp("garbage")["id"];
  for (const json& end : {json("2027-02-29T00:00:00Z"), json("2027-13-01T00:00:00Z"),
                          json("2027-06-01 00:00:00"), json("2027-06-01T00:00:00+2:00"),
                          json("2027-06-01T24:00:00Z"), json("soon"), json(42),
                          json("2027-06-01T00:00:00Zjunk")}) {
    http::Response r = AddPassword(id, {{"endDateTime", end}});
    EXPECT_EQ(r.status, 400) << end << ": " << r.body;
    EXPECT_EQ(Body(r)["error"].value("code", ""), "BadRequest") << end;
  }
  EXPECT_EQ(PasswordCount(id), 0u);
}

TEST_F(GraphApiTest, AnApplicationHasNoServicePrincipalUntilOneIsCreated) {
  json app = CreateApp("separate", /*with_service_principal=*/false);
  const std::string app_id = app["appId"];
  const std::string filter = "/v1.0/servicePrincipals?$filter=appId%20eq%20'" + app_id + "'";
  EXPECT_EQ(Body(Graph("GET", filter))["value"], json::array());
  // Without a service principal in the tenant the app gets no token.
  http::Response pw = Graph("POST", "/v1.0/applications/" + app["id"].get<std::string>() +
                                        "/addPassword", json::object());
  ASSERT_EQ(pw.status, 200) << pw.body;
  const std::string form = "grant_type=client_credentials&client_id=" + app_id + "&client_secret=" +
                           Body(pw)["secretText"].get<std::string>() +
                           "&scope=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d%2F.default";
  http::Response refused = Token(form);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(Body(refused)["error_codes"], json::array({700016}));

  http::Response sp = Graph("POST", "/v1.0/servicePrincipals",
                            {{"appId", app_id}, {"accountEnabled", true}});
  ASSERT_EQ(sp.status, 201) << sp.body;
  EXPECT_EQ(Body(sp)["appId"], app_id);
  EXPECT_EQ(Body(sp)["@odata.context"],
            "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals/$entity");
  EXPECT_EQ(Body(sp)["servicePrincipalNames"], json::array({app_id}));
  EXPECT_EQ(Token(form).status, 200);

  // A second one is Graph's duplicate error.
  http::Response again = Graph("POST", "/v1.0/servicePrincipals", {{"appId", app_id}});
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(Body(again)["error"]["code"], "Request_MultipleObjectsWithSameKeyValue");
  EXPECT_THAT(Body(again)["error"].value("message", ""), ::testing::HasSubstr("already in use"));
  // An appId that names no application.
  http::Response unknown = Graph("POST", "/v1.0/servicePrincipals",
                                 {{"appId", "00000000-1111-2222-3333-444444444444"}});
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_THAT(Body(unknown)["error"].value("message", ""),
              ::testing::HasSubstr("does not reference a valid application object"));

  // Deleting the application deletes its service principal.
  EXPECT_EQ(Graph("DELETE", "/v1.0/applications/" + app["id"].get<std::string>()).status, 204);
  EXPECT_EQ(Body(Graph("GET", filter))["value"], json::array());
  EXPECT_EQ(Graph("GET", "/v1.0/servicePrincipals/" + Body(sp)["id"].get<std::string>()).status,
            404);
}

TEST_F(GraphApiTest, FiltersAndSelectAsAzSendsThem) {
  json a = CreateApp("team-alpha");
  json b = CreateApp("team-beta");
  CreateApp("other");
  auto ids = [&](const std::string& target) {
    http::Response r = Graph("GET", target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    std::vector<std::string> out;
    const json body = Body(r);
    for (const auto& v : body["value"]) out.push_back(v.value("appId", ""));
    return out;
  };
  using ::testing::ElementsAre;
  EXPECT_THAT(ids("/v1.0/applications?$filter=startswith(displayName%2C'team-')"),
              ElementsAre(a["appId"], b["appId"]));
  EXPECT_THAT(ids("/v1.0/applications?$filter=displayName%20eq%20'TEAM-BETA'"),
              ElementsAre(b["appId"]));
  EXPECT_THAT(ids("/v1.0/applications?$filter=appId%20eq%20'" + a["appId"].get<std::string>() +
                  "'%20and%20startswith(displayName%2C'team')"),
              ElementsAre(a["appId"]));
  EXPECT_THAT(ids("/v1.0/servicePrincipals?$filter=servicePrincipalNames%2Fany(c%3Ac%20eq%20'" +
                  b["appId"].get<std::string>() + "')"),
              ElementsAre(b["appId"]));
  EXPECT_THAT(ids("/v1.0/servicePrincipals?$filter=displayName%20eq%20'other'"),
              ::testing::SizeIs(1));
  http::Response sel = Graph("GET", "/v1.0/applications?$select=appId,displayName");
  EXPECT_EQ(Body(sel)["@odata.context"],
            "https://graph.microsoft.com/v1.0/$metadata#applications(appId,displayName)");
  EXPECT_EQ(Body(sel)["value"][0].size(), 2u);
  for (const char* bad : {"/v1.0/applications?$filter=createdDateTime%20gt%202020",
                          "/v1.0/applications?$filter=notes%20eq%20'x'",
                          "/v1.0/servicePrincipals?$filter=appId%20eq%20x"}) {
    http::Response r = Graph("GET", bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_EQ(Body(r)["error"]["code"], "Request_UnsupportedQuery");
  }
  // Reads never show a secret.
  Graph("POST", "/v1.0/applications/" + a["id"].get<std::string>() + "/addPassword",
        json::object());
  http::Response one = Graph("GET", "/v1.0/applications/" + a["id"].get<std::string>());
  EXPECT_EQ(Body(one)["@odata.context"],
            "https://graph.microsoft.com/v1.0/$metadata#applications/$entity");
  ASSERT_EQ(Body(one)["passwordCredentials"].size(), 1u);
  EXPECT_TRUE(Body(one)["passwordCredentials"][0]["secretText"].is_null());
}

TEST_F(GraphApiTest, ATokenForLatchkeysOwnUrlIsAGraphToken) {
  // What az asks for when a custom cloud names this server as its Microsoft Graph endpoint.
  http::Response t = Token("grant_type=client_credentials&client_id=" + admin_client_id_ +
                           "&client_secret=" + admin_secret_ +
                           "&scope=https%3A%2F%2Flogin.latchkey.test%3A8443%2F%2F.default");
  ASSERT_EQ(t.status, 200) << t.body;
  const std::string own = Body(t)["access_token"];
  http::Response list = Call("GET", "/v1.0/applications", "", own);
  EXPECT_EQ(list.status, 200) << list.body;
  // A token for Databricks is no Graph token.
  http::Response dbx = Token("grant_type=client_credentials&client_id=" + admin_client_id_ +
                             "&client_secret=" + admin_secret_ +
                             "&scope=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d%2F.default");
  ASSERT_EQ(dbx.status, 200) << dbx.body;
  http::Response refused =
      Call("GET", "/v1.0/applications", "", Body(dbx)["access_token"].get<std::string>());
  EXPECT_EQ(refused.status, 401) << refused.body;
  EXPECT_EQ(Body(refused)["error"]["code"], "InvalidAuthenticationToken");
}

TEST_F(GraphApiTest, PatchReplacesKeyCredentials) {
  json app = CreateApp("certs");
  const std::string path = "/v1.0/applications/" + app["id"].get<std::string>();
  auto der = [&](const std::string& cn) {
    Result<crypto::CertificateAndKey> c =
        crypto::CreateCaCertificate(cn, std::chrono::days(30), random_, clock_.Now());
    EXPECT_TRUE(c.has_value());
    return Base64Encode(crypto::ParseCertificatePem(c->cert_pem)->der);
  };
  const std::string first = der("first");
  ASSERT_EQ(Graph("PATCH", path, {{"keyCredentials", {{{"key", first}}}}}).status, 204);
  json keys = Body(Graph("GET", path))["keyCredentials"];
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_TRUE(keys[0]["key"].is_null());
  // Keep the first by keyId, add a second.
  ASSERT_EQ(Graph("PATCH", path,
                  {{"keyCredentials", {{{"keyId", keys[0]["keyId"]}, {"key", nullptr}},
                                       {{"key", der("second")}, {"displayName", "two"}}}}})
                .status,
            204);
  json two = Body(Graph("GET", path + "?$select=keyCredentials"));
  ASSERT_EQ(two["keyCredentials"].size(), 2u);
  EXPECT_EQ(two["keyCredentials"][0]["key"], first);  // $select=keyCredentials shows the key
  EXPECT_FALSE(two.contains("displayName"));
  // Replacing with the second alone removes the first; an empty list removes all.
  ASSERT_EQ(Graph("PATCH", path,
                  {{"keyCredentials", {{{"keyId", two["keyCredentials"][1]["keyId"]}}}}})
                .status,
            204);
  EXPECT_EQ(Body(Graph("GET", path))["keyCredentials"].size(), 1u);
  ASSERT_EQ(Graph("PATCH", path, {{"keyCredentials", json::array()}}).status, 204);
  EXPECT_EQ(Body(Graph("GET", path))["keyCredentials"], json::array());
  // A property latchkey cannot change is refused, not ignored.
  http::Response rename = Graph("PATCH", path, {{"displayName", "renamed"}});
  EXPECT_EQ(rename.status, 400) << rename.body;
  EXPECT_EQ(Graph("PATCH", path, {{"displayName", "certs"}}).status, 204);
}

// Issue 22 item 2: every credential change commits with its audit row (never a secret), and a
// change that fails leaves none.
TEST_F(GraphApiTest, CredentialChangesAreAuditedInTheirOwnTransaction) {
  const json app = CreateApp("audited");
  const std::string id = app["id"];
  const std::string target = "app:" + app["appId"].get<std::string>();
  auto rows = [&] {
    Result<std::vector<store::AuditEvent>> all = store_->ListAudit(0, 1000);
    EXPECT_TRUE(all.has_value());
    std::vector<store::AuditEvent> mine;
    for (auto& e : all.value_or(std::vector<store::AuditEvent>{})) {
      if (e.target.starts_with(target)) mine.push_back(e);
    }
    return mine;
  };
  ASSERT_TRUE(rows().empty());

  http::Response added = AddPassword(id, {{"displayName", "p"}});
  ASSERT_EQ(added.status, 200) << added.body;
  const std::string key_id = Body(added)["keyId"];
  const std::string secret = Body(added)["secretText"];
  ASSERT_EQ(Graph("POST", "/v1.0/applications/" + id + "/removePassword", {{"keyId", key_id}})
                .status,
            204);
  const std::string fics = "/v1.0/applications/" + id + "/federatedIdentityCredentials";
  const json fic = {{"name", "ci-deploy"},
                    {"issuer", "https://issuer.example"},
                    {"subject", "repo:x"},
                    {"audiences", {"api://AzureADTokenExchange"}}};
  http::Response created = Graph("POST", fics, fic);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string fic_id = Body(created)["id"];
  // A duplicate fails (409): no row.
  ASSERT_EQ(Graph("POST", fics, fic).status, 409);
  ASSERT_EQ(Graph("PATCH", fics + "/" + fic_id, {{"subject", "repo:y"}}).status, 204);
  ASSERT_EQ(Graph("DELETE", fics + "/" + fic_id).status, 204);
  // Removing what is gone fails (404): no row.
  ASSERT_EQ(Graph("DELETE", fics + "/" + fic_id).status, 404);

  const std::vector<store::AuditEvent> events = rows();
  std::vector<std::string> actions;
  for (const auto& e : events) {
    actions.push_back(e.action);
    EXPECT_EQ(e.actor, "app:" + admin_client_id_) << e.action;
    EXPECT_EQ(e.detail.find(secret), std::string::npos) << "never the secret";
  }
  EXPECT_EQ(actions, (std::vector<std::string>{
                         "app.password_add", "app.password_remove",
                         "app.federated_credential_add", "app.federated_credential_update",
                         "app.federated_credential_remove"}));
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].target, target + ":password:" + key_id);
  EXPECT_EQ(events[1].target, target + ":password:" + key_id);
  EXPECT_NE(events[3].detail.find("repo:y"), std::string::npos);
}

}  // namespace
}  // namespace latchkey::idp::testing
