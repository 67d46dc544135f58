#include "store/sqlite/migrate.h"

namespace latchkey::store::sqlite {

Status ApplyMigrations(Connection& conn, std::span<const Migration> migrations) {
  SqlSession session(conn);
  return RunMigrations(session, migrations);
}

}  // namespace latchkey::store::sqlite
