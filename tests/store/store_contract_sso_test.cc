// Store contract, U2M refresh tokens (issue 24): round trip, rotation within a family, reuse
// of a used token revoking the whole family (and committing that), expiry housekeeping.
#include "store/store_contract_test.h"

namespace latchkey::store::testing {
namespace {

RefreshToken Token(const std::string& hash, const std::string& family, int64_t principal,
                   int64_t at, int64_t lifetime = 3600) {
  return RefreshToken{.token_hash = hash, .family_id = family, .principal_id = principal,
                      .client_id = "databricks-cli", .scope = "all-apis offline_access",
                      .created_at = At(at), .expires_at = At(at + lifetime)};
}

TEST_P(StoreContractTest, RefreshTokensRotateAndReuseRevokesTheFamily) {
  ASSERT_THAT(store().CreatePrincipal(MakeUser(7000000000000001, "ada@example.com")), IsOk());
  ASSERT_THAT(store().CreatePrincipal(MakeUser(7000000000000002, "bob@example.com")), IsOk());
  ASSERT_THAT(store().CreateRefreshToken(Token("h1", "fam-a", 7000000000000001, 10)), IsOk());
  ASSERT_THAT(store().CreateRefreshToken(Token("b1", "fam-b", 7000000000000002, 10)), IsOk());

  Result<RefreshToken> got = store().GetRefreshToken("h1");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->family_id, "fam-a");
  EXPECT_EQ(got->principal_id, 7000000000000001);
  EXPECT_EQ(got->client_id, "databricks-cli");
  EXPECT_EQ(got->scope, "all-apis offline_access");
  EXPECT_EQ(got->created_at, At(10));
  EXPECT_EQ(got->expires_at, At(3610));
  EXPECT_FALSE(got->used_at.has_value());
  EXPECT_FALSE(got->revoked);

  // Rotation: h1 -> h2; the next token joins h1's family whatever family it names.
  Result<RefreshToken> old = store().RotateRefreshToken("h1", Token("h2", "ignored", 7000000000000001, 20));
  ASSERT_THAT(old, IsOk());
  EXPECT_EQ(old->token_hash, "h1");
  EXPECT_EQ(store().GetRefreshToken("h1")->used_at, At(20));
  EXPECT_EQ(store().GetRefreshToken("h2")->family_id, "fam-a");
  ASSERT_THAT(store().RotateRefreshToken("h2", Token("h3", "", 7000000000000001, 30)), IsOk());

