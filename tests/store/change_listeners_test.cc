// ChangeListeners on its own: lifetimes and a race between delivery and Reset (run under
// ASan and TSan in CI).
#include "store/change_listeners.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace latchkey::store {
namespace {

Change AChange() { return Change{.kind = ChangeKind::kCredentialChanged}; }

TEST(ChangeListenersTest, EveryListenerHearsEachChangeInOrder) {
  ChangeListeners listeners;
  std::vector<std::string> heard;
  ChangeSubscription a = listeners.Add([&](const Change& c) { heard.push_back("a" + c.id); });
  ChangeSubscription b = listeners.Add([&](const Change& c) { heard.push_back("b" + c.id); });
  listeners.Notify({Change{.kind = ChangeKind::kPatDeleted, .id = "1"},
                    Change{.kind = ChangeKind::kPatDeleted, .id = "2"}});
  EXPECT_EQ(heard, (std::vector<std::string>{"a1", "b1", "a2", "b2"}));
}

TEST(ChangeListenersTest, DestroyedSubscriptionUnregisters) {
  ChangeListeners listeners;
  int heard = 0;
  {
    ChangeSubscription subscription = listeners.Add([&](const Change&) { ++heard; });
    listeners.Notify({AChange()});
  }
  listeners.Notify({AChange()});
  EXPECT_EQ(heard, 1);
}

TEST(ChangeListenersTest, MovedSubscriptionStaysRegisteredAndMoveAssignResetsTheOld) {
  ChangeListeners listeners;
  int first = 0, second = 0;
  ChangeSubscription a = listeners.Add([&](const Change&) { ++first; });
  ChangeSubscription moved = std::move(a);
  EXPECT_TRUE(moved.active());
  listeners.Notify({AChange()});
  moved = listeners.Add([&](const Change&) { ++second; });  // the first listener goes
  listeners.Notify({AChange()});
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
}

TEST(ChangeListenersTest, SubscriptionMayOutliveTheListeners) {
  auto listeners = std::make_unique<ChangeListeners>();
  ChangeSubscription subscription = listeners->Add([](const Change&) {});
  listeners.reset();
  subscription.Reset();  // must not touch the freed list (ASan)
  EXPECT_FALSE(subscription.active());
}

// Two threads notify while a third adds and resets listeners. A listener that runs after its
// Reset returned would set `late`.
TEST(ChangeListenersTest, NoCallAfterResetReturnsUnderConcurrentDelivery) {
  ChangeListeners listeners;
  std::atomic<bool> stop{false}, late{false};
  std::vector<std::thread> notifiers;
  for (int i = 0; i < 2; ++i) {
    notifiers.emplace_back([&] {
      while (!stop) listeners.Notify({AChange()});
    });
  }
  for (int round = 0; round < 2000; ++round) {
    auto gone = std::make_shared<std::atomic<bool>>(false);
    ChangeSubscription subscription = listeners.Add([gone, &late](const Change&) {
      if (gone->load()) late = true;
    });
    std::this_thread::yield();
    subscription.Reset();
    gone->store(true);
  }
  stop = true;
  for (auto& t : notifiers) t.join();
  EXPECT_FALSE(late.load());
}

}  // namespace
}  // namespace latchkey::store
