#include "auth/login_throttle.h"

#include <malloc.h>

#include <cstdio>

#include <string>

#include <gtest/gtest.h>

namespace latchkey::auth {
namespace {

using std::chrono::seconds;

LockoutPolicy SmallPolicy() {
  LockoutPolicy p;
  p.address_failures = 5;
  p.client_failures = 3;
  p.familiar_failures = 4;
  p.window = seconds(300);
  p.lockout = seconds(60);
  return p;
}

class LoginThrottleTest : public ::testing::Test {
 protected:
  FakeClock clock_{FromUnixSeconds(1767225600)};
  LoginThrottle throttle_{clock_, SmallPolicy()};
};

TEST_F(LoginThrottleTest, AClientsFailuresFromElsewhereDoNotLockItsFamiliarAddress) {
  throttle_.RecordSuccess("victim", "10.0.0.1");
  // The attacker guesses from 20 other addresses, 1 failure each (no address lock).
  for (int i = 0; i < 20; ++i) {
    std::string from = "10.9.0." + std::to_string(i);
    if (throttle_.Check("victim", from).count() == 0) throttle_.RecordFailure("victim", from);
  }
  EXPECT_EQ(throttle_.Check("victim", "10.0.0.1"), seconds(0));   // the owner's address
  EXPECT_EQ(throttle_.Check("victim", "10.7.7.7"), seconds(60));  // an unfamiliar one
  EXPECT_EQ(throttle_.Check("other", "10.7.7.7"), seconds(0));    // another client
}

TEST_F(LoginThrottleTest, ClientIdsAreComparedCaseInsensitively) {
  for (int i = 0; i < 3; ++i) throttle_.RecordFailure("AbC", "10.9.0." + std::to_string(i));

  EXPECT_EQ(throttle_.Check("abc", "10.9.9.9"), seconds(60));
  EXPECT_EQ(throttle_.Check("ABC", "10.9.9.9"), seconds(60));
}

TEST_F(LoginThrottleTest, AFailingAddressIsLockedForClientsUnfamiliarWithIt) {
  throttle_.RecordSuccess("regular", "10.0.0.1");
  for (int i = 0; i < 5; ++i) throttle_.RecordFailure("guess" + std::to_string(i), "10.0.0.1");

  EXPECT_EQ(throttle_.Check("newcomer", "10.0.0.1"), seconds(60));
  EXPECT_EQ(throttle_.Check("regular", "10.0.0.1"), seconds(0));  // behind the same proxy
  EXPECT_EQ(throttle_.Check("newcomer", "10.0.0.2"), seconds(0));
}

TEST_F(LoginThrottleTest, OwnFailuresFromAFamiliarAddressStillSlowThatPair) {
  throttle_.RecordSuccess("c", "10.0.0.1");
  for (int i = 0; i < 4; ++i) throttle_.RecordFailure("c", "10.0.0.1");

  EXPECT_EQ(throttle_.Check("c", "10.0.0.1"), seconds(60));
  clock_.Advance(seconds(61));
  EXPECT_EQ(throttle_.Check("c", "10.0.0.1"), seconds(0));
}

TEST_F(LoginThrottleTest, FamiliarityExpires) {
  LockoutPolicy p = SmallPolicy();
  p.familiar_for = seconds(100);
  LoginThrottle t(clock_, p);
  t.RecordSuccess("c", "10.0.0.1");
  for (int i = 0; i < 3; ++i) t.RecordFailure("c", "10.9.0." + std::to_string(i));
  EXPECT_EQ(t.Check("c", "10.0.0.1"), seconds(0));

  clock_.Advance(seconds(101));
  for (int i = 0; i < 3; ++i) t.RecordFailure("c", "10.9.1." + std::to_string(i));
  EXPECT_EQ(t.Check("c", "10.0.0.1"), seconds(60));
}

TEST_F(LoginThrottleTest, BearerLoginsCountOnlyTheAddress) {
  for (int i = 0; i < 5; ++i) throttle_.RecordFailure("", "10.0.0.1");

  EXPECT_EQ(throttle_.Check("", "10.0.0.1"), seconds(60));
  EXPECT_EQ(throttle_.Check("", "10.0.0.2"), seconds(0));
}

// Security review finding 1: a flood of unique 64 KiB client ids from unique addresses must not
// grow memory past the byte budget.
TEST_F(LoginThrottleTest, MemoryStaysWithinTheByteBudget) {
  LockoutPolicy p = SmallPolicy();
  p.max_bytes = 1 << 20;
  LoginThrottle t(clock_, p);
  // 64 KiB ids: 400 x the bytes of an entry, and fast enough under ASan at -O0.
  std::string id(64 << 10, 'x');
  const size_t before = mallinfo2().uordblks;
  for (int i = 0; i < 8000; ++i) {
    std::snprintf(id.data(), 16, "%015d", i);
    std::string address = "10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) +
                          "." + std::to_string(i % 256);
    t.RecordFailure(id, address);
    if (i % 3 == 0) t.RecordSuccess(id, address);
  }
  const size_t grown = mallinfo2().uordblks - before;
  EXPECT_LE(grown, p.max_bytes);
}

}  // namespace
}  // namespace latchkey::auth
