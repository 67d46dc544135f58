#include "store/postgres/migrate.h"

#include <chrono>
#include <string>

namespace latchkey::store::postgres {
namespace {

// First key of the advisory lock ("lk"); the second is the schema's hash, so that deployments
// in different schemas of one database do not wait for each other.
constexpr char kLockSql[] =
    "SELECT pg_advisory_xact_lock(27755, hashtext(coalesce(current_schema(), '')))";

Status Apply(Connection& conn, std::span<const Migration> migrations) {
  LATCHKEY_RETURN_IF_ERROR(conn.Exec(kLockSql));
  LATCHKEY_RETURN_IF_ERROR(
      conn.Exec("CREATE TABLE IF NOT EXISTS schema_version ("
                "version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL)"));
  Result<int64_t> current =
      conn.Prepare("SELECT coalesce(max(version), 0)::bigint FROM schema_version")
          .One([](const Row& row) -> Result<int64_t> { return row.Int(0); }, "schema version");
  if (!current) return std::unexpected(std::move(current).error());

  int64_t latest = migrations.empty() ? 0 : migrations.back().version;
  if (*current > latest) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "database schema version " + std::to_string(*current) +
                         " is newer than this binary's " + std::to_string(latest));
  }
  for (const Migration& migration : migrations) {
    if (migration.version <= *current) continue;
    Status applied = conn.Exec(std::string(migration.sql));
    if (!applied) {
      return MakeError(applied.error().code,
                       "migration " + std::string(migration.name) + ": " + applied.error().message);
    }
    LATCHKEY_RETURN_IF_ERROR(
        conn.Prepare("INSERT INTO schema_version (version, name) VALUES ($1::integer, $2)")
            .Bind(int64_t{migration.version})
            .Bind(migration.name)
            .Run());
  }
  return Ok();
}

}  // namespace

Status ApplyMigrations(Connection& conn, std::span<const Migration> migrations) {
  // A migration, or the wait for another replica's, may rightly outlast the statement timeout.
  conn.SetReplyTimeout(std::chrono::minutes(30));
  LATCHKEY_RETURN_IF_ERROR(conn.Exec("BEGIN"));
  Status applied = conn.Exec("SET LOCAL statement_timeout = 0");
  if (applied) applied = Apply(conn, migrations);
  if (applied) applied = conn.Exec("COMMIT");
  conn.RollbackIfActive();
  conn.SetReplyTimeout(std::nullopt);
  return applied;
}

}  // namespace latchkey::store::postgres
