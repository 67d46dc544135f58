// Client assertions (RFC 7523 private_key_jwt) at the real token endpoint, through the real
// store and crypto: the accepted case, each rejection (wrong audience, expired, x5t of another
// certificate, replayed jti, weak certificate) with Entra's error, and replay across replicas.
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "base/encoding.h"
#include "crypto/x509.h"
#include "idp/client_auth.h"
#include "idp_test_support.h"
#include "jose/jws.h"

namespace latchkey::idp::testing {
namespace {

constexpr char kAssertionType[] =
    "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer";

// RS256 over `signing_input` with a PEM key through OpenSSL directly: crypto::RsaPrivateKey
// (rightly) refuses keys under 2048 bits, and the weak-key test needs one.
std::string SignWithPem(const std::string& key_pem, const std::string& signing_input) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(key_pem.data(), key_pem.size()),
                                                &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  EXPECT_NE(pkey, nullptr);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EXPECT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()), 1);
  size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(signing_input.data());
  EXPECT_EQ(EVP_DigestSign(ctx.get(), nullptr, &len, in, signing_input.size()), 1);
  std::string sig(len, '\0');
  EXPECT_EQ(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                           signing_input.size()),
            1);
  sig.resize(len);
  return sig;
}

// The DER of a PEM certificate (base64 of its body), as Graph's keyCredentials.key takes it.
std::string DerBase64(const std::string& pem) {
  Result<crypto::Certificate> cert = crypto::ParseCertificatePem(pem);
  if (cert) return Base64Encode(cert->der);
  // Not parseable by latchkey (a weak key, say): strip the armour by hand.
  std::string body;
  std::istringstream in(pem);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("-----")) body += line;
  }
  return body;
}

std::string Sha1X5t(const std::string& pem) {
  std::string der = *Base64Decode(DerBase64(pem));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(der.data(), der.size(), md, &len, EVP_sha1(), nullptr), 1);
  return Base64UrlEncode(std::string(reinterpret_cast<char*>(md), len));
}

class ClientAssertionTest : public IdpTest {
 protected:
  void SetUp() override {
    IdpTest::SetUp();
    app_ = CreateApp("cert-client");
    client_id_ = app_["appId"];
    Result<crypto::CertificateAndKey> cert =
        crypto::CreateCaCertificate("cert-client", std::chrono::days(30), random_, clock_.Now());
    ASSERT_TRUE(cert.has_value()) << cert.error().message;
    cert_pem_ = cert->cert_pem;
    Result<crypto::RsaPrivateKey> key = crypto::RsaPrivateKey::FromPem(cert->key_pem.reveal());
    ASSERT_TRUE(key.has_value());
    key_ = std::make_unique<crypto::RsaPrivateKey>(*key);
    http::Response patched = Graph("PATCH", "/v1.0/applications/" + app_["id"].get<std::string>(),
                                   {{"keyCredentials",
                                     {{{"type", "AsymmetricX509Cert"},
                                       {"usage", "Verify"},
                                       {"key", DerBase64(cert_pem_)}}}}});
    ASSERT_EQ(patched.status, 204) << patched.body;
  }

  json Claims(const std::string& jti) {
    const int64_t now = ToUnixSeconds(clock_.Now());
    return {{"iss", client_id_},
            {"sub", client_id_},
            {"aud", std::string(kBase) + "/" + tenant_ + "/oauth2/v2.0/token"},
            {"jti", jti},
            {"nbf", now},
            {"exp", now + 600}};
  }
  std::string Sign(const json& claims, const std::string& x5t) {
    Result<std::string> jwt = jose::SignJwt(claims, *key_, "", {{"x5t", x5t}});
    EXPECT_TRUE(jwt.has_value());
    return *jwt;
  }
  http::Response Present(const std::string& assertion) {
    return Token("grant_type=client_credentials&client_id=" + client_id_ +
                 "&scope=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d%2F.default"
                 "&client_assertion_type=" +
                 kAssertionType + "&client_assertion=" + assertion);
  }
  static void ExpectEntraError(const http::Response& r, int status, const std::string& error,
                               int aadsts, const std::string& says) {
    EXPECT_EQ(r.status, status) << r.body;
    json b = Body(r);
    EXPECT_EQ(b.value("error", ""), error) << r.body;
    EXPECT_EQ(b["error_codes"], json::array({aadsts})) << r.body;
    EXPECT_THAT(b.value("error_description", ""),
                ::testing::StartsWith("AADSTS" + std::to_string(aadsts) + ": "));
    EXPECT_THAT(b.value("error_description", ""), ::testing::HasSubstr(says));
  }

