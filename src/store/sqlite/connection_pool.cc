#include "store/sqlite/connection_pool.h"

#include <utility>

namespace latchkey::store::sqlite {
namespace {

constexpr int kWriterFlags =
    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
constexpr int kReaderFlags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;

}  // namespace

Result<std::unique_ptr<ConnectionPool>> ConnectionPool::Open(const std::string& path) {
  std::unique_ptr<ConnectionPool> pool(new ConnectionPool());
  Result<std::unique_ptr<Connection>> writer = Connection::Open(path, kWriterFlags);
  if (!writer) return std::unexpected(std::move(writer).error());
  pool->writer_ = std::move(*writer);
  if (path == ":memory:") return pool;

  // WAL: readers keep reading their snapshot while the writer commits. synchronous=FULL syncs
  // the WAL on every commit, so an acknowledged write survives power loss, not just a crash.
  Result<std::vector<std::string>> mode = pool->writer_->Pragma("journal_mode = WAL");
  if (!mode) return std::unexpected(std::move(mode).error());
  if (mode->empty() || (*mode)[0] != "wal") {
    return MakeError(ErrorCode::kUnavailable, "sqlite: cannot enable WAL journal mode");
  }
  LATCHKEY_RETURN_IF_ERROR(pool->writer_->Exec("PRAGMA synchronous = FULL"));

  for (int i = 0; i < kReaders; ++i) {
    Result<std::unique_ptr<Connection>> reader = Connection::Open(path, kReaderFlags);
    if (!reader) return std::unexpected(std::move(reader).error());
    // A reader never writes; synchronous matters for the checkpoint it may run when it closes.
    LATCHKEY_RETURN_IF_ERROR((*reader)->Exec("PRAGMA query_only = ON; PRAGMA synchronous = FULL"));
    pool->idle_readers_.push_back(reader->get());
    pool->readers_.push_back(std::move(*reader));
  }
  return pool;
}

ConnectionPool::Lease ConnectionPool::AcquireWriter() {
  waiting_.fetch_add(1, std::memory_order_relaxed);
  std::unique_lock lock(write_mu_);
  waiting_.fetch_sub(1, std::memory_order_relaxed);
  in_use_.fetch_add(1, std::memory_order_relaxed);
  return Lease(this, std::move(lock), writer_.get());
}

ConnectionPool::Lease ConnectionPool::AcquireReader() {
  if (readers_.empty()) return AcquireWriter();
  std::unique_lock lock(read_mu_);
  if (idle_readers_.empty()) {
    waiting_.fetch_add(1, std::memory_order_relaxed);
    read_cv_.wait(lock, [this] { return !idle_readers_.empty(); });
    waiting_.fetch_sub(1, std::memory_order_relaxed);
  }
  Connection* conn = idle_readers_.back();
  idle_readers_.pop_back();
  in_use_.fetch_add(1, std::memory_order_relaxed);
  return Lease(this, conn);
}

void ConnectionPool::ReleaseReader(Connection* conn) {
  {
    std::lock_guard lock(read_mu_);
    idle_readers_.push_back(conn);
    in_use_.fetch_sub(1, std::memory_order_relaxed);
  }
  read_cv_.notify_one();
}

}  // namespace latchkey::store::sqlite
