// PostgresStore: the Store backend for several replicas sharing one PostgreSQL database
// (libpq, PostgreSQL 15; see docs/deployment.md).
//
// A bounded pool of sessions (8) with per-session prepared statements serves every call; a
// caller waits up to 5 s for a free session, then gets kUnavailable, as it does while the
// server is unreachable (broken sessions are replaced on the next call, so the store recovers
// by itself). Writes run in one transaction each, READ COMMITTED by default: CreatePat locks
// the owner's row before counting (per-owner serialization, so the quota holds across
// replicas) and ReplaceTokenPermissions runs SERIALIZABLE; serialization failures and
// deadlocks are retried a few times.
//
// Changes: each committing write also sends pg_notify(channel, '<kind>:<id>') in its
// transaction. Local listeners are called on the writing thread after the commit (as with
// SqliteStore); a NotificationListener thread calls them for changes committed by other
// replicas (and other PostgresStore instances), skipping this store's own. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/result.h"
#include "store/backend_store.h"
#include "store/postgres/connection_pool.h"

namespace latchkey::store::postgres {

class NotificationListener;

class PostgresStore final : public PooledStore<ConnectionPool, SqlSession> {
 public:
  // Connects to `url` (postgresql://... or postgres://..., libpq's URI syntax), applies the
  // numbered migrations and starts listening for other replicas' changes. kInvalidArgument for
  // a malformed URL, kUnavailable if the server cannot be reached, kFailedPrecondition if the
  // schema is newer than this binary. Messages never contain the URL's password.
  // `timeouts`: store.h's StoreOptions.
  static Result<std::unique_ptr<PostgresStore>> Open(const std::string& url,
                                                     PoolOptions options = {},
                                                     StoreOptions timeouts = {});
  ~PostgresStore() override;

  // True once the notification session listens (tests; readiness is Ping's business).
  bool ListeningForChanges() const;

  // Store.
  // SELECT 1 on a pooled session, giving up after 2 s (1 s of it waiting for a session).
  Status Ping() override;
  std::string backend() const override { return "postgresql"; }

 private:
  PostgresStore(std::unique_ptr<ConnectionPool> pool, std::string channel);

  // Sends each change with pg_notify in the write's transaction, for the other replicas.
  Status BeforeCommit(Connection& conn, const std::vector<Change>& changes) override;

  const std::string channel_;
  // Declared last: destroyed (stopped and joined) first, while everything it calls still lives.
  std::unique_ptr<NotificationListener> notifications_;
};

}  // namespace latchkey::store::postgres
