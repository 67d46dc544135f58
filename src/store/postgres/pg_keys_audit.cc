// PostgresStore: signing key metadata and the audit log.
#include <string>
#include <utility>
#include <vector>

#include "store/postgres/postgres_store.h"
#include "store/row_mappers.h"

namespace latchkey::store::postgres {

Status PostgresStore::AddSigningKey(const SigningKey& key) {
  return Write([&](Connection& conn, std::vector<Change>& changes) -> Status {
    LATCHKEY_RETURN_IF_ERROR(
        conn.Prepare("INSERT INTO signing_keys (kid, public_pem, created_at, retired_at)"
                     " VALUES ($1, $2, $3, $4)")
            .Bind(key.kid)
            .Bind(key.public_pem)
            .Bind(key.created_at)
            .Bind(key.retired_at)
            .Run());
    changes.push_back({ChangeKind::kSigningKeysChanged, key.kid});
    return Ok();
  });
}

Result<std::vector<SigningKey>> PostgresStore::ListSigningKeys() {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare(
            "SELECT kid, public_pem, created_at, retired_at FROM signing_keys"
            " ORDER BY created_at DESC, seq DESC")
        .All(SigningKeyFromRow<Row>);
  });
}

Status PostgresStore::ActivateSigningKey(const std::string& new_kid, TimePoint at) {
  return Write([&](Connection& conn, std::vector<Change>& changes) -> Status {
    // The new key signs from now on, so it is not retired (even if it was before).
    Result<int64_t> found = conn.Prepare("UPDATE signing_keys SET retired_at = NULL WHERE kid = $1")
                                .Bind(new_kid)
                                .Update();
    if (!found) return std::unexpected(std::move(found).error());
    if (*found == 0) return MakeError(ErrorCode::kNotFound, "signing key not found");
    LATCHKEY_RETURN_IF_ERROR(conn.Prepare("UPDATE signing_keys SET retired_at = $1"
                                          " WHERE kid <> $2 AND retired_at IS NULL")
                                 .Bind(at)
                                 .Bind(new_kid)
                                 .Run());
    changes.push_back({ChangeKind::kSigningKeysChanged, new_kid});
    return Ok();
  });
}

Status PostgresStore::DeleteSigningKey(const std::string& kid) {
  return Write([&](Connection& conn, std::vector<Change>& changes) -> Status {
    Result<int64_t> deleted =
        conn.Prepare("DELETE FROM signing_keys WHERE kid = $1").Bind(kid).Update();
    if (!deleted) return std::unexpected(std::move(deleted).error());
    if (*deleted == 0) return MakeError(ErrorCode::kNotFound, "signing key not found");
    changes.push_back({ChangeKind::kSigningKeysChanged, kid});
    return Ok();
  });
}

Status PostgresStore::InsertAudit(Connection& conn, const AuditEvent& event) {
  LATCHKEY_RETURN_IF_ERROR(
      conn.Exec("SELECT pg_advisory_xact_lock(27756, hashtext(coalesce(current_schema(), '')))"));
  return conn
      .Prepare(
          "INSERT INTO audit_events (at, actor, action, target, detail, remote_address)"
          " VALUES ($1, $2, $3, $4, $5, $6)")
      .Bind(event.at)
      .Bind(event.actor)
      .Bind(event.action)
      .Bind(event.target)
      .Bind(event.detail)
      .Bind(event.remote_address)
      .Run();
}

Status PostgresStore::AppendAudit(const AuditEvent& event) {
  return Write([&](Connection& conn) -> Status { return InsertAudit(conn, event); });
}

Result<std::vector<AuditEvent>> PostgresStore::ListAudit(int64_t after_seq, int limit) {
  if (limit <= 0) return std::vector<AuditEvent>{};
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare(
            "SELECT seq, at, actor, action, target, detail, remote_address"
            " FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2")
        .Bind(after_seq)
        .Bind(int64_t{limit})
        .All(AuditEventFromRow<Row>);
  });
}

Result<int64_t> PostgresStore::PurgeAudit(TimePoint before, int64_t keep_at_most) {
  int64_t deleted = 0;
  Status status = Write([&](Connection& conn) -> Status {
    // Events are appended in time order, so the first one at or after the cutoff bounds the
    // old ones by seq (the primary key): no index on `at`, and the cost is the rows deleted.
    Result<int64_t> old = conn.Prepare(
                                  "DELETE FROM audit_events WHERE seq < coalesce("
                                  "(SELECT seq FROM audit_events WHERE at >= $1 ORDER BY seq LIMIT 1),"
                                  " (SELECT max(seq) + 1 FROM audit_events), 0)")
                              .Bind(before)
                              .Update();
    if (!old) return std::unexpected(std::move(old).error());
    Result<int64_t> excess = conn.Prepare(
                                     "DELETE FROM audit_events WHERE seq <= "
                                     "(SELECT max(seq) FROM audit_events) - $1")
                                 .Bind(keep_at_most)
                                 .Update();
    if (!excess) return std::unexpected(std::move(excess).error());
    deleted = *old + *excess;
    return Ok();
  });
  if (!status) return std::unexpected(std::move(status).error());
  return deleted;
}

}  // namespace latchkey::store::postgres