  json app_;
  std::string client_id_;
  std::string cert_pem_;
  std::unique_ptr<crypto::RsaPrivateKey> key_;
};

TEST_F(ClientAssertionTest, AValidAssertionGetsATokenOnce) {
  const std::string assertion = Sign(Claims("jti-1"), Sha1X5t(cert_pem_));
  http::Response first = Present(assertion);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_FALSE(Body(first).value("access_token", "").empty());

  ExpectEntraError(Present(assertion), 401, "invalid_client", 50013, "jti has already been used");
  // A fresh assertion (new jti) from the same client still works.
  EXPECT_EQ(Present(Sign(Claims("jti-2"), Sha1X5t(cert_pem_))).status, 200);
}

TEST_F(ClientAssertionTest, AReplayIsRefusedByAnotherReplicaOnTheSameStore) {
  // A second identity provider over the same store stands for a second replica.
  http::Router other_router;
  IdpOptions options;
  options.is_own_authority = [](std::string_view authority) { return authority == kHost; };
  IdentityProvider other(*store_, *signing_keys_, clock_, random_, options);
  other.RegisterRoutes(other_router);

  const std::string assertion = Sign(Claims("jti-shared"), Sha1X5t(cert_pem_));
  ASSERT_EQ(Present(assertion).status, 200);
  http::Request request;
  request.method = "POST";
  request.target = "/" + tenant_ + "/oauth2/v2.0/token";
  http::SplitTarget(request.target, request.path, request.query);
  request.headers.emplace_back("Host", kHost);
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.body = "grant_type=client_credentials&client_id=" + client_id_ +
                 "&scope=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d%2F.default&client_assertion_type=" +
                 kAssertionType + "&client_assertion=" + assertion;
  request.remote_address = "10.0.0.2";
  request.tls = true;
  request.local_port = 8443;
  ExpectEntraError(other_router.Dispatch(request), 401, "invalid_client", 50013,
                   "jti has already been used");
}

TEST_F(ClientAssertionTest, TheJtiIsForgottenOnlyAfterTheAssertionCouldNoLongerBeUsed) {
  const std::string assertion = Sign(Claims("jti-late"), Sha1X5t(cert_pem_));
  ASSERT_EQ(Present(assertion).status, 200);
  // Within the skew after exp the assertion would still pass the time checks: still a replay.
  clock_.Advance(std::chrono::seconds(600 + kAssertionSkewSeconds - 1));
  ExpectEntraError(Present(assertion), 401, "invalid_client", 50013, "already been used");
  // After that it is expired whatever the replay record says.
  clock_.Advance(std::chrono::seconds(2));
  ExpectEntraError(Present(assertion), 401, "invalid_client", 700024, "expired");
}

TEST_F(ClientAssertionTest, AnAssertionWithoutJtiIsRefused) {
  json claims = Claims("x");
  claims.erase("jti");
  ExpectEntraError(Present(Sign(claims, Sha1X5t(cert_pem_))), 401, "invalid_client", 700027,
                   "jti");
}

TEST_F(ClientAssertionTest, AWrongAudienceIsRefused) {
  json claims = Claims("jti-aud");
  claims["aud"] = "https://login.microsoftonline.com/" + tenant_ + "/oauth2/v2.0/token";
  ExpectEntraError(Present(Sign(claims, Sha1X5t(cert_pem_))), 401, "invalid_client", 700027,
                   "aud is not this token endpoint");
  // Another tenant's endpoint on this server is no better.
  claims["aud"] = std::string(kBase) + "/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token";
  ExpectEntraError(Present(Sign(claims, Sha1X5t(cert_pem_))), 401, "invalid_client", 700027,
                   "aud is not this token endpoint");
}

