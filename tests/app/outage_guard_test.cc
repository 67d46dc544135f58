// OutageGuard's rules (app/outage_guard.h): trust while listening, read through while the
// store answers, serve cached answers for `grace` once it does not, then flush on every check.
// The end-to-end behaviour against a real Patroni failover is in tests/e2e/failover_test.sh.
#include "app/outage_guard.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

namespace latchkey::app {
namespace {

using State = OutageGuard::State;
using std::chrono::seconds;

struct World {
  FakeClock clock{TimePoint(std::chrono::hours(24 * 20000))};
  bool listening = true;
  bool reachable = true;
  int flushes = 0;
  OutageGuard::Probes probes() {
    return {.listening = [this] { return listening; },
            .reachable = [this] { return reachable; },
            .flush = [this] { ++flushes; }};
  }
};

TEST(OutageGuard, ListeningTrustsTheCachesAndNeverPings) {
  World w;
  bool pinged = false;
  OutageGuard::Probes probes = w.probes();
  probes.reachable = [&] { pinged = true; return false; };
  OutageGuard guard(probes, w.clock, seconds(60));
  EXPECT_EQ(guard.Tick(), State::kListening);
  w.clock.Advance(seconds(3600));
  EXPECT_EQ(guard.Tick(), State::kListening);
  EXPECT_EQ(w.flushes, 0);
  EXPECT_FALSE(pinged);
}

TEST(OutageGuard, NotListeningButReachableFlushesOnEveryCheck) {
  World w;
  OutageGuard guard(w.probes(), w.clock, seconds(60));
  w.listening = false;
  EXPECT_EQ(guard.Tick(), State::kRevalidating);
  EXPECT_EQ(guard.Tick(), State::kRevalidating);
  EXPECT_EQ(w.flushes, 2);
  w.listening = true;
  EXPECT_EQ(guard.Tick(), State::kListening);
  EXPECT_EQ(w.flushes, 2);
}

TEST(OutageGuard, UnreachableServesCachedAnswersForTheGraceThenFailsClosed) {
  World w;
  OutageGuard guard(w.probes(), w.clock, seconds(60));
  w.listening = false;
  w.reachable = false;
  EXPECT_EQ(guard.Tick(), State::kWithinGrace);
  w.clock.Advance(seconds(59));
  EXPECT_EQ(guard.Tick(), State::kWithinGrace);
  EXPECT_EQ(w.flushes, 0);
  w.clock.Advance(seconds(1));
  EXPECT_EQ(guard.Tick(), State::kFailedClosed);
  EXPECT_EQ(guard.Tick(), State::kFailedClosed);
  EXPECT_EQ(w.flushes, 2);  // every check: a cache refilled meanwhile is dropped again
}

TEST(OutageGuard, GraceZeroFailsClosedAtTheFirstCheck) {
  World w;
  OutageGuard guard(w.probes(), w.clock, seconds(0));
  w.listening = false;
  w.reachable = false;
  EXPECT_EQ(guard.Tick(), State::kFailedClosed);
  EXPECT_EQ(w.flushes, 1);
}

TEST(OutageGuard, TheGraceRestartsOnlyAfterTheStoreAnsweredAgain) {
  World w;
  OutageGuard guard(w.probes(), w.clock, seconds(60));
  w.listening = false;
  w.reachable = false;
  EXPECT_EQ(guard.Tick(), State::kWithinGrace);
  w.clock.Advance(seconds(30));
  w.reachable = true;  // a moment of reachability: read through, and the outage ends
  EXPECT_EQ(guard.Tick(), State::kRevalidating);
  w.reachable = false;
  w.clock.Advance(seconds(1));
  EXPECT_EQ(guard.Tick(), State::kWithinGrace);  // a new outage, a new grace
  w.clock.Advance(seconds(59));
  EXPECT_EQ(guard.Tick(), State::kWithinGrace);
  w.clock.Advance(seconds(1));
  EXPECT_EQ(guard.Tick(), State::kFailedClosed);
}

TEST(OutageGuard, TheThreadChecksPeriodicallyAndStops) {
  World w;
  std::atomic<int> checks = 0;
  OutageGuard::Probes probes = w.probes();
  probes.listening = [&] { ++checks; return true; };
  {
    OutageGuard guard(probes, w.clock, seconds(60));
    guard.Start(std::chrono::milliseconds(5));
    while (checks.load() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  int after = checks.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(checks.load(), after);
}

}  // namespace
}  // namespace latchkey::app
