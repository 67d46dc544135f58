// SqliteStore: token permissions, PATs, OAuth secrets and workspace configuration.
#include <string>
#include <utility>
#include <vector>

#include "store/row_mappers.h"
#include "store/sql/codec.h"
#include "store/sqlite/connection_pool.h"
#include "store/sqlite/sqlite_store.h"

namespace latchkey::store::sqlite {

Result<std::vector<TokenPermission>> SqliteStore::ListTokenPermissions() {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare(
            "SELECT subject_kind, subject_id, permission_level FROM token_permissions"
            " ORDER BY position")
        .All(TokenPermissionFromRow<Statement>);
  });
}

Status SqliteStore::ReplaceTokenPermissions(const std::vector<TokenPermission>& grants,
                                            const std::vector<int64_t>& revoke_owner_ids,
                                            const AuditEvent* audit) {
  std::vector<Change> changes;
  Status status = Write(audit, [&](Connection& conn) -> Status {
    LATCHKEY_RETURN_IF_ERROR(conn.Prepare("DELETE FROM token_permissions").Run());
    for (size_t i = 0; i < grants.size(); ++i) {
      LATCHKEY_RETURN_IF_ERROR(
          conn.Prepare("INSERT INTO token_permissions (subject_kind, subject_id,"
                       " permission_level, position) VALUES (?, ?, ?, ?)")
              .Bind(sql::AclSubjectKindName(grants[i].subject_kind))
              .Bind(grants[i].subject_id)
              .Bind(grants[i].permission_level)
              .Bind(static_cast<int64_t>(i))
              .Run());
    }
    changes.push_back({ChangeKind::kPermissionsChanged, ""});
    for (int64_t owner : revoke_owner_ids) {
      Result<std::vector<std::string>> revoked =
          conn.Prepare("DELETE FROM pats WHERE owner_id = ? RETURNING token_id")
              .Bind(owner)
              .All(TextFromRow<Statement>);
      if (!revoked) return std::unexpected(std::move(revoked).error());
      for (std::string& token : *revoked) {
        if (audit != nullptr) {
          LATCHKEY_RETURN_IF_ERROR(
              InsertAudit(conn, RevokedByPermissionEvent(*audit, token, owner)));
        }
        changes.push_back({ChangeKind::kPatDeleted, std::move(token)});
      }
    }
    return Ok();
  });
  return Notify(std::move(status), changes);
}

Status SqliteStore::CreatePat(const Pat& pat, int quota, TimePoint now, const AuditEvent* audit) {
  return Write(audit, [&](Connection& conn) -> Status {
    // Both statements run in the same BEGIN IMMEDIATE transaction: no other writer can slip a
    // PAT in between the count and the insert.
    LATCHKEY_RETURN_IF_ERROR(
        conn.Prepare("DELETE FROM pats WHERE owner_id = ? AND expires_at <= ?")
            .Bind(pat.owner_id)
            .Bind(now)
            .Run());
    Result<int64_t> live =
        conn.Prepare("SELECT count(*) FROM pats WHERE owner_id = ?")
            .Bind(pat.owner_id)
            .One([](const Statement& row) -> Result<int64_t> { return row.Int(0); }, "count");
    if (!live) return std::unexpected(std::move(live).error());
    if (*live >= quota) {
      return MakeError(ErrorCode::kResourceExhausted,
                       "principal " + std::to_string(pat.owner_id) + " already has " +
                           std::to_string(*live) + " tokens (quota " + std::to_string(quota) + ")");
    }
    return conn
        .Prepare("INSERT INTO pats (" LATCHKEY_PAT_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .Bind(pat.token_id)
        .Bind(pat.owner_id)
        .Bind(pat.created_by_id)
        .Bind(pat.comment)
        .Bind(pat.created_at)
        .Bind(pat.expires_at)
        .Bind(pat.last_used_day)
        .Bind(pat.scopes)
        .Run();
  });
}

Result<Pat> SqliteStore::GetPat(const std::string& token_id) {
  return pool_->Read([&](Connection& conn) {
    return conn.Prepare("SELECT " LATCHKEY_PAT_COLUMNS " FROM pats WHERE token_id = ?")
        .Bind(token_id)
        .One(PatFromRow<Statement>, "token");
  });
}

Result<std::vector<Pat>> SqliteStore::ListPats(int64_t owner_id, TimePoint now) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare("SELECT " LATCHKEY_PAT_COLUMNS
                 " FROM pats WHERE (? = 0 OR owner_id = ?)"
                 " AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at, rowid")
        .Bind(owner_id)
        .Bind(owner_id)
        .Bind(now)
        .All(PatFromRow<Statement>);
  });
}

