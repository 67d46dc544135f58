#include "store/postgres/connection.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <poll.h>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

#include "store/sql/codec.h"
#include "store/sql/session.h"

namespace latchkey::store::postgres {
namespace {

constexpr Oid kInt8Oid = 20;    // pg_type.oid of bigint
constexpr Oid kUnknownOid = 0;  // let the server infer the type from the context

// libpq messages end with a newline; ours are single lines.
std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string SqlState(const PGresult* result) {
  if (result == nullptr) return {};
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  return state != nullptr ? state : "";
}

// libpq's notice receiver: server notices and warnings, and errors that arrive while no
// query runs (e.g. "terminating connection due to unexpected postmaster exit"), would go to
// stderr as raw lines by default. Here they become log events. Only the primary message, with
// the password scrubbed: DETAIL lines may quote values.
void ReceiveNotice(void* arg, const PGresult* result) {
  const auto* config = static_cast<const ConnectionConfig*>(arg);
  auto field = [result](int code) {
    const char* value = PQresultErrorField(result, code);
    return std::string(value != nullptr ? value : "");
  };
  std::string severity = field(PG_DIAG_SEVERITY_NONLOCALIZED);
  std::string message = config->Redact(Trim(field(PG_DIAG_MESSAGE_PRIMARY)));
  std::string sqlstate = field(PG_DIAG_SQLSTATE);
  spdlog::level::level_enum level = spdlog::level::debug;  // NOTICE, INFO, LOG, DEBUG
  if (severity == "WARNING") level = spdlog::level::warn;
  if (severity == "ERROR" || severity == "FATAL" || severity == "PANIC") {
    level = spdlog::level::err;
  }
  spdlog::log(level, "event=postgresql_notice severity={} sqlstate={} message=\"{}\"", severity,
              sqlstate, message);
}

}  // namespace

ErrorCode ErrorCodeForSqlState(std::string_view state) {
  if (state == "23505") return ErrorCode::kAlreadyExists;
  if (state == "23503") return ErrorCode::kNotFound;
  if (state == "22021" || state == "22P05") return ErrorCode::kInvalidArgument;
  if (state.starts_with("08") || state.starts_with("53") || state.starts_with("57P") ||
      state == "40001" || state == "40P01" || state == "55P03" || state == "57014") {
    return ErrorCode::kUnavailable;
  }
  return ErrorCode::kInternal;
}

bool IsRetryableSqlState(std::string_view state) { return state == "40001" || state == "40P01"; }

Result<ConnectionConfig> ConnectionConfig::FromUrl(const std::string& url, StoreOptions timeouts) {
  // libpq's parse errors may quote parts of the URL (the password among them): not ours.
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &parse_error);
  if (options == nullptr) {
    PQfreemem(parse_error);
    return MakeError(ErrorCode::kInvalidArgument, "postgresql: the database URL is malformed");
  }
  ConnectionConfig config;
  config.url_ = url;
  config.statement_timeout_ = std::max(timeouts.statement_timeout, std::chrono::milliseconds(1));
  config.tcp_user_timeout_ms_ =
      std::to_string(std::max<int64_t>(timeouts.tcp_user_timeout.count(), 0));
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (std::string_view(option->keyword) == "password" && option->val != nullptr) {
      config.password_ = option->val;
    }
  }
  PQconninfoFree(options);
  return config;
}

PGconn* ConnectionConfig::Connect(const char* application_name) const {
  // Defaults first: with expand_dbname, the URL's own parameters (processed later) win.
  // Keepalives and tcp_user_timeout notice a dead server within seconds instead of hanging.
  const char* keywords[] = {"connect_timeout",
                            "application_name",
                            "keepalives",
                            "keepalives_idle",
                            "keepalives_interval",
                            "keepalives_count",
                            "tcp_user_timeout",
                            "dbname",
                            nullptr};
  const char* values[] = {"3", application_name,  "1",          "10",   "5",
                          "3", tcp_user_timeout_ms_.c_str(), url_.c_str(), nullptr};
  return PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
}

std::string ConnectionConfig::Redact(std::string message) const {
  if (password_.empty()) return message;
  for (size_t at = message.find(password_); at != std::string::npos;
       at = message.find(password_, at + 3)) {
    message.replace(at, password_.size(), "***");
  }
  return message;
}

std::string Row::Text(int col) const {
  return std::string(PQgetvalue(result_, row_, col),
                     static_cast<size_t>(PQgetlength(result_, row_, col)));
}

int64_t Row::Int(int col) const {
  const char* text = PQgetvalue(result_, row_, col);
  int64_t value = 0;
  std::from_chars(text, text + PQgetlength(result_, row_, col), value);
  return value;
}

