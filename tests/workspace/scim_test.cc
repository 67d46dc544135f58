// SCIM (§7): /Me, CRUD, filters, paging, errors, admin-only writes.
#include "base/encoding.h"
#include "workspace_test_support.h"

namespace latchkey::workspace::testing {
namespace {

using ::testing::HasSubstr;

const std::string kScim = "/api/2.0/preview/scim/v2/";

class ScimTest : public WorkspaceTest {};

TEST_F(ScimTest, MeForAdminListsGroupsAndSendsOrgId) {
  http::Response r = Admin("GET", kScim + "Me");

  ASSERT_EQ(r.status, 200);
  json me = Body(r);
  EXPECT_EQ(me["userName"], "admin@example.com");
  EXPECT_EQ(me["id"], std::to_string(boot_.admin_id));
  EXPECT_EQ(me["active"], true);
  std::vector<std::string> groups;
  for (const json& g : me["groups"]) groups.push_back(g["display"]);
  EXPECT_THAT(groups, ::testing::UnorderedElementsAre("admins", "users"));
  EXPECT_EQ(me["groups"][0]["type"], "direct");
  EXPECT_EQ(HeaderOf(r, "X-Databricks-Org-Id"), std::to_string(kWorkspaceId));
}

TEST_F(ScimTest, CreateGetPutDeleteServicePrincipal) {
  int64_t id = CreateServicePrincipal("0B3C2A10-6F7E-4D2B-9C1A-5E8F7A6B4C3D", "runner");
  std::string path = kScim + "ServicePrincipals/" + std::to_string(id);

  json got = Body(Admin("GET", path));
  EXPECT_EQ(got["applicationId"], kSpAppId);
  EXPECT_EQ(got["schemas"][0], "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal");
  EXPECT_EQ(got["groups"][0]["display"], "users");

  http::Response put = Admin("PUT", path, json{{"displayName", "renamed"}, {"active", false}}.dump());
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Body(put)["displayName"], "renamed");
  EXPECT_EQ(Body(put)["active"], false);

