#include "store/sqlite/connection.h"

#include <string>
#include <utility>

#include "store/sql/codec.h"
#include "store/sql/session.h"

namespace latchkey::store::sqlite {

Error SqliteError(int rc, sqlite3* db, std::string_view context) {
  std::string message = "sqlite: " + std::string(context) + ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Error{ErrorCode::kAlreadyExists, std::move(message)};
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return Error{ErrorCode::kNotFound, std::move(message)};
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_PROTOCOL:
    case SQLITE_READONLY:
      return Error{ErrorCode::kUnavailable, std::move(message)};
    default:
      return Error{ErrorCode::kInternal, std::move(message)};
  }
}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      db_(other.db_),
      next_index_(other.next_index_),
      error_(std::move(other.error_)) {}

Statement::~Statement() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

void Statement::CheckBind(int rc) {
  if (rc != SQLITE_OK && !error_) error_ = SqliteError(rc, db_, "bind");
  ++next_index_;
}

Statement& Statement::Bind(int64_t value) {
  if (stmt_ == nullptr) return *this;
  CheckBind(sqlite3_bind_int64(stmt_, next_index_, value));
  return *this;
}

Statement& Statement::Bind(std::string_view value) {
  if (stmt_ == nullptr) return *this;
  CheckBind(sqlite3_bind_text64(stmt_, next_index_, value.data(), value.size(), SQLITE_TRANSIENT,
                                SQLITE_UTF8));
  return *this;
}

Statement& Statement::Bind(TimePoint value) { return Bind(ToUnixMillis(value)); }

Statement& Statement::Bind(std::optional<TimePoint> value) {
  if (value) return Bind(*value);
  return BindNull();
}

Statement& Statement::BindNull() {
  if (stmt_ == nullptr) return *this;
  CheckBind(sqlite3_bind_null(stmt_, next_index_));
  return *this;
}

Statement& Statement::Bind(const std::vector<std::string>& values) {
  Result<std::string> json = sql::EncodeStrings(values);
  if (!json) {
    if (!error_) error_ = std::move(json).error();
    ++next_index_;
    return *this;
  }
  return Bind(std::string_view(*json));
}

Result<bool> Statement::Step() {
  if (error_) return std::unexpected(*error_);
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(SqliteError(rc, db_, "step"));
}

Status Statement::Run() {
  Result<bool> has_row = Step();
  while (has_row && *has_row) has_row = Step();
  if (!has_row) return std::unexpected(std::move(has_row).error());
  return Ok();
}

Result<int64_t> Statement::Update() {
  LATCHKEY_RETURN_IF_ERROR(Run());
  return sqlite3_changes64(db_);
}

std::string Statement::Text(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::optional<TimePoint> Statement::OptTime(int col) const {
  if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
  return Time(col);
}

Result<std::vector<std::string>> Statement::Strings(int col) const {
  return sql::DecodeStrings(Text(col));
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  // sqlite3_open_v2 allocates a handle even when it fails; the Connection owns it either way.
  std::unique_ptr<Connection> conn(new Connection(raw));
  if (rc != SQLITE_OK) return std::unexpected(SqliteError(rc, raw, "open"));
  sqlite3_extended_result_codes(raw, 1);
  rc = sqlite3_busy_timeout(raw, 5000);
  if (rc != SQLITE_OK) return std::unexpected(SqliteError(rc, raw, "busy_timeout"));
  LATCHKEY_RETURN_IF_ERROR(conn->Exec("PRAGMA foreign_keys = ON"));
  return conn;
}

Statement Connection::Prepare(std::string_view sql) {
  auto it = cache_.find(std::string(sql));
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    std::string text = sql::Translate(sql, sql::kSqlite);
    int rc = sqlite3_prepare_v3(db_.get(), text.data(), static_cast<int>(text.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return Statement(SqliteError(rc, db_.get(), "prepare"));
    }
    it = cache_.emplace(std::string(sql), stmt).first;
  }
  return Statement(it->second.get(), db_.get());
}

Status Connection::Exec(const std::string& sql) {
  int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(SqliteError(rc, db_.get(), "exec"));
  return Ok();
}

void Connection::RollbackIfActive() {
  // A failed ROLLBACK leaves nothing to undo: the caller already reports the original error.
  if (sqlite3_get_autocommit(db_.get()) == 0) (void)Prepare("ROLLBACK").Run();
}

Result<std::vector<std::string>> Connection::Pragma(std::string_view pragma) {
  Statement stmt = Prepare("PRAGMA " + std::string(pragma));
  return stmt.All([](const Statement& row) -> Result<std::string> { return row.Text(0); });
}

}  // namespace latchkey::store::sqlite
