#include "store/postgres/sql_session.h"

#include <algorithm>
#include <charconv>

namespace latchkey::store::postgres {
namespace {

class ResultRow final : public sql::Row {
 public:
  ResultRow(const PGresult* result, int row) : row_(result, row) {}
  bool IsNull(int col) const override { return row_.IsNull(col); }
  int64_t Int(int col) const override { return row_.Int(col); }
  std::string Text(int col) const override { return row_.Text(col); }
  bool Bool(int col) const override { return row_.Bool(col); }

 private:
  postgres::Row row_;
};

}  // namespace

Result<int64_t> SqlSession::Execute(std::string_view sql, std::span<const sql::Param> params,
                                    sql::FunctionRef<Status(const sql::Row&)> on_row,
                                    bool first_row_only) {
  Statement stmt = conn_.Prepare(sql);
  for (const sql::Param& param : params) {
    switch (param.kind) {
      case sql::Param::Kind::kNull:
        stmt.Bind(std::optional<TimePoint>());
        break;
      case sql::Param::Kind::kInt:
        stmt.Bind(param.number);
        break;
      case sql::Param::Kind::kBool:
        stmt.BindBool(param.number != 0);
        break;
      case sql::Param::Kind::kText:
        stmt.Bind(param.text);
        break;
    }
  }
  Result<ResultPtr> result = stmt.Execute();
  if (!result) return std::unexpected(std::move(result).error());
  const int rows =
      first_row_only ? std::min(PQntuples(result->get()), 1) : PQntuples(result->get());
  for (int i = 0; i < rows; ++i) {
    LATCHKEY_RETURN_IF_ERROR(on_row(ResultRow(result->get(), i)));
  }
  const char* tuples = PQcmdTuples(result->get());
  int64_t count = 0;
  std::from_chars(tuples, tuples + std::char_traits<char>::length(tuples), count);
  return count;
}

}  // namespace latchkey::store::postgres
