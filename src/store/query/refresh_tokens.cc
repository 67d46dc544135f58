// U2M refresh tokens (issue 24), written once for both backends over the query layer. Only
// hashes are stored; a family is every token rotated from one sign-in.
#include <string>

#include "store/row_mappers.h"
#include "store/store.h"

namespace latchkey::store {

using sql::Session;

namespace {

// The record as it is, used_at and revoked included (a new token has neither).
Status InsertRefreshToken(Session& s, const RefreshToken& t) {
  return RefreshTokenColumns::Bind(
             s.Prepare("INSERT INTO oauth_refresh_tokens (" LATCHKEY_REFRESH_TOKEN_COLUMNS
                       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
             t)
      .Bind(t.used_at)
      .Bind(int64_t{t.revoked ? 1 : 0})
      .Run();
}

}  // namespace

Status TokenStore::CreateRefreshToken(const RefreshToken& token) {
  return Write("CreateRefreshToken", [&](Session& s) -> Status {
    LATCHKEY_RETURN_IF_ERROR(s.Prepare("DELETE FROM oauth_refresh_tokens WHERE expires_at <= ?")
                                 .Bind(token.created_at)
                                 .Run());
    return InsertRefreshToken(s, token);
  });
}

Result<std::vector<RefreshToken>> TokenStore::ListRefreshTokens() {
  return ReadAll("ListRefreshTokens",
                 "SELECT " LATCHKEY_REFRESH_TOKEN_COLUMNS
                 " FROM oauth_refresh_tokens ORDER BY created_at, token_hash",
                 RefreshTokenFromRow);
}

Status TokenStore::CopyRefreshToken(const RefreshToken& token) {
  return Write("CopyRefreshToken", [&](Session& s) { return InsertRefreshToken(s, token); });
}

Result<RefreshToken> TokenStore::GetRefreshToken(const std::string& token_hash) {
  return ReadOne("GetRefreshToken",
                 "SELECT " LATCHKEY_REFRESH_TOKEN_COLUMNS
                 " FROM oauth_refresh_tokens WHERE token_hash = ?",
                 RefreshTokenFromRow, "refresh token", token_hash);
}

Result<RefreshToken> TokenStore::RotateRefreshToken(const std::string& old_hash,
                                                    const RefreshToken& next) {
  RefreshToken old;
  bool reused = false;
  Status status = Write("RotateRefreshToken", [&](Session& s) -> Status {
    reused = false;  // the transaction may run again (PostgreSQL retries)
    Result<RefreshToken> found =
        s.Prepare("SELECT " LATCHKEY_REFRESH_TOKEN_COLUMNS
                  " FROM oauth_refresh_tokens WHERE token_hash = ?{for_update}")
            .Bind(old_hash)
            .One(RefreshTokenFromRow, "refresh token");
    if (!found) return std::unexpected(found.error());
    old = *found;
    if (old.used_at || old.revoked) {
      // Reuse: the whole family is revoked, and that is committed (the caller is refused).
      reused = true;
      return s.Prepare("UPDATE oauth_refresh_tokens SET revoked = 1 WHERE family_id = ?")
          .Bind(old.family_id)
          .Run();
    }
    Result<int64_t> marked =
        s.Prepare("UPDATE oauth_refresh_tokens SET used_at = ? WHERE token_hash = ?"
                  " AND used_at IS NULL AND revoked = 0")
            .Bind(next.created_at)
            .Bind(old_hash)
            .Update();
    if (!marked) return std::unexpected(marked.error());
    RefreshToken n = next;
    n.family_id = old.family_id;
    n.used_at.reset();
    n.revoked = false;
    return InsertRefreshToken(s, n);
  });
  if (!status) return std::unexpected(status.error());
  if (reused) return MakeError(ErrorCode::kFailedPrecondition, "refresh token reused");
  return old;
}

Result<int64_t> TokenStore::RevokeRefreshTokenFamily(const std::string& family_id) {
  return Write("RevokeRefreshTokenFamily", [&](Session& s) {
    return s
        .Prepare("UPDATE oauth_refresh_tokens SET revoked = 1 WHERE family_id = ? AND revoked = 0")
        .Bind(family_id)
        .Update();
  });
}

}  // namespace latchkey::store