Status SqliteStore::DeletePat(const std::string& token_id, const AuditEvent* audit) {
  std::vector<Change> changes;
  Status status = Write(audit, [&](Connection& conn) -> Status {
    Result<int64_t> deleted =
        conn.Prepare("DELETE FROM pats WHERE token_id = ?").Bind(token_id).Update();
    if (!deleted) return std::unexpected(std::move(deleted).error());
    if (*deleted == 0) return MakeError(ErrorCode::kNotFound, "token not found");
    changes.push_back({ChangeKind::kPatDeleted, token_id});
    return Ok();
  });
  return Notify(std::move(status), changes);
}

Status SqliteStore::TouchPats(const std::vector<std::string>& token_ids, TimePoint day) {
  if (token_ids.empty()) return Ok();
  return pool_->Write([&](Connection& conn) -> Status {
    for (const std::string& token_id : token_ids) {
      LATCHKEY_RETURN_IF_ERROR(conn.Prepare("UPDATE pats SET last_used_day = ? WHERE token_id = ?")
                                   .Bind(day)
                                   .Bind(token_id)
                                   .Run());
    }
    return Ok();
  });
}

Result<int64_t> SqliteStore::CountPats() {
  return pool_->Read([&](Connection& conn) {
    return conn.Prepare("SELECT count(*) FROM pats")
        .One([](const Statement& row) -> Result<int64_t> { return row.Int(0); }, "count");
  });
}

Result<int64_t> SqliteStore::PurgeExpiredPats(TimePoint now) {
  return pool_->Write([&](Connection& conn) {
    return conn.Prepare("DELETE FROM pats WHERE expires_at <= ?").Bind(now).Update();
  });
}

Status SqliteStore::CreateOAuthSecret(const OAuthSecret& secret, const AuditEvent* audit) {
  return Write(audit, [&](Connection& conn) {
    return conn
        .Prepare(
            "INSERT INTO oauth_secrets (id, principal_id, secret_hash, created_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?)")
        .Bind(secret.id)
        .Bind(secret.principal_id)
        .Bind(secret.secret_hash)
        .Bind(secret.created_at)
        .Bind(secret.expires_at)
        .Run();
  });
}

Result<OAuthSecret> SqliteStore::GetOAuthSecret(const std::string& id) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare(
            "SELECT id, principal_id, secret_hash, created_at, expires_at"
            " FROM oauth_secrets WHERE id = ?")
        .Bind(id)
        .One(OAuthSecretFromRow<Statement>, "OAuth secret");
  });
}

Result<std::vector<OAuthSecret>> SqliteStore::ListOAuthSecrets(int64_t principal_id) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare(
            "SELECT id, principal_id, secret_hash, created_at, expires_at"
            " FROM oauth_secrets WHERE principal_id = ? ORDER BY created_at, rowid")
        .Bind(principal_id)
        .All(OAuthSecretFromRow<Statement>);
  });
}

Status SqliteStore::DeleteOAuthSecret(const std::string& id, const AuditEvent* audit) {
  std::vector<Change> changes;
  Status status = Write(audit, [&](Connection& conn) -> Status {
    Result<int64_t> deleted =
        conn.Prepare("DELETE FROM oauth_secrets WHERE id = ?").Bind(id).Update();
    if (!deleted) return std::unexpected(std::move(deleted).error());
    if (*deleted == 0) return MakeError(ErrorCode::kNotFound, "OAuth secret not found");
    changes.push_back({ChangeKind::kOAuthSecretDeleted, id});
    return Ok();
  });
  return Notify(std::move(status), changes);
}

Result<std::string> SqliteStore::GetConf(const std::string& key) {
  return pool_->Read([&](Connection& conn) {
    return conn.Prepare("SELECT value FROM conf WHERE key = ?")
        .Bind(key)
        .One(TextFromRow<Statement>, "configuration key");
  });
}

Status SqliteStore::SetConf(const std::string& key, const std::string& value,
                            const AuditEvent* audit) {
  std::vector<Change> changes;
  Status status = Write(audit, [&](Connection& conn) -> Status {
    LATCHKEY_RETURN_IF_ERROR(conn.Prepare("INSERT INTO conf (key, value) VALUES (?, ?)"
                                          " ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                                 .Bind(key)
                                 .Bind(value)
                                 .Run());
    changes.push_back({ChangeKind::kConfChanged, key});
    return Ok();
  });
  return Notify(std::move(status), changes);
}

Status SqliteStore::DeleteConf(const std::string& key, const AuditEvent* audit) {
  std::vector<Change> changes;
  Status status = Write(audit, [&](Connection& conn) -> Status {
    Result<int64_t> deleted = conn.Prepare("DELETE FROM conf WHERE key = ?").Bind(key).Update();
    if (!deleted) return std::unexpected(std::move(deleted).error());
    if (*deleted == 0) return MakeError(ErrorCode::kNotFound, "configuration key not found");
    changes.push_back({ChangeKind::kConfChanged, key});
    return Ok();
  });
  return Notify(std::move(status), changes);
}

}  // namespace latchkey::store::sqlite