std::optional<TimePoint> Row::OptTime(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Time(col);
}

Result<std::vector<std::string>> Row::Strings(int col) const {
  return sql::DecodeStrings(Text(col));
}

Statement& Statement::Add(std::optional<std::string> value, Oid type) {
  values_.push_back(std::move(value));
  types_.push_back(type);
  return *this;
}

Statement& Statement::Bind(int64_t value) { return Add(std::to_string(value), kInt8Oid); }

Statement& Statement::Bind(std::string_view value) { return Add(std::string(value), kUnknownOid); }

Statement& Statement::Bind(TimePoint value) { return Bind(ToUnixMillis(value)); }

Statement& Statement::Bind(std::optional<TimePoint> value) {
  if (value) return Bind(*value);
  return Add(std::nullopt, kInt8Oid);
}

Statement& Statement::Bind(const std::vector<std::string>& values) {
  Result<std::string> json = sql::EncodeStrings(values);
  if (!json) {
    if (!error_) error_ = std::move(json).error();
    return Add(std::string("[]"), kUnknownOid);
  }
  return Add(std::move(*json), kUnknownOid);
}

Statement& Statement::BindBool(bool value) {
  return Add(std::string(value ? "true" : "false"), kUnknownOid);
}

Result<ResultPtr> Statement::Execute() {
  if (error_) return std::unexpected(*error_);
  for (const std::optional<std::string>& value : values_) {
    // libpq takes text parameters as C strings: an embedded NUL would silently cut the value.
    if (value && value->find('\0') != std::string::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "postgresql: text contains a NUL character");
    }
  }
  Result<std::string> name = conn_.PreparedName(sql_, types_);
  if (!name) return std::unexpected(std::move(name).error());
  std::vector<const char*> params;
  params.reserve(values_.size());
  for (const std::optional<std::string>& value : values_) {
    params.push_back(value ? value->c_str() : nullptr);
  }
  return conn_.Await(PQsendQueryPrepared(conn_.raw(), name->c_str(),
                                         static_cast<int>(params.size()), params.data(), nullptr,
                                         nullptr, /*resultFormat=*/0),
                     "query");
}

Status Statement::Run() {
  Result<ResultPtr> result = Execute();
  if (!result) return std::unexpected(std::move(result).error());
  return Ok();
}

Result<int64_t> Statement::Update() {
  Result<ResultPtr> result = Execute();
  if (!result) return std::unexpected(std::move(result).error());
  const char* tuples = PQcmdTuples(result->get());
  int64_t count = 0;
  std::from_chars(tuples, tuples + std::char_traits<char>::length(tuples), count);
  return count;
}

Connection::Connection(PGconn* conn, const ConnectionConfig& config)
    : conn_(conn, &PQfinish), config_(config) {}

Result<std::unique_ptr<Connection>> Connection::Open(const ConnectionConfig& config,
                                                     const char* application_name) {
  PGconn* raw = config.Connect(application_name);
  if (raw == nullptr) return MakeError(ErrorCode::kUnavailable, "postgresql: out of memory");
  std::unique_ptr<Connection> conn(new Connection(raw, config));
  if (PQstatus(raw) != CONNECTION_OK) {
    return MakeError(ErrorCode::kUnavailable,
                     "postgresql: cannot connect: " + config.Redact(Trim(PQerrorMessage(raw))));
  }
  conn->backend_pid_ = PQbackendPID(raw);
  // The config outlives every connection made from it (the pool and the listener own both).
  PQsetNoticeReceiver(raw, &ReceiveNotice, const_cast<ConnectionConfig*>(&config));
  LATCHKEY_RETURN_IF_ERROR(conn->Exec("SET statement_timeout = " +
                                      std::to_string(config.statement_timeout().count())));
  return conn;
}

Result<ResultPtr> Connection::Check(PGresult* raw, std::string_view context) {
  ResultPtr result(raw, &PQclear);
  ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    last_sqlstate_.clear();
    return result;
  }
  last_sqlstate_ = SqlState(result.get());
  // Only the primary message: DETAIL lines quote key values.
  const char* primary =
      result ? PQresultErrorField(result.get(), PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = primary != nullptr ? primary : Trim(PQerrorMessage(conn_.get()));
  ErrorCode code = ErrorCodeForSqlState(last_sqlstate_);
  if (!ok()) code = ErrorCode::kUnavailable;  // the session is gone, whatever the SQLSTATE
  return std::unexpected(
      Error{code, "postgresql: " + std::string(context) + ": " + config_.Redact(message)});
}

