#include "store/change_listeners.h"

#include <mutex>
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
  using List = std::vector<std::shared_ptr<Registration>>;

  // Replaces the list by an edited copy: Notify keeps calling the one it took.
  template <class Edit>
  void Update(Edit edit) {
    std::lock_guard lock(mu);
    auto next = std::make_shared<List>(*list);
    edit(*next);
    list = std::move(next);
  }
  std::shared_ptr<const List> Snapshot() {
    std::lock_guard lock(mu);
    return list;
  }

  std::mutex mu;
  std::shared_ptr<const List> list = std::make_shared<const List>();
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
    shared->Update([&](Shared::List& list) { std::erase(list, registration_); });
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
  shared_->Update([&](ChangeSubscription::Shared::List& list) { list.push_back(registration); });
  return ChangeSubscription(shared_, std::move(registration));
}

void ChangeListeners::Notify(const std::vector<Change>& changes) const {
  if (changes.empty()) return;
  const std::shared_ptr<const ChangeSubscription::Shared::List> list = shared_->Snapshot();
  for (const Change& change : changes) {
    for (const auto& registration : *list) {
      std::lock_guard call(registration->call_mu);
      if (registration->active) registration->listener(change);
    }
  }
}

}  // namespace latchkey::store
