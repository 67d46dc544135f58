// The query layer's Session over a backend's connection, written once: a backend's Connection
// provides Exec, Prepare (a statement with BindNull, Bind and BindBool) and RunStatement (the
// one primitive: run a bound statement and hand out its rows through RowAdapter, defined in
// <backend>/sql_session.cc), and ConnectionSession<Connection, dialect> is its sql::Session
// (<backend>/connection.h names it SqlSession).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "store/sql/session.h"

namespace latchkey::store::sql {

// A Row over a backend's row type (anything with IsNull, Int, Text and Bool by column).
template <class BackendRow>
class RowAdapter final : public Row {
 public:
  explicit RowAdapter(const BackendRow& row) : row_(row) {}
  bool IsNull(int col) const override { return row_.IsNull(col); }
  int64_t Int(int col) const override { return row_.Int(col); }
  std::string Text(int col) const override { return row_.Text(col); }
  bool Bool(int col) const override { return row_.Bool(col); }

 private:
  const BackendRow& row_;
};

// Binds `params` to a backend's statement in order: BindNull, Bind(int64_t), BindBool and
// Bind(std::string_view).
template <class BackendStatement>
void BindParams(BackendStatement& stmt, std::span<const Param> params) {
  for (const Param& param : params) {
    switch (param.kind) {
      case Param::Kind::kNull:
        stmt.BindNull();
        break;
      case Param::Kind::kInt:
        stmt.Bind(param.number);
        break;
      case Param::Kind::kBool:
        stmt.BindBool(param.number != 0);
        break;
      case Param::Kind::kText:
        stmt.Bind(param.text);
        break;
    }
  }
}

// A Session over one connection of type Connection, speaking kDialect.
template <class Connection, const Dialect& kDialect>
class ConnectionSession final : public Session {
 public:
  using BackendConnection = Connection;

  explicit ConnectionSession(Connection& conn) : conn_(conn) {}

  // fn(Session&) as a function of the connection, for the backend's pool:
  //   pool->Read(SqlSession::Over(fn))
  template <class Fn>
  static auto Over(Fn& fn) {
    return [&fn](Connection& conn) {
      ConnectionSession session(conn);
      return fn(session);
    };
  }

  const Dialect& dialect() const override { return kDialect; }
  Status Exec(std::string_view sql) override { return conn_.Exec(std::string(sql)); }
  Result<int64_t> Execute(std::string_view sql, std::span<const Param> params,
                          FunctionRef<Status(const Row&)> on_row, bool first_row_only) override {
    auto statement = conn_.Prepare(sql);
    BindParams(statement, params);
    return conn_.RunStatement(statement, on_row, first_row_only);
  }

 private:
  Connection& conn_;
};

}  // namespace latchkey::store::sql
