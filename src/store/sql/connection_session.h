// What the two backends' sql::Session implementations share: a session over one leased
// connection of the backend (Exec runs on it as is), the parameters bound in order by kind,
// and a sql::Row over the backend's own row. Each backend (sqlite/sql_session.*,
// postgres/sql_session.*) adds only Execute: how its statement runs and hands out rows.
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

// A Session over one connection of type Connection (anything with Exec(const std::string&)),
// speaking kDialect. The backend derives from it and defines Execute.
template <class Connection, const Dialect& kDialect>
class ConnectionSession : public Session {
 public:
  explicit ConnectionSession(Connection& conn) : conn_(conn) {}

  const Dialect& dialect() const final { return kDialect; }
  Status Exec(std::string_view sql) final { return conn_.Exec(std::string(sql)); }

 protected:
  ~ConnectionSession() = default;

  Connection& conn_;
};

}  // namespace latchkey::store::sql
