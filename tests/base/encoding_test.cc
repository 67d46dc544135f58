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

// Issue 19/25: `client_id=%FF%FE` and `scope=%FF` reached a JSON writer and became a 500.
// A form whose decoded text is not UTF-8, or holds NUL, is malformed: every caller answers it
// with its protocol's 400.
TEST(EncodingTest, ParseFormRejectsInvalidUtf8AndNul) {
  for (const char* form : {"client_id=%FF%FE", "scope=%FF", "a=b&%C0%AF=x", "a=%ED%A0%80",
                           "a=%F4%90%80%80", "a=%E2%82", "a=\xff", "x=%00", "%00=x", "a=b%00c"}) {
    EXPECT_FALSE(ParseForm(form).has_value()) << form;
  }
  auto f = ParseForm("name=%C3%A9t%C3%A9&emoji=%F0%9F%94%91&raw=\xc3\xa9");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ((*f)[0].second, "\xc3\xa9t\xc3\xa9");
  EXPECT_EQ((*f)[1].second, "\xf0\x9f\x94\x91");
  EXPECT_EQ((*f)[2].second, "\xc3\xa9");
}

TEST(EncodingTest, IsUtf8FollowsRfc3629) {
  EXPECT_TRUE(IsUtf8(""));
  EXPECT_TRUE(IsUtf8("plain ascii"));
  EXPECT_TRUE(IsUtf8(std::string_view("a\0b", 3)));
  EXPECT_TRUE(IsUtf8("\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"));
  EXPECT_FALSE(IsUtf8("\xc0\xaf"));              // overlong '/'
  EXPECT_FALSE(IsUtf8("\xe0\x80\xaf"));         // overlong, 3 bytes
  EXPECT_FALSE(IsUtf8("\xed\xa0\x80"));         // a surrogate
  EXPECT_FALSE(IsUtf8("\xf4\x90\x80\x80"));     // past U+10FFFF
  EXPECT_FALSE(IsUtf8("\xf5\x80\x80\x80"));
  EXPECT_FALSE(IsUtf8("\x80"));                  // a lone continuation byte
  EXPECT_FALSE(IsUtf8("\xe2\x82"));              // truncated
  EXPECT_FALSE(IsUtf8("\xff\xfe"));
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

TEST(EncodingTest, OneLineFoldsLineBreaksAndTabsIntoOneSpace) {
  EXPECT_EQ(OneLine("connection refused\n\tIs the server running?\n"),
            "connection refused Is the server running?");
  EXPECT_EQ(OneLine("\r\nleading and  two spaces kept"), "leading and  two spaces kept");
  EXPECT_EQ(OneLine(""), "");
}

}  // namespace
}  // namespace latchkey
