#include "store/change_listeners.h"

#include <algorithm>
#include <utility>

namespace latchkey::store {

struct ChangeSubscription::Registration {
  explicit Registration(ChangeListeners::Listener l) : listener(std::move(l)) {}
  const ChangeListeners::Listener listener;
  // Held across a call: Reset takes it to wait out a call in progress. Recursive, so that a
  // listener can reset its own subscription.
  std::recursive_mutex call_mu;
  bool active = true;  // guarded by call_mu
};

struct ChangeSubscription::Shared {
  std::mutex mu;
  std::shared_ptr<const std::vector<std::shared_ptr<Registration>>> list =
      std::make_shared<const std::vector<std::shared_ptr<Registration>>>();
};

ChangeSubscription::ChangeSubscription(std::weak_ptr<Shared> shared,
                                       std::shared_ptr<Registration> registration)
    : shared_(std::move(shared)), registration_(std::move(registration)) {}

ChangeSubscription& ChangeSubscription::operator=(ChangeSubscription&& other) noexcept {
  if (this != &other) {
    Reset();
    shared_ = std::move(other.shared_);
    registration_ = std::move(other.registration_);
  }
  return *this;
}

ChangeSubscription::~ChangeSubscription() { Reset(); }

void ChangeSubscription::Reset() {
  if (registration_ == nullptr) return;
  if (std::shared_ptr<Shared> shared = shared_.lock()) {
    std::lock_guard lock(shared->mu);
    auto next = std::make_shared<std::vector<std::shared_ptr<Registration>>>(*shared->list);
    std::erase(*next, registration_);
    shared->list = std::move(next);
  }
  {
    // A Notify that took its snapshot before the erase may still reach this registration:
    // after this, it finds it inactive.
    std::lock_guard call(registration_->call_mu);
    registration_->active = false;
  }
  registration_.reset();
  shared_.reset();
}

ChangeListeners::ChangeListeners() : shared_(std::make_shared<ChangeSubscription::Shared>()) {}

ChangeSubscription ChangeListeners::Add(Listener listener) {
  auto registration = std::make_shared<ChangeSubscription::Registration>(std::move(listener));
  {
    std::lock_guard lock(shared_->mu);
    auto next = std::make_shared<std::vector<std::shared_ptr<ChangeSubscription::Registration>>>(
        *shared_->list);
    next->push_back(registration);
    shared_->list = std::move(next);
  }
  return ChangeSubscription(shared_, std::move(registration));
}

void ChangeListeners::Notify(const std::vector<Change>& changes) const {
  if (changes.empty()) return;
  std::shared_ptr<const std::vector<std::shared_ptr<ChangeSubscription::Registration>>> list;
  {
    std::lock_guard lock(shared_->mu);
    list = shared_->list;
  }
  for (const Change& change : changes) {
    for (const auto& registration : *list) {
      std::lock_guard call(registration->call_mu);
      if (registration->active) registration->listener(change);
    }
  }
}

}  // namespace latchkey::store