Result<ResultPtr> Connection::Await(int sent, std::string_view context) {
  if (sent == 0) return Check(nullptr, context);  // PQerrorMessage says why
  const auto timeout = reply_timeout_.value_or(config_.reply_timeout());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  PGresult* kept = nullptr;  // the error result if any, else the last one (as PQexec)
  for (;;) {
    while (PQisBusy(conn_.get()) != 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd fd{.fd = PQsocket(conn_.get()), .events = POLLIN, .revents = 0};
      int ready = left.count() > 0 ? ::poll(&fd, 1, static_cast<int>(left.count())) : 0;
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) {
        // The server or the network stopped answering: the session's state is unknown, and
        // the pool must replace it. The query may still run when the network heals; a
        // transaction's COMMIT that was not sent cannot.
        broken_ = true;
        PQclear(kept);
        return std::unexpected(
            Error{ErrorCode::kUnavailable, "postgresql: " + std::string(context) +
                                               ": no answer within " +
                                               std::to_string(timeout.count()) + " ms"});
      }
      if (ready < 0 || PQconsumeInput(conn_.get()) == 0) break;  // lost: PQgetResult reports
    }
    PGresult* next = PQgetResult(conn_.get());
    if (next == nullptr) break;
    bool next_failed = PQresultStatus(next) != PGRES_COMMAND_OK &&
                       PQresultStatus(next) != PGRES_TUPLES_OK;
    bool kept_failed = kept != nullptr && PQresultStatus(kept) != PGRES_COMMAND_OK &&
                       PQresultStatus(kept) != PGRES_TUPLES_OK;
    if (kept_failed && !next_failed) {
      PQclear(next);
    } else {
      PQclear(kept);
      kept = next;
    }
    if (PQstatus(conn_.get()) != CONNECTION_OK) break;
  }
  return Check(kept, context);
}

Result<std::string> Connection::PreparedName(std::string_view sql, const std::vector<Oid>& types) {
  std::string key(sql);
  if (auto it = prepared_.find(key); it != prepared_.end()) return it->second;
  std::string name = "lk" + std::to_string(prepared_.size() + 1);
  std::string text = sql::Translate(key, sql::kPostgres);
  Result<ResultPtr> prepared = Await(PQsendPrepare(conn_.get(), name.c_str(), text.c_str(),
                                                   static_cast<int>(types.size()), types.data()),
                                     "prepare");
  if (!prepared) return std::unexpected(std::move(prepared).error());
  prepared_.emplace(std::move(key), name);
  return name;
}

Status Connection::Exec(const std::string& sql) {
  Result<ResultPtr> result = Await(PQsendQuery(conn_.get(), sql.c_str()), "exec");
  if (!result) return std::unexpected(std::move(result).error());
  return Ok();
}

Status Connection::Ping(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  if (PQsendQuery(conn_.get(), "SELECT 1") == 0) {
    return MakeError(ErrorCode::kUnavailable,
                     "postgresql: ping: " + config_.Redact(Trim(PQerrorMessage(conn_.get()))));
  }
  while (PQisBusy(conn_.get()) != 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd fd{.fd = PQsocket(conn_.get()), .events = POLLIN, .revents = 0};
    if (left.count() <= 0 || ::poll(&fd, 1, static_cast<int>(left.count())) == 0) {
      // The session is in an unknown state: the pool must replace it.
      broken_ = true;
      return MakeError(ErrorCode::kUnavailable, "postgresql: ping timed out");
    }
    if (PQconsumeInput(conn_.get()) == 0) break;
  }
  Status status = Ok();
  bool first = true;
  while (PGresult* raw = PQgetResult(conn_.get())) {
    Result<ResultPtr> result = Check(raw, "ping");
    if (first && !result) status = std::unexpected(std::move(result).error());
    first = false;
  }
  if (first) return MakeError(ErrorCode::kUnavailable, "postgresql: ping: connection lost");
  return status;
}

void Connection::RollbackIfActive() {
  if (!ok() || idle()) return;
  // A failed ROLLBACK leaves nothing to undo: the caller already reports the original error.
  (void)Await(PQsendQuery(conn_.get(), "ROLLBACK"), "rollback");
}

bool Connection::StillConnected() {
  if (!ok()) return false;
  pollfd fd{.fd = PQsocket(conn_.get()), .events = POLLIN, .revents = 0};
  // Pool sessions never LISTEN, so an idle one has nothing to read unless the server hung up
  // (EOF, or an error such as admin shutdown before it). Rarely a parameter status report:
  // replacing that session anyway costs one reconnect.
  return ::poll(&fd, 1, 0) == 0;
}

}  // namespace latchkey::store::postgres
