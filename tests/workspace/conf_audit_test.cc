// Workspace-conf (§6), audit records and bootstrap.
#include "workspace_test_support.h"

namespace latchkey::workspace::testing {
namespace {

constexpr char kConf[] = "/api/2.0/workspace-conf";

class ConfTest : public WorkspaceTest {};

TEST_F(ConfTest, ValuesAreStringsOnTheWire) {
  ASSERT_EQ(Admin("PATCH", kConf, R"({"enableTokensConfig": true, "maxTokenLifetimeDays": 90})")
                .status,
            200);

  http::Response r = Admin("GET", std::string(kConf) + "?keys=enableTokensConfig,maxTokenLifetimeDays");

  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r), (json{{"enableTokensConfig", "true"}, {"maxTokenLifetimeDays", "90"}}));
}

TEST_F(ConfTest, UnsetKeysAreNullAndNoKeysMeansAll) {
  json body = Body(Admin("GET", kConf));

  EXPECT_TRUE(body.contains("enableTokensConfig"));
  EXPECT_TRUE(body["maxTokenLifetimeDays"].is_null());
}

TEST_F(ConfTest, EmptyStringResetsAKey) {
  ASSERT_EQ(Admin("PATCH", kConf, R"({"maxTokenLifetimeDays": "30"})").status, 200);
  ASSERT_EQ(Admin("PATCH", kConf, R"({"maxTokenLifetimeDays": ""})").status, 200);

  EXPECT_TRUE(Body(Admin("GET", kConf))["maxTokenLifetimeDays"].is_null());
  EXPECT_EQ(Body(Admin("POST", "/api/2.0/token/create", "{}"))["token_info"]["expiry_time"], -1);
}

TEST_F(ConfTest, InvalidValuesAndKeysAre400) {
  for (std::string body : {R"({"maxTokenLifetimeDays": "-1"})", R"({"maxTokenLifetimeDays": "1.5"})",
                           R"({"maxTokenLifetimeDays": "abc"})", R"({"maxTokenLifetimeDays": 731})",
                           R"({"enableTokensConfig": "maybe"})", R"({"enableTokensConfig": [1]})",
                           R"({"unknownKey": "x"})"}) {
    http::Response r = Admin("PATCH", kConf, body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(Body(r)["error_code"], "INVALID_PARAMETER_VALUE") << body;
  }
  EXPECT_EQ(Admin("GET", std::string(kConf) + "?keys=nope").status, 400);
}

TEST_F(ConfTest, OnlyAdminsMayChangeIt) {
  CreateServicePrincipal(kSpAppId);
  std::string entra = EntraToken();

  EXPECT_EQ(Call("PATCH", kConf, R"({"enableTokensConfig": "false"})", entra).status, 403);
  EXPECT_EQ(Call("GET", kConf, "", entra).status, 200);
}

TEST_F(ConfTest, ChangesTokensAndPermissionsAreAudited) {
  json pat = CreatePat(admin_token_);
  ASSERT_EQ(Admin("POST", "/api/2.0/token/delete",
                  json{{"token_id", pat["token_info"]["token_id"]}}.dump())
                .status,
            200);
  ASSERT_EQ(Admin("PATCH", kConf, R"({"maxTokenLifetimeDays": "30"})").status, 200);
  GrantCanUse("group_name", "users");
  ASSERT_EQ(Call("GET", "/api/2.0/token/list", "", "dapi" + std::string(32, 'b')).status, 403);

  http::Response r = Admin("GET", "/api/2.0/latchkey/audit?after=0&limit=1000");

  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> actions;
  json events = Body(r)["events"];
  for (const json& e : events) {
    actions.push_back(e["action"]);
    EXPECT_EQ(e.dump().find(pat["token_value"].get<std::string>()), std::string::npos);
  }
  using ::testing::Contains;
  EXPECT_THAT(actions, Contains("token.create"));
  EXPECT_THAT(actions, Contains("token.delete"));
  EXPECT_THAT(actions, Contains("conf.update"));
  EXPECT_THAT(actions, Contains("token_permissions.update"));
  EXPECT_THAT(actions, Contains("token.auth_failed"));
  EXPECT_THAT(actions, Contains("principal.create"));

  int64_t last = Body(r)["next_after"];
  EXPECT_EQ(Body(Admin("GET", "/api/2.0/latchkey/audit?after=" + std::to_string(last)))["events"]
                .size(),
            0u);
  EXPECT_EQ(Admin("GET", "/api/2.0/latchkey/audit?limit=0").status, 400);
}

TEST_F(ConfTest, AuditIsAdminOnly) {
  CreateServicePrincipal(kSpAppId);

  EXPECT_EQ(Call("GET", "/api/2.0/latchkey/audit", "", EntraToken()).status, 403);
}

TEST_F(ConfTest, BootstrapRunsOnce) {
  Result<BootstrapResult> again = BootstrapWorkspace(*store_, clock_, random_, "other@example.com");

  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(Admin("GET", "/api/2.0/token/list").status, 200);
  EXPECT_EQ(Body(Admin("GET", "/api/2.0/token/list"))["token_infos"][0]["expiry_time"], -1);
}

}  // namespace
}  // namespace latchkey::workspace::testing
