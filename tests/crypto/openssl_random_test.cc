#include "crypto/openssl_random.h"

#include <gtest/gtest.h>

namespace latchkey::crypto {
namespace {

TEST(OpenSslRandomTest, TwoDrawsDiffer) {
  OpenSslRandom random;

  std::string a = random.Bytes(32);
  std::string b = random.Bytes(32);

  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

TEST(OpenSslRandomTest, FillsEmptySpanWithoutFailing) {
  OpenSslRandom random;

  random.Fill({});
}

}  // namespace
}  // namespace latchkey::crypto
