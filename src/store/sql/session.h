// The connection concept of the query layer (src/store/query/): what a store operation needs
// from a database session, whichever the backend. Each operation is written once over it; the
// backends (sqlite/, postgres/) implement Session and Row over their own connection.
//
//   session.Prepare("SELECT ... WHERE token_id = ?").Bind(id).One(PatFromRow, "token")
//
// SQL text: positional `?` placeholders, and two tokens the backend fills in when it first
// prepares the text (Translate): `{seq}` for the column that orders rows by insertion (SQLite's
// rowid, PostgreSQL's seq) and `{for_update}` (PostgreSQL: " FOR UPDATE", SQLite: nothing, its
// one writer already serializes writes). Where the two SQL dialects really differ, an
// operation picks the text with session.dialect().Pick(sqlite_text, postgres_text).
#pragma once

#include <array>
#include <cstdint>
#include <forward_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/sql/codec.h"
#include "store/sql/function_ref.h"
#include "store/sql/return_if_error.h"

namespace latchkey::store::sql {

struct Dialect {
  std::string_view name;  // "sqlite" or "postgresql"
  // Several writers share the database (PostgreSQL): an operation that checks, then writes,
  // locks what it checked (FOR UPDATE, LOCK TABLE). SQLite's single writer needs no lock.
  bool row_locks = false;

  bool postgres() const { return row_locks; }
  // The statement for this dialect (both must be literals: backends cache by text).
  std::string_view Pick(std::string_view sqlite, std::string_view postgres_sql) const {
    return row_locks ? postgres_sql : sqlite;
  }
};

inline constexpr Dialect kSqlite{.name = "sqlite", .row_locks = false};
inline constexpr Dialect kPostgres{.name = "postgresql", .row_locks = true};

// The text a backend prepares for `sql`: `{seq}` and `{for_update}` filled in, and for
// PostgreSQL the `?` placeholders numbered $1, $2, ... (outside quoted literals). Backends call
// it once per text and connection, when they first prepare it.
std::string Translate(std::string_view sql, const Dialect& dialect);

// One result row. Columns by position; times are BIGINT unix milliseconds, string lists JSON.
class Row {
 public:
  virtual bool IsNull(int col) const = 0;
  virtual int64_t Int(int col) const = 0;  // 0 for NULL
  virtual std::string Text(int col) const = 0;
  virtual bool Bool(int col) const = 0;
  TimePoint Time(int col) const { return FromUnixMillis(Int(col)); }
  std::optional<TimePoint> OptTime(int col) const {
    if (IsNull(col)) return std::nullopt;
    return Time(col);
  }
  Result<std::vector<std::string>> Strings(int col) const { return DecodeStrings(Text(col)); }

 protected:
  ~Row() = default;
};

// A bound parameter. Text is a view: of the caller's value (which outlives the statement's run)
// or of a string the Statement owns.
struct Param {
  enum class Kind { kNull, kInt, kText, kBool };
  Kind kind = Kind::kNull;
  int64_t number = 0;
  std::string_view text;
};

class Statement;

class Session {
 public:
  virtual const Dialect& dialect() const = 0;
  // A statement to bind and run; see Statement.
  Statement Prepare(std::string_view sql);
  // Runs one statement without parameters or rows (e.g. LOCK TABLE), uncached.
  virtual Status Exec(std::string_view sql) = 0;
  // Runs `sql` (prepared once per session) with `params`, calling on_row for each row (the first
  // error it returns stops the run and is returned; with first_row_only, the run stops after
  // the first row). Returns the rows inserted, updated or deleted (meaningless for a SELECT).
  virtual Result<int64_t> Execute(std::string_view sql, std::span<const Param> params,
                                  FunctionRef<Status(const Row&)> on_row, bool first_row_only) = 0;

 protected:
  ~Session() = default;
};

// One execution of a statement: binds positionally in call order (at most kMaxParams), then one
// of Run, Update, All or One runs it. The first bind failure is reported by the run.
class Statement {
 public:
  static constexpr size_t kMaxParams = 16;

