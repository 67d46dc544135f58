// RAII wrappers over one libpq connection, its per-connection prepared statements and query
// results, plus the mapping from SQLSTATE codes to ErrorCode. Internal to the PostgreSQL backend.
//
// A Connection is not thread-safe: ConnectionPool hands each one to a single thread at a time.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/sql/connection_session.h"
#include "store/sql/return_if_error.h"
#include "store/store.h"

namespace latchkey::store::postgres {

// Maps a SQLSTATE: 23505 unique_violation -> kAlreadyExists, 23503 foreign_key_violation ->
// kNotFound, 22021/22P05 (bad encoding) -> kInvalidArgument, connection exceptions (08*),
// shutdown (57P*), resources (53*), serialization failure/deadlock (40001/40P01, once retries
// are spent), lock and statement timeouts -> kUnavailable; anything else kInternal.
ErrorCode ErrorCodeForSqlState(std::string_view sqlstate);
// True for the SQLSTATEs after which a whole transaction may simply run again.
bool IsRetryableSqlState(std::string_view sqlstate);

// How to reach the server: a postgresql:// URL plus latchkey's defaults (connect_timeout,
// keepalives, application_name), which parameters in the URL override. Knows the URL's password
// only to scrub it from libpq's messages.
class ConnectionConfig {
 public:
  // kInvalidArgument if libpq cannot parse `url` (the message never quotes the URL).
  static Result<ConnectionConfig> FromUrl(const std::string& url, StoreOptions timeouts = {});

  // A new blocking connection; nullptr only if libpq is out of memory. The caller checks
  // PQstatus. `application_name` tells the pool's sessions from the listener's in pg_stat_activity.
  PGconn* Connect(const char* application_name) const;
  // `message` with every occurrence of the password replaced by "***".
  std::string Redact(std::string message) const;

  // The session's statement_timeout, and how long a query may go without an answer before the
  // session is given up (statement_timeout + 1 s: the server's own timeout answers first).
  std::chrono::milliseconds statement_timeout() const { return statement_timeout_; }
  std::chrono::milliseconds reply_timeout() const {
    return statement_timeout_ + std::chrono::milliseconds(1000);
  }

 private:
  std::string url_;
  std::string password_;
  std::chrono::milliseconds statement_timeout_{5000};
  std::string tcp_user_timeout_ms_ = "10000";
};

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

// One row of a query result (text format).
class Row {
 public:
  Row(const PGresult* result, int row) : result_(result), row_(row) {}

  bool IsNull(int col) const { return PQgetisnull(result_, row_, col) != 0; }
  std::string Text(int col) const;
  int64_t Int(int col) const;  // 0 for NULL
  bool Bool(int col) const { return Text(col) == "t"; }
  TimePoint Time(int col) const { return FromUnixMillis(Int(col)); }  // BIGINT milliseconds
  std::optional<TimePoint> OptTime(int col) const;
  Result<std::vector<std::string>> Strings(int col) const;  // from JSON array text

 private:
  const PGresult* result_;
  int row_;
};

class Connection;

// One execution of a prepared statement: binds positionally ($1, $2, ...) in call order; the
// first bind failure is reported when it runs. Prepares the SQL on the connection on first use
// (named lk<N>; as sql::Translate makes it: `?` numbered, `{seq}`, `{for_update}`), so a SQL
// text is parsed and planned once per connection.
class Statement {
 public:
  Statement(Connection& conn, std::string_view sql) : conn_(conn), sql_(sql) {}

  Statement& Bind(int64_t value);
  Statement& Bind(std::string_view value);
  Statement& Bind(TimePoint value);                         // BIGINT unix milliseconds
  Statement& Bind(std::optional<TimePoint> value);          // NULL for nullopt
  Statement& Bind(const std::vector<std::string>& values);  // JSON array text
  Statement& BindBool(bool value);
  Statement& BindNull() { return Bind(std::optional<TimePoint>()); }  // a NULL typed BIGINT

  // Runs the statement, ignoring any rows.
  Status Run();
  // Runs it and returns its result (the rows, PQcmdTuples).
  Result<ResultPtr> Execute();
  // Runs it and returns the number of rows inserted, updated or deleted.
  Result<int64_t> Update();

