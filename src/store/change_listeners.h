// Change listeners: who hears about a committed change, and how they stop hearing about it.
// Shared by the backends (SqliteStore, PostgresStore); Store::AddChangeListener hands out the
// ChangeSubscription.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "store/records.h"

namespace latchkey::store {

class ChangeListeners;

// A registered listener. Destroying the subscription (or Reset()) unregisters it and waits
// for a call of it in progress on another thread to return: afterwards the listener is never
// called again, so it may capture what dies with its owner. A listener may reset its own
// subscription while it runs. Do not reset one while holding a lock its listener takes.
// The subscription may outlive the store it came from.
class [[nodiscard]] ChangeSubscription {
 public:
  ChangeSubscription() = default;
  ChangeSubscription(ChangeSubscription&& other) noexcept = default;
  ChangeSubscription& operator=(ChangeSubscription&& other) noexcept;
  ChangeSubscription(const ChangeSubscription&) = delete;
  ChangeSubscription& operator=(const ChangeSubscription&) = delete;
  ~ChangeSubscription();

  void Reset();
  bool active() const { return registration_ != nullptr; }

 private:
  friend class ChangeListeners;
  struct Registration;
  struct Shared;
  ChangeSubscription(std::weak_ptr<Shared> shared, std::shared_ptr<Registration> registration);

  std::weak_ptr<Shared> shared_;
  std::shared_ptr<Registration> registration_;
};

// The listeners of one store. Copy-on-write: Notify calls them without holding the lock that
// Add and Reset take, so a commit never waits for a registration and vice versa.
class ChangeListeners {
 public:
  using Listener = std::function<void(const Change&)>;

  ChangeListeners();
  ChangeSubscription Add(Listener listener);
  // Calls every listener registered now with each change, in order, on this thread. One
  // listener is never called on two threads at once.
  void Notify(const std::vector<Change>& changes) const;

 private:
  std::shared_ptr<ChangeSubscription::Shared> shared_;
};

}  // namespace latchkey::store
