#include "jose/jwk.h"

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "crypto/test_keys.h"

namespace latchkey::jose {
namespace {

using nlohmann::json;

class JwkTest : public ::testing::Test {
 protected:
  crypto::RsaPublicKey key_ = crypto::testing::LoadTestKey("jose_test_key_a.pem").PublicKey();
};

void ExpectInvalid(const Result<crypto::RsaPublicKey>& key) {
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(JwkTest, PublicJwkHasTheRs256SigningMembers) {
  json jwk = RsaPublicJwk(key_, "kid-1");

  EXPECT_EQ(jwk["kty"], "RSA");
  EXPECT_EQ(jwk["use"], "sig");
  EXPECT_EQ(jwk["alg"], "RS256");
  EXPECT_EQ(jwk["kid"], "kid-1");
  EXPECT_EQ(jwk["e"], "AQAB");
  EXPECT_EQ(jwk["n"], Base64UrlEncode(key_.Modulus()));
  EXPECT_FALSE(jwk.contains("x5t"));
}

TEST_F(JwkTest, PublicJwkCarriesX5tWhenGiven) {
  json jwk = RsaPublicJwk(key_, "kid-1", "x5t-value");

  EXPECT_EQ(jwk["x5t"], "x5t-value");
}

TEST_F(JwkTest, PublicJwkRoundTrips) {
  Result<crypto::RsaPublicKey> key = RsaPublicKeyFromJwk(RsaPublicJwk(key_, "kid-1"));

  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(*key, key_);
}

TEST_F(JwkTest, ThumbprintIsStableAndUrlSafe) {
  std::string thumbprint = Rfc7638Thumbprint(key_);

  EXPECT_EQ(thumbprint.size(), 43u);
  EXPECT_EQ(thumbprint.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(thumbprint, Rfc7638Thumbprint(*RsaPublicKeyFromJwk(RsaPublicJwk(key_, "x"))));
}

TEST_F(JwkTest, RejectsNonRsaKeyType) {
  json jwk = RsaPublicJwk(key_, "k");
  jwk["kty"] = "EC";

  ExpectInvalid(RsaPublicKeyFromJwk(jwk));
}

TEST_F(JwkTest, RejectsMissingModulus) {
  json jwk = RsaPublicJwk(key_, "k");
  jwk.erase("n");

  ExpectInvalid(RsaPublicKeyFromJwk(jwk));
}

TEST_F(JwkTest, RejectsMissingExponent) {
  json jwk = RsaPublicJwk(key_, "k");
  jwk.erase("e");

  ExpectInvalid(RsaPublicKeyFromJwk(jwk));
}

TEST_F(JwkTest, RejectsNumericModulus) {
  json jwk = RsaPublicJwk(key_, "k");
  jwk["n"] = 12345;

  ExpectInvalid(RsaPublicKeyFromJwk(jwk));
}

TEST_F(JwkTest, RejectsPaddedBase64) {
  json jwk = RsaPublicJwk(key_, "k");
  jwk["e"] = "AQAB=";

  ExpectInvalid(RsaPublicKeyFromJwk(jwk));
}

TEST_F(JwkTest, RejectsKeysShorterThan2048Bits) {
  json jwk = RsaPublicJwk(key_, "k");
  jwk["n"] = Base64UrlEncode(key_.Modulus().substr(0, 128));  // 1024 bits, odd

  Result<crypto::RsaPublicKey> key = RsaPublicKeyFromJwk(jwk);

  ExpectInvalid(key);
}

TEST_F(JwkTest, RejectsEncryptionKeys) {
  json jwk = RsaPublicJwk(key_, "k");
  jwk["use"] = "enc";

  ExpectInvalid(RsaPublicKeyFromJwk(jwk));
}

TEST_F(JwkTest, RejectsOtherAlgorithms) {
  json jwk = RsaPublicJwk(key_, "k");
  jwk["alg"] = "RS512";

  ExpectInvalid(RsaPublicKeyFromJwk(jwk));
}

TEST_F(JwkTest, RejectsNonObject) {
  ExpectInvalid(RsaPublicKeyFromJwk(json::array()));
}

TEST_F(JwkTest, PrivateJwkRejectsMissingMember) {
  json jwk = RsaPublicJwk(key_, "k");

  Result<crypto::RsaPrivateKey> key = RsaPrivateKeyFromJwk(jwk);

  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(key.error().message.find("\"d\""), std::string::npos);
}

}  // namespace
}  // namespace latchkey::jose
