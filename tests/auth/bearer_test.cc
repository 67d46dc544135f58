#include "auth/bearer.h"

#include <gtest/gtest.h>

namespace latchkey::auth {
namespace {

TEST(ParseBearerTest, TakesTheTokenAfterTheScheme) {
  Bearer b = ParseBearer("Bearer dapi123");
  EXPECT_EQ(b.status, BearerStatus::kOk);
  EXPECT_EQ(b.token, "dapi123");
}

TEST(ParseBearerTest, SchemeIsCaseInsensitiveAndBlanksAreIgnored) {
  Bearer b = ParseBearer("  bEaReR \t a.b.c  ");
  EXPECT_EQ(b.status, BearerStatus::kOk);
  EXPECT_EQ(b.token, "a.b.c");
}

TEST(ParseBearerTest, TellsMissingOtherSchemesAndEmptyTokensApart) {
  EXPECT_EQ(ParseBearer("").status, BearerStatus::kMissing);
  EXPECT_EQ(ParseBearer("   ").status, BearerStatus::kMissing);
  EXPECT_EQ(ParseBearer("Basic YTpi").status, BearerStatus::kNotBearer);
  EXPECT_EQ(ParseBearer("Bearerx token").status, BearerStatus::kNotBearer);
  EXPECT_EQ(ParseBearer("Bearer").status, BearerStatus::kEmpty);
  EXPECT_EQ(ParseBearer("Bearer    ").status, BearerStatus::kEmpty);
  EXPECT_TRUE(ParseBearer("Basic YTpi").token.empty());
}

}  // namespace
}  // namespace latchkey::auth
