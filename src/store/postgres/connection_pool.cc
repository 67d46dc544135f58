#include "store/postgres/connection_pool.h"

#include <algorithm>
#include <functional>
#include <random>
#include <thread>

namespace latchkey::store::postgres {
namespace {

constexpr char kApplicationName[] = "latchkeyd";

}  // namespace

Result<std::unique_ptr<ConnectionPool>> ConnectionPool::Open(ConnectionConfig config,
                                                             PoolOptions options) {
  std::unique_ptr<ConnectionPool> pool(new ConnectionPool(std::move(config), options));
  Result<std::unique_ptr<Connection>> first = Connection::Open(pool->config_, kApplicationName);
  if (!first) return std::unexpected(std::move(first).error());
  {
    std::lock_guard lock(pool->pids_mu_);
    pool->pids_.insert((*first)->backend_pid());
  }
  pool->open_ = 1;
  pool->idle_.push_back(std::move(*first));
  return pool;
}

ConnectionPool::~ConnectionPool() = default;

Result<ConnectionPool::Lease> ConnectionPool::Acquire(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_ptr<Connection> conn;
  {
    std::unique_lock lock(mu_);
    auto free = [this] { return !idle_.empty() || open_ < options_.size; };
    bool available = free();
    if (!available) {  // counted only while it really waits, as the SQLite pool does
      ++waiting_;
      available = cv_.wait_until(lock, deadline, free);
      --waiting_;
    }
    if (!available) {
      return MakeError(ErrorCode::kUnavailable, "postgresql: all " + std::to_string(options_.size) +
                                                    " connections busy for " +
                                                    std::to_string(timeout.count()) + " ms");
    }
    if (!idle_.empty()) {
      conn = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;  // reserved while connecting outside the lock
    }
  }
  if (conn && conn->StillConnected()) return Lease(this, std::move(conn));
  if (conn) {
    Forget(*conn);
    conn.reset();  // the server went away since this session was last used: replace it
  }
  Result<std::unique_ptr<Connection>> opened = Connection::Open(config_, kApplicationName);
  if (!opened) {
    {
      std::lock_guard lock(mu_);
      --open_;
    }
    cv_.notify_one();
    return std::unexpected(std::move(opened).error());
  }
  {
    std::lock_guard lock(pids_mu_);
    pids_.insert((*opened)->backend_pid());
  }
  return Lease(this, std::move(*opened));
}

void ConnectionPool::Release(std::unique_ptr<Connection> conn) {
  if (conn->ok() && !conn->idle()) conn->RollbackIfActive();
  bool keep = conn->ok() && conn->idle();
  if (!keep) {
    Forget(*conn);
    conn.reset();
  }
  {
    std::lock_guard lock(mu_);
    if (keep) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
  }
  cv_.notify_one();
}

void ConnectionPool::Forget(const Connection& conn) {
  std::lock_guard lock(pids_mu_);
  if (auto it = pids_.find(conn.backend_pid()); it != pids_.end()) pids_.erase(it);
}

bool ConnectionPool::IsOwnBackend(int pid) const {
  std::lock_guard lock(pids_mu_);
  return pids_.contains(pid);
}

std::string ConnectionPool::BeginSql(Isolation isolation) {
  switch (isolation) {
    case Isolation::kReadCommitted:
      return "BEGIN";
    case Isolation::kRepeatableReadReadOnly:
      return "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    case Isolation::kSerializable:
      return "BEGIN ISOLATION LEVEL SERIALIZABLE";
  }
  return "BEGIN";
}

void ConnectionPool::Backoff(int attempt) {
  // Jittered exponential backoff (1, 2, 4, ... ms times [1, 2)) so that transactions that
  // collided do not collide again in lockstep. Not security-relevant: any spread will do.
  thread_local std::minstd_rand spread(
      static_cast<unsigned>(std::hash<std::thread::id>{}(std::this_thread::get_id())));
  int base_ms = 1 << std::min(attempt - 1, 6);
  std::uniform_int_distribution<int> extra(0, base_ms * 1000);
  std::this_thread::sleep_for(std::chrono::microseconds(base_ms * 1000 + extra(spread)));
}

int ConnectionPool::in_use() const {
  std::lock_guard lock(mu_);
  return open_ - static_cast<int>(idle_.size());
}

int ConnectionPool::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

}  // namespace latchkey::store::postgres
