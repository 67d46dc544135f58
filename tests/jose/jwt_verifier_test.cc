#include "jose/jwt_verifier.h"

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "crypto/hash.h"
#include "crypto/test_keys.h"
#include "jose/jwk.h"
#include "jose/jws.h"

namespace latchkey::jose {
namespace {

using nlohmann::json;
using std::chrono::seconds;

constexpr char kIssuer[] = "https://login.latchkey.test/tenant/v2.0";
constexpr char kAudience[] = "api://latchkey";
const TimePoint kStart = FromUnixSeconds(1'750'000'000);

// Builds a compact JWS from arbitrary header and claims, signed by `sign` over the signing
// input: the tool for forging tokens a real issuer would never produce.
template <class SignFn>
std::string Forge(const json& header, const json& claims, SignFn sign) {
  std::string input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  return input + "." + Base64UrlEncode(sign(input));
}

class JwtVerifierTest : public ::testing::Test {
 protected:
  JwtVerifierTest() { keys_.Add(kid_, key_.PublicKey()); }

  json ValidClaims() const {
    const int64_t now = ToUnixSeconds(clock_.Now());
    return {{"iss", kIssuer}, {"aud", kAudience}, {"iat", now}, {"exp", now + 3600}};
  }
  json Header() const { return {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", kid_}}; }
  std::string SignedBy(const crypto::RsaPrivateKey& key, const json& header, const json& claims) {
    return Forge(header, claims, [&](std::string_view input) {
      return key.SignRs256(input).value_or("");
    });
  }
  std::string Token(const json& claims) { return SignedBy(key_, Header(), claims); }
  std::string TokenWithHeader(const json& header) { return SignedBy(key_, header, ValidClaims()); }
  Result<VerifiedJwt> Verify(std::string_view token) {
    return VerifyJwt(token, policy_, keys_, clock_.Now());
  }
  // Asserts a kUnauthenticated rejection by the check named `check`.
  static void ExpectRejected(const Result<VerifiedJwt>& jwt, std::string_view check) {
    ASSERT_FALSE(jwt.has_value());
    EXPECT_EQ(jwt.error().code, ErrorCode::kUnauthenticated);
    EXPECT_NE(jwt.error().message.find(check), std::string::npos) << jwt.error().message;
  }

  crypto::RsaPrivateKey key_ = crypto::testing::LoadTestKey("jose_test_key_a.pem");
  crypto::RsaPrivateKey other_key_ = crypto::testing::LoadTestKey("jose_test_key_b.pem");
  std::string kid_ = Rfc7638Thumbprint(key_.PublicKey());
  StaticKeySource keys_;
  VerifyPolicy policy_{.issuers = {kIssuer}, .audiences = {kAudience}};
  FakeClock clock_{kStart};
};

TEST_F(JwtVerifierTest, AcceptsValidToken) {
  Result<VerifiedJwt> jwt = Verify(Token(ValidClaims()));

  ASSERT_TRUE(jwt.has_value()) << jwt.error().message;
  EXPECT_EQ(jwt->claims["iss"], kIssuer);
  EXPECT_EQ(jwt->header["kid"], kid_);
  EXPECT_EQ(jwt->expires_at, kStart + seconds(3600));
}

// fuzz/jwt_fuzz.cc: an "exp" past the year 2262 overflowed the nanosecond time_point
// (signed overflow, then an expiry in the past or anywhere).
TEST_F(JwtVerifierTest, FarFutureExpSaturatesInsteadOfOverflowing) {
  json claims = ValidClaims();

  for (double exp : {2e10, 9223372036.0, 1e11, 1e300}) {
    claims["exp"] = exp;
    Result<VerifiedJwt> jwt = Verify(Token(claims));

    ASSERT_TRUE(jwt.has_value()) << jwt.error().message;
    EXPECT_EQ(jwt->expires_at, TimePoint::max()) << exp;
  }
}

TEST_F(JwtVerifierTest, AcceptsTokenFromSignJwt) {
  Result<std::string> token = SignJwt(ValidClaims(), key_, kid_);
  ASSERT_TRUE(token.has_value());

  EXPECT_TRUE(Verify(*token).has_value());
}

TEST_F(JwtVerifierTest, AcceptsAudienceArrayContainingOneAcceptedValue) {
  json claims = ValidClaims();
  claims["aud"] = {"other", kAudience};

  EXPECT_TRUE(Verify(Token(claims)).has_value());
}

TEST_F(JwtVerifierTest, AcceptsIssuerByIssuerCheck) {
  policy_.issuers.clear();
  policy_.issuer_check = [](std::string_view iss) { return iss.starts_with("https://login."); };

  EXPECT_TRUE(Verify(Token(ValidClaims())).has_value());
}

TEST_F(JwtVerifierTest, RejectsUnparsableToken) {
  ExpectRejected(Verify("not a token"), "malformed token");
}

TEST_F(JwtVerifierTest, RejectsTruncatedToken) {
  std::string token = Token(ValidClaims());

  ExpectRejected(Verify(token.substr(0, token.size() - 10)), "bad signature");
}

TEST_F(JwtVerifierTest, RejectsTokenCutAtLastDot) {
  std::string token = Token(ValidClaims());

  ExpectRejected(Verify(token.substr(0, token.rfind('.'))), "malformed token");
}

TEST_F(JwtVerifierTest, RejectsFourParts) {
  ExpectRejected(Verify(Token(ValidClaims()) + ".AAAA"), "malformed token");
}

TEST_F(JwtVerifierTest, RejectsOversizeToken) {
  json claims = ValidClaims();
  claims["pad"] = std::string(kMaxJwtSize, 'x');

  ExpectRejected(Verify(Token(claims)), "malformed token");
}

TEST_F(JwtVerifierTest, RejectsAlgNone) {
  json header = {{"alg", "none"}, {"kid", kid_}};

  ExpectRejected(Verify(Forge(header, ValidClaims(), [](std::string_view) { return ""; })),
                 "alg not allowed");
}

TEST_F(JwtVerifierTest, RejectsAlgNoneEvenWhenThePolicyListsIt) {
  policy_.algorithms = {"RS256", "none"};
  json header = {{"alg", "none"}, {"kid", kid_}};

  ExpectRejected(Verify(Forge(header, ValidClaims(), [](std::string_view) { return ""; })),
                 "alg not allowed");
}

TEST_F(JwtVerifierTest, RejectsHs256KeyedWithThePublicKeyPem) {
  policy_.algorithms = {"RS256", "HS256"};
  const std::string public_pem = key_.PublicKey().ToPem();
  json header = {{"alg", "HS256"}, {"kid", kid_}};

  std::string token = Forge(header, ValidClaims(), [&](std::string_view input) {
    return crypto::HmacSha256(public_pem, input);
  });

  ExpectRejected(Verify(token), "alg not allowed");
}

TEST_F(JwtVerifierTest, RejectsRs512WhenNotListed) {
  json header = Header();
  header["alg"] = "RS512";

  ExpectRejected(Verify(TokenWithHeader(header)), "alg not allowed");
}

TEST_F(JwtVerifierTest, RejectsRs256WhenThePolicyDoesNotListIt) {
  policy_.algorithms = {"RS512"};

  ExpectRejected(Verify(Token(ValidClaims())), "alg not allowed");
}

TEST_F(JwtVerifierTest, RejectsCritHeader) {
  json header = Header();
  header["crit"] = {"exp"};

  ExpectRejected(Verify(TokenWithHeader(header)), "crit");
}

TEST_F(JwtVerifierTest, RejectsEmbeddedJwk) {
  // The classic attack: sign with your own key and ship its public half in the header.
  json header = Header();
  header["kid"] = "attacker";
  header["jwk"] = RsaPublicJwk(other_key_.PublicKey(), "attacker");

  ExpectRejected(Verify(SignedBy(other_key_, header, ValidClaims())), "embedded key");
}

TEST_F(JwtVerifierTest, RejectsJku) {
  json header = Header();
  header["jku"] = "https://attacker.example/jwks.json";

  ExpectRejected(Verify(TokenWithHeader(header)), "embedded key");
}

TEST_F(JwtVerifierTest, RejectsX5u) {
  json header = Header();
  header["x5u"] = "https://attacker.example/cert.pem";

  ExpectRejected(Verify(TokenWithHeader(header)), "embedded key");
}

TEST_F(JwtVerifierTest, RejectsMissingKid) {
  json header = Header();
  header.erase("kid");

  ExpectRejected(Verify(TokenWithHeader(header)), "kid missing");
}

TEST_F(JwtVerifierTest, RejectsNonStringKid) {
  json header = Header();
  header["kid"] = 7;

  ExpectRejected(Verify(TokenWithHeader(header)), "kid not a string");
}

TEST_F(JwtVerifierTest, RejectsUnknownKid) {
  json header = Header();
  header["kid"] = Rfc7638Thumbprint(other_key_.PublicKey());

  ExpectRejected(Verify(SignedBy(other_key_, header, ValidClaims())), "unknown kid");
}

TEST_F(JwtVerifierTest, RejectsSignatureByAnotherKeyUnderOurKid) {
  ExpectRejected(Verify(SignedBy(other_key_, Header(), ValidClaims())), "bad signature");
}

TEST_F(JwtVerifierTest, RejectsTamperedPayload) {
  std::string token = Token(ValidClaims());
  json forged = ValidClaims();
  forged["sub"] = "admin";
  const size_t first = token.find('.');
  const size_t second = token.find('.', first + 1);

  token.replace(first + 1, second - first - 1, Base64UrlEncode(forged.dump()));

  ExpectRejected(Verify(token), "bad signature");
}

TEST_F(JwtVerifierTest, RejectsMissingRequiredClaim) {
  json claims = ValidClaims();
  claims.erase("iat");

  ExpectRejected(Verify(Token(claims)), "required claim missing: iat");
}

TEST_F(JwtVerifierTest, RejectsExpThatIsNotANumber) {
  json claims = ValidClaims();
  claims["exp"] = std::to_string(ToUnixSeconds(kStart) + 3600);

  ExpectRejected(Verify(Token(claims)), "exp is not a number");
}

TEST_F(JwtVerifierTest, RejectsNbfThatIsNotANumber) {
  json claims = ValidClaims();
  claims["nbf"] = true;

  ExpectRejected(Verify(Token(claims)), "nbf is not a number");
}

TEST_F(JwtVerifierTest, RejectsIatThatIsNotANumber) {
  json claims = ValidClaims();
  claims["iat"] = nullptr;

  ExpectRejected(Verify(Token(claims)), "iat is not a number");
}

TEST_F(JwtVerifierTest, AcceptsExpiredTokenWithinSkew) {
  std::string token = Token(ValidClaims());

  clock_.Advance(seconds(3600 + 59));

  EXPECT_TRUE(Verify(token).has_value());
}

TEST_F(JwtVerifierTest, RejectsExpiredToken) {
  std::string token = Token(ValidClaims());

  clock_.Advance(seconds(3600 + 60));

  ExpectRejected(Verify(token), "expired");
}

TEST_F(JwtVerifierTest, SkewIsClampedTo300Seconds) {
  policy_.skew = std::chrono::hours(24);
  std::string token = Token(ValidClaims());

  clock_.Advance(seconds(3600 + 300));

  ExpectRejected(Verify(token), "expired");
}

TEST_F(JwtVerifierTest, RejectsTokenNotYetValid) {
  json claims = ValidClaims();
  claims["nbf"] = ToUnixSeconds(kStart) + 61;

  ExpectRejected(Verify(Token(claims)), "not yet valid");
}

TEST_F(JwtVerifierTest, RejectsTokenIssuedInTheFuture) {
  json claims = ValidClaims();
  claims["iat"] = ToUnixSeconds(kStart) + 61;

  ExpectRejected(Verify(Token(claims)), "issued in the future");
}

TEST_F(JwtVerifierTest, RejectsWrongIssuer) {
  json claims = ValidClaims();
  claims["iss"] = "https://evil.example/";

  ExpectRejected(Verify(Token(claims)), "issuer not accepted");
}

TEST_F(JwtVerifierTest, RejectsEverythingWithoutAnIssuerPolicy) {
  policy_.issuers.clear();

  ExpectRejected(Verify(Token(ValidClaims())), "issuer not accepted");
}

TEST_F(JwtVerifierTest, RejectsWrongAudience) {
  json claims = ValidClaims();
  claims["aud"] = "api://other";

  ExpectRejected(Verify(Token(claims)), "audience not accepted");
}

TEST_F(JwtVerifierTest, RejectsAudienceArrayWithoutAnAcceptedValue) {
  json claims = ValidClaims();
  claims["aud"] = {"api://other", "api://third"};

  ExpectRejected(Verify(Token(claims)), "audience not accepted");
}

TEST_F(JwtVerifierTest, RejectsEverythingWithAnEmptyAudiencePolicy) {
  policy_.audiences.clear();

  ExpectRejected(Verify(Token(ValidClaims())), "audience not accepted");
}

TEST_F(JwtVerifierTest, ErrorMessageNeverContainsTheToken) {
  json claims = ValidClaims();
  claims["aud"] = "api://other";
  std::string token = Token(claims);

  Result<VerifiedJwt> jwt = Verify(token);

  ASSERT_FALSE(jwt.has_value());
  EXPECT_EQ(jwt.error().message.find(token.substr(0, 20)), std::string::npos);
  EXPECT_EQ(jwt.error().message.find("api://other"), std::string::npos);
}

TEST_F(JwtVerifierTest, TokenWithoutKidUsesTheDefaultKeyWhenKidIsOptional) {
  policy_.require_kid = false;
  keys_.Add("", key_.PublicKey());
  json header = Header();
  header.erase("kid");

  EXPECT_TRUE(Verify(TokenWithHeader(header)).has_value());
}

}  // namespace
}  // namespace latchkey::jose
