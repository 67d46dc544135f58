// Web page sessions (issue 24), written once for both backends over the query layer. The
// session id is never stored: token_hash is its SHA-256 hex (workspace/web_sessions.cc).
#include <string>

#include "store/row_mappers.h"
#include "store/store.h"

namespace latchkey::store {

using sql::Row;
using sql::Session;

namespace {

Status InsertWebSession(Session& s, const WebSession& w) {
  return s
      .Prepare("INSERT INTO web_sessions (" LATCHKEY_WEB_SESSION_COLUMNS
               ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .Bind(w.id)
      .Bind(w.token_hash)
      .Bind(w.principal_id)
      .Bind(w.provider_id)
      .Bind(w.created_at)
      .Bind(w.last_seen_at)
      .Bind(w.expires_at)
      .Bind(w.address)
      .Bind(w.user_agent)
      .Run();
}

}  // namespace

Status TokenStore::CreateWebSession(const WebSession& session, int max_per_principal,
                                    TimePoint idle_cutoff, const AuditEvent* audit) {
  return Write("CreateWebSession", audit, [&](Session& s, std::vector<Change>&) -> Status {
    LATCHKEY_RETURN_IF_ERROR(
        s.Prepare("DELETE FROM web_sessions WHERE expires_at <= ? OR last_seen_at <= ?")
            .Bind(session.created_at)
            .Bind(idle_cutoff)
            .Run());
    // The owner's newest max_per_principal - 1 stay; older ones go.
    Result<std::vector<std::string>> ids =
        s.Prepare("SELECT id FROM web_sessions WHERE principal_id = ?"
                  " ORDER BY created_at DESC, id DESC")
            .Bind(session.principal_id)
            .All(TextFromRow<Row>);
    if (!ids) return std::unexpected(std::move(ids).error());
    const size_t keep = max_per_principal > 1 ? static_cast<size_t>(max_per_principal - 1) : 0;
    for (size_t i = keep; i < ids->size(); ++i) {
      LATCHKEY_RETURN_IF_ERROR(
          s.Prepare("DELETE FROM web_sessions WHERE id = ?").Bind((*ids)[i]).Run());
    }
    return InsertWebSession(s, session);
  });
}

Result<WebSession> TokenStore::GetWebSession(const std::string& token_hash) {
  return Read("GetWebSession", [&](Session& s) {
    return s
        .Prepare("SELECT " LATCHKEY_WEB_SESSION_COLUMNS " FROM web_sessions WHERE token_hash = ?")
        .Bind(token_hash)
        .One(WebSessionFromRow<Row>, "web session");
  });
}

Status TokenStore::TouchWebSession(const std::string& id, TimePoint at) {
  return Write("TouchWebSession", [&](Session& s) {
    return s.Prepare("UPDATE web_sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?")
        .Bind(at)
        .Bind(id)
        .Bind(at)
        .Run();
  });
}

Result<std::vector<WebSession>> TokenStore::ListWebSessions(int64_t principal_id) {
  return Read("ListWebSessions", [&](Session& s) {
    if (principal_id == 0) {
      return s
          .Prepare("SELECT " LATCHKEY_WEB_SESSION_COLUMNS
                   " FROM web_sessions ORDER BY created_at, id")
          .All(WebSessionFromRow<Row>);
    }
    return s
        .Prepare("SELECT " LATCHKEY_WEB_SESSION_COLUMNS
                 " FROM web_sessions WHERE principal_id = ? ORDER BY created_at, id")
        .Bind(principal_id)
        .All(WebSessionFromRow<Row>);
  });
}

Status TokenStore::DeleteWebSession(const std::string& id, int64_t owner_id,
                                    const AuditEvent* audit) {
  return Write("DeleteWebSession", audit, [&](Session& s, std::vector<Change>&) -> Status {
    Result<int64_t> deleted =
        owner_id == 0
            ? s.Prepare("DELETE FROM web_sessions WHERE id = ?").Bind(id).Update()
            : s.Prepare("DELETE FROM web_sessions WHERE id = ? AND principal_id = ?")
                  .Bind(id)
                  .Bind(owner_id)
                  .Update();
    if (!deleted) return std::unexpected(std::move(deleted).error());
    if (*deleted == 0) return MakeError(ErrorCode::kNotFound, "web session not found");
    return Ok();
  });
}

Status TokenStore::CopyWebSession(const WebSession& session) {
  return Write("CopyWebSession", [&](Session& s) { return InsertWebSession(s, session); });
}

}  // namespace latchkey::store
