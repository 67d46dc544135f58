// A numbered schema migration compiled into the binary. Each is written once, for both
// backends, in src/store/migrations/NNNN_name.sql (dialect tokens where the SQL differs); the
// build turns it into each backend's text and embeds that (embed_migrations.cmake), and the
// backend applies, at open, those above its schema_version (by number; the text is not
// compared).
#pragma once

#include <span>
#include <string_view>

namespace latchkey::store {

struct Migration {
  int version;            // 1, 2, 3, ... without gaps
  std::string_view name;  // file name, e.g. "0001_init.sql"
  std::string_view sql;   // one or more statements
};

namespace sqlite {
// The SQLite migrations, ordered by version (generated sqlite_migrations.cc).
std::span<const Migration> Migrations();
}  // namespace sqlite

}  // namespace latchkey::store
