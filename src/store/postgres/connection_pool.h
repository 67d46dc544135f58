// The connections of one PostgresStore: at most `size` sessions, opened on demand, lent to one
// thread at a time. A borrower waits up to the checkout timeout for a free one, then gets
// kUnavailable. A session that broke (server restart, network) is closed when returned and a
// new one is opened for the next borrower, so the store recovers without being reopened.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/result.h"
#include "store/postgres/connection.h"
#include "store/sql/executor.h"

namespace latchkey::store::postgres {

enum class Isolation {
  kReadCommitted,
  kRepeatableReadReadOnly,  // one consistent snapshot for multi-statement reads
  kSerializable,
};

struct PoolOptions {
  int size = 8;
  std::chrono::milliseconds checkout_timeout{5000};
  // Attempts of a transaction that fails with a serialization failure or a deadlock.
  int max_attempts = 5;
};

class ConnectionPool {
 public:
  // Opens the first session (so that a wrong URL or an unreachable server fails here).
  // kUnavailable if it cannot connect.
  static Result<std::unique_ptr<ConnectionPool>> Open(ConnectionConfig config, PoolOptions options);
  ~ConnectionPool();

  // Exclusive use of one session until destroyed; then it goes back to the pool, or is closed
  // if it broke or was left inside a transaction.
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_) pool_->Release(std::move(conn_));
    }
    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  // kUnavailable after `timeout` without a free session, or if a new one cannot connect.
  Result<Lease> Acquire(std::chrono::milliseconds timeout);
  Result<Lease> Acquire() { return Acquire(options_.checkout_timeout); }

  // Runs fn(Connection&) outside an explicit transaction (each statement sees committed data).
  // Retried once on a fresh session if the session broke: reads are idempotent.
  template <class Fn>
  auto Read(Fn&& fn) -> std::invoke_result_t<Fn, Connection&> {
    for (int attempt = 0;; ++attempt) {
      Result<Lease> lease = Acquire();
      if (!lease) return std::unexpected(std::move(lease).error());
      auto result = fn(**lease);
      // A session the server closed is retried on a new one; one that stopped answering is not.
      if (result || (*lease)->ok() || (*lease)->timed_out() || attempt > 0) return result;
    }
  }

  // Runs fn(Connection&) in one read-only REPEATABLE READ transaction (one snapshot).
  template <class Fn>
  auto Snapshot(Fn&& fn) -> std::invoke_result_t<Fn, Connection&> {
    return Transaction(Isolation::kRepeatableReadReadOnly, std::forward<Fn>(fn));
  }
  // Runs fn(Connection&) in a write transaction: READ COMMITTED, or SERIALIZABLE when asked.
  template <class Fn>
  auto Write(sql::Isolation isolation, Fn&& fn) -> std::invoke_result_t<Fn, Connection&> {
    return Transaction(isolation == sql::Isolation::kSerializable ? Isolation::kSerializable
                                                                  : Isolation::kReadCommitted,
                       std::forward<Fn>(fn));
  }

  // Runs fn(Connection&) in one transaction at `isolation`: commits when fn succeeds, rolls
  // back when fn or the commit fails. Runs fn again (from scratch, on a new transaction) after
  // a serialization failure or deadlock, up to max_attempts, and once more if the session
  // turned out to be broken at BEGIN (nothing was sent). A session lost during fn or COMMIT is
  // not retried: the outcome of the commit is unknown, and the error is kUnavailable.
  template <class Fn>
  auto Transaction(Isolation isolation, Fn&& fn) -> std::invoke_result_t<Fn, Connection&> {
    bool reconnected = false;
    for (int attempt = 1;; ++attempt) {
      {
        Result<Lease> lease = Acquire();
        if (!lease) return std::unexpected(std::move(lease).error());
        Connection& conn = **lease;
        if (Status begun = conn.Exec(BeginSql(isolation)); !begun) {
          if (!conn.ok() && !conn.timed_out() && !reconnected) {
            reconnected = true;
            --attempt;
            continue;
          }
          return std::unexpected(std::move(begun).error());
        }
        auto result = fn(conn);
        if (result) {
          Status committed = conn.Exec("COMMIT");
          if (committed) return result;
          result = std::unexpected(std::move(committed).error());
        }
        std::string sqlstate = conn.last_sqlstate();
        conn.RollbackIfActive();
        if (!IsRetryableSqlState(sqlstate) || attempt >= options_.max_attempts) return result;
      }
      Backoff(attempt);  // with the session back in the pool
    }
  }

  // True if `pid` is the server process of one of this pool's sessions (to recognise this
  // store's own notifications).
  bool IsOwnBackend(int pid) const;

  const ConnectionConfig& config() const { return config_; }

  // The pool's size, the sessions lent out, and the callers waiting for one.
  int size() const { return options_.size; }
  int in_use() const;
  int waiting() const;

 private:
  ConnectionPool(ConnectionConfig config, PoolOptions options)
      : config_(std::move(config)), options_(options) {}

  static std::string BeginSql(Isolation isolation);
  static void Backoff(int attempt);
  void Release(std::unique_ptr<Connection> conn);
  // Forgets a session that is being closed.
  void Forget(const Connection& conn);

  const ConnectionConfig config_;
  const PoolOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;  // sessions lent, idle or being opened
  int waiting_ = 0;

  mutable std::mutex pids_mu_;
  std::multiset<int> pids_;
};

}  // namespace latchkey::store::postgres
