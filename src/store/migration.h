// A numbered schema migration compiled into the binary. Each is written once, for both
// backends, in src/store/migrations/NNNN_name.sql (dialect tokens where the SQL differs); the
// build turns it into each backend's text and embeds that (embed_migrations.cmake), and the
// backend applies, at open, those above its schema_version (by number; the text is not
// compared).
#pragma once

#include <span>
#include <string_view>

#include "base/result.h"

namespace latchkey::store {

namespace sql {
class Session;
}  // namespace sql

struct Migration {
  int version;            // 1, 2, 3, ... without gaps
  std::string_view name;  // file name, e.g. "0001_init.sql"
  std::string_view sql;   // one or more statements
};

// Creates schema_version if needed and runs, in order, every migration above the recorded
// version, recording each (by number and name). The backend's ApplyMigrations runs it inside
// its write transaction (all or nothing). kFailedPrecondition if the database was migrated by
// a newer binary.
Status RunMigrations(sql::Session& session, std::span<const Migration> migrations);

namespace sqlite {
// The SQLite migrations, ordered by version (generated sqlite_migrations.cc).
std::span<const Migration> Migrations();
}  // namespace sqlite

}  // namespace latchkey::store
