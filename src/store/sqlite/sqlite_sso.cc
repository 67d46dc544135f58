// SqliteStore: U2M refresh tokens (issue 24). Each operation is one statement or one
// transaction, self-contained.
#include <string>

#include "store/row_mappers.h"
#include "store/sqlite/connection_pool.h"
#include "store/sqlite/sqlite_store.h"

namespace latchkey::store::sqlite {
namespace {

constexpr char kColumns[] =
    "token_hash, family_id, principal_id, client_id, scope, created_at, expires_at,"
    " used_at, revoked";

Status InsertRefreshToken(Connection& conn, const RefreshToken& t) {
  return conn
      .Prepare(std::string("INSERT INTO oauth_refresh_tokens (") + kColumns +
               ") VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 0)")
      .Bind(t.token_hash)
      .Bind(t.family_id)
      .Bind(t.principal_id)
      .Bind(t.client_id)
      .Bind(t.scope)
      .Bind(t.created_at)
      .Bind(t.expires_at)
      .Run();
}

}  // namespace

Status SqliteStore::CreateRefreshToken(const RefreshToken& token) {
  return Write(nullptr, [&](Connection& conn) -> Status {
    LATCHKEY_RETURN_IF_ERROR(conn.Prepare("DELETE FROM oauth_refresh_tokens WHERE expires_at <= ?")
                                 .Bind(token.created_at)
                                 .Run());
    return InsertRefreshToken(conn, token);
  });
}

Result<RefreshToken> SqliteStore::GetRefreshToken(const std::string& token_hash) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare(std::string("SELECT ") + kColumns +
                 " FROM oauth_refresh_tokens WHERE token_hash = ?")
        .Bind(token_hash)
        .One(RefreshTokenFromRow<Statement>, "refresh token");
  });
}

Result<RefreshToken> SqliteStore::RotateRefreshToken(const std::string& old_hash,
                                                     const RefreshToken& next) {
  RefreshToken old;
  bool reused = false;
  Status status = Write(nullptr, [&](Connection& conn) -> Status {
    reused = false;
    Result<RefreshToken> found =
        conn.Prepare(std::string("SELECT ") + kColumns +
                     " FROM oauth_refresh_tokens WHERE token_hash = ?")
            .Bind(old_hash)
            .One(RefreshTokenFromRow<Statement>, "refresh token");
    if (!found) return std::unexpected(found.error());
    old = *found;
    if (old.used_at || old.revoked) {
      reused = true;
      return conn.Prepare("UPDATE oauth_refresh_tokens SET revoked = 1 WHERE family_id = ?")
          .Bind(old.family_id)
          .Run();
    }
    Result<int64_t> marked =
        conn.Prepare("UPDATE oauth_refresh_tokens SET used_at = ? WHERE token_hash = ?"
                     " AND used_at IS NULL AND revoked = 0")
            .Bind(next.created_at)
            .Bind(old_hash)
            .Update();
    if (!marked) return std::unexpected(marked.error());
    RefreshToken n = next;
    n.family_id = old.family_id;
    return InsertRefreshToken(conn, n);
  });
  if (!status) return std::unexpected(status.error());
  if (reused) return MakeError(ErrorCode::kFailedPrecondition, "refresh token reused");
  return old;
}

Result<int64_t> SqliteStore::RevokeRefreshTokenFamily(const std::string& family_id) {
  return pool_->Write([&](Connection& conn) {
    return conn
        .Prepare("UPDATE oauth_refresh_tokens SET revoked = 1 WHERE family_id = ? AND revoked = 0")
        .Bind(family_id)
        .Update();
  });
}

}  // namespace latchkey::store::sqlite
