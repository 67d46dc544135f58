#include "base/encoding.h"

#include <gtest/gtest.h>

namespace latchkey {
namespace {

TEST(EncodingTest, Base64UrlRoundTripsRfc4648Vectors) {
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(*Base64UrlDecode("Zm9vYg"), "foob");
  EXPECT_EQ(*Base64UrlDecode("-_8"), "\xfb\xff");
}

TEST(EncodingTest, Base64UrlRejectsPaddingAndForeignCharacters) {
  EXPECT_FALSE(Base64UrlDecode("Zg==").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zm+v").has_value());
  EXPECT_FALSE(Base64UrlDecode("Z").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zh").has_value());  // non-canonical trailing bits
}

TEST(EncodingTest, Base64StandardRoundTrip) {
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(*Base64Decode("Zm9vYg=="), "foob");
  EXPECT_FALSE(Base64Decode("Zm9vYg=").has_value());
}

TEST(EncodingTest, ParseFormDecodesPlusAndPercent) {
  auto f = ParseForm("scope=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d%2F.default&a=b+c&empty=&x");
  ASSERT_TRUE(f.has_value());
  ASSERT_EQ(f->size(), 4u);
  EXPECT_EQ((*f)[0].second, "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default");
  EXPECT_EQ((*f)[1].second, "b c");
  EXPECT_EQ((*f)[2].second, "");
  EXPECT_EQ((*f)[3].first, "x");
}

TEST(EncodingTest, ParseFormRejectsBrokenEscapes) {
  EXPECT_FALSE(ParseForm("a=%2").has_value());
  EXPECT_FALSE(ParseForm("a=%zz").has_value());
  EXPECT_FALSE(ParseForm("a=%").has_value());
}

TEST(EncodingTest, HexRoundTrip) {
  EXPECT_EQ(HexEncode("\x01\xab"), "01ab");
  EXPECT_EQ(*HexDecode("01AB"), "\x01\xab");
  EXPECT_FALSE(HexDecode("0g").has_value());
}

TEST(EncodingTest, IsGuidAcceptsOnlyCanonicalForm) {
  EXPECT_TRUE(IsGuid("2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"));
  EXPECT_FALSE(IsGuid("2ff814a633044ab885cbcd0e6f879c1d"));
  EXPECT_FALSE(IsGuid("2ff814a6-3304-4ab8-85cb-cd0e6f879c1x"));
}

}  // namespace
}  // namespace latchkey
