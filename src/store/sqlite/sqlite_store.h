// SqliteStore: the embedded Store backend (SQLite 3, WAL journal, synchronous=FULL).
//
// One writer connection guarded by a mutex serializes writes, each in one BEGIN IMMEDIATE
// transaction; a few reader connections serve reads concurrently from WAL snapshots. Several
// processes (latchkeyd and the CLI) may open the same file: they wait for each other's write
// lock up to busy_timeout (5 s), then fail with kUnavailable. Thread-safe. Change listeners run
// on the writing thread after the commit, outside every database lock.
//
// Another process may change the file too (`latchkeyd keys remove`, a second latchkeyd): a
// watcher thread reads the signing keys' fingerprint every 100 ms and, when it changed, tells
// the listeners kSigningKeysChanged, so a removed key stops verifying tokens within ~100 ms.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "store/backend_store.h"
#include "store/sqlite/connection_pool.h"

namespace latchkey::store::sqlite {

class SqliteStore final : public PooledStore<ConnectionPool, SqlSession> {
 public:
  // Opens `path`, a database file or ":memory:" (a private in-memory database), and applies the
  // numbered migrations. A missing file is created with mode 0600 (its -wal and -shm files too).
  // kUnavailable if the file cannot be opened or created, kFailedPrecondition if its schema is
  // newer than this binary.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path);
  ~SqliteStore() override;

  // PRAGMA integrity_check: Ok when it reports "ok", else kInternal with its first findings.
  Status IntegrityCheck();

  // Store.
  Status Ping() override;
  std::string backend() const override { return "sqlite"; }

 private:
  explicit SqliteStore(std::unique_ptr<ConnectionPool> pool);

  // The watcher of changes made by other processes (file databases only).
  void WatchOtherProcesses();
  Result<std::string> KeysFingerprint();

  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool stop_watching_ = false;
  std::thread watcher_;  // joined by the destructor, before anything it uses goes
  int open_lock_fd_ = -1;  // <path>.lock, held shared while open (backup.h: Restore)
};

// IntegrityCheck of a Store opened on the SQLite backend; kFailedPrecondition for any other.
Status IntegrityCheck(Store& store);

}  // namespace latchkey::store::sqlite
