// Each workspace command sends the request of its endpoint (spec §4-§8).
#include <gtest/gtest.h>

#include "fakes.h"

namespace latchkey::cli {
namespace {

using testing::CliHarness;
using testing::Json200;

struct CommandCase {
  std::vector<std::string> args;
  std::string method;
  std::string path;  // after the host
  std::string body;  // JSON, "" for none
};

class CommandsTest : public ::testing::TestWithParam<CommandCase> {};

TEST_P(CommandsTest, SendsItsRequest) {
  const CommandCase& c = GetParam();
  CliHarness h;
  h.env["DATABRICKS_HOST"] = "https://ws:8443";
  h.env["DATABRICKS_TOKEN"] = "dapiADMIN";
  h.transport.Enqueue(Json200("{}"));

  const auto r = h.Run(c.args);

  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_GE(h.transport.requests.size(), 1u);
  const HttpRequest& sent = h.transport.requests[0];
  EXPECT_EQ(sent.method, c.method);
  EXPECT_EQ(sent.url, "https://ws:8443" + c.path);
  if (c.body.empty()) {
    EXPECT_EQ(sent.body, "");
  } else {
    EXPECT_EQ(Json::parse(sent.body), Json::parse(c.body));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Endpoints, CommandsTest,
    ::testing::Values(
        CommandCase{{"tokens", "list"}, "GET", "/api/2.0/token/list", ""},
        CommandCase{{"tokens", "delete", "abc"}, "POST", "/api/2.0/token/delete",
                    R"({"token_id":"abc"})"},
        CommandCase{{"token-management", "list", "--created-by-username", "a@b.c"}, "GET",
                    "/api/2.0/token-management/tokens?created_by_username=a%40b.c", ""},
        CommandCase{{"token-management", "get", "abc"}, "GET",
                    "/api/2.0/token-management/tokens/abc", ""},
        CommandCase{{"token-management", "delete", "--token-id", "abc"}, "DELETE",
                    "/api/2.0/token-management/tokens/abc", ""},
        CommandCase{{"token-management", "create-obo", "--application-id", "app",
                     "--lifetime-seconds", "3600", "--comment", "ci"},
                    "POST", "/api/2.0/token-management/on-behalf-of/tokens",
                    R"({"application_id":"app","lifetime_seconds":3600,"comment":"ci"})"},
        CommandCase{{"permissions", "get"}, "GET", "/api/2.0/permissions/authorization/tokens", ""},
        CommandCase{{"permissions", "levels"}, "GET",
                    "/api/2.0/permissions/authorization/tokens/permissionLevels", ""},
        CommandCase{{"permissions", "update", "--service-principal-name", "app",
                     "--permission-level", "CAN_USE"},
                    "PATCH", "/api/2.0/permissions/authorization/tokens",
                    R"({"access_control_list":[{"service_principal_name":"app","permission_level":"CAN_USE"}]})"},
        CommandCase{{"permissions", "set", "--group-name", "users"}, "PUT",
                    "/api/2.0/permissions/authorization/tokens",
                    R"({"access_control_list":[{"group_name":"users","permission_level":"CAN_USE"}]})"},
        CommandCase{{"service-principals", "create", "--application-id", "app", "--display-name",
                     "ci"},
                    "POST", "/api/2.0/preview/scim/v2/ServicePrincipals",
                    R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"],)"
                    R"("applicationId":"app","active":true,"displayName":"ci"})"},
        CommandCase{{"service-principals", "list", "--filter", "applicationId eq \"x\""}, "GET",
                    "/api/2.0/preview/scim/v2/ServicePrincipals?startIndex=1&count=100&filter="
                    "applicationId%20eq%20%22x%22",
                    ""},
        CommandCase{{"users", "create", "--user-name", "a@b.c"}, "POST",
                    "/api/2.0/preview/scim/v2/Users",
                    R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],)"
                    R"("userName":"a@b.c","active":true})"},
        CommandCase{{"users", "get", "42"}, "GET", "/api/2.0/preview/scim/v2/Users/42", ""},
        CommandCase{{"users", "delete", "42"}, "DELETE", "/api/2.0/preview/scim/v2/Users/42", ""},
        CommandCase{{"groups", "list"}, "GET",
                    "/api/2.0/preview/scim/v2/Groups?startIndex=1&count=100", ""},
        CommandCase{{"workspace-conf", "get", "enableTokensConfig,maxTokenLifetimeDays"}, "GET",
                    "/api/2.0/workspace-conf?keys=enableTokensConfig,maxTokenLifetimeDays", ""},
        CommandCase{{"workspace-conf", "set", "maxTokenLifetimeDays=90"}, "PATCH",
                    "/api/2.0/workspace-conf", R"({"maxTokenLifetimeDays":"90"})"},
        CommandCase{{"audit", "list", "--after", "10", "--limit", "5"}, "GET",
                    "/api/2.0/latchkey/audit?limit=5&after=10", ""},
        CommandCase{{"oauth-secrets", "create", "--service-principal-id", "42",
                     "--lifetime-seconds", "3600"},
                    "POST", "/api/2.0/accounts/servicePrincipals/42/credentials/secrets",
                    R"({"lifetime":"3600s"})"},
        CommandCase{{"oauth-secrets", "list", "--service-principal-id", "42"}, "GET",
                    "/api/2.0/accounts/servicePrincipals/42/credentials/secrets", ""},
        CommandCase{{"oauth-secrets", "delete", "--service-principal-id", "42", "s1"}, "DELETE",
                    "/api/2.0/accounts/servicePrincipals/42/credentials/secrets/s1", ""}));

TEST(ScimListTest, FollowsPagesUntilEmptyAndMergesThem) {
  CliHarness h;
  h.env["DATABRICKS_HOST"] = "https://ws";
  h.env["DATABRICKS_TOKEN"] = "dapi";
  h.transport.Enqueue(Json200(
      R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":3,)"
      R"("startIndex":1,"itemsPerPage":2,"Resources":[{"id":"1"},{"id":"2"}]})"));
  h.transport.Enqueue(Json200(R"({"totalResults":3,"startIndex":3,"Resources":[{"id":"3"}]})"));

  const auto r = h.Run({"users", "list", "--query", "Resources[].id"});

  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out), Json::parse(R"(["1","2","3"])"));
  ASSERT_EQ(h.transport.requests.size(), 2u);
  EXPECT_NE(h.transport.requests[1].url.find("startIndex=3"), std::string::npos);
}

