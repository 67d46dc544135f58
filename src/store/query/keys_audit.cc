// Signing key metadata and the audit log, written once for both backends. (The audit insert
// every audited write shares is sql::Executor::InsertAudit.)
#include <string>
#include <utility>
#include <vector>

#include "store/row_mappers.h"
#include "store/store.h"

namespace latchkey::store {

using sql::Session;

Status KeyStore::AddSigningKey(const SigningKey& key) {
  return Write("AddSigningKey", [&](Session& s, std::vector<Change>& changes) -> Status {
    LATCHKEY_RETURN_IF_ERROR(SigningKeyColumns::Insert(
        s, "INSERT INTO signing_keys (" LATCHKEY_SIGNING_KEY_COLUMNS ") VALUES (?, ?, ?, ?)", key));
    changes.push_back({ChangeKind::kSigningKeysChanged, key.kid});
    return Ok();
  });
}

Result<std::vector<SigningKey>> KeyStore::ListSigningKeys() {
  return ReadAll("ListSigningKeys",
                 "SELECT " LATCHKEY_SIGNING_KEY_COLUMNS
                 " FROM signing_keys ORDER BY created_at DESC, {seq} DESC",
                 SigningKeyFromRow);
}

Status KeyStore::ActivateSigningKey(const std::string& new_kid, TimePoint at) {
  return Write("ActivateSigningKey", [&](Session& s, std::vector<Change>& changes) -> Status {
    // The new key signs from now on, so it is not retired (even if it was before).
    LATCHKEY_RETURN_IF_ERROR(s.Prepare("UPDATE signing_keys SET retired_at = NULL WHERE kid = ?")
                                 .Bind(new_kid)
                                 .UpdateExisting("signing key"));
    LATCHKEY_RETURN_IF_ERROR(s.Prepare("UPDATE signing_keys SET retired_at = ?"
                                       " WHERE kid <> ? AND retired_at IS NULL")
                                 .Bind(at)
                                 .Bind(new_kid)
                                 .Run());
    changes.push_back({ChangeKind::kSigningKeysChanged, new_kid});
    return Ok();
  });
}

Status KeyStore::DeleteSigningKey(const std::string& kid) {
  return WriteExisting("DeleteSigningKey", nullptr, Change{ChangeKind::kSigningKeysChanged, kid},
                       "DELETE FROM signing_keys WHERE kid = ?", "signing key", kid);
}

Status AuditStore::AppendAudit(const AuditEvent& event) {
  return Write("AppendAudit", [&](Session& s) -> Status { return InsertAudit(s, event); });
}

Result<std::vector<AuditEvent>> AuditStore::ListAudit(int64_t after_seq, int limit) {
  if (limit <= 0) return std::vector<AuditEvent>{};
  return ReadAll("ListAudit",
                 "SELECT " LATCHKEY_AUDIT_COLUMNS
                 " FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?",
                 AuditEventFromRow, after_seq, int64_t{limit});
}

Result<int64_t> AuditStore::PurgeAudit(TimePoint before, int64_t keep_at_most) {
  return Write("PurgeAudit", [&](Session& s) -> Result<int64_t> {
    // Events are appended in time order, so the first one at or after the cutoff bounds the
    // old ones by seq (the primary key): no index on `at`, and the cost is the rows deleted.
    Result<int64_t> old = s.Prepare(
                               "DELETE FROM audit_events WHERE seq < coalesce("
                               "(SELECT seq FROM audit_events WHERE at >= ? ORDER BY seq LIMIT 1),"
                               " (SELECT max(seq) + 1 FROM audit_events), 0)")
                              .Bind(before)
                              .Update();
    if (!old) return std::unexpected(std::move(old).error());
    Result<int64_t> excess = s.Prepare(
                                  "DELETE FROM audit_events WHERE seq <= "
                                  "(SELECT max(seq) FROM audit_events) - ?")
                                 .Bind(keep_at_most)
                                 .Update();
    if (!excess) return std::unexpected(std::move(excess).error());
    return *old + *excess;
  });
}

}  // namespace latchkey::store
