// Known-answer tests from the JOSE RFCs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/jwt_verifier.h"

namespace latchkey::jose {
namespace {

using nlohmann::json;

// RFC 7515 Appendix A.2.1: the RSA key (JWK) of the RS256 example.
const json kRfc7515A2Jwk = {
    {"kty", "RSA"},
    {"n",
     "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4"
     "QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexM"
     "dbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFv"
     "UK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"},
    {"e", "AQAB"},
    {"d",
     "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoA"
     "Je46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gf"
     "pRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccP"
     "DVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ"},
    {"p",
     "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJd"
     "TJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc"},
    {"q",
     "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_"
     "YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc"},
    {"dp",
     "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6H"
     "sJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0"},
    {"dq",
     "h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF"
     "-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU"},
    {"qi",
     "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIB"
     "i87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U"}};

// RFC 7515 A.2.1: header {"alg":"RS256"}, payload {"iss":"joe",\r\n "exp":1300819380,\r\n
// "http://example.com/is_root":true}.
constexpr char kRfc7515A2SigningInput[] =
    "eyJhbGciOiJSUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
constexpr char kRfc7515A2Signature[] =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5j"
    "ujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L"
    "07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEU"
    "ipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

TEST(RfcVectorsTest, Rfc7515A2SigningReproducesTheRfcSignature) {
  Result<crypto::RsaPrivateKey> key = RsaPrivateKeyFromJwk(kRfc7515A2Jwk);
  ASSERT_TRUE(key.has_value()) << key.error().message;

  Result<std::string> signature = key->SignRs256(kRfc7515A2SigningInput);

  ASSERT_TRUE(signature.has_value());
  EXPECT_EQ(Base64UrlEncode(*signature), kRfc7515A2Signature);
}

TEST(RfcVectorsTest, Rfc7515A2SignatureVerifiesWithThePublicJwk) {
  Result<crypto::RsaPublicKey> key = RsaPublicKeyFromJwk({{"kty", "RSA"},
                                                          {"n", kRfc7515A2Jwk["n"]},
                                                          {"e", kRfc7515A2Jwk["e"]}});
  ASSERT_TRUE(key.has_value());

  bool valid = key->VerifyRs256(kRfc7515A2SigningInput,
                                Base64UrlDecode(kRfc7515A2Signature).value_or(""));

  EXPECT_TRUE(valid);
}

TEST(RfcVectorsTest, Rfc7515A2TokenParses) {
  Result<ParsedJwt> jwt =
      ParseJwt(std::string(kRfc7515A2SigningInput) + "." + kRfc7515A2Signature);

  ASSERT_TRUE(jwt.has_value());
  EXPECT_EQ(jwt->header, json({{"alg", "RS256"}}));
  EXPECT_EQ(jwt->claims["iss"], "joe");
  EXPECT_EQ(jwt->claims["exp"], 1300819380);
}

TEST(RfcVectorsTest, Rfc7515A2PrivateJwkWithSwappedPrimesIsRejected) {
  json jwk = kRfc7515A2Jwk;
  std::swap(jwk["p"], jwk["q"]);

  Result<crypto::RsaPrivateKey> key = RsaPrivateKeyFromJwk(jwk);

  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().code, ErrorCode::kInvalidArgument);
}

TEST(RfcVectorsTest, Rfc7638Section3_1ThumbprintMatches) {
  Result<crypto::RsaPublicKey> key = RsaPublicKeyFromJwk(
      {{"kty", "RSA"},
       {"n",
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
        "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2Qvz"
        "qY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6W"
        "eZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
       {"e", "AQAB"},
       {"alg", "RS256"},
       {"kid", "2011-04-29"}});
  ASSERT_TRUE(key.has_value());

  EXPECT_EQ(Rfc7638Thumbprint(*key), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST(RfcVectorsTest, Rfc7519Section3_1Hs256TokenIsRejected) {
  // RFC 7519 §3.1: {"typ":"JWT",\r\n "alg":"HS256"}, claims as in RFC 7515 A.2.
  constexpr char kToken[] =
      "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
      ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
      ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  StaticKeySource keys;
  keys.Add("", *RsaPublicKeyFromJwk(
                   {{"kty", "RSA"}, {"n", kRfc7515A2Jwk["n"]}, {"e", kRfc7515A2Jwk["e"]}}));
  VerifyPolicy policy{.algorithms = {"RS256", "HS256"},
                      .issuers = {"joe"},
                      .audiences = {"any"},
                      .required_claims = {},
                      .require_kid = false};

  Result<VerifiedJwt> jwt = VerifyJwt(kToken, policy, keys, FromUnixSeconds(1300819000));

  ASSERT_FALSE(jwt.has_value());
  EXPECT_EQ(jwt.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(jwt.error().message.find("alg not allowed"), std::string::npos);
}

}  // namespace
}  // namespace latchkey::jose
