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

}  // namespace
}  // namespace latchkey::store::testing
