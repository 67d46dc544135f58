// /readyz's probe (app/readiness.h): follows the store's answers, without a call per request.
#include "app/readiness.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace latchkey::app {
namespace {

TEST(ReadinessTest, FollowsTheProbeBothWays) {
  std::atomic<bool> store_answers{true};
  std::atomic<int> pings{0};
  Readiness readiness([&] {
    ++pings;
    return store_answers.load();
  });
  readiness.Start(std::chrono::milliseconds(10));
  EXPECT_TRUE(readiness.ready());
  EXPECT_GE(pings.load(), 1) << "the first probe runs before Start returns";
  store_answers = false;
  for (int i = 0; i < 500 && readiness.ready(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_FALSE(readiness.ready());
  store_answers = true;
  for (int i = 0; i < 500 && !readiness.ready(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(readiness.ready());
}

TEST(ReadinessTest, AStoreDownAtStartIsNotReady) {
  Readiness readiness([] { return false; });
  readiness.Start(std::chrono::milliseconds(1000));
  EXPECT_FALSE(readiness.ready());
}

}  // namespace
}  // namespace latchkey::app