  http::Response deleted = Admin("DELETE", path);
  EXPECT_EQ(deleted.status, 204);
  EXPECT_TRUE(deleted.body.empty());
  http::Response missing = Admin("GET", path);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Body(missing)["status"], "404");
  EXPECT_EQ(Body(missing)["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
}

TEST_F(ScimTest, DuplicatesAre409WithTerraformsText) {
  CreateServicePrincipal(kSpAppId);

  http::Response sp = Admin("POST", kScim + "ServicePrincipals",
                            json{{"applicationId", kSpAppId}}.dump());
  EXPECT_EQ(sp.status, 409);
  EXPECT_EQ(Body(sp)["detail"], std::string("Service principal with application ID ") + kSpAppId +
                                    " already exists.");
  EXPECT_EQ(Body(sp)["status"], "409");

  CreateUser("bob@example.com");
  EXPECT_EQ(Admin("POST", kScim + "Users", R"({"userName":"BOB@example.com"})").status, 409);
  EXPECT_EQ(Admin("POST", kScim + "Groups", R"({"displayName":"admins"})").status, 409);
}

TEST_F(ScimTest, ServicePrincipalWithoutApplicationIdGetsAGeneratedOne) {
  http::Response r = Admin("POST", kScim + "ServicePrincipals", R"({"displayName":"managed"})");

  ASSERT_EQ(r.status, 201);
  EXPECT_TRUE(IsGuid(Body(r)["applicationId"].get<std::string>()));
}

TEST_F(ScimTest, InvalidInputsAreScimErrors) {
  for (auto [path, body] : {std::pair{"Users", R"({"displayName":"no user name"})"},
                            std::pair{"Users", R"({"userName": 5})"},
                            std::pair{"ServicePrincipals", R"({"applicationId":"not-a-guid"})"},
                            std::pair{"Groups", R"({"members":[{"value":"1"}]})"},
                            std::pair{"Groups", R"({"displayName":"g","members":[{"value":"99"}]})"}}) {
    http::Response r = Admin("POST", kScim + path, body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(Body(r)["status"], "400") << body;
  }
  http::Response malformed = Admin("POST", kScim + "Users", "{");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(Body(malformed)["scimType"], "invalidSyntax");
  EXPECT_EQ(Admin("GET", kScim + "Users?filter=bogus").status, 400);
  EXPECT_EQ(Admin("GET", kScim + "Users/abc").status, 404);
}

TEST_F(ScimTest, FiltersOnEveryAttributeAndQuotingStyle) {
  CreateServicePrincipal(kSpAppId, "ci-runner");
  CreateUser("carol@example.com");
  auto total = [&](const std::string& resource, const std::string& filter) {
    http::Response r = Admin("GET", kScim + resource + "?filter=" + PercentEncode(filter));
    EXPECT_EQ(r.status, 200) << r.body;
    return Body(r)["totalResults"].get<int64_t>();
  };
  EXPECT_EQ(total("ServicePrincipals", std::string("applicationId eq \"") + kSpAppId + "\""), 1);
  EXPECT_EQ(total("ServicePrincipals", std::string("applicationId eq '") + kSpAppId + "'"), 1);
  EXPECT_EQ(total("Groups", "displayName eq admins"), 1);
  EXPECT_EQ(total("Users", "userName eq \"CAROL@example.com\""), 1);
  EXPECT_EQ(total("Users", "userName sw \"carol\" or userName co \"admin\""), 2);
  EXPECT_EQ(total("Users", "userName ne \"carol@example.com\" and active eq true"), 1);
  EXPECT_EQ(total("Users", "id eq \"" + std::to_string(boot_.admin_id) + "\""), 1);
  EXPECT_EQ(total("ServicePrincipals", "displayName eq nobody"), 0);
}

TEST_F(ScimTest, PagingEndsWithAnEmptyPage) {
  for (int i = 0; i < 3; ++i) CreateUser("user" + std::to_string(i) + "@example.com");

  json first = Body(Admin("GET", kScim + "Users?startIndex=1&count=3"));
  EXPECT_EQ(first["totalResults"], 4);
  EXPECT_EQ(first["Resources"].size(), 3u);
  EXPECT_EQ(first["itemsPerPage"], 3);
  json second = Body(Admin("GET", kScim + "Users?startIndex=4&count=3"));
  EXPECT_EQ(second["Resources"].size(), 1u);
  json past = Body(Admin("GET", kScim + "Users?startIndex=5&count=10000"));
  EXPECT_EQ(past["Resources"], json::array());
  EXPECT_EQ(past["totalResults"], 4);
  EXPECT_EQ(past["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:ListResponse");
}

TEST_F(ScimTest, AddingAServicePrincipalToAdminsMakesItAnAdmin) {
  int64_t sp = CreateServicePrincipal(kSpAppId);
  std::string entra = EntraToken();
  ASSERT_EQ(Call("GET", "/api/2.0/token-management/tokens", "", entra).status, 403);

  http::Response r = Admin("PATCH", kScim + "Groups/" + std::to_string(boot_.admins_group_id),
                           json{{"schemas", {"urn:ietf:params:scim:api:messages:2.0:PatchOp"}},
                                {"Operations", {{{"op", "add"}, {"path", "members"},
                                                 {"value", {{{"value", std::to_string(sp)}}}}}}}}
                               .dump());

  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["members"].size(), 2u);
  EXPECT_EQ(Call("GET", "/api/2.0/token-management/tokens", "", entra).status, 200);
  json me = Body(Call("GET", kScim + "Me", "", entra));
  bool admin = false;
  for (const json& g : me["groups"]) admin = admin || g["display"] == "admins";
  EXPECT_TRUE(admin);

  // Removal by filter path.
  ASSERT_EQ(Admin("PATCH", kScim + "Groups/" + std::to_string(boot_.admins_group_id),
                  R"({"Operations":[{"op":"remove","path":"members[value eq \")" +
                      std::to_string(sp) + R"(\"]"}]})")
                .status,
            200);
  EXPECT_EQ(Call("GET", "/api/2.0/token-management/tokens", "", entra).status, 403);
}

TEST_F(ScimTest, PatchUserAttributesAndEntitlements) {
  int64_t id = CreateUser("dave@example.com");
  std::string path = kScim + "Users/" + std::to_string(id);

  http::Response r = Admin(
      "PATCH", path,
      R"({"Operations":[{"op":"add","path":"displayName","value":"Dave"},
                        {"op":"add","path":"entitlements","value":[{"value":"allow-cluster-create"}]},
                        {"op":"replace","value":{"active":false,"externalId":"ext-1"}}]})");

  ASSERT_EQ(r.status, 200) << r.body;
  json user = Body(r);
  EXPECT_EQ(user["displayName"], "Dave");
  EXPECT_EQ(user["active"], false);
  EXPECT_EQ(user["externalId"], "ext-1");
  EXPECT_EQ(user["entitlements"][0]["value"], "allow-cluster-create");
  EXPECT_EQ(Admin("PATCH", path, R"({"Operations":[{"op":"explode","path":"active"}]})").status,
            400);
  EXPECT_EQ(Admin("PATCH", path, "").status, 200);  // the JS SDK drops PATCH bodies
}

