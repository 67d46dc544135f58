// Online backup and restore of a SQLite database file (`latchkeyd backup` / `restore`).
#pragma once

#include <string>

#include "base/result.h"

namespace latchkey::store::sqlite {

// Copies the database `db_path` into `to`, a new file created with mode 0600 (kAlreadyExists if
// it exists), with SQLite's online backup API: one consistent snapshot, taken while latchkeyd
// serves (WAL: writers are not blocked; a write lock held past 5 s is kUnavailable). The copy
// is one self-contained file (rollback journal) and passes integrity_check; on any failure it
// is removed.
Status Backup(const std::string& db_path, const std::string& to);

// Replaces the content of `db_path` with the backup `from`, which must pass integrity_check
// and hold a latchkey schema no newer than this binary's (kInvalidArgument otherwise). Refuses
// with kFailedPrecondition while any process has the database open through SqliteStore
// (latchkeyd serve or another latchkeyd command): a running server's caches would no longer
// match the database. The restored database passes integrity_check.
Status Restore(const std::string& from, const std::string& db_path);

// The lock file next to a database, held shared by every open SqliteStore and exclusively by
// Restore: "<db_path>.lock".
std::string OpenLockPath(const std::string& db_path);

}  // namespace latchkey::store::sqlite
