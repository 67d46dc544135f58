#include "store/sqlite/sql_session.h"

namespace latchkey::store::sqlite {
namespace {

class StatementRow final : public sql::Row {
 public:
  explicit StatementRow(const Statement& stmt) : stmt_(stmt) {}
  bool IsNull(int col) const override { return stmt_.IsNull(col); }
  int64_t Int(int col) const override { return stmt_.Int(col); }
  std::string Text(int col) const override { return stmt_.Text(col); }
  bool Bool(int col) const override { return stmt_.Bool(col); }

 private:
  const Statement& stmt_;
};

}  // namespace

Result<int64_t> SqlSession::Execute(std::string_view sql, std::span<const sql::Param> params,
                                    sql::FunctionRef<Status(const sql::Row&)> on_row,
                                    bool first_row_only) {
  Statement stmt = conn_.Prepare(sql);
  for (const sql::Param& param : params) {
    switch (param.kind) {
      case sql::Param::Kind::kNull:
        stmt.BindNull();
        break;
      case sql::Param::Kind::kInt:
      case sql::Param::Kind::kBool:
        stmt.Bind(param.number);
        break;
      case sql::Param::Kind::kText:
        stmt.Bind(param.text);
        break;
    }
  }
  StatementRow row(stmt);
  for (;;) {
    Result<bool> has_row = stmt.Step();
    if (!has_row) return std::unexpected(std::move(has_row).error());
    if (!*has_row) break;
    LATCHKEY_RETURN_IF_ERROR(on_row(row));
    if (first_row_only) return 0;  // the statement is reset when it goes
  }
  return sqlite3_changes64(conn_.raw());
}

}  // namespace latchkey::store::sqlite
