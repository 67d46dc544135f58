// Token permissions, PATs, OAuth secrets and workspace configuration, written once for both
// backends over the query layer (sql/session.h, sql/executor.h).
#include <string>
#include <utility>
#include <vector>

#include "store/row_mappers.h"
#include "store/store.h"

namespace latchkey::store {

using sql::Session;

Result<std::vector<TokenPermission>> PrincipalStore::ListTokenPermissions() {
  return ReadAll("ListTokenPermissions",
                 "SELECT " LATCHKEY_TOKEN_PERMISSION_COLUMNS
                 " FROM token_permissions ORDER BY position",
                 TokenPermissionFromRow);
}

Status PrincipalStore::ReplaceTokenPermissions(const std::vector<TokenPermission>& grants,
                                               const std::vector<int64_t>& revoke_owner_ids,
                                               const AuditEvent* audit) {
  // PostgreSQL: two replicas replacing the grants at once must not interleave their delete-all
  // and inserts. The table lock (self-conflicting, readers unaffected), taken before the
  // transaction's snapshot, makes replacements take turns, each seeing the last one's result;
  // SERIALIZABLE covers what remains (e.g. a PAT created meanwhile for a revoked owner: retried).
  auto replace = [&](Session& s, std::vector<Change>& changes) -> Status {
    if (s.dialect().row_locks) {
      LATCHKEY_RETURN_IF_ERROR(s.Exec("LOCK TABLE token_permissions IN SHARE ROW EXCLUSIVE MODE"));
    }
    LATCHKEY_RETURN_IF_ERROR(s.Prepare("DELETE FROM token_permissions").Run());
    for (size_t i = 0; i < grants.size(); ++i) {
      LATCHKEY_RETURN_IF_ERROR(
          TokenPermissionColumns::Bind(
              s.Prepare("INSERT INTO token_permissions (" LATCHKEY_TOKEN_PERMISSION_COLUMNS
                        ", position) VALUES (?, ?, ?, ?)"),
              grants[i])
              .Bind(static_cast<int64_t>(i))
              .Run());
    }
    changes.push_back({ChangeKind::kPermissionsChanged, ""});
    for (int64_t owner : revoke_owner_ids) {
      Result<std::vector<std::string>> revoked =
          s.Prepare("DELETE FROM pats WHERE owner_id = ? RETURNING token_id")
              .Bind(owner)
              .All(sql::TextColumnFromRow);
      if (!revoked) return std::unexpected(std::move(revoked).error());
      for (std::string& token : *revoked) {
        if (audit != nullptr) {
          LATCHKEY_RETURN_IF_ERROR(InsertAudit(s, RevokedByPermissionEvent(*audit, token, owner)));
        }
        changes.push_back({ChangeKind::kPatDeleted, std::move(token)});
      }
    }
    return Ok();
  };
  return Write("ReplaceTokenPermissions", audit, replace, sql::Isolation::kSerializable);
}

Status TokenStore::CreatePat(const Pat& pat, int quota, TimePoint now, const AuditEvent* audit) {
  return Write("CreatePat", audit, [&](Session& s) -> Status {
    // The purge, the count and the insert run in one transaction. SQLite's one writer keeps
    // every other PAT out meanwhile; on PostgreSQL, locking the owner's row serializes
    // CreatePat per owner across every replica. A missing owner locks nothing; the insert then
    // fails on the foreign key (kNotFound).
    if (s.dialect().row_locks) {
      LATCHKEY_RETURN_IF_ERROR(
          s.Prepare("SELECT 1 FROM principals WHERE id = ? FOR UPDATE").Bind(pat.owner_id).Run());
    }
    LATCHKEY_RETURN_IF_ERROR(s.Prepare("DELETE FROM pats WHERE owner_id = ? AND expires_at <= ?")
                                 .Bind(pat.owner_id)
                                 .Bind(now)
                                 .Run());
    Result<int64_t> live = s.Prepare("SELECT count(*) FROM pats WHERE owner_id = ?")
                               .Bind(pat.owner_id)
                               .One(sql::IntFromRow, "count");
    if (!live) return std::unexpected(std::move(live).error());
    if (*live >= quota) {
      return MakeError(ErrorCode::kResourceExhausted,
                       "principal " + std::to_string(pat.owner_id) + " already has " +
                           std::to_string(*live) + " tokens (quota " + std::to_string(quota) + ")");
    }
    return PatColumns::Insert(
        s, "INSERT INTO pats (" LATCHKEY_PAT_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)", pat);
  });
}

Result<Pat> TokenStore::GetPat(const std::string& token_id) {
  return ReadOne("GetPat", "SELECT " LATCHKEY_PAT_COLUMNS " FROM pats WHERE token_id = ?",
                 PatFromRow, "token", token_id);
}

Result<std::vector<Pat>> TokenStore::ListPats(int64_t owner_id, TimePoint now) {
  return ReadAll("ListPats",
                 "SELECT " LATCHKEY_PAT_COLUMNS
                 " FROM pats WHERE (? = 0 OR owner_id = ?)"
                 " AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at, {seq}",
                 PatFromRow, owner_id, owner_id, now);
}

Status TokenStore::DeletePat(const std::string& token_id, const AuditEvent* audit) {
  return WriteExisting("DeletePat", audit, Change{ChangeKind::kPatDeleted, token_id},
                       "DELETE FROM pats WHERE token_id = ?", "token", token_id);
}

Status TokenStore::TouchPats(const std::vector<std::string>& token_ids, TimePoint day) {
  if (token_ids.empty()) return Ok();
  // One statement for the whole batch: the ids travel as one JSON array.
  return Write("TouchPats", [&](Session& s) {
    return s
        .Prepare(s.dialect().Pick(
            "UPDATE pats SET last_used_day = ? WHERE token_id IN (SELECT value FROM json_each(?))",
            "UPDATE pats SET last_used_day = ? WHERE token_id IN"
            " (SELECT json_array_elements_text(?::json))"))
        .Bind(day)
        .Bind(token_ids)
        .Run();
  });
}

Result<int64_t> TokenStore::CountPats() {
  return ReadOne("CountPats", "SELECT count(*) FROM pats", sql::IntFromRow, "count");
}

Result<int64_t> TokenStore::PurgeExpiredPats(TimePoint now) {
  return Write("PurgeExpiredPats", [&](Session& s) {
    return s.Prepare("DELETE FROM pats WHERE expires_at <= ?").Bind(now).Update();
  });
}

Status TokenStore::CreateOAuthSecret(const OAuthSecret& secret, const AuditEvent* audit) {
  return Write("CreateOAuthSecret", audit, [&](Session& s) {
    return OAuthSecretColumns::Insert(
        s, "INSERT INTO oauth_secrets (" LATCHKEY_OAUTH_SECRET_COLUMNS ") VALUES (?, ?, ?, ?, ?)",
        secret);
  });
}

Result<OAuthSecret> TokenStore::GetOAuthSecret(const std::string& id) {
  return ReadOne("GetOAuthSecret",
                 "SELECT " LATCHKEY_OAUTH_SECRET_COLUMNS " FROM oauth_secrets WHERE id = ?",
                 OAuthSecretFromRow, "OAuth secret", id);
}

Result<std::vector<OAuthSecret>> TokenStore::ListOAuthSecrets(int64_t principal_id) {
  return ReadAll("ListOAuthSecrets",
                 "SELECT " LATCHKEY_OAUTH_SECRET_COLUMNS
                 " FROM oauth_secrets WHERE principal_id = ? ORDER BY created_at, {seq}",
                 OAuthSecretFromRow, principal_id);
}

Status TokenStore::DeleteOAuthSecret(const std::string& id, const AuditEvent* audit) {
  return WriteExisting("DeleteOAuthSecret", audit, Change{ChangeKind::kOAuthSecretDeleted, id},
                       "DELETE FROM oauth_secrets WHERE id = ?", "OAuth secret", id);
}

Result<std::string> TokenStore::GetConf(const std::string& key) {
  return ReadOne("GetConf", "SELECT value FROM conf WHERE key = ?", sql::TextColumnFromRow,
                 "configuration key", key);
}

Status TokenStore::SetConf(const std::string& key, const std::string& value,
                           const AuditEvent* audit) {
  return WriteOne("SetConf", audit, Change{ChangeKind::kConfChanged, key},
                  "INSERT INTO conf (key, value) VALUES (?, ?)"
                  " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                  key, value);
}

Status TokenStore::DeleteConf(const std::string& key, const AuditEvent* audit) {
  return WriteExisting("DeleteConf", audit, Change{ChangeKind::kConfChanged, key},
                       "DELETE FROM conf WHERE key = ?", "configuration key", key);
}

}  // namespace latchkey::store
