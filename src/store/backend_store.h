// What SqliteStore and PostgresStore share above their connections: the listeners of this
// process's store, told of a write's changes once it committed.
#pragma once

#include <utility>
#include <vector>

#include "base/result.h"
#include "store/change_listeners.h"
#include "store/store.h"

namespace latchkey::store {

class BackendStore : public Store {
 public:
  ChangeSubscription AddChangeListener(ChangeListener listener) final {
    return listeners_.Add(std::move(listener));
  }

 protected:
  // Tells every listener about `changes` (committed here, or by another process or replica).
  void NotifyLocal(const std::vector<Change>& changes) const { listeners_.Notify(changes); }
  // Returns a write's `status`; when it is Ok (committed), first tells the listeners `changes`.
  Status NotifyIfCommitted(Status status, const std::vector<Change>& changes) const {
    if (status) NotifyLocal(changes);
    return status;
  }

 private:
  ChangeListeners listeners_;
};

}  // namespace latchkey::store
