// SqliteStore: signing key metadata and the audit log.
#include <string>
#include <utility>
#include <vector>

#include "store/row_mappers.h"
#include "store/sqlite/connection_pool.h"
#include "store/sqlite/sqlite_store.h"

namespace latchkey::store::sqlite {

Status SqliteStore::AddSigningKey(const SigningKey& key) {
  std::vector<Change> changes;
  Status status = pool_->Write([&](Connection& conn) -> Status {
    LATCHKEY_RETURN_IF_ERROR(
        conn.Prepare("INSERT INTO signing_keys (kid, public_pem, created_at, retired_at)"
                     " VALUES (?, ?, ?, ?)")
            .Bind(key.kid)
            .Bind(key.public_pem)
            .Bind(key.created_at)
            .Bind(key.retired_at)
            .Run());
    changes.push_back({ChangeKind::kSigningKeysChanged, key.kid});
    return Ok();
  });
  return Notify(std::move(status), changes);
}

Result<std::vector<SigningKey>> SqliteStore::ListSigningKeys() {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare(
            "SELECT kid, public_pem, created_at, retired_at FROM signing_keys"
            " ORDER BY created_at DESC, rowid DESC")
        .All(SigningKeyFromRow<Statement>);
  });
}

Status SqliteStore::ActivateSigningKey(const std::string& new_kid, TimePoint at) {
  std::vector<Change> changes;
  Status status = pool_->Write([&](Connection& conn) -> Status {
    // The new key signs from now on, so it is not retired (even if it was before).
    Result<int64_t> found = conn.Prepare("UPDATE signing_keys SET retired_at = NULL WHERE kid = ?")
                                .Bind(new_kid)
                                .Update();
    if (!found) return std::unexpected(std::move(found).error());
    if (*found == 0) return MakeError(ErrorCode::kNotFound, "signing key not found");
    LATCHKEY_RETURN_IF_ERROR(conn.Prepare("UPDATE signing_keys SET retired_at = ?"
                                          " WHERE kid <> ? AND retired_at IS NULL")
                                 .Bind(at)
                                 .Bind(new_kid)
                                 .Run());
    changes.push_back({ChangeKind::kSigningKeysChanged, new_kid});
    return Ok();
  });
  return Notify(std::move(status), changes);
}

Status SqliteStore::DeleteSigningKey(const std::string& kid) {
  std::vector<Change> changes;
  Status status = pool_->Write([&](Connection& conn) -> Status {
    Result<int64_t> deleted =
        conn.Prepare("DELETE FROM signing_keys WHERE kid = ?").Bind(kid).Update();
    if (!deleted) return std::unexpected(std::move(deleted).error());
    if (*deleted == 0) return MakeError(ErrorCode::kNotFound, "signing key not found");
    changes.push_back({ChangeKind::kSigningKeysChanged, kid});
    return Ok();
  });
  return Notify(std::move(status), changes);
}

Status SqliteStore::InsertAudit(Connection& conn, const AuditEvent& event) {
  // The writer is one connection: inserts take turns, so seq order is commit order.
  return conn
      .Prepare(
          "INSERT INTO audit_events (at, actor, action, target, detail, remote_address)"
          " VALUES (?, ?, ?, ?, ?, ?)")
      .Bind(event.at)
      .Bind(event.actor)
      .Bind(event.action)
      .Bind(event.target)
      .Bind(event.detail)
      .Bind(event.remote_address)
      .Run();
}

Status SqliteStore::AppendAudit(const AuditEvent& event) {
  return pool_->Write([&](Connection& conn) { return InsertAudit(conn, event); });
}

Result<std::vector<AuditEvent>> SqliteStore::ListAudit(int64_t after_seq, int limit) {
  if (limit <= 0) return std::vector<AuditEvent>{};
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare(
            "SELECT seq, at, actor, action, target, detail, remote_address"
            " FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?")
        .Bind(after_seq)
        .Bind(int64_t{limit})
        .All(AuditEventFromRow<Statement>);
  });
}

Result<int64_t> SqliteStore::PurgeAudit(TimePoint before, int64_t keep_at_most) {
  int64_t deleted = 0;
  Status status = pool_->Write([&](Connection& conn) -> Status {
    // Events are appended in time order, so the first one at or after the cutoff bounds the
    // old ones by seq (the primary key): no index on `at`, and the cost is the rows deleted.
    Result<int64_t> old = conn.Prepare(
                                  "DELETE FROM audit_events WHERE seq < coalesce("
                                  "(SELECT seq FROM audit_events WHERE at >= ? ORDER BY seq LIMIT 1),"
                                  " (SELECT max(seq) + 1 FROM audit_events), 0)")
                              .Bind(before)
                              .Update();
    if (!old) return std::unexpected(std::move(old).error());
    Result<int64_t> excess = conn.Prepare(
                                     "DELETE FROM audit_events WHERE seq <= "
                                     "(SELECT max(seq) FROM audit_events) - ?")
                                 .Bind(keep_at_most)
                                 .Update();
    if (!excess) return std::unexpected(std::move(excess).error());
    deleted = *old + *excess;
    return Ok();
  });
  if (!status) return std::unexpected(std::move(status).error());
  return deleted;
}

}  // namespace latchkey::store::sqlite
