#include "base/rate_limiter.h"

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
  FailureThrottle small(clock_, 1, seconds(60), seconds(30), 2);
  small.RecordFailure("a");
  small.RecordFailure("b");
  small.RecordFailure("c");

  EXPECT_EQ(small.Check("a"), seconds(0));
  EXPECT_EQ(small.Check("c"), seconds(30));
}

}  // namespace
}  // namespace latchkey
