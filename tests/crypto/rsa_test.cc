#include "crypto/rsa.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "crypto/test_keys.h"

namespace latchkey::crypto {
namespace {

using testing::LoadTestKey;
using testing::ReadTestData;

TEST(RsaTest, LoadsPkcs8TestKey) {
  RsaPrivateKey key = LoadTestKey("jose_test_key_a.pem");

  EXPECT_EQ(key.Bits(), 2048);
  EXPECT_EQ(key.PublicKey().Modulus().size(), 256u);
  EXPECT_NE(key.PublicKey().Modulus()[0], '\0');
  EXPECT_EQ(key.PublicKey().Exponent(), std::string("\x01\x00\x01", 3));
}

TEST(RsaTest, PrivateKeyPemRoundTrips) {
  RsaPrivateKey key = LoadTestKey("jose_test_key_a.pem");

  Secret pem = key.ToPem();
  Result<RsaPrivateKey> again = RsaPrivateKey::FromPem(pem.reveal());

  EXPECT_TRUE(pem.reveal().starts_with("-----BEGIN PRIVATE KEY-----"));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->PublicKey(), key.PublicKey());
}

TEST(RsaTest, PublicKeyPemAndDerRoundTrip) {
  RsaPublicKey key = LoadTestKey("jose_test_key_a.pem").PublicKey();

  Result<RsaPublicKey> from_pem = RsaPublicKey::FromPem(key.ToPem());
  Result<RsaPublicKey> from_der = RsaPublicKey::FromDer(key.ToDer());

  ASSERT_TRUE(from_pem.has_value());
  ASSERT_TRUE(from_der.has_value());
  EXPECT_EQ(*from_pem, key);
  EXPECT_EQ(*from_der, key);
}

TEST(RsaTest, FromComponentsRebuildsTheSameKey) {
  RsaPublicKey key = LoadTestKey("jose_test_key_a.pem").PublicKey();

  Result<RsaPublicKey> rebuilt = RsaPublicKey::FromComponents(key.Modulus(), key.Exponent());

  ASSERT_TRUE(rebuilt.has_value());
  EXPECT_EQ(rebuilt->ToPem(), key.ToPem());
  EXPECT_EQ(rebuilt->Bits(), 2048);
}

TEST(RsaTest, FromComponentsRejectsEvenModulus) {
  std::string n(256, '\x42');

  Result<RsaPublicKey> key = RsaPublicKey::FromComponents(n, "\x01\x00\x01");

  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().code, ErrorCode::kInvalidArgument);
}

TEST(RsaTest, FromComponentsRejectsExponentOne) {
  RsaPublicKey key = LoadTestKey("jose_test_key_a.pem").PublicKey();

  Result<RsaPublicKey> bad = RsaPublicKey::FromComponents(key.Modulus(), "\x01");

  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

TEST(RsaTest, SignatureVerifies) {
  RsaPrivateKey key = LoadTestKey("jose_test_key_a.pem");

  Result<std::string> signature = key.SignRs256("payload");

  ASSERT_TRUE(signature.has_value());
  EXPECT_EQ(signature->size(), 256u);
  EXPECT_TRUE(key.PublicKey().VerifyRs256("payload", *signature));
}

TEST(RsaTest, SigningIsDeterministic) {
  RsaPrivateKey key = LoadTestKey("jose_test_key_a.pem");

  Result<std::string> first = key.SignRs256("payload");
  Result<std::string> second = key.SignRs256("payload");

  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(*first, *second);
}

TEST(RsaTest, VerifyRejectsOtherData) {
  RsaPrivateKey key = LoadTestKey("jose_test_key_a.pem");
  Result<std::string> signature = key.SignRs256("payload");
  ASSERT_TRUE(signature.has_value());

  EXPECT_FALSE(key.PublicKey().VerifyRs256("payloaD", *signature));
}

TEST(RsaTest, VerifyRejectsOtherKey) {
  RsaPrivateKey key = LoadTestKey("jose_test_key_a.pem");
  RsaPrivateKey other = LoadTestKey("jose_test_key_b.pem");
  Result<std::string> signature = key.SignRs256("payload");
  ASSERT_TRUE(signature.has_value());

  EXPECT_FALSE(other.PublicKey().VerifyRs256("payload", *signature));
}

TEST(RsaTest, VerifyRejectsTruncatedAndEmptySignatures) {
  RsaPrivateKey key = LoadTestKey("jose_test_key_a.pem");
  Result<std::string> signature = key.SignRs256("payload");
  ASSERT_TRUE(signature.has_value());

  EXPECT_FALSE(key.PublicKey().VerifyRs256("payload", signature->substr(1)));
  EXPECT_FALSE(key.PublicKey().VerifyRs256("payload", ""));
}

TEST(RsaTest, ConcurrentSignersAndVerifiersAgree) {
  RsaPrivateKey key = LoadTestKey("jose_test_key_a.pem");
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);

  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string data = "message " + std::to_string(t) + "/" + std::to_string(i);
        Result<std::string> signature = key.SignRs256(data);
        if (!signature || !key.PublicKey().VerifyRs256(data, *signature)) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

TEST(RsaTest, GenerateRejectsShortKeys) {
  Result<RsaPrivateKey> key = RsaPrivateKey::Generate(1024);

  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().code, ErrorCode::kInvalidArgument);
}

TEST(RsaTest, GenerateMakesAWorkingKey) {
  Result<RsaPrivateKey> key = RsaPrivateKey::Generate(2048);

  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->Bits(), 2048);
  EXPECT_NE(key->PublicKey(), LoadTestKey("jose_test_key_a.pem").PublicKey());
}

TEST(RsaTest, FromPemRejectsGarbage) {
  Result<RsaPrivateKey> key = RsaPrivateKey::FromPem("-----BEGIN PRIVATE KEY-----\nAAAA\n");

  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().code, ErrorCode::kInvalidArgument);
}

TEST(RsaTest, PublicFromPemRejectsPrivateKeyPem) {
  Result<RsaPublicKey> key = RsaPublicKey::FromPem(ReadTestData("jose_test_key_a.pem"));

  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().code, ErrorCode::kInvalidArgument);
}

TEST(RsaTest, ErrorMessagesDoNotEchoInput) {
  std::string pem = ReadTestData("jose_test_key_a.pem");
  pem[100] = '!';

  Result<RsaPrivateKey> key = RsaPrivateKey::FromPem(pem);

  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().message.find("MII"), std::string::npos);
}

}  // namespace
}  // namespace latchkey::crypto
