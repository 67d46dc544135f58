// RAII wrappers over one SQLite connection and its cached prepared statements, plus the mapping
// from SQLite result codes to ErrorCode. Internal to the SQLite backend.
//
// A Connection is not thread-safe: ConnectionPool hands each one to a single thread at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/sql/connection_session.h"
#include "store/sql/return_if_error.h"

namespace latchkey::store::sqlite {

// Maps a (extended) SQLite result code: constraint UNIQUE/PRIMARYKEY -> kAlreadyExists,
// FOREIGNKEY -> kNotFound (a referenced row is missing), BUSY/LOCKED/IOERR/CANTOPEN/FULL ->
// kUnavailable, anything else kInternal. `context` names the operation, never a value.
Error SqliteError(int rc, sqlite3* db, std::string_view context);

// A borrowed cached statement with its bindings. Binds positionally in call order; the first
// prepare or bind failure is reported by the next Step/Run. Resets the statement when
// destroyed, so at most one Statement per SQL text may be alive per connection.
class Statement {
 public:
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  explicit Statement(Error error) : error_(std::move(error)) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  Statement& Bind(int64_t value);
  Statement& Bind(std::string_view value);
  Statement& Bind(TimePoint value);                         // unix milliseconds
  Statement& Bind(std::optional<TimePoint> value);          // NULL for nullopt
  Statement& Bind(const std::vector<std::string>& values);  // JSON array text
  Statement& BindNull();
  Statement& BindBool(bool value) { return Bind(int64_t{value ? 1 : 0}); }  // INTEGER 0 or 1

  // Steps once: true if a row is available, false when done.
  Result<bool> Step();
  // Steps to completion (for statements returning no rows).
  Status Run();
  // Like Run; returns the number of rows inserted, updated or deleted.
  Result<int64_t> Update();

  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool Bool(int col) const { return Int(col) != 0; }
  std::string Text(int col) const;
  TimePoint Time(int col) const { return FromUnixMillis(Int(col)); }
  std::optional<TimePoint> OptTime(int col) const;
  Result<std::vector<std::string>> Strings(int col) const;  // from JSON array text

  // Maps every row with `row` (Result<T>(const Statement&)).
  template <class RowFn>
  auto All(RowFn&& row)
      -> Result<std::vector<typename std::invoke_result_t<RowFn, const Statement&>::value_type>> {
    using T = typename std::invoke_result_t<RowFn, const Statement&>::value_type;
    std::vector<T> out;
    for (;;) {
      Result<bool> has_row = Step();
      if (!has_row) return std::unexpected(std::move(has_row).error());
      if (!*has_row) return out;
      auto value = row(static_cast<const Statement&>(*this));
      if (!value) return std::unexpected(std::move(value).error());
      out.push_back(std::move(*value));
    }
  }

  // Maps the first row with `row`; kNotFound "<what> not found" when there is none.
  template <class RowFn>
  auto One(RowFn&& row, std::string_view what) -> std::invoke_result_t<RowFn, const Statement&> {
    Result<bool> has_row = Step();
    if (!has_row) return std::unexpected(std::move(has_row).error());
    if (!*has_row)
      return std::unexpected(Error{ErrorCode::kNotFound, std::string(what) + " not found"});
    return row(static_cast<const Statement&>(*this));
  }

 private:
  void CheckBind(int rc);

  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  int next_index_ = 1;
  std::optional<Error> error_;
};

class Connection {
 public:
  // Opens `path` (":memory:" for a private in-memory database) with SQLite `flags`, enables
  // extended result codes, busy_timeout 5000 ms and foreign keys.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, int flags);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() = default;

  // The cached prepared statement for `sql` (prepared on first use, as sql::Translate makes it:
  // `{seq}` is rowid).
  Statement Prepare(std::string_view sql);
  // Runs one or more statements without caching (pragmas, migrations).
  Status Exec(const std::string& sql);
  // The query layer's primitive (sql_session.cc): runs the bound `stmt`, calls on_row for each
  // row (only the first with first_row_only; its first error stops the run) and returns the
  // rows changed. SqlSession below is the sql::Session over it.
  Result<int64_t> RunStatement(Statement& stmt, sql::FunctionRef<Status(const sql::Row&)> on_row,
                               bool first_row_only);
  // Runs `pragma` and returns the first column of every row.
  Result<std::vector<std::string>> Pragma(std::string_view pragma);

  // Transactions. BeginImmediate takes the write lock up front (waiting up to busy_timeout), so
  // a write transaction never fails later with SQLITE_BUSY on lock upgrade.
  Status BeginImmediate() { return Prepare("BEGIN IMMEDIATE").Run(); }
  Status BeginRead() { return Prepare("BEGIN").Run(); }
  Status Commit() { return Prepare("COMMIT").Run(); }
  // Rolls back the open transaction, if any (SQLite may already have rolled it back).
  void RollbackIfActive();

  sqlite3* raw() const { return db_.get(); }

 private:
  struct DbCloser {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  struct StmtFinalizer {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
  };

  explicit Connection(sqlite3* db) : db_(db) {}

  std::unique_ptr<sqlite3, DbCloser> db_;
  // Declared after db_: statements are finalized before the connection closes.
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, StmtFinalizer>> cache_;
};

using SqlSession = sql::ConnectionSession<Connection, sql::kSqlite>;

}  // namespace latchkey::store::sqlite
