// Applies numbered migrations to a PostgreSQL schema. Internal to the PostgreSQL backend.
#pragma once

#include <span>

#include "base/result.h"
#include "store/migration.h"
#include "store/postgres/connection.h"

namespace latchkey::store::postgres {

// The PostgreSQL migrations, ordered by version (generated postgres_migrations.cc).
std::span<const Migration> Migrations();

// In one transaction holding a transaction-level advisory lock (so that replicas starting at
// once take turns: the first applies, the others then find nothing to do): creates
// schema_version if needed and runs, in order, every migration above the recorded version.
// kFailedPrecondition if the schema was migrated by a newer binary.
Status ApplyMigrations(Connection& conn, std::span<const Migration> migrations);

}  // namespace latchkey::store::postgres
