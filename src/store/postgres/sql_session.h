// The PostgreSQL side of the query layer's connection concept (sql/session.h): a Session over
// one leased Connection, its per-session prepared statements and its rows.
#pragma once

#include "store/postgres/connection.h"
#include "store/sql/connection_session.h"

namespace latchkey::store::postgres {

class SqlSession final : public sql::ConnectionSession<Connection, sql::kPostgres> {
 public:
  using ConnectionSession::ConnectionSession;

  // Runs the statement and reads the whole result; the count is PQcmdTuples.
  Result<int64_t> Execute(std::string_view sql, std::span<const sql::Param> params,
                          sql::FunctionRef<Status(const sql::Row&)> on_row,
                          bool first_row_only) override;
};

}  // namespace latchkey::store::postgres