TEST(PermissionsTest, UpdateWithoutPrincipalsIsAUsageError) {
  CliHarness h;
  h.env["DATABRICKS_HOST"] = "https://ws";
  h.env["DATABRICKS_TOKEN"] = "dapi";

  EXPECT_EQ(h.Run({"permissions", "update"}).exit_code, 2);
}

TEST(OAuthM2mTest, WorkspaceCallUsesTheM2mToken) {
  CliHarness h;
  h.env["DATABRICKS_HOST"] = "https://ws:8443";
  h.env["DATABRICKS_CLIENT_ID"] = "cid";
  h.env["DATABRICKS_CLIENT_SECRET"] = "dose";
  h.transport.Enqueue(Json200(R"({"token_endpoint":"https://ws:8443/oidc/v1/token"})"));
  h.transport.Enqueue(Json200(R"({"access_token":"eyJ.m2m","expires_in":3600})"));
  h.transport.Enqueue(Json200(R"({"token_infos":[]})"));

  ASSERT_EQ(h.Run({"tokens", "list"}).exit_code, 0);

  ASSERT_EQ(h.transport.requests.size(), 3u);
  EXPECT_EQ(h.transport.requests[2].headers.back().second, "Bearer eyJ.m2m");
}

}  // namespace
}  // namespace latchkey::cli
