#include "jose/jws.h"

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "crypto/test_keys.h"

namespace latchkey::jose {
namespace {

using nlohmann::json;

class JwsTest : public ::testing::Test {
 protected:
  Result<std::string> Sign(const json& claims, const json& extra = json::object()) {
    return SignJwt(claims, key_, "kid-a", extra);
  }
  static void ExpectInvalid(const Result<ParsedJwt>& jwt) {
    ASSERT_FALSE(jwt.has_value());
    EXPECT_EQ(jwt.error().code, ErrorCode::kInvalidArgument);
  }

  crypto::RsaPrivateKey key_ = crypto::testing::LoadTestKey("jose_test_key_a.pem");
};

TEST_F(JwsTest, SignedTokenParsesBackWithHeaderAndClaims) {
  Result<std::string> token = Sign({{"sub", "client-1"}, {"n", 3}});
  ASSERT_TRUE(token.has_value());

  Result<ParsedJwt> jwt = ParseJwt(*token);

  ASSERT_TRUE(jwt.has_value());
  EXPECT_EQ(jwt->header, json({{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "kid-a"}}));
  EXPECT_EQ(jwt->claims, json({{"sub", "client-1"}, {"n", 3}}));
  EXPECT_TRUE(key_.PublicKey().VerifyRs256(jwt->signing_input, jwt->signature));
}

TEST_F(JwsTest, ExtraHeaderIsMerged) {
  Result<std::string> token = Sign(json::object(), {{"x5t", "abc"}, {"typ", "at+jwt"}});
  ASSERT_TRUE(token.has_value());

  Result<ParsedJwt> jwt = ParseJwt(*token);

  ASSERT_TRUE(jwt.has_value());
  EXPECT_EQ(jwt->header["x5t"], "abc");
  EXPECT_EQ(jwt->header["typ"], "at+jwt");
  EXPECT_EQ(jwt->header["alg"], "RS256");
}

TEST_F(JwsTest, SignRefusesAlgInExtraHeader) {
  Result<std::string> token = Sign(json::object(), {{"alg", "none"}});

  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(JwsTest, SignRefusesNonObjectClaims) {
  Result<std::string> token = Sign(json::array({1, 2}));

  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(JwsTest, SignRefusesInvalidUtf8WithoutThrowing) {
  Result<std::string> token = Sign({{"sub", std::string("\xff\xfe")}});

  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(JwsTest, ParseRejectsFourParts) {
  Result<std::string> token = Sign({{"sub", "x"}});
  ASSERT_TRUE(token.has_value());

  ExpectInvalid(ParseJwt(*token + ".AAAA"));
}

TEST_F(JwsTest, ParseRejectsTwoParts) {
  Result<std::string> token = Sign({{"sub", "x"}});
  ASSERT_TRUE(token.has_value());

  ExpectInvalid(ParseJwt(token->substr(0, token->rfind('.'))));
}

TEST_F(JwsTest, ParseRejectsOversizeToken) {
  Result<std::string> token = Sign({{"pad", std::string(kMaxJwtSize, 'x')}});
  ASSERT_TRUE(token.has_value());

  ExpectInvalid(ParseJwt(*token));
}

TEST_F(JwsTest, ParseRejectsPaddedBase64) {
  ExpectInvalid(ParseJwt(Base64UrlEncode(R"({"alg":"RS256"})") + "=.e30.AAAA"));
}

TEST_F(JwsTest, ParseRejectsNonObjectHeader) {
  ExpectInvalid(ParseJwt(Base64UrlEncode("[1]") + ".e30.AAAA"));
}

TEST_F(JwsTest, ParseRejectsMalformedJsonPayload) {
  ExpectInvalid(ParseJwt(Base64UrlEncode(R"({"alg":"RS256"})") + "." +
                         Base64UrlEncode(R"({"a":)") + ".AAAA"));
}

TEST_F(JwsTest, ParseRejectsEmptyHeader) {
  ExpectInvalid(ParseJwt(".e30.AAAA"));
}

TEST_F(JwsTest, ParseAcceptsEmptySignatureForTheVerifierToJudge) {
  Result<ParsedJwt> jwt = ParseJwt(Base64UrlEncode(R"({"alg":"none"})") + ".e30.");

  ASSERT_TRUE(jwt.has_value());
  EXPECT_TRUE(jwt->signature.empty());
}

TEST_F(JwsTest, ParseErrorNeverQuotesTheToken) {
  std::string token = Base64UrlEncode(R"({"alg":"RS256","secret":"s3cr3t"})") + ".e30!.AAAA";

  Result<ParsedJwt> jwt = ParseJwt(token);

  ASSERT_FALSE(jwt.has_value());
  EXPECT_EQ(jwt.error().message.find("e30"), std::string::npos);
  EXPECT_EQ(jwt.error().message.find("eyJ"), std::string::npos);
}

}  // namespace
}  // namespace latchkey::jose
