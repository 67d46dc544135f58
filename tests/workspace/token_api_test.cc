// Token API (§4), authentication responses (§3.5) and the PAT hot path.
#include "workspace_test_support.h"

namespace latchkey::workspace::testing {
namespace {

using ::testing::HasSubstr;

class TokenApiTest : public WorkspaceTest {
 protected:
  void Configure(WorkspaceOptions& options) override { options.pat_quota = 3; }
  // The seed article's SP: in the workspace and granted CAN_USE.
  void AddServicePrincipalWithCanUse() {
    sp_id_ = CreateServicePrincipal(kSpAppId);
    GrantCanUse("service_principal_name", kSpAppId);
    entra_ = EntraToken();
  }
  int64_t sp_id_ = 0;
  std::string entra_;
};

TEST_F(TokenApiTest, SeedArticleFlowCreateListDeleteWithEntraTokenThenPatIsRefused) {
  AddServicePrincipalWithCanUse();

  http::Response created = Call("POST", "/api/2.0/token/create",
                                R"({"lifetime_seconds": 7776000, "comment": "my-pat-123"})", entra_);
  ASSERT_EQ(created.status, 200) << created.body;
  json body = Body(created);
  std::string pat = body["token_value"];
  std::string token_id = body["token_info"]["token_id"];
  EXPECT_THAT(pat, ::testing::MatchesRegex("dapi[0-9a-f]{32}"));
  EXPECT_THAT(token_id, ::testing::MatchesRegex("[0-9a-f]{64}"));
  EXPECT_EQ(body["token_info"]["comment"], "my-pat-123");
  EXPECT_EQ(body["token_info"]["creation_time"], ToUnixMillis(StartTime()));
  EXPECT_EQ(body["token_info"]["expiry_time"], ToUnixMillis(StartTime()) + 7776000LL * 1000);
  EXPECT_EQ(HeaderOf(created, "Content-Type"), "application/json");

  http::Response listed = Call("GET", "/api/2.0/token/list", "", pat);
  ASSERT_EQ(listed.status, 200) << listed.body;
  ASSERT_EQ(Body(listed)["token_infos"].size(), 1u);
  EXPECT_EQ(Body(listed)["token_infos"][0]["token_id"], token_id);

  http::Response deleted =
      Call("POST", "/api/2.0/token/delete", json{{"token_id", token_id}}.dump(), entra_);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(Body(deleted), json::object());

  http::Response refused = Call("GET", "/api/2.0/token/list", "", pat);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(Body(refused), (json{{"error_code", 403}, {"message", "Invalid access token."}}));
  EXPECT_EQ(HeaderOf(refused, "X-Databricks-Reason-Phrase"), "Invalid access token.");
}

TEST_F(TokenApiTest, DeletingThroughTheStoreEvictsTheCachedPat) {
  json created = CreatePat(admin_token_);
  std::string pat = created["token_value"];
  ASSERT_EQ(Call("GET", "/api/2.0/token/list", "", pat).status, 200);  // cached

  // As another replica or the CLI would: only the store's change notification reaches us.
  ASSERT_TRUE(store_->DeletePat(created["token_info"]["token_id"]));

  EXPECT_EQ(Call("GET", "/api/2.0/token/list", "", pat).status, 403);
}

TEST_F(TokenApiTest, MissingOrBasicCredentialIs401WithRealmHeader) {
  for (const std::string& header : {std::string(), std::string("Basic YWRtaW46cHc=")}) {
    http::Request request;
    request.method = "GET";
    request.target = request.path = "/api/2.0/token/list";
    if (!header.empty()) request.headers.emplace_back("Authorization", header);
    http::Response r = router_.Dispatch(request);

    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(Body(r)["error_code"], 401);
    EXPECT_EQ(Body(r)["message"],
              "Credential was not sent or was of an unsupported type for this API.");
    EXPECT_EQ(HeaderOf(r, "WWW-Authenticate"), "Bearer realm=\"DatabricksRealm\"");
  }
}

TEST_F(TokenApiTest, UnknownMalformedAndSuffixedPatsAre403) {
  for (std::string bad : {"dapi0123456789abcdef0123456789abcdef", "dapi0123456789abcdef0123456789abcdef-2",
                          "dapiXYZ", "garbage", "a.b.c"}) {
    http::Response r = Call("GET", "/api/2.0/token/list", "", bad);
    EXPECT_EQ(r.status, 403) << bad;
    EXPECT_EQ(Body(r)["error_code"], 403);
    EXPECT_THAT(r.body, ::testing::Not(HasSubstr(bad)));
  }
}

TEST_F(TokenApiTest, ExpiredPatIsRefusedAndHiddenAndCannotBeDeleted) {
  json created = CreatePat(admin_token_, {{"lifetime_seconds", 60}});
  std::string pat = created["token_value"];
  ASSERT_EQ(Call("GET", "/api/2.0/token/list", "", pat).status, 200);

  clock_.Advance(std::chrono::seconds(61));

  EXPECT_EQ(Call("GET", "/api/2.0/token/list", "", pat).status, 403);
  json list = Body(Admin("GET", "/api/2.0/token/list"));
  for (const json& info : list["token_infos"]) {
    EXPECT_NE(info["token_id"], created["token_info"]["token_id"]);
  }
  http::Response deleted = Admin("POST", "/api/2.0/token/delete",
                                 json{{"token_id", created["token_info"]["token_id"]}}.dump());
  EXPECT_EQ(deleted.status, 404);
  EXPECT_EQ(Body(deleted)["error_code"], "RESOURCE_DOES_NOT_EXIST");
}

TEST_F(TokenApiTest, OmittedLifetimeNeverExpiresWithoutMaximum) {
  json created = CreatePat(admin_token_, {{"comment", "no expiry"}});

  EXPECT_EQ(created["token_info"]["expiry_time"], -1);
}

TEST_F(TokenApiTest, OmittedLifetimeIsCappedByMaxTokenLifetimeDays) {
  ASSERT_EQ(Admin("PATCH", "/api/2.0/workspace-conf", R"({"maxTokenLifetimeDays": "90"})").status,
            200);

  json created = CreatePat(admin_token_);

  EXPECT_EQ(created["token_info"]["expiry_time"], ToUnixMillis(StartTime()) + 90LL * 86400 * 1000);
}

TEST_F(TokenApiTest, LifetimeAboveMaximumIs400) {
  ASSERT_EQ(Admin("PATCH", "/api/2.0/workspace-conf", R"({"maxTokenLifetimeDays": 30})").status,
            200);

  http::Response r = Admin("POST", "/api/2.0/token/create", R"({"lifetime_seconds": 2592001})");

  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error_code"], "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(Admin("POST", "/api/2.0/token/create", R"({"lifetime_seconds": 2592000})").status, 200);
}

TEST_F(TokenApiTest, ZeroNegativeAndHugeLifetimesAre400) {
  for (std::string body : {R"({"lifetime_seconds": 0})", R"({"lifetime_seconds": -5})",
                           R"({"lifetime_seconds": 9223372036854775807})",
                           R"({"lifetime_seconds": 99999999999999999999})",
                           R"({"lifetime_seconds": 1.5})", R"({"lifetime_seconds": "abc"})",
                           R"({"lifetime_seconds": true})"}) {
    http::Response r = Admin("POST", "/api/2.0/token/create", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(Body(r)["error_code"], "INVALID_PARAMETER_VALUE") << body;
  }
  EXPECT_THAT(Body(Admin("POST", "/api/2.0/token/create", R"({"lifetime_seconds": 0})"))["message"]
                  .get<std::string>(),
              HasSubstr("Invalid timeout: 0"));
  EXPECT_THAT(Body(Admin("POST", "/api/2.0/token/create", R"({"lifetime_seconds": "x"})"))["message"]
                  .get<std::string>(),
              HasSubstr("lifetime_seconds"));
}

TEST_F(TokenApiTest, MalformedBodiesAre400MalformedRequest) {
  for (std::string body : std::vector<std::string>{"{", "not json", "[1,2]", "\"text\"",
                                                   std::string(40, '[') + std::string(40, ']')}) {
    http::Response r = Admin("POST", "/api/2.0/token/create", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(Body(r)["error_code"], "MALFORMED_REQUEST") << body;
  }
}

TEST_F(TokenApiTest, WrongTypesNameTheField) {
  http::Response r = Admin("POST", "/api/2.0/token/create", R"({"comment": 5})");

  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error_code"], "INVALID_PARAMETER_VALUE");
  EXPECT_THAT(Body(r)["message"].get<std::string>(), HasSubstr("comment"));
}

TEST_F(TokenApiTest, HugeCommentIs400AndLimitIsAccepted) {
  EXPECT_EQ(Admin("POST", "/api/2.0/token/create", json{{"comment", std::string(1001, 'x')}}.dump())
                .status,
            400);
  EXPECT_EQ(Admin("POST", "/api/2.0/token/create", json{{"comment", std::string(1000, 'x')}}.dump())
                .status,
            200);
}

TEST_F(TokenApiTest, UnknownFieldsAndEmptyBodyAreAccepted) {
  EXPECT_EQ(Admin("POST", "/api/2.0/token/create",
                  R"({"comment":"c","scopes":["all-apis"],"autoscope_enabled":true,"x":{"y":1}})")
                .status,
            200);
  EXPECT_EQ(Admin("POST", "/api/2.0/token/create", "").status, 200);
}

TEST_F(TokenApiTest, DeleteWithoutOrWithMalformedTokenId) {
  http::Response missing = Admin("POST", "/api/2.0/token/delete", "{}");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(Body(missing)["error_code"], "INVALID_PARAMETER_VALUE");

  http::Response wrong_type = Admin("POST", "/api/2.0/token/delete", R"({"token_id": 7})");
  EXPECT_EQ(wrong_type.status, 400);

  // A pasted token value is never echoed back.
  std::string value = "dapi0123456789abcdef0123456789abcdef";
  http::Response pasted = Admin("POST", "/api/2.0/token/delete", json{{"token_id", value}}.dump());
  EXPECT_EQ(pasted.status, 404);
  EXPECT_THAT(pasted.body, ::testing::Not(HasSubstr(value)));
}

TEST_F(TokenApiTest, QuotaCountsLiveTokensAndIs400QuotaExceeded) {
  for (int i = 0; i < 2; ++i) CreatePat(admin_token_, {{"lifetime_seconds", 100}});  // + bootstrap

  http::Response r = Admin("POST", "/api/2.0/token/create", "{}");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error_code"], "QUOTA_EXCEEDED");

  clock_.Advance(std::chrono::seconds(101));
  EXPECT_EQ(Admin("POST", "/api/2.0/token/create", "{}").status, 200);
}

// Issue 25 finding 4: with the quota counting only live tokens and nothing purging expired
// rows, one-second tokens created in a loop piled up without bound.
TEST_F(TokenApiTest, ShortLivedTokensInALoopCannotPileUpPastTheQuota) {
  for (int i = 0; i < 10; ++i) {
    http::Response r = Admin("POST", "/api/2.0/token/create", R"({"lifetime_seconds": 1})");
    // Bootstrap token + 2: the third and later creates wait for an earlier token to expire.
    EXPECT_EQ(r.status, 200) << i << ": " << r.body;
    EXPECT_THAT(store_->CountPats(), ::testing::Optional(::testing::Le(3))) << i;
    clock_.Advance(std::chrono::seconds(2));
  }
  EXPECT_EQ(Call("GET", "/api/2.0/token/list", "", admin_token_).status, 200);
}

TEST_F(TokenApiTest, HousekeepingPurgesExpiredTokensOfEveryOwner) {
  AddServicePrincipalWithCanUse();
  CreatePat(admin_token_, {{"lifetime_seconds", 10}});
  CreatePat(entra_, {{"lifetime_seconds", 10}});
  json keep = CreatePat(entra_, {{"lifetime_seconds", 100}});
  ASSERT_THAT(store_->CountPats(), ::testing::Optional(4));

  clock_.Advance(std::chrono::seconds(10));
  workspace_->PurgeExpiredPats();

  // The bootstrap token (no expiry) and the 100 s one are left.
  EXPECT_THAT(store_->CountPats(), ::testing::Optional(2));
  EXPECT_EQ(Call("GET", "/api/2.0/token/list", "", keep["token_value"]).status, 200);
}

// Issue 25 finding 4: scopes were unbounded (a 1 MB array was stored and listed back) and,
// though introspection reported them, never enforced. Only "all-apis" is accepted now.
TEST_F(TokenApiTest, ScopesAreBoundedAndNarrowScopesAreRefused) {
  json huge = {{"scopes", std::vector<std::string>(1000, std::string(1000, 's'))}};
  http::Response big = Admin("POST", "/api/2.0/token/create", huge.dump());
  EXPECT_EQ(big.status, 400);
  EXPECT_EQ(Body(big)["error_code"], "INVALID_PARAMETER_VALUE");
  EXPECT_LT(big.body.size(), 1000u);

  http::Response many = Admin("POST", "/api/2.0/token/create",
                              json{{"scopes", std::vector<std::string>(33, "all-apis")}}.dump());
  EXPECT_EQ(many.status, 400);
  http::Response long_one = Admin("POST", "/api/2.0/token/create",
                                  json{{"scopes", {std::string(129, 'x')}}}.dump());
  EXPECT_EQ(long_one.status, 400);
  EXPECT_THAT(long_one.body, ::testing::Not(HasSubstr(std::string(129, 'x'))));

  // A narrower token than its owner would be a promise latchkey does not keep.
  for (const char* scope : {"sql", "clusters:read", "authentication"}) {
    http::Response narrow =
        Admin("POST", "/api/2.0/token/create", json{{"scopes", {scope}}}.dump());
    EXPECT_EQ(narrow.status, 400) << scope;
    EXPECT_EQ(Body(narrow)["error_code"], "INVALID_PARAMETER_VALUE");
    EXPECT_THAT(Body(narrow)["message"].get<std::string>(), HasSubstr(scope));
  }
  EXPECT_THAT(store_->CountPats(), ::testing::Optional(1));

  // "all-apis" is what an unscoped token has: accepted, stored once.
  json ok = CreatePat(admin_token_, {{"scopes", {"all-apis", "all-apis"}}});
  EXPECT_EQ(ok["token_info"]["scopes"], json::array({"all-apis"}));
  http::Response listed = Call("GET", "/api/2.0/token/list", "", admin_token_);
  EXPECT_LT(listed.body.size(), 2000u);
}

TEST_F(TokenApiTest, ServicePrincipalWithoutCanUseGets403PermissionDenied) {
  CreateServicePrincipal(kSpAppId);

  http::Response r = Call("POST", "/api/2.0/token/create", "{}", EntraToken());

  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Body(r)["error_code"], "PERMISSION_DENIED");
  EXPECT_EQ(Body(r)["message"], "User does not have permission to use tokens.");
  EXPECT_EQ(Call("GET", "/api/2.0/token/list", "", EntraToken()).status, 403);
}

TEST_F(TokenApiTest, PrincipalsCannotSeeOrDeleteEachOthersTokens) {
  AddServicePrincipalWithCanUse();
  json sp_pat = CreatePat(entra_);
  json admin_pat = CreatePat(admin_token_);

  json sp_list = Body(Call("GET", "/api/2.0/token/list", "", entra_));
  ASSERT_EQ(sp_list["token_infos"].size(), 1u);
  EXPECT_EQ(sp_list["token_infos"][0]["token_id"], sp_pat["token_info"]["token_id"]);

  http::Response r = Call("POST", "/api/2.0/token/delete",
                          json{{"token_id", admin_pat["token_info"]["token_id"]}}.dump(), entra_);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Body(r)["error_code"], "RESOURCE_DOES_NOT_EXIST");
  EXPECT_EQ(Call("GET", "/api/2.0/token/list", "", admin_pat["token_value"]).status, 200);
}

TEST_F(TokenApiTest, PatsStopWorkingWhileDisabledAndWorkAgainAfter) {
  json created = CreatePat(admin_token_);
  std::string pat = created["token_value"];
  AddServicePrincipalWithCanUse();
  // Switched off by an admin that does not sign in with a PAT (one that does is refused).
  ASSERT_EQ(Admin("PATCH",
                  "/api/2.0/preview/scim/v2/Groups/" + std::to_string(boot_.admins_group_id),
                  json{{"Operations", {{{"op", "add"}, {"path", "members"},
                                        {"value", {{{"value", std::to_string(sp_id_)}}}}}}}}
                      .dump())
                .status,
            200);
  ASSERT_EQ(Call("PATCH", "/api/2.0/workspace-conf", R"({"enableTokensConfig": false})", entra_)
                .status,
            200);

  EXPECT_EQ(Call("GET", "/api/2.0/token/list", "", pat).status, 403);
  http::Response create = Call("POST", "/api/2.0/token/create", "{}", entra_);
  EXPECT_EQ(create.status, 403);
  EXPECT_EQ(Body(create)["error_code"], "PERMISSION_DENIED");

  // Re-enabled behind the API's back: the store's change listener drops the cached policy.
  ASSERT_TRUE(store_->SetConf("enableTokensConfig", "true"));
  EXPECT_EQ(Call("GET", "/api/2.0/token/list", "", pat).status, 200);
}

TEST_F(TokenApiTest, RepeatedBadTokensFromOneAddressAreThrottled) {
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Call("GET", "/api/2.0/token/list", "", "dapi" + std::string(32, 'a')).status, 403);
  }

