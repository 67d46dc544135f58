// The PostgreSQL side of the query layer's connection concept (sql/session.h): a Session over
// one leased Connection, its per-session prepared statements and its rows.
#pragma once

#include "store/postgres/connection.h"
#include "store/sql/session.h"

namespace latchkey::store::postgres {

class SqlSession final : public sql::Session {
 public:
  explicit SqlSession(Connection& conn) : conn_(conn) {}

  const sql::Dialect& dialect() const override { return sql::kPostgres; }
  Status Exec(std::string_view sql) override { return conn_.Exec(std::string(sql)); }
  Result<int64_t> Execute(std::string_view sql, std::span<const sql::Param> params,
                          sql::FunctionRef<Status(const sql::Row&)> on_row,
                          bool first_row_only) override;

 private:
  Connection& conn_;
};

}  // namespace latchkey::store::postgres
