#include "base/rate_limiter.h"

#include <malloc.h>

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

namespace latchkey {
namespace {

using std::chrono::seconds;

class FailureThrottleTest : public ::testing::Test {
 protected:
  FakeClock clock_{FromUnixSeconds(1767225600)};
  FailureThrottle throttle_{clock_, 3, seconds(60), seconds(30)};
};

TEST_F(FailureThrottleTest, LocksOutAfterMaxFailuresInWindow) {
  throttle_.RecordFailure("a");
  throttle_.RecordFailure("a");
  EXPECT_EQ(throttle_.Check("a"), seconds(0));

  throttle_.RecordFailure("a");

  EXPECT_EQ(throttle_.Check("a"), seconds(30));
}

TEST_F(FailureThrottleTest, OtherKeysAreNotAffected) {
  for (int i = 0; i < 3; ++i) throttle_.RecordFailure("a");

  EXPECT_EQ(throttle_.Check("b"), seconds(0));
}

TEST_F(FailureThrottleTest, LockoutEndsAfterItsDuration) {
  for (int i = 0; i < 3; ++i) throttle_.RecordFailure("a");

  clock_.Advance(seconds(31));

  EXPECT_EQ(throttle_.Check("a"), seconds(0));
}

TEST_F(FailureThrottleTest, FailuresOutsideTheWindowDoNotAccumulate) {
  throttle_.RecordFailure("a");
  throttle_.RecordFailure("a");
  clock_.Advance(seconds(61));

  throttle_.RecordFailure("a");

  EXPECT_EQ(throttle_.Check("a"), seconds(0));
}

TEST_F(FailureThrottleTest, MemoryIsBounded) {
  FailureThrottle small(clock_, 1, seconds(60), seconds(30), 2 * FailureThrottle::kBytesPerEntry);
  small.RecordFailure("a");
  small.RecordFailure("b");
  small.RecordFailure("c");

  EXPECT_EQ(small.Check("a"), seconds(0));
  EXPECT_EQ(small.Check("c"), seconds(30));
}

TEST(SipHash24Test, MatchesTheReferenceVectors) {
  // SipHash-2-4 paper, appendix A: key 00..0f, messages 00, 00 01, ... (64-bit output).
  const uint64_t k0 = 0x0706050403020100ULL, k1 = 0x0f0e0d0c0b0a0908ULL;
  std::string message;
  EXPECT_EQ(SipHash24(k0, k1, message), 0x726fdb47dd0e0e31ULL);
  for (int i = 0; i < 15; ++i) message.push_back(static_cast<char>(i));
  EXPECT_EQ(SipHash24(k0, k1, message), 0xa129ca6149be45e5ULL);
  message.push_back(15);  // 16 bytes: two whole words, then the length word alone
  EXPECT_EQ(SipHash24(k0, k1, message), 0x3f2acc7f57c29bdbULL);
}

// Security review finding 1: failed client ids of 1 MiB were remembered whole. The throttle
// now keeps a fixed-size hash per key, so its heap grows by at most kBytesPerEntry per key
// whatever the keys' size, and never past its byte budget.
TEST_F(FailureThrottleTest, HugeKeysCostAFixedNumberOfBytes) {
  const size_t budget = 1000 * FailureThrottle::kBytesPerEntry;
  FailureThrottle bounded(clock_, 10, seconds(60), seconds(30), budget);
  std::string key(64 << 10, 'x');  // 400 x an entry's bytes; fast enough under ASan at -O0
  const size_t before = mallinfo2().uordblks;
  for (int i = 0; i < 3000; ++i) {
    std::snprintf(key.data(), 16, "%015d", i);
    bounded.RecordFailure(key);
  }
  const size_t grown = mallinfo2().uordblks - before;

  EXPECT_EQ(bounded.size(), bounded.max_entries());
  EXPECT_LE(grown, budget) << "throttle heap per entry: " << grown / bounded.size();
  // The most recent key is still counted; the oldest was forgotten.
  std::snprintf(key.data(), 16, "%015d", 2999);
  for (int i = 0; i < 9; ++i) bounded.RecordFailure(key);
  EXPECT_EQ(bounded.Check(key), seconds(30));
}

TEST_F(FailureThrottleTest, KeysAreComparedWhole) {
  for (int i = 0; i < 3; ++i) throttle_.RecordFailure(std::string(100, 'a'));

  EXPECT_EQ(throttle_.Check(std::string(100, 'a')), seconds(30));
  EXPECT_EQ(throttle_.Check(std::string(99, 'a') + "b"), seconds(0));
  EXPECT_EQ(throttle_.Check(std::string(101, 'a')), seconds(0));
}

}  // namespace
}  // namespace latchkey
