#include "crypto/x509.h"

#include <gtest/gtest.h>

#include <memory>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "crypto/hash.h"
#include "crypto/test_keys.h"

namespace latchkey::crypto {
namespace {

using std::chrono::days;

const TimePoint kNow = FromUnixSeconds(1'750'000'000);  // 2025-06-15

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};

std::unique_ptr<X509, X509Free> ReadCert(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), -1), BIO_free);
  return std::unique_ptr<X509, X509Free>(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// Verifies `leaf` against the single trust anchor `ca` at `at` for TLS server use, with an
// optional host name or IP check. Returns the X509_V_* result.
int VerifyChain(const std::string& ca_pem, const std::string& leaf_pem, TimePoint at,
                const char* host, const char* ip) {
  auto ca = ReadCert(ca_pem);
  auto leaf = ReadCert(leaf_pem);
  std::unique_ptr<X509_STORE, X509Free> store(X509_STORE_new());
  std::unique_ptr<X509_STORE_CTX, X509Free> ctx(X509_STORE_CTX_new());
  EXPECT_EQ(X509_STORE_add_cert(store.get(), ca.get()), 1);
  EXPECT_EQ(X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr), 1);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(ToUnixSeconds(at)));
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  if (host != nullptr) X509_VERIFY_PARAM_set1_host(param, host, 0);
  if (ip != nullptr) X509_VERIFY_PARAM_set1_ip_asc(param, ip);
  X509_verify_cert(ctx.get());
  return X509_STORE_CTX_get_error(ctx.get());
}

// Key generation is slow, so the CA and leaf are made once per process, on first use.
class X509Test : public ::testing::Test {
 protected:
  static const CertificateAndKey& Ca() {
    static const CertificateAndKey ca = [] {
      FakeRandom random(11);
      Result<CertificateAndKey> made =
          CreateCaCertificate("latchkey test CA", days(365), random, kNow);
      LATCHKEY_CHECK(made.has_value());
      return std::move(*made);
    }();
    return ca;
  }
  static const CertificateAndKey& Leaf() {
    static const CertificateAndKey leaf = [] {
      FakeRandom random(12);
      Result<CertificateAndKey> made = IssueServerCertificate(
          Ca(), {"localhost"}, {"127.0.0.1", "::1"}, days(30), random, kNow);
      LATCHKEY_CHECK(made.has_value());
      return std::move(*made);
    }();
    return leaf;
  }

  FakeRandom random_{5};
};

TEST_F(X509Test, LeafChainsToCaForLocalhost) {
  EXPECT_EQ(VerifyChain(Ca().cert_pem, Leaf().cert_pem, kNow, "localhost", nullptr), X509_V_OK);
}

TEST_F(X509Test, LeafChainsToCaForLoopbackIps) {
  EXPECT_EQ(VerifyChain(Ca().cert_pem, Leaf().cert_pem, kNow, nullptr, "127.0.0.1"), X509_V_OK);
  EXPECT_EQ(VerifyChain(Ca().cert_pem, Leaf().cert_pem, kNow, nullptr, "::1"), X509_V_OK);
}

TEST_F(X509Test, LeafDoesNotMatchOtherHost) {
  EXPECT_EQ(VerifyChain(Ca().cert_pem, Leaf().cert_pem, kNow, "example.com", nullptr),
            X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST_F(X509Test, LeafIsExpiredAfterItsValidity) {
  EXPECT_EQ(VerifyChain(Ca().cert_pem, Leaf().cert_pem, kNow + days(31), "localhost", nullptr),
            X509_V_ERR_CERT_HAS_EXPIRED);
}

TEST_F(X509Test, CaIsACaAndLeafIsNot) {
  auto ca = ReadCert(Ca().cert_pem);
  auto leaf = ReadCert(Leaf().cert_pem);

  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_EQ(X509_check_ca(leaf.get()), 0);
  EXPECT_NE(X509_get_extension_flags(leaf.get()) & EXFLAG_XKUSAGE, 0u);
  EXPECT_NE(X509_get_extended_key_usage(leaf.get()) & XKU_SSL_SERVER, 0u);
}

TEST_F(X509Test, LeafCannotSignOtherCertificates) {
  CertificateAndKey fake_ca{Leaf().cert_pem, Leaf().key_pem};

  Result<CertificateAndKey> cert =
      IssueServerCertificate(fake_ca, {"evil.example"}, {}, days(1), random_, kNow);

  ASSERT_FALSE(cert.has_value());
  EXPECT_EQ(cert.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(X509Test, ParseCertificatePemRoundTrips) {
  Result<Certificate> cert = ParseCertificatePem(Leaf().cert_pem);
  Result<RsaPrivateKey> key = RsaPrivateKey::FromPem(Leaf().key_pem.reveal());

  ASSERT_TRUE(cert.has_value());
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(cert->public_key, key->PublicKey());
  EXPECT_EQ(cert->sha1_thumbprint, Sha1(cert->der));
  EXPECT_EQ(cert->sha1_thumbprint.size(), 20u);
  EXPECT_EQ(cert->sha256_thumbprint, Sha256(cert->der));
  EXPECT_EQ(cert->not_before, kNow - std::chrono::minutes(5));
  EXPECT_EQ(cert->not_after, kNow + days(30));
}

TEST_F(X509Test, ParseCertificatePemRejectsNonRsaKey) {
  Result<Certificate> cert = ParseCertificatePem(testing::ReadTestData("ec_test_cert.pem"));

  ASSERT_FALSE(cert.has_value());
  EXPECT_EQ(cert.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(X509Test, ParseCertificatePemRejectsGarbage) {
  Result<Certificate> cert = ParseCertificatePem("-----BEGIN CERTIFICATE-----\nAA==\n");

  ASSERT_FALSE(cert.has_value());
  EXPECT_EQ(cert.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(X509Test, IssueRejectsMalformedDnsName) {
  Result<CertificateAndKey> cert =
      IssueServerCertificate(Ca(), {"bad name,DNS:evil"}, {}, days(1), random_, kNow);

  ASSERT_FALSE(cert.has_value());
  EXPECT_EQ(cert.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(X509Test, IssueRejectsMalformedIpAddress) {
  Result<CertificateAndKey> cert =
      IssueServerCertificate(Ca(), {}, {"127.0.0.300"}, days(1), random_, kNow);

  ASSERT_FALSE(cert.has_value());
  EXPECT_EQ(cert.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(X509Test, IssueRejectsNoNames) {
  Result<CertificateAndKey> cert = IssueServerCertificate(Ca(), {}, {}, days(1), random_, kNow);

  ASSERT_FALSE(cert.has_value());
  EXPECT_EQ(cert.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(X509Test, CreateCaRejectsEmptyName) {
  Result<CertificateAndKey> ca = CreateCaCertificate("", days(1), random_, kNow);

  ASSERT_FALSE(ca.has_value());
  EXPECT_EQ(ca.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace latchkey::crypto
