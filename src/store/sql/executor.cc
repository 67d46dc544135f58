#include "store/sql/executor.h"

namespace latchkey::store::sql {

Status Executor::InsertAudit(Session& session, const AuditEvent& event) {
  // SQLite: the writer is one connection, so inserts take turns already.
  if (session.dialect().row_locks) {
    LATCHKEY_RETURN_IF_ERROR(session.Exec(
        "SELECT pg_advisory_xact_lock(27756, hashtext(coalesce(current_schema(), '')))"));
  }
  return session
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

}  // namespace latchkey::store::sql
