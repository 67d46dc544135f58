// PostgresStore: token permissions, PATs, OAuth secrets and workspace configuration.
#include <string>
#include <utility>
#include <vector>

#include "store/postgres/postgres_store.h"
#include "store/row_mappers.h"
#include "store/sql/codec.h"

namespace latchkey::store::postgres {
namespace {

using sql::AclSubjectKindName;

}  // namespace

Result<std::vector<TokenPermission>> PostgresStore::ListTokenPermissions() {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare(
            "SELECT subject_kind, subject_id, permission_level FROM token_permissions"
            " ORDER BY position")
        .All(TokenPermissionFromRow<Row>);
  });
}

Status PostgresStore::ReplaceTokenPermissions(const std::vector<TokenPermission>& grants,
                                              const std::vector<int64_t>& revoke_owner_ids,
                                              const AuditEvent* audit) {
  // Two replicas replacing the grants at once must not interleave their delete-all and inserts.
  // The table lock (self-conflicting, readers unaffected), taken before the transaction's
  // snapshot, makes replacements take turns, each seeing the last one's result; SERIALIZABLE
  // covers what remains (e.g. a PAT created meanwhile for a revoked owner: retried).
  return Write(Isolation::kSerializable, audit,
               [&](Connection& conn, std::vector<Change>& changes) -> Status {
                 LATCHKEY_RETURN_IF_ERROR(
                     conn.Exec("LOCK TABLE token_permissions IN SHARE ROW EXCLUSIVE MODE"));
                 LATCHKEY_RETURN_IF_ERROR(conn.Prepare("DELETE FROM token_permissions").Run());
                 for (size_t i = 0; i < grants.size(); ++i) {
                   LATCHKEY_RETURN_IF_ERROR(
                       conn.Prepare("INSERT INTO token_permissions (subject_kind, subject_id,"
                                    " permission_level, position) VALUES ($1, $2, $3, $4)")
                           .Bind(AclSubjectKindName(grants[i].subject_kind))
                           .Bind(grants[i].subject_id)
                           .Bind(grants[i].permission_level)
                           .Bind(static_cast<int64_t>(i))
                           .Run());
                 }
                 changes.push_back({ChangeKind::kPermissionsChanged, ""});
                 for (int64_t owner : revoke_owner_ids) {
                   Result<std::vector<std::string>> revoked =
                       conn.Prepare("DELETE FROM pats WHERE owner_id = $1 RETURNING token_id")
                           .Bind(owner)
                           .All(TextFromRow<Row>);
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
}

Status PostgresStore::CreatePat(const Pat& pat, int quota, TimePoint now, const AuditEvent* audit) {
  return Write(audit, [&](Connection& conn) -> Status {
    // Locking the owner's row serializes CreatePat per owner across every replica, so no other
    // PAT can slip in between the count and the insert. A missing owner locks nothing; the
    // insert then fails on the foreign key (kNotFound).
    LATCHKEY_RETURN_IF_ERROR(
        conn.Prepare("SELECT 1 FROM principals WHERE id = $1 FOR UPDATE").Bind(pat.owner_id).Run());
    LATCHKEY_RETURN_IF_ERROR(
        conn.Prepare("DELETE FROM pats WHERE owner_id = $1 AND expires_at <= $2")
            .Bind(pat.owner_id)
            .Bind(now)
            .Run());
    Result<int64_t> live =
        conn.Prepare("SELECT count(*) FROM pats WHERE owner_id = $1")
            .Bind(pat.owner_id)
            .One([](const Row& row) -> Result<int64_t> { return row.Int(0); }, "count");
    if (!live) return std::unexpected(std::move(live).error());
    if (*live >= quota) {
      return MakeError(ErrorCode::kResourceExhausted,
                       "principal " + std::to_string(pat.owner_id) + " already has " +
                           std::to_string(*live) + " tokens (quota " + std::to_string(quota) + ")");
    }
    return conn
        .Prepare("INSERT INTO pats (" LATCHKEY_PAT_COLUMNS
                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
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

Result<Pat> PostgresStore::GetPat(const std::string& token_id) {
  return pool_->Read([&](Connection& conn) {
    return conn.Prepare("SELECT " LATCHKEY_PAT_COLUMNS " FROM pats WHERE token_id = $1")
        .Bind(token_id)
        .One(PatFromRow<Row>, "token");
  });
}

Result<std::vector<Pat>> PostgresStore::ListPats(int64_t owner_id, TimePoint now) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare("SELECT " LATCHKEY_PAT_COLUMNS
                 " FROM pats WHERE ($1 = 0 OR owner_id = $2)"
                 " AND (expires_at IS NULL OR expires_at > $3) ORDER BY created_at, seq")
        .Bind(owner_id)
        .Bind(owner_id)
        .Bind(now)
        .All(PatFromRow<Row>);
  });
}

Status PostgresStore::DeletePat(const std::string& token_id, const AuditEvent* audit) {
  return Write(audit, [&](Connection& conn, std::vector<Change>& changes) -> Status {
    Result<int64_t> deleted =
        conn.Prepare("DELETE FROM pats WHERE token_id = $1").Bind(token_id).Update();
    if (!deleted) return std::unexpected(std::move(deleted).error());
    if (*deleted == 0) return MakeError(ErrorCode::kNotFound, "token not found");
    changes.push_back({ChangeKind::kPatDeleted, token_id});
    return Ok();
  });
}

Status PostgresStore::TouchPats(const std::vector<std::string>& token_ids, TimePoint day) {
  if (token_ids.empty()) return Ok();
  // One statement for the whole batch: the ids travel as one JSON array.
  return Write([&](Connection& conn) {
    return conn
        .Prepare(
            "UPDATE pats SET last_used_day = $1 WHERE token_id IN"
            " (SELECT json_array_elements_text($2::json))")
        .Bind(day)
        .Bind(token_ids)
        .Run();
  });
}

Result<int64_t> PostgresStore::CountPats() {
  return pool_->Read([&](Connection& conn) {
    return conn.Prepare("SELECT count(*) FROM pats")
        .One([](const Row& row) -> Result<int64_t> { return row.Int(0); }, "count");
  });
}

Result<int64_t> PostgresStore::PurgeExpiredPats(TimePoint now) {
  int64_t purged = 0;
  Status status = Write([&](Connection& conn) -> Status {
    Result<int64_t> deleted =
        conn.Prepare("DELETE FROM pats WHERE expires_at <= $1").Bind(now).Update();
    if (!deleted) return std::unexpected(std::move(deleted).error());
    purged = *deleted;
    return Ok();
  });
  if (!status) return std::unexpected(std::move(status).error());
  return purged;
}

Status PostgresStore::CreateOAuthSecret(const OAuthSecret& secret, const AuditEvent* audit) {
  return Write(audit, [&](Connection& conn) {
    return conn
        .Prepare(
            "INSERT INTO oauth_secrets (id, principal_id, secret_hash, created_at,"
            " expires_at) VALUES ($1, $2, $3, $4, $5)")
        .Bind(secret.id)
        .Bind(secret.principal_id)
        .Bind(secret.secret_hash)
        .Bind(secret.created_at)
        .Bind(secret.expires_at)
        .Run();
  });
}

Result<OAuthSecret> PostgresStore::GetOAuthSecret(const std::string& id) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare(
            "SELECT id, principal_id, secret_hash, created_at, expires_at"
            " FROM oauth_secrets WHERE id = $1")
        .Bind(id)
        .One(OAuthSecretFromRow<Row>, "OAuth secret");
  });
}

Result<std::vector<OAuthSecret>> PostgresStore::ListOAuthSecrets(int64_t principal_id) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare(
            "SELECT id, principal_id, secret_hash, created_at, expires_at"
            " FROM oauth_secrets WHERE principal_id = $1 ORDER BY created_at, seq")
        .Bind(principal_id)
        .All(OAuthSecretFromRow<Row>);
  });
}

