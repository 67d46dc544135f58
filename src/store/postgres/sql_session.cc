// Connection::RunStatement, the query layer's primitive on PostgreSQL.
#include <algorithm>
#include <charconv>

#include "store/postgres/connection.h"

namespace latchkey::store::postgres {

Result<int64_t> Connection::RunStatement(Statement& stmt,
                                         sql::FunctionRef<Status(const sql::Row&)> on_row,
                                         bool first_row_only) {
  Result<ResultPtr> result = stmt.Execute();
  if (!result) return std::unexpected(std::move(result).error());
  const int rows =
      first_row_only ? std::min(PQntuples(result->get()), 1) : PQntuples(result->get());
  for (int i = 0; i < rows; ++i) {
    const postgres::Row row(result->get(), i);
    LATCHKEY_RETURN_IF_ERROR(on_row(sql::RowAdapter<postgres::Row>(row)));
  }
  const char* tuples = PQcmdTuples(result->get());
  int64_t count = 0;
  std::from_chars(tuples, tuples + std::char_traits<char>::length(tuples), count);
  return count;
}

}  // namespace latchkey::store::postgres
