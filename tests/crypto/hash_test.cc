#include "crypto/hash.h"

#include <gtest/gtest.h>

#include "base/encoding.h"

namespace latchkey::crypto {
namespace {

TEST(HashTest, Sha256OfAbcMatchesFips180Example) {
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HashTest, Sha256HexOfEmptyInput) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(HashTest, Sha1OfAbcMatchesFips180Example) {
  EXPECT_EQ(HexEncode(Sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(HashTest, HmacSha256MatchesRfc4231TestCase2) {
  std::string mac = HmacSha256("Jefe", "what do ya want for nothing?");

  EXPECT_EQ(HexEncode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HashTest, HmacSha256AcceptsEmptyKeyAndData) {
  EXPECT_EQ(HmacSha256("", "").size(), 32u);
}

TEST(HashTest, ConstantTimeEqualsComparesContents) {
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
}

TEST(HashTest, ConstantTimeEqualsIsFalseForDifferentSizes) {
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret2"));
}

}  // namespace
}  // namespace latchkey::crypto
