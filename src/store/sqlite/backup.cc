#include "store/sqlite/backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>

#include "store/migration.h"
#include "store/sqlite/migrate.h"

namespace latchkey::store::sqlite {
namespace {

using Db = std::unique_ptr<sqlite3, decltype(&sqlite3_close)>;

Result<Db> OpenDb(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOFOLLOW, nullptr);
  Db db(raw, &sqlite3_close);
  if (rc != SQLITE_OK) {
    return MakeError(ErrorCode::kUnavailable, "sqlite: cannot open " + path + ": " +
                                                  (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), 5000);
  return db;
}

// The first column of each row of `sql`.
Result<std::vector<std::string>> Column(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    return MakeError(ErrorCode::kInvalidArgument, std::string("sqlite: ") + sqlite3_errmsg(db));
  }
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw, &sqlite3_finalize);
  std::vector<std::string> out;
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt.get(), 0);
    out.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
  }
  if (rc != SQLITE_DONE) {
    return MakeError(ErrorCode::kInvalidArgument, std::string("sqlite: ") + sqlite3_errmsg(db));
  }
  return out;
}

Status Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errmsg(db);
    sqlite3_free(error);
    return MakeError(ErrorCode::kInternal, "sqlite: " + message);
  }
  return Ok();
}

Status IntegrityOk(sqlite3* db, const std::string& what) {
  Result<std::vector<std::string>> rows = Column(db, "PRAGMA integrity_check");
  if (!rows) return std::unexpected(std::move(rows).error());
  if (rows->size() == 1 && (*rows)[0] == "ok") return Ok();
  return MakeError(ErrorCode::kInvalidArgument,
                   what + " fails integrity_check" + (rows->empty() ? "" : ": " + (*rows)[0]));
}

// Copies every page of `from` into `to` in one step (one snapshot of `from`), retrying while a
// writer holds a lock, up to 5 s.
Status CopyPages(sqlite3* from, sqlite3* to) {
  sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
  if (backup == nullptr) {
    return MakeError(ErrorCode::kInternal, std::string("sqlite: backup: ") + sqlite3_errmsg(to));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int rc;
  while ((rc = sqlite3_backup_step(backup, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  int finished = sqlite3_backup_finish(backup);
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    return MakeError(ErrorCode::kUnavailable, "sqlite: backup: the database stayed locked for 5 s");
  }
  if (rc != SQLITE_DONE || finished != SQLITE_OK) {
    return MakeError(ErrorCode::kInternal, std::string("sqlite: backup: ") + sqlite3_errstr(rc));
  }
  return Ok();
}

class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : previous_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(previous_); }

 private:
  mode_t previous_;
};

}  // namespace

std::string OpenLockPath(const std::string& db_path) { return db_path + ".lock"; }

Status Backup(const std::string& db_path, const std::string& to) {
  ScopedUmask umask(077);                                      // the copy's journal too
  Result<Db> source = OpenDb(db_path, SQLITE_OPEN_READWRITE);  // no CREATE: it must exist
  if (!source) return std::unexpected(std::move(source).error());
  int fd = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return MakeError(errno == EEXIST ? ErrorCode::kAlreadyExists : ErrorCode::kUnavailable,
                     "backup: cannot create " + to + ": " + std::strerror(errno));
  }
  ::close(fd);
  Status copied = [&]() -> Status {
    Result<Db> target = OpenDb(to, SQLITE_OPEN_READWRITE);
    if (!target) return std::unexpected(std::move(target).error());
    if (Status s = CopyPages(source->get(), target->get()); !s) return s;
    // The source is in WAL mode, and so is its copy's header: one self-contained file instead.
    if (Status s = Exec(target->get(), "PRAGMA journal_mode=DELETE"); !s) return s;
    return IntegrityOk(target->get(), "the backup");
  }();
  if (!copied) {
    ::unlink(to.c_str());
    ::unlink((to + "-journal").c_str());
  }
  return copied;
}

Status Restore(const std::string& from, const std::string& db_path) {
  ScopedUmask umask(077);
  // Check the backup before touching anything.
  Result<Db> source = OpenDb(from, SQLITE_OPEN_READONLY);
  if (!source) return std::unexpected(std::move(source).error());
  LATCHKEY_RETURN_IF_ERROR(IntegrityOk(source->get(), from));
  Result<std::vector<std::string>> version =
      Column(source->get(), "SELECT coalesce(max(version), 0) FROM schema_version");
  if (!version || version->empty()) {
    return MakeError(ErrorCode::kInvalidArgument, from + " is not a latchkey database");
  }
  const std::span<const Migration> migrations = Migrations();
  const int64_t latest = migrations.empty() ? 0 : migrations.back().version;
  if (std::stoll((*version)[0]) > latest) {
    return MakeError(ErrorCode::kInvalidArgument, from + " has schema version " + (*version)[0] +
                                                      ", newer than this binary's " +
                                                      std::to_string(latest));
  }

  // No open store may use the database meanwhile (each holds the lock file shared).
  int lock = ::open(OpenLockPath(db_path).c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lock < 0) {
    return MakeError(ErrorCode::kUnavailable,
                     "restore: cannot open " + OpenLockPath(db_path) + ": " + std::strerror(errno));
  }
  if (::flock(lock, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock);
    return MakeError(ErrorCode::kFailedPrecondition,
                     "restore: the database is in use (latchkeyd serve or another latchkeyd "
                     "command has it open): stop it, then restore");
  }
  Status restored = [&]() -> Status {
    Result<Db> target = OpenDb(db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!target) return std::unexpected(std::move(target).error());
    if (Status s = CopyPages(source->get(), target->get()); !s) return s;
    if (Status s = Exec(target->get(), "PRAGMA journal_mode=WAL"); !s) return s;
    if (Status s = Exec(target->get(), "PRAGMA wal_checkpoint(TRUNCATE)"); !s) return s;
    return IntegrityOk(target->get(), "the restored database");
  }();
  ::close(lock);  // releases the flock
  return restored;
}

}  // namespace latchkey::store::sqlite
