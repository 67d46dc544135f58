#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <utility>

#include "store/migration.h"
#include "store/sqlite/backup.h"
#include "store/sqlite/connection_pool.h"
#include "store/sqlite/migrate.h"

namespace latchkey::store::sqlite {
namespace {

// Sets the process umask for its lifetime. Only used while opening the store (startup), as
// the umask is process-wide.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : previous_(::umask(mask)) {}
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;
  ~ScopedUmask() { ::umask(previous_); }

 private:
  mode_t previous_;
};

// Creates an empty database file with mode 0600 unless it exists (SQLite treats an empty file
// as an empty database and gives -wal and -shm the database file's permissions).
Status CreateFileIfMissing(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0) {
    ::close(fd);
    return Ok();
  }
  if (errno == EEXIST) return Ok();
  return MakeError(ErrorCode::kUnavailable,
                   "sqlite: cannot create " + path + ": " + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  Result<std::unique_ptr<ConnectionPool>> pool;
  int open_lock = -1;
  if (path != ":memory:") {
    // Held shared while the store is open, so that `latchkeyd restore` (exclusive) never
    // replaces a database under a running server. A separate file: closing any descriptor of
    // the database file itself would drop SQLite's own POSIX locks.
    open_lock = ::open(OpenLockPath(path).c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (open_lock < 0) {
      return MakeError(ErrorCode::kUnavailable,
                       "sqlite: cannot open " + OpenLockPath(path) + ": " + std::strerror(errno));
    }
    if (::flock(open_lock, LOCK_SH | LOCK_NB) != 0) {
      ::close(open_lock);
      return MakeError(ErrorCode::kUnavailable, "sqlite: " + path + " is being restored");
    }
  }
  if (path == ":memory:") {
    pool = ConnectionPool::Open(path);
  } else {
    ScopedUmask umask(077);
    if (Status created = CreateFileIfMissing(path); !created) {
      ::close(open_lock);
      return std::unexpected(std::move(created).error());
    }
    pool = ConnectionPool::Open(path);
  }
  Status migrated =
      pool ? (*pool)->Write([](Connection& conn) { return ApplyMigrations(conn, Migrations()); })
           : Status(std::unexpected(pool.error()));
  if (!migrated) {
    if (open_lock >= 0) ::close(open_lock);
    return std::unexpected(std::move(migrated).error());
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(*pool)));
  store->open_lock_fd_ = open_lock;
  if (path != ":memory:") {
    SqliteStore* self = store.get();
    store->watcher_ = std::thread([self] { self->WatchOtherProcesses(); });
  }
  return store;
}

SqliteStore::SqliteStore(std::unique_ptr<ConnectionPool> pool) : PooledStore(std::move(pool)) {}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(watch_mu_);
    stop_watching_ = true;
  }
  watch_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  if (open_lock_fd_ >= 0) ::close(open_lock_fd_);
}

Result<std::string> SqliteStore::KeysFingerprint() {
  return pool_->Read([](Connection& conn) -> Result<std::string> {
    Result<std::vector<std::string>> rows =
        conn.Prepare("SELECT kid, coalesce(retired_at, -1) FROM signing_keys ORDER BY kid")
            .All([](const Statement& row) -> Result<std::string> {
              return row.Text(0) + "/" + std::to_string(row.Int(1));
            });
    if (!rows) return std::unexpected(std::move(rows).error());
    std::string fingerprint;
    for (const std::string& row : *rows) fingerprint += row + ",";
    return fingerprint;
  });
}

void SqliteStore::WatchOtherProcesses() {
  std::optional<std::string> seen;
  std::unique_lock lock(watch_mu_);
  while (!watch_cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stop_watching_; })) {
    lock.unlock();
    Result<std::string> now = KeysFingerprint();  // a busy or failing read: try next time
    if (now && seen && *now != *seen) NotifyLocal({{ChangeKind::kSigningKeysChanged, ""}});
    if (now) seen = std::move(*now);
    lock.lock();
  }
}

Status SqliteStore::Ping() {
  return pool_->Read([](Connection& conn) -> Status { return conn.Prepare("SELECT 1").Run(); });
}

Status SqliteStore::IntegrityCheck() {
  Result<std::vector<std::string>> rows =
      pool_->Read([](Connection& conn) { return conn.Pragma("integrity_check"); });
  if (!rows) return std::unexpected(std::move(rows).error());
  if (rows->size() == 1 && (*rows)[0] == "ok") return Ok();
  std::string findings;
  for (size_t i = 0; i < rows->size() && i < 5; ++i) findings += "; " + (*rows)[i];
  return MakeError(ErrorCode::kInternal, "sqlite: integrity_check failed" + findings);
}

Status IntegrityCheck(Store& store) {
  auto* sqlite = dynamic_cast<SqliteStore*>(&store);
  if (sqlite == nullptr) {
    return MakeError(ErrorCode::kFailedPrecondition, "integrity check needs the sqlite backend");
  }
  return sqlite->IntegrityCheck();
}

}  // namespace latchkey::store::sqlite