  // Maps every row with `row` (Result<T>(const Row&)).
  template <class RowFn>
  auto All(RowFn&& row)
      -> Result<std::vector<typename std::invoke_result_t<RowFn, const Row&>::value_type>> {
    using T = typename std::invoke_result_t<RowFn, const Row&>::value_type;
    Result<ResultPtr> result = Execute();
    if (!result) return std::unexpected(std::move(result).error());
    std::vector<T> out;
    int rows = PQntuples(result->get());
    out.reserve(static_cast<size_t>(rows));
    for (int i = 0; i < rows; ++i) {
      auto value = row(Row(result->get(), i));
      if (!value) return std::unexpected(std::move(value).error());
      out.push_back(std::move(*value));
    }
    return out;
  }

  // Maps the first row with `row`; kNotFound "<what> not found" when there is none.
  template <class RowFn>
  auto One(RowFn&& row, std::string_view what) -> std::invoke_result_t<RowFn, const Row&> {
    Result<ResultPtr> result = Execute();
    if (!result) return std::unexpected(std::move(result).error());
    if (PQntuples(result->get()) == 0) {
      return std::unexpected(Error{ErrorCode::kNotFound, std::string(what) + " not found"});
    }
    return row(Row(result->get(), 0));
  }

 private:
  Statement& Add(std::optional<std::string> value, Oid type);

  Connection& conn_;
  std::string_view sql_;
  std::vector<std::optional<std::string>> values_;
  std::vector<Oid> types_;
  std::optional<Error> error_;
};

class Connection {
 public:
  // Connects (blocking, up to connect_timeout). kUnavailable when the server cannot be reached
  // or refuses the session.
  static Result<std::unique_ptr<Connection>> Open(const ConnectionConfig& config,
                                                  const char* application_name);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() = default;

  Statement Prepare(std::string_view sql) { return Statement(*this, sql); }
  // Runs one or more statements with the simple query protocol (transaction control,
  // migrations). Rows, if any, are dropped.
  Status Exec(const std::string& sql);
  // The query layer's primitive (sql_session.cc): runs the bound `stmt`, calls on_row for each
  // row (only the first with first_row_only; its first error stops the run) and returns the
  // rows changed. SqlSession below is the sql::Session over it.
  Result<int64_t> RunStatement(Statement& stmt, sql::FunctionRef<Status(const sql::Row&)> on_row,
                               bool first_row_only);
  // Runs `SELECT 1`, giving up after `timeout` (the connection is then unusable).
  Status Ping(std::chrono::milliseconds timeout);

  // Rolls back the open transaction, if any.
  void RollbackIfActive();

  // False once the session is lost; the pool then drops the connection.
  bool ok() const { return !broken_ && PQstatus(conn_.get()) == CONNECTION_OK; }
  // True once a query went unanswered past the reply timeout (the session is then not ok()):
  // the server or the network stopped answering, so retrying on a new session is pointless.
  bool timed_out() const { return broken_; }
  // Replaces the config's reply timeout for this session (nullopt: back to the config's), for
  // work that may rightly take long, such as migrations.
  void SetReplyTimeout(std::optional<std::chrono::milliseconds> timeout) { reply_timeout_ = timeout; }
  bool idle() const { return PQtransactionStatus(conn_.get()) == PQTRANS_IDLE; }
  // Checks, without blocking, that the server has not closed the idle session (e.g. after a
  // restart), so that a stale pooled connection is replaced before a query is sent on it.
  bool StillConnected();
  int backend_pid() const { return backend_pid_; }
  // SQLSTATE of the last failed command ("" after a success, or when the failure had none).
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  PGconn* raw() const { return conn_.get(); }

 private:
  friend class Statement;

  Connection(PGconn* conn, const ConnectionConfig& config);
  // Turns a finished result into Ok or an Error (recording its SQLSTATE); `result` may be null.
  Result<ResultPtr> Check(PGresult* result, std::string_view context);
  // After PQsend*(): waits for the answer, at most config_.reply_timeout(), and returns what the
  // blocking call would have (the error result if any, else the last one), through Check. No
  // answer in time: the session is marked broken and the error is kUnavailable.
  Result<ResultPtr> Await(int sent, std::string_view context);
  // The prepared statement's name for `sql`, preparing it on first use.
  Result<std::string> PreparedName(std::string_view sql, const std::vector<Oid>& types);

  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
  const ConnectionConfig& config_;
  int backend_pid_ = 0;
  bool broken_ = false;  // set when a timed-out query left the session in an unknown state
  std::optional<std::chrono::milliseconds> reply_timeout_;
  std::string last_sqlstate_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
};

using SqlSession = sql::ConnectionSession<Connection, sql::kPostgres>;

}  // namespace latchkey::store::postgres