TEST_F(ScimTest, WritesAreAdminOnlyAndReadsAreOpen) {
  CreateServicePrincipal(kSpAppId);
  std::string entra = EntraToken();

  http::Response write = Call("POST", kScim + "Users", R"({"userName":"x@example.com"})", entra);
  EXPECT_EQ(write.status, 403);
  EXPECT_EQ(Body(write)["status"], "403");
  EXPECT_EQ(Call("GET", kScim + "Users", "", entra).status, 200);
}

TEST_F(ScimTest, SystemGroupsAndSelfAreProtected) {
  EXPECT_EQ(Admin("DELETE", kScim + "Groups/" + std::to_string(boot_.admins_group_id)).status, 400);
  EXPECT_EQ(Admin("DELETE", kScim + "Users/" + std::to_string(boot_.admin_id)).status, 400);
  EXPECT_EQ(Admin("PATCH", kScim + "Groups/" + std::to_string(boot_.admins_group_id),
                  R"({"Operations":[{"op":"replace","path":"members","value":[]}]})")
                .status,
            400);
}

// Issue 25 finding 9: the sole admin could deactivate itself and lock every admin out.
TEST_F(ScimTest, APrincipalCannotDeactivateItself) {
  std::string self = kScim + "Users/" + std::to_string(boot_.admin_id);
  http::Response patch =
      Admin("PATCH", self, R"({"Operations":[{"op":"replace","path":"active","value":false}]})");
  EXPECT_EQ(patch.status, 400);
  EXPECT_EQ(Body(patch)["status"], "400");
  EXPECT_THAT(Body(patch)["detail"].get<std::string>(), HasSubstr("deactivate itself"));
  EXPECT_EQ(Admin("PATCH", self, R"({"Operations":[{"op":"replace","value":{"active":false}}]})")
                .status,
            400);
  EXPECT_EQ(Admin("PUT", self, R"({"userName":"admin@example.com","active":false})").status, 400);

  EXPECT_EQ(Body(Admin("GET", self))["active"], true);
  EXPECT_EQ(Admin("GET", "/api/2.0/token-management/tokens").status, 200);
  // Re-asserting "active": true is no change and is fine.
  EXPECT_EQ(Admin("PATCH", self, R"({"Operations":[{"op":"replace","path":"active","value":true}]})")
                .status,
            200);
}

