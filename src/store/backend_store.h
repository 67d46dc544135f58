// What SqliteStore and PostgresStore share above their connections: the listeners of this
// process's store, told of a write's changes once it committed (BackendStore), and the
// Executor's three hooks over a backend's pool (PooledStore).
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "base/result.h"
#include "store/change_listeners.h"
#include "store/sql/connection_session.h"
#include "store/sql/executor.h"
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

// The Executor hooks, written once over a backend's Pool: Pool::Read, Pool::Snapshot and
// Pool::Write(isolation, fn) run fn(Connection&) on a session, in a read snapshot and in a
// write transaction (which the pool may run more than once); operations see the connection
// through Session (the backend's sql::ConnectionSession).
template <class Pool, class Session>
class PooledStore : public BackendStore {
 public:
  using Connection = typename Session::BackendConnection;

  Status RunRead(sql::FunctionRef<Status(sql::Session&)> fn) final {
    return pool_->Read(Session::Over(fn));
  }
  Status RunSnapshot(sql::FunctionRef<Status(sql::Session&)> fn) final {
    return pool_->Snapshot(Session::Over(fn));
  }
  // The changes are told to the listeners once the transaction committed.
  Status RunWrite(sql::Isolation isolation,
                  sql::FunctionRef<Status(sql::Session&, std::vector<Change>&)> fn) final {
    std::vector<Change> changes;
    Status status = pool_->Write(isolation, [&](Connection& conn) -> Status {
      changes.clear();  // a retried transaction starts over
      Session session(conn);
      LATCHKEY_RETURN_IF_ERROR(fn(session, changes));
      return BeforeCommit(conn, changes);
    });
    return NotifyIfCommitted(std::move(status), changes);
  }

  PoolUsage pool_usage() const final { return {pool_->size(), pool_->in_use(), pool_->waiting()}; }

 protected:
  explicit PooledStore(std::unique_ptr<Pool> pool) : pool_(std::move(pool)) {}

  // Runs in each write transaction after its operation, with the changes it made (PostgreSQL:
  // pg_notify for the other replicas).
  virtual Status BeforeCommit(Connection& /*conn*/, const std::vector<Change>& /*changes*/) {
    return Ok();
  }

  std::unique_ptr<Pool> pool_;
};

}  // namespace latchkey::store
