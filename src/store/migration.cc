#include "store/migration.h"

#include <string>

#include "store/sql/session.h"

namespace latchkey::store {

Status RunMigrations(sql::Session& session, std::span<const Migration> migrations) {
  LATCHKEY_RETURN_IF_ERROR(
      session.Exec("CREATE TABLE IF NOT EXISTS schema_version ("
                   "version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL)"));
  Result<int64_t> current = session.Prepare("SELECT coalesce(max(version), 0) FROM schema_version")
                                .One(sql::IntFromRow, "schema version");
  if (!current) return std::unexpected(std::move(current).error());

  int64_t latest = migrations.empty() ? 0 : migrations.back().version;
  if (*current > latest) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "database schema version " + std::to_string(*current) +
                         " is newer than this binary's " + std::to_string(latest));
  }
  for (const Migration& migration : migrations) {
    if (migration.version <= *current) continue;
    Status applied = session.Exec(migration.sql);
    if (!applied) {
      return MakeError(applied.error().code,
                       "migration " + std::string(migration.name) + ": " + applied.error().message);
    }
    LATCHKEY_RETURN_IF_ERROR(session.Prepare("INSERT INTO schema_version (version, name) VALUES (?, ?)")
                                 .Bind(int64_t{migration.version})
                                 .Bind(migration.name)
                                 .Run());
  }
  return Ok();
}

}  // namespace latchkey::store
