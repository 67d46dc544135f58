// A numbered schema migration compiled into the binary. Every backend keeps its own SQL in
// src/store/<backend>/migrations/NNNN_name.sql with the same numbering; the build embeds them
// (embed_migrations.cmake) and the backend applies, at open, those above its schema_version.
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
