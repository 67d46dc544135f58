// PostgresStore: U2M refresh tokens (issue 24). Each operation is one statement or one
// transaction, self-contained.
#include <string>

#include "store/row_mappers.h"
#include "store/postgres/postgres_store.h"

namespace latchkey::store::postgres {
namespace {

constexpr char kColumns[] =
    "token_hash, family_id, principal_id, client_id, scope, created_at, expires_at,"
    " used_at, revoked";

Status InsertRefreshToken(Connection& conn, const RefreshToken& t) {
  return conn
      .Prepare(std::string("INSERT INTO oauth_refresh_tokens (") + kColumns +
               ") VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, 0)")
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

Status PostgresStore::CreateRefreshToken(const RefreshToken& token) {
  return Write([&](Connection& conn) -> Status {
    LATCHKEY_RETURN_IF_ERROR(conn.Prepare("DELETE FROM oauth_refresh_tokens WHERE expires_at <= $1")
                                 .Bind(token.created_at)
                                 .Run());
    return InsertRefreshToken(conn, token);
  });
}

Result<RefreshToken> PostgresStore::GetRefreshToken(const std::string& token_hash) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare(std::string("SELECT ") + kColumns +
                 " FROM oauth_refresh_tokens WHERE token_hash = $1")
        .Bind(token_hash)
        .One(RefreshTokenFromRow<Row>, "refresh token");
  });
}

Result<RefreshToken> PostgresStore::RotateRefreshToken(const std::string& old_hash,
                                                     const RefreshToken& next) {
  RefreshToken old;
  bool reused = false;
  Status status = Write([&](Connection& conn) -> Status {
    reused = false;
    Result<RefreshToken> found =
        conn.Prepare(std::string("SELECT ") + kColumns +
                     " FROM oauth_refresh_tokens WHERE token_hash = $1 FOR UPDATE")
            .Bind(old_hash)
            .One(RefreshTokenFromRow<Row>, "refresh token");
    if (!found) return std::unexpected(found.error());
    old = *found;
    if (old.used_at || old.revoked) {
      reused = true;
      return conn.Prepare("UPDATE oauth_refresh_tokens SET revoked = 1 WHERE family_id = $1")
          .Bind(old.family_id)
          .Run();
    }
    Result<int64_t> marked =
        conn.Prepare("UPDATE oauth_refresh_tokens SET used_at = $1 WHERE token_hash = $2"
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

Result<int64_t> PostgresStore::RevokeRefreshTokenFamily(const std::string& family_id) {
  int64_t revoked = 0;
  Status status = Write([&](Connection& conn) -> Status {
    Result<int64_t> n =
        conn.Prepare("UPDATE oauth_refresh_tokens SET revoked = 1 WHERE family_id = $1 AND revoked = 0")
            .Bind(family_id)
            .Update();
    if (!n) return std::unexpected(n.error());
    revoked = *n;
    return Ok();
  });
  if (!status) return std::unexpected(status.error());
  return revoked;
}

}  // namespace latchkey::store::postgres
