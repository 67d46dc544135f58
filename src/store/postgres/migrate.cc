#include "store/postgres/migrate.h"

#include <chrono>

namespace latchkey::store::postgres {
namespace {

// First key of the advisory lock ("lk"); the second is the schema's hash, so that deployments
// in different schemas of one database do not wait for each other.
constexpr char kLockSql[] =
    "SELECT pg_advisory_xact_lock(27755, hashtext(coalesce(current_schema(), '')))";

Status Apply(Connection& conn, std::span<const Migration> migrations) {
  LATCHKEY_RETURN_IF_ERROR(conn.Exec(kLockSql));
  SqlSession session(conn);
  return RunMigrations(session, migrations);
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