  http::Response r = Call("GET", "/api/2.0/token/list", "", "dapi" + std::string(32, 'b'));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(Body(r)["error_code"], "REQUEST_LIMIT_EXCEEDED");
  EXPECT_GT(std::stoi(HeaderOf(r, "Retry-After")), 0);
  EXPECT_EQ(Call("GET", "/api/2.0/token/list", "", "dapi" + std::string(32, 'b'), "10.0.0.2").status,
            403);

  clock_.Advance(std::chrono::seconds(61));
  EXPECT_EQ(Call("GET", "/api/2.0/token/list", "", "dapi" + std::string(32, 'b')).status, 403);
}

TEST_F(TokenApiTest, AValidTokenIsNotSlowedByBadTokensFromItsAddress) {
  for (int i = 0; i < 25; ++i) Call("GET", "/api/2.0/token/list", "", "dapi" + std::string(32, 'a'));

  EXPECT_EQ(Call("GET", "/api/2.0/token/list", "", admin_token_).status, 200);
}

TEST_F(TokenApiTest, LastUsedDayIsFlushedCoarsely) {
  json created = CreatePat(admin_token_);
  std::string pat = created["token_value"];
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Call("GET", "/api/2.0/token/list", "", pat).status, 200);

  workspace_->FlushLastUsed();

  Result<store::Pat> stored = store_->GetPat(created["token_info"]["token_id"]);
  ASSERT_TRUE(stored.has_value());
  ASSERT_TRUE(stored->last_used_day.has_value());
  EXPECT_EQ(ToUnixMillis(*stored->last_used_day) % 86400000, 0);
  json info = Body(Admin("GET", "/api/2.0/token-management/tokens/" +
                                    created["token_info"]["token_id"].get<std::string>()));
  EXPECT_EQ(info["token_info"]["last_used_day"], ToUnixMillis(*stored->last_used_day));
}

