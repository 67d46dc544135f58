// Connection::RunStatement, the query layer's primitive on SQLite.
#include "store/sqlite/connection.h"

namespace latchkey::store::sqlite {

Result<int64_t> Connection::RunStatement(Statement& stmt,
                                         sql::FunctionRef<Status(const sql::Row&)> on_row,
                                         bool first_row_only) {
  sql::RowAdapter<Statement> row(stmt);
  for (;;) {
    Result<bool> has_row = stmt.Step();
    if (!has_row) return std::unexpected(std::move(has_row).error());
    if (!*has_row) break;
    LATCHKEY_RETURN_IF_ERROR(on_row(row));
    if (first_row_only) return 0;  // the statement is reset when it goes
  }
  return sqlite3_changes64(raw());
}

}  // namespace latchkey::store::sqlite