Status PostgresStore::DeleteOAuthSecret(const std::string& id, const AuditEvent* audit) {
  return Write(audit, [&](Connection& conn, std::vector<Change>& changes) -> Status {
    Result<int64_t> deleted =
        conn.Prepare("DELETE FROM oauth_secrets WHERE id = $1").Bind(id).Update();
    if (!deleted) return std::unexpected(std::move(deleted).error());
    if (*deleted == 0) return MakeError(ErrorCode::kNotFound, "OAuth secret not found");
    changes.push_back({ChangeKind::kOAuthSecretDeleted, id});
    return Ok();
  });
}

Result<std::string> PostgresStore::GetConf(const std::string& key) {
  return pool_->Read([&](Connection& conn) {
    return conn.Prepare("SELECT value FROM conf WHERE key = $1")
        .Bind(key)
        .One(TextFromRow<Row>, "configuration key");
  });
}

Status PostgresStore::SetConf(const std::string& key, const std::string& value,
                              const AuditEvent* audit) {
  return Write(audit, [&](Connection& conn, std::vector<Change>& changes) -> Status {
    LATCHKEY_RETURN_IF_ERROR(conn.Prepare("INSERT INTO conf (key, value) VALUES ($1, $2)"
                                          " ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                                 .Bind(key)
                                 .Bind(value)
                                 .Run());
    changes.push_back({ChangeKind::kConfChanged, key});
    return Ok();
  });
}

Status PostgresStore::DeleteConf(const std::string& key, const AuditEvent* audit) {
  return Write(audit, [&](Connection& conn, std::vector<Change>& changes) -> Status {
    Result<int64_t> deleted = conn.Prepare("DELETE FROM conf WHERE key = $1").Bind(key).Update();
    if (!deleted) return std::unexpected(std::move(deleted).error());
    if (*deleted == 0) return MakeError(ErrorCode::kNotFound, "configuration key not found");
    changes.push_back({ChangeKind::kConfChanged, key});
    return Ok();
  });
}

}  // namespace latchkey::store::postgres
