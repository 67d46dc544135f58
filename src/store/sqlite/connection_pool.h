// The connections of one SqliteStore: one writer connection guarded by a mutex and a fixed set
// of reader connections, so that reads (WAL snapshots) never wait for writes. An in-memory
// database is private to its connection, so ":memory:" uses the writer for everything.
// Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/result.h"
#include "store/sql/executor.h"
#include "store/sqlite/connection.h"

namespace latchkey::store::sqlite {

class ConnectionPool {
 public:
  static constexpr int kReaders = 4;

  // Opens `path` (a file, or ":memory:") with WAL journaling and synchronous=FULL. The file
  // must exist or be creatable by SQLite.
  static Result<std::unique_ptr<ConnectionPool>> Open(const std::string& path);

  // Exclusive use of one connection until destroyed.
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_lock<std::mutex> lock, Connection* conn)
        : lock_(std::move(lock)), writer_pool_(pool), conn_(conn) {}
    Lease(ConnectionPool* pool, Connection* conn) : pool_(pool), conn_(conn) {}
    Lease(Lease&& other) noexcept
        : lock_(std::move(other.lock_)),
          pool_(std::exchange(other.pool_, nullptr)),
          writer_pool_(std::exchange(other.writer_pool_, nullptr)),
          conn_(other.conn_) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_ != nullptr) pool_->ReleaseReader(conn_);
      if (writer_pool_ != nullptr) writer_pool_->in_use_.fetch_sub(1, std::memory_order_relaxed);
    }
    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_; }

   private:
    std::unique_lock<std::mutex> lock_;  // held for the writer
    ConnectionPool* pool_ = nullptr;     // set for a reader
    ConnectionPool* writer_pool_ = nullptr;  // set for the writer
    Connection* conn_;
  };

  Lease AcquireReader();
  Lease AcquireWriter();

  // Connections (readers + the writer), how many are lent out, how many callers wait.
  int size() const { return static_cast<int>(readers_.size()) + 1; }
  int in_use() const { return in_use_.load(std::memory_order_relaxed); }
  int waiting() const { return waiting_.load(std::memory_order_relaxed); }

  // Runs fn(Connection&) on a reader; each statement sees a committed state.
  template <class Fn>
  auto Read(Fn&& fn) -> std::invoke_result_t<Fn, Connection&> {
    Lease lease = AcquireReader();
    return fn(*lease);
  }

  // Runs fn(Connection&) on a reader inside one read transaction (one consistent snapshot).
  template <class Fn>
  auto Snapshot(Fn&& fn) -> std::invoke_result_t<Fn, Connection&> {
    Lease lease = AcquireReader();
    LATCHKEY_RETURN_IF_ERROR(lease->BeginRead());
    auto result = fn(*lease);
    lease->RollbackIfActive();  // read-only: ending it either way is the same
    return result;
  }

  // Write(fn) at any isolation: the one writer serializes every write transaction.
  template <class Fn>
  auto Write(sql::Isolation /*always serializable*/, Fn&& fn)
      -> std::invoke_result_t<Fn, Connection&> {
    return Write(std::forward<Fn>(fn));
  }

  // Runs fn(Connection&) in one BEGIN IMMEDIATE transaction on the writer: commits when fn
  // succeeds, rolls back when fn or the commit fails.
  template <class Fn>
  auto Write(Fn&& fn) -> std::invoke_result_t<Fn, Connection&> {
    Lease lease = AcquireWriter();
    LATCHKEY_RETURN_IF_ERROR(lease->BeginImmediate());
    auto result = fn(*lease);
    if (!result) {
      lease->RollbackIfActive();
      return result;
    }
    if (Status committed = lease->Commit(); !committed) {
      lease->RollbackIfActive();
      return std::unexpected(std::move(committed).error());
    }
    return result;
  }

 private:
  ConnectionPool() = default;
  void ReleaseReader(Connection* conn);

  std::mutex write_mu_;
  std::unique_ptr<Connection> writer_;

  std::mutex read_mu_;
  std::condition_variable read_cv_;
  std::vector<std::unique_ptr<Connection>> readers_;  // empty for ":memory:"
  std::vector<Connection*> idle_readers_;
  std::atomic<int> in_use_{0};
  std::atomic<int> waiting_{0};
};

}  // namespace latchkey::store::sqlite
