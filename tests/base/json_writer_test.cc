#include "base/json_writer.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

namespace latchkey {
namespace {

using nlohmann::json;

// nlohmann's dump, or nullopt where it refuses (invalid UTF-8).
std::optional<std::string> NlohmannString(const std::string& text) {
  try {
    return json(text).dump();
  } catch (const json::type_error&) {
    return std::nullopt;
  }
}

std::optional<std::string> Ours(const std::string& text) {
  std::string out;
  if (!AppendJsonString(out, text)) return std::nullopt;
  return out;
}

TEST(JsonWriterTest, EscapesExactlyAsNlohmann) {
  for (const std::string& text :
       {std::string(), std::string("plain"), std::string("q\"uote\\back/slash"),
        std::string("\b\f\n\r\t"), std::string("\x01\x1f\x7f", 3), std::string("nul\0x", 5),
        std::string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91"), std::string("\"\"\\\\")}) {
    EXPECT_EQ(Ours(text), NlohmannString(text)) << json(text).dump();
  }
}

TEST(JsonWriterTest, RefusesWhatNlohmannRefuses) {
  for (const std::string text : {
           "\x80",              // continuation without a lead
           "\xc0\x80",          // overlong NUL
           "\xc1\xbf",          // overlong
           "\xe0\x80\x80",      // overlong 3-byte
           "\xed\xa0\x80",      // UTF-16 surrogate
           "\xf0\x80\x80\x80",  // overlong 4-byte
           "\xf4\x90\x80\x80",  // past U+10FFFF
           "\xf5\x80\x80\x80",  // invalid lead
           "\xff",              // invalid byte
           "ok\xc3",            // truncated at the end
           "\xe2\x82x",         // bad continuation
       }) {
    EXPECT_EQ(NlohmannString(text), std::nullopt) << "the test case is wrong";
    EXPECT_EQ(Ours(text), std::nullopt);
  }
  // The edges that are valid: U+10FFFF, U+D7FF, U+E000, U+0080.
  for (const std::string text : {"\xf4\x8f\xbf\xbf", "\xed\x9f\xbf", "\xee\x80\x80", "\xc2\x80"}) {
    EXPECT_EQ(Ours(text), NlohmannString(text));
    EXPECT_NE(Ours(text), std::nullopt);
  }
}

// Random strings over an alphabet of every kind of byte: same text, or both refuse.
TEST(JsonWriterTest, RandomStringsMatchNlohmann) {
  std::mt19937 rng(20261130);
  const std::string pieces[] = {"a", "Z", "\"", "\\", "\n", "\x01", "\x7f", "\xc3\xa9",
                                "\xe2\x82\xac", "\xf0\x9f\x94\x91", "\x80", "\xc3", "\xed\xa0\x80",
                                "\xf4\x90", "/", " "};
  std::uniform_int_distribution<size_t> pick(0, std::size(pieces) - 1), length(0, 12);
  int refused = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    for (size_t n = length(rng); n > 0; --n) text += pieces[pick(rng)];
    const auto expected = NlohmannString(text);
    refused += !expected.has_value();
    ASSERT_EQ(Ours(text), expected) << json::binary(std::vector<uint8_t>(text.begin(), text.end())).dump();
  }
  EXPECT_GT(refused, 1000);  // both branches were exercised
  EXPECT_LT(refused, 19000);
}

TEST(JsonWriterTest, ObjectMatchesNlohmannDump) {
  const std::vector<std::string> roles = {"Role.Read", "w\"eird\n"};
  auto text = JsonObjectWriter(16)
                  .String("aud", "https://x/\"y\"")
                  .Int("exp", std::numeric_limits<int64_t>::max())
                  .Int("iat", -5)
                  .Int("nbf", 0)
                  .StringArray("roles", roles)
                  .StringArray("scp", {})
                  .String("tid", "t\xc3\xa9")
                  .Finish();
  const json expected = {{"aud", "https://x/\"y\""},
                         {"exp", std::numeric_limits<int64_t>::max()},
                         {"iat", -5},
                         {"nbf", 0},
                         {"roles", roles},
                         {"scp", json::array()},
                         {"tid", "t\xc3\xa9"}};
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(*text, expected.dump());
  EXPECT_EQ(JsonObjectWriter().Finish(), std::optional<std::string>("{}"));
}

TEST(JsonWriterTest, InvalidUtf8AnywhereFailsTheObject) {
  EXPECT_EQ(JsonObjectWriter().String("a", "\xff").Int("b", 1).Finish(), std::nullopt);
  EXPECT_EQ(JsonObjectWriter().String("\xc0\x80", "v").Finish(), std::nullopt);
  EXPECT_EQ(JsonObjectWriter().StringArray("r", {"ok", "\xed\xa0\x80"}).Finish(), std::nullopt);
}

}  // namespace
}  // namespace latchkey