TEST_F(ClientAssertionTest, AnExpiredOrOverlongAssertionIsRefused) {
  json claims = Claims("jti-exp");
  const int64_t now = ToUnixSeconds(clock_.Now());
  claims["nbf"] = now - 3600;
  claims["exp"] = now - kAssertionSkewSeconds - 1;
  ExpectEntraError(Present(Sign(claims, Sha1X5t(cert_pem_))), 401, "invalid_client", 700024,
                   "expired");
  claims["jti"] = "jti-long";
  claims["nbf"] = now;
  claims["exp"] = now + 86400 + 60;
  ExpectEntraError(Present(Sign(claims, Sha1X5t(cert_pem_))), 401, "invalid_client", 700027,
                   "longer than one day");
  claims["jti"] = "jti-future";
  claims["nbf"] = now + 3600;
  claims["exp"] = now + 7200;
  ExpectEntraError(Present(Sign(claims, Sha1X5t(cert_pem_))), 401, "invalid_client", 700024,
                   "not valid yet");
}

TEST_F(ClientAssertionTest, AnX5tOfAnotherCertificateIsRefused) {
  Result<crypto::CertificateAndKey> other =
      crypto::CreateCaCertificate("other", std::chrono::days(30), random_, clock_.Now());
  ASSERT_TRUE(other.has_value());
  // Signed by the registered key, but naming a certificate the app does not have.
  ExpectEntraError(Present(Sign(Claims("jti-x5t"), Sha1X5t(other->cert_pem))), 401,
                   "invalid_client", 700027, "no certificate with the x5t thumbprint");
  // And an x5t that is no SHA-1 thumbprint at all.
  ExpectEntraError(Present(Sign(Claims("jti-x5t2"), "AAAA")), 401, "invalid_client", 700027,
                   "not a SHA-1 thumbprint");
  // The refused assertions burned nothing: the jti is still usable.
  EXPECT_EQ(Present(Sign(Claims("jti-x5t"), Sha1X5t(cert_pem_))).status, 200);
}

TEST_F(ClientAssertionTest, AWeakCertificateCannotBeRegistered) {
  const std::string weak_pem = ReadTestData("weak_rsa512_cert.pem");
  ASSERT_FALSE(weak_pem.empty());
  json other = CreateApp("weak-client");
  http::Response r = Graph("PATCH", "/v1.0/applications/" + other["id"].get<std::string>(),
                           {{"keyCredentials",
                             {{{"type", "AsymmetricX509Cert"},
                               {"usage", "Verify"},
                               {"key", DerBase64(weak_pem)}}}}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Body(r)["error"].value("code", ""), "Request_BadRequest");
  EXPECT_THAT(Body(r)["error"].value("message", ""), ::testing::HasSubstr("512 bits"));
  http::Response got = Graph("GET", "/v1.0/applications/" + other["id"].get<std::string>());
  EXPECT_EQ(Body(got)["keyCredentials"], json::array());
}

TEST_F(ClientAssertionTest, AWeakCertificateStoredBeforeTheRuleNeverVerifies) {
  const std::string weak_pem = ReadTestData("weak_rsa512_cert.pem");
  const std::string weak_key = ReadTestData("weak_rsa512_key.pem");
  json other = CreateApp("legacy-weak");
  // As an older latchkey would have stored it.
  ASSERT_TRUE(store_->AddCertificateCredential(
      {"11111111-2222-3333-4444-555555555555", other["id"], "legacy", weak_pem,
       "", clock_.Now() - std::chrono::hours(1), clock_.Now() + std::chrono::days(365)}));
  const std::string other_id = other["appId"];
  json claims = Claims("jti-weak");
  claims["iss"] = claims["sub"] = other_id;
  const std::string header = Base64UrlEncode(R"({"alg":"RS256","typ":"JWT"})");
  const std::string input = header + "." + Base64UrlEncode(claims.dump());
  const std::string assertion = input + "." + Base64UrlEncode(SignWithPem(weak_key, input));
  http::Response r = Token("grant_type=client_credentials&client_id=" + other_id +
                           "&scope=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d%2F.default"
                           "&client_assertion_type=" +
                           kAssertionType + "&client_assertion=" + assertion);
  ExpectEntraError(r, 401, "invalid_client", 700027, "shorter than RSA 2048 bits");
}

}  // namespace
}  // namespace latchkey::idp::testing
