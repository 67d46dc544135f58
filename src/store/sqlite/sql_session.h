// The SQLite side of the query layer's connection concept (sql/session.h): a Session over one
// leased Connection, its cached prepared statements and its rows.
#pragma once

#include "store/sql/connection_session.h"
#include "store/sqlite/connection.h"

namespace latchkey::store::sqlite {

class SqlSession final : public sql::ConnectionSession<Connection, sql::kSqlite> {
 public:
  using ConnectionSession::ConnectionSession;

  // Steps the statement; the count is sqlite3_changes64.
  Result<int64_t> Execute(std::string_view sql, std::span<const sql::Param> params,
                          sql::FunctionRef<Status(const sql::Row&)> on_row,
                          bool first_row_only) override;
};

}  // namespace latchkey::store::sqlite
