#include "auth/basic_credentials.h"

#include <gtest/gtest.h>

#include "base/encoding.h"

namespace latchkey::auth {
namespace {

TEST(ParseBasicTest, DecodesTheFormEncodedParts) {
  BasicCredentials c = ParseBasic("Basic " + Base64Encode("my%20app:s%3Acret+x"));
  ASSERT_EQ(c.status, BasicStatus::kOk);
  EXPECT_EQ(c.client_id, "my app");
  EXPECT_EQ(c.secret.reveal(), "s:cret x");
  EXPECT_EQ(ParseBasic("  basic " + Base64Encode("a:b")).status, BasicStatus::kOk);
}

TEST(ParseBasicTest, AnotherSchemeOrNoHeaderIsAbsent) {
  EXPECT_EQ(ParseBasic("").status, BasicStatus::kAbsent);
  EXPECT_EQ(ParseBasic("Bearer abc").status, BasicStatus::kAbsent);
  EXPECT_EQ(ParseBasic("Basic").status, BasicStatus::kAbsent);
}

TEST(ParseBasicTest, BrokenCredentialsAreMalformed) {
  EXPECT_EQ(ParseBasic("Basic !!!").status, BasicStatus::kMalformed);
  EXPECT_EQ(ParseBasic("Basic " + Base64Encode("no-colon")).status, BasicStatus::kMalformed);
  EXPECT_EQ(ParseBasic("Basic " + Base64Encode("a%zz:b")).status, BasicStatus::kMalformed);
  BasicCredentials c = ParseBasic("Basic " + Base64Encode("a%zz:b"));
  EXPECT_TRUE(c.client_id.empty());
  EXPECT_TRUE(c.secret.reveal().empty());
}

}  // namespace
}  // namespace latchkey::auth