TEST_F(TokenApiTest, UnknownApiRouteIs404AndWrongMethodIs405WithAllow) {
  http::Response missing = Admin("GET", "/api/2.0/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Body(missing)["error_code"], "ENDPOINT_NOT_FOUND");

  http::Response wrong = Admin("GET", "/api/2.0/token/create");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_THAT(HeaderOf(wrong, "Allow"), HasSubstr("POST"));
}

TEST_F(TokenApiTest, GuardAndAuthenticateMatchTheApi) {
  auth::Gated<auth::AuthenticatedPrincipal> ok =
      workspace_->Guard("Bearer " + admin_token_, "10.1.1.1", kHost);
  ASSERT_TRUE(ok.has_value());
  EXPECT_TRUE(ok->is_admin);
  EXPECT_EQ(ok->principal->id, boot_.admin_id);
  EXPECT_EQ(ok->kind, auth::AuthKind::kPat);
  EXPECT_TRUE(workspace_->Authenticate(admin_token_).has_value());

  EXPECT_EQ(workspace_->Guard("", "10.1.1.1", kHost).error().kind,
            auth::FailureKind::kNoCredential);
  const std::string bad = "dapi" + std::string(32, '0');
  auth::Gated<auth::AuthenticatedPrincipal> denied =
      workspace_->Guard("Bearer " + bad, "10.1.1.1", kHost);
  EXPECT_EQ(denied.error().kind, auth::FailureKind::kDenied);
  EXPECT_EQ(denied.error().reason, auth::DenialReason::kUnknownToken);
  EXPECT_EQ(workspace_->Authenticate(bad).error().code, ErrorCode::kPermissionDenied);
}

}  // namespace
}  // namespace latchkey::workspace::testing
