#include "base/random.h"

#include <gtest/gtest.h>

#include "base/encoding.h"

namespace latchkey {
namespace {

TEST(RandomTest, UuidIsVersion4) {
  FakeRandom random(7);
  std::string id = random.Uuid();
  EXPECT_TRUE(IsGuid(id));
  EXPECT_EQ(id[14], '4');
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);
}

TEST(RandomTest, FromAlphabetStaysInAlphabet) {
  FakeRandom random(3);
  std::string s = random.FromAlphabet("ab", 200);
  EXPECT_EQ(s.size(), 200u);
  EXPECT_EQ(s.find_first_not_of("ab"), std::string::npos);
  EXPECT_NE(s.find('a'), std::string::npos);
  EXPECT_NE(s.find('b'), std::string::npos);
}

TEST(RandomTest, FakeRandomIsDeterministic) {
  FakeRandom a(5), b(5);
  EXPECT_EQ(a.Hex(16), b.Hex(16));
}

}  // namespace
}  // namespace latchkey