// Issue 25 finding 9: the admins group kept "at least one member", but that member could be
// inactive: an admin who left it to an inactive member locked every admin out.
TEST_F(ScimTest, TheAdminsGroupKeepsAnActiveMember) {
  int64_t bob = CreateUser("bob@example.com");
  std::string admins = kScim + "Groups/" + std::to_string(boot_.admins_group_id);
  ASSERT_EQ(Admin("PATCH", admins,
                  json{{"Operations", {{{"op", "add"}, {"path", "members"},
                                        {"value", {{{"value", std::to_string(bob)}}}}}}}}
                      .dump())
                .status,
            200);
  ASSERT_EQ(Admin("PATCH", kScim + "Users/" + std::to_string(bob),
                  R"({"Operations":[{"op":"replace","path":"active","value":false}]})")
                .status,
            200);

  http::Response leave = Admin("PATCH", admins,
                               R"({"Operations":[{"op":"remove","path":"members[value eq \")" +
                                   std::to_string(boot_.admin_id) + R"(\"]"}]})");
  EXPECT_EQ(leave.status, 400);
  EXPECT_THAT(Body(leave)["detail"].get<std::string>(), HasSubstr("active"));
  EXPECT_EQ(Admin("PUT", admins,
                  json{{"displayName", "admins"}, {"members", {{{"value", std::to_string(bob)}}}}}
                      .dump())
                .status,
            400);
  EXPECT_EQ(Admin("PATCH", kScim + "Users/" + std::to_string(boot_.admin_id),
                  R"({"Operations":[{"op":"remove","path":"groups[value eq \")" +
                      std::to_string(boot_.admins_group_id) + R"(\"]"}]})")
                .status,
            400);
  EXPECT_EQ(Admin("GET", "/api/2.0/token-management/tokens").status, 200);

  // With bob active again the admin may step down.
  ASSERT_EQ(Admin("PATCH", kScim + "Users/" + std::to_string(bob),
                  R"({"Operations":[{"op":"replace","path":"active","value":true}]})")
                .status,
            200);
  EXPECT_EQ(Admin("PATCH", admins,
                  R"({"Operations":[{"op":"remove","path":"members[value eq \")" +
                      std::to_string(boot_.admin_id) + R"(\"]"}]})")
                .status,
            200);
}

TEST_F(ScimTest, DeletingAPrincipalRevokesItsTokensAtOnce) {
  int64_t sp = CreateServicePrincipal(kSpAppId);
  GrantCanUse("service_principal_name", kSpAppId);
  json pat = CreatePat(EntraToken());
  ASSERT_EQ(Call("GET", "/api/2.0/token/list", "", pat["token_value"]).status, 200);

  ASSERT_EQ(Admin("DELETE", kScim + "ServicePrincipals/" + std::to_string(sp)).status, 204);

  EXPECT_EQ(Call("GET", "/api/2.0/token/list", "", pat["token_value"]).status, 403);
}

TEST_F(ScimTest, GroupCrud) {
  int64_t user = CreateUser("erin@example.com");
  http::Response created =
      Admin("POST", kScim + "Groups",
            json{{"displayName", "data"}, {"members", {{{"value", std::to_string(user)}}}}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  std::string path = kScim + "Groups/" + Body(created)["id"].get<std::string>();
  EXPECT_EQ(Body(created)["members"][0]["display"], "erin@example.com");
  EXPECT_EQ(Body(created)["members"][0]["$ref"], "Users/" + std::to_string(user));

  http::Response put = Admin("PUT", path, R"({"displayName":"data-eng","members":[]})");
  ASSERT_EQ(put.status, 200);
  EXPECT_EQ(Body(put)["displayName"], "data-eng");
  EXPECT_EQ(Body(put)["members"].size(), 0u);
  EXPECT_EQ(Admin("DELETE", path).status, 204);
  EXPECT_EQ(Admin("GET", path).status, 404);
}

}  // namespace
}  // namespace latchkey::workspace::testing