  Statement(Session& session, std::string_view sql) : session_(session), sql_(sql) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int64_t value) { return Add({Param::Kind::kInt, value, {}}); }
  Statement& Bind(std::string_view value) { return Add({Param::Kind::kText, 0, value}); }
  Statement& Bind(const std::string& value) { return Bind(std::string_view(value)); }
  Statement& Bind(const char* value) { return Bind(std::string_view(value)); }
  Statement& Bind(std::string&& value);  // kept until the statement goes
  Statement& Bind(TimePoint value) { return Bind(ToUnixMillis(value)); }
  Statement& Bind(std::optional<TimePoint> value);          // NULL for nullopt
  Statement& Bind(const std::vector<std::string>& values);  // JSON array text
  Statement& BindBool(bool value) { return Add({Param::Kind::kBool, value ? 1 : 0, {}}); }
  // Binds each of `values` in order, as Bind would (a bool as BindBool).
  template <class... Values>
  Statement& BindAll(const Values&... values) {
    (BindOne(values), ...);
    return *this;
  }

  // Runs the statement, ignoring any rows.
  Status Run();
  // Runs it and returns the number of rows inserted, updated or deleted.
  Result<int64_t> Update();
  // Runs an UPDATE or DELETE of rows that must exist: kNotFound "<what> not found" when it
  // changed none.
  Status UpdateExisting(std::string_view what);
  // Runs a `SELECT count(*)` bounding a quota: kResourceExhausted `exhausted` when the count
  // is `max` or more.
  Status RequireCountBelow(int64_t max, std::string_view exhausted);

  // Maps every row with `row` (Result<T>(const Row&)).
  template <class RowFn>
  auto All(RowFn&& row)
      -> Result<std::vector<typename std::invoke_result_t<RowFn&, const Row&>::value_type>> {
    std::vector<typename std::invoke_result_t<RowFn&, const Row&>::value_type> out;
    Result<int64_t> ran = Execute([&](const Row& r) -> Status {
      auto value = row(r);
      if (!value) return std::unexpected(std::move(value).error());
      out.push_back(std::move(*value));
      return Ok();
    });
    if (!ran) return std::unexpected(std::move(ran).error());
    return out;
  }

  // Maps the first row with `row`; kNotFound "<what> not found" when there is none.
  template <class RowFn>
  auto One(RowFn&& row, std::string_view what) -> std::invoke_result_t<RowFn&, const Row&> {
    std::optional<std::invoke_result_t<RowFn&, const Row&>> out;
    Result<int64_t> ran = Execute(
        [&](const Row& r) -> Status {
          out.emplace(row(r));
          return Ok();
        },
        /*first_row_only=*/true);
    if (!ran) return std::unexpected(std::move(ran).error());
    if (!out) return std::unexpected(Error{ErrorCode::kNotFound, std::string(what) + " not found"});
    return std::move(*out);
  }

 private:
  template <class Value>
  void BindOne(const Value& value) {
    if constexpr (std::is_same_v<Value, bool>) {
      BindBool(value);
    } else {
      Bind(value);
    }
  }
  Statement& Add(Param param);
  Result<int64_t> Execute(FunctionRef<Status(const Row&)> on_row, bool first_row_only = false);

  Session& session_;
  std::string_view sql_;
  std::array<Param, kMaxParams> params_{};
  size_t count_ = 0;
  std::forward_list<std::string> owned_;  // node-based: views into it stay valid
  std::optional<Error> error_;
};

inline Statement Session::Prepare(std::string_view sql) { return Statement(*this, sql); }

// Row mappers for one column.
inline Result<int64_t> IntFromRow(const Row& row) { return row.Int(0); }
inline Result<std::string> TextColumnFromRow(const Row& row) { return row.Text(0); }

}  // namespace latchkey::store::sql