  // h1 again: reuse. The family is revoked (committed) and the call fails.
  Result<RefreshToken> reused = store().RotateRefreshToken("h1", Token("h4", "", 7000000000000001, 40));
  ASSERT_FALSE(reused.has_value());
  EXPECT_EQ(reused.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(store().GetRefreshToken("h3")->revoked);
  EXPECT_EQ(store().GetRefreshToken("h4").error().code, ErrorCode::kNotFound);
  // The newest token of the revoked family is refused too, and nothing was added.
  Result<RefreshToken> newest = store().RotateRefreshToken("h3", Token("h5", "", 7000000000000001, 50));
  ASSERT_FALSE(newest.has_value());
  EXPECT_EQ(newest.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(store().GetRefreshToken("h5").error().code, ErrorCode::kNotFound);
  // Another family is untouched.
  EXPECT_FALSE(store().GetRefreshToken("b1")->revoked);
  ASSERT_THAT(store().RotateRefreshToken("b1", Token("b2", "", 7000000000000002, 60)), IsOk());

  EXPECT_EQ(store().RotateRefreshToken("nope", Token("x", "", 7000000000000001, 60)).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(*store().RevokeRefreshTokenFamily("fam-b"), 2);  // b1 (used) and b2
  EXPECT_TRUE(store().GetRefreshToken("b2")->revoked);
}

TEST_P(StoreContractTest, CreatingARefreshTokenDeletesExpiredOnes) {
  ASSERT_THAT(store().CreatePrincipal(MakeUser(7000000000000001, "ada@example.com")), IsOk());
  ASSERT_THAT(store().CreateRefreshToken(Token("old", "f1", 7000000000000001, 0, 100)), IsOk());
  ASSERT_THAT(store().CreateRefreshToken(Token("new", "f2", 7000000000000001, 200)), IsOk());
  EXPECT_EQ(store().GetRefreshToken("old").error().code, ErrorCode::kNotFound);
  EXPECT_THAT(store().GetRefreshToken("new"), IsOk());
  // Deleting the user deletes its tokens.
  ASSERT_THAT(store().DeletePrincipal(7000000000000001), IsOk());
  EXPECT_EQ(store().GetRefreshToken("new").error().code, ErrorCode::kNotFound);
}

WebSession Web(const std::string& id, int64_t principal, int64_t at, int64_t lifetime = 3600) {
  return WebSession{.id = id, .token_hash = "hash-" + id, .principal_id = principal,
                    .provider_id = "dev", .created_at = At(at), .last_seen_at = At(at),
                    .expires_at = At(at + lifetime), .address = "127.0.0.1",
                    .user_agent = "Mozilla/5.0"};
}

TEST_P(StoreContractTest, WebSessionsRoundTripTouchListAndDelete) {
  ASSERT_THAT(store().CreatePrincipal(MakeUser(7000000000000001, "ada@example.com")), IsOk());
  ASSERT_THAT(store().CreatePrincipal(MakeUser(7000000000000002, "bob@example.com")), IsOk());
  AuditEvent event{.at = At(10), .actor = "principal:7000000000000001",
                   .action = "web_session.created", .target = "web_session:s1"};
  ASSERT_THAT(store().CreateWebSession(Web("s1", 7000000000000001, 10), 10, At(0), &event), IsOk());
  ASSERT_THAT(store().CreateWebSession(Web("s2", 7000000000000002, 20), 10, At(0)), IsOk());
  Result<std::vector<AuditEvent>> audit = store().ListAudit(0, 100);
  ASSERT_THAT(audit, IsOk());
  ASSERT_FALSE(audit->empty());
  EXPECT_EQ(audit->back().action, "web_session.created");

  Result<WebSession> got = store().GetWebSession("hash-s1");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->id, "s1");
  EXPECT_EQ(got->principal_id, 7000000000000001);
  EXPECT_EQ(got->provider_id, "dev");
  EXPECT_EQ(got->created_at, At(10));
  EXPECT_EQ(got->last_seen_at, At(10));
  EXPECT_EQ(got->expires_at, At(3610));
  EXPECT_EQ(got->address, "127.0.0.1");
  EXPECT_EQ(got->user_agent, "Mozilla/5.0");
  EXPECT_EQ(store().GetWebSession("s1").error().code, ErrorCode::kNotFound);  // by hash only

  ASSERT_THAT(store().TouchWebSession("s1", At(70)), IsOk());
  EXPECT_EQ(store().GetWebSession("hash-s1")->last_seen_at, At(70));
  ASSERT_THAT(store().TouchWebSession("s1", At(60)), IsOk());  // never moves back
  EXPECT_EQ(store().GetWebSession("hash-s1")->last_seen_at, At(70));
  ASSERT_THAT(store().TouchWebSession("gone", At(80)), IsOk());

  EXPECT_EQ(store().ListWebSessions(7000000000000001)->size(), 1u);
  ASSERT_EQ(store().ListWebSessions(0)->size(), 2u);
  EXPECT_EQ(store().ListWebSessions(0)->front().id, "s1");

  // Another owner's session is not found for this owner; an admin (owner 0) deletes it.
  EXPECT_EQ(store().DeleteWebSession("s2", 7000000000000001).error().code, ErrorCode::kNotFound);
  ASSERT_THAT(store().DeleteWebSession("s1", 7000000000000001), IsOk());
  EXPECT_EQ(store().GetWebSession("hash-s1").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().DeleteWebSession("s1", 0).error().code, ErrorCode::kNotFound);
  ASSERT_THAT(store().DeleteWebSession("s2", 0), IsOk());
  EXPECT_TRUE(store().ListWebSessions(0)->empty());
}

TEST_P(StoreContractTest, CreatingAWebSessionPurgesExpiredAndBoundsPerPrincipal) {
  ASSERT_THAT(store().CreatePrincipal(MakeUser(7000000000000001, "ada@example.com")), IsOk());
  ASSERT_THAT(store().CreatePrincipal(MakeUser(7000000000000002, "bob@example.com")), IsOk());
  ASSERT_THAT(store().CreateWebSession(Web("abs", 7000000000000002, 0, 100), 10, At(0)), IsOk());
  ASSERT_THAT(store().CreateWebSession(Web("idle", 7000000000000002, 150), 10, At(0)), IsOk());
  ASSERT_THAT(store().CreateWebSession(Web("live", 7000000000000002, 190), 10, At(0)), IsOk());
  // At 200 with an idle cutoff of 160: "abs" is past its absolute timeout, "idle" was last
  // seen at 150; "live" stays.
  ASSERT_THAT(store().CreateWebSession(Web("a1", 7000000000000001, 200), 3, At(160)), IsOk());
  EXPECT_EQ(store().GetWebSession("hash-abs").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().GetWebSession("hash-idle").error().code, ErrorCode::kNotFound);
  EXPECT_THAT(store().GetWebSession("hash-live"), IsOk());
  // At most 3 per principal: the oldest go first.
  ASSERT_THAT(store().CreateWebSession(Web("a2", 7000000000000001, 201), 3, At(160)), IsOk());
  ASSERT_THAT(store().CreateWebSession(Web("a3", 7000000000000001, 202), 3, At(160)), IsOk());
  ASSERT_THAT(store().CreateWebSession(Web("a4", 7000000000000001, 203), 3, At(160)), IsOk());
  Result<std::vector<WebSession>> ada = store().ListWebSessions(7000000000000001);
  ASSERT_THAT(ada, IsOk());
  ASSERT_EQ(ada->size(), 3u);
  EXPECT_EQ(ada->front().id, "a2");
  EXPECT_EQ(ada->back().id, "a4");
  EXPECT_THAT(store().GetWebSession("hash-live"), IsOk());  // another principal's: untouched
  // The same token hash twice is refused; deleting the user deletes its sessions.
  WebSession dup = Web("a5", 7000000000000001, 204);
  dup.token_hash = "hash-a4";
  EXPECT_FALSE(store().CreateWebSession(dup, 3, At(160)).has_value());
  ASSERT_THAT(store().DeletePrincipal(7000000000000001), IsOk());
  EXPECT_TRUE(store().ListWebSessions(7000000000000001)->empty());
  // Copy keeps a session as it is.
  WebSession copied = Web("c1", 7000000000000002, 300);
  copied.last_seen_at = At(350);
  ASSERT_THAT(store().CopyWebSession(copied), IsOk());
  EXPECT_EQ(store().GetWebSession("hash-c1")->last_seen_at, At(350));
}

}  // namespace
}  // namespace latchkey::store::testing
