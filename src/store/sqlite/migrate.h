// Applies numbered migrations to a SQLite database. Internal to the SQLite backend.
#pragma once

#include <span>

#include "base/result.h"
#include "store/migration.h"
#include "store/sqlite/connection.h"

namespace latchkey::store::sqlite {

// Creates schema_version if needed and runs, in order, every migration above the recorded
// version. Must run inside a write transaction (all or nothing). kFailedPrecondition if the
// database was migrated by a newer binary.
Status ApplyMigrations(Connection& conn, std::span<const Migration> migrations);

}  // namespace latchkey::store::sqlite
