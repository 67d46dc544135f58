// Web page sessions (issue 24), written once for both backends over the query layer. The
// session id is never stored: token_hash is its SHA-256 hex (workspace/web_sessions.cc).
#include <string>

#include "store/row_mappers.h"
#include "store/store.h"

namespace latchkey::store {

using sql::Session;

namespace {

Status InsertWebSession(Session& s, const WebSession& w) {
  return WebSessionColumns::Insert(
      s,
      "INSERT INTO web_sessions (" LATCHKEY_WEB_SESSION_COLUMNS
      ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      w);
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
            .All(sql::TextColumnFromRow);
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
  return ReadOne("GetWebSession",
                 "SELECT " LATCHKEY_WEB_SESSION_COLUMNS " FROM web_sessions WHERE token_hash = ?",
                 WebSessionFromRow, "web session", token_hash);
}

Status TokenStore::TouchWebSession(const std::string& id, TimePoint at) {
  return Write("TouchWebSession", [&](Session& s) {
    return s.Prepare("UPDATE web_sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?")
        .BindAll(at, id, at)
        .Run();
  });
}

Result<std::vector<WebSession>> TokenStore::ListWebSessions(int64_t principal_id) {
  if (principal_id == 0) {
    return ReadAll("ListWebSessions",
                   "SELECT " LATCHKEY_WEB_SESSION_COLUMNS " FROM web_sessions ORDER BY created_at, id",
                   WebSessionFromRow);
  }
  return ReadAll("ListWebSessions",
                 "SELECT " LATCHKEY_WEB_SESSION_COLUMNS
                 " FROM web_sessions WHERE principal_id = ? ORDER BY created_at, id",
                 WebSessionFromRow, principal_id);
}

Status TokenStore::DeleteWebSession(const std::string& id, int64_t owner_id,
                                    const AuditEvent* audit) {
  if (owner_id == 0) {
    return WriteExisting("DeleteWebSession", audit, std::nullopt,
                         "DELETE FROM web_sessions WHERE id = ?", "web session", id);
  }
  return WriteExisting("DeleteWebSession", audit, std::nullopt,
                       "DELETE FROM web_sessions WHERE id = ? AND principal_id = ?", "web session",
                       id, owner_id);
}

Status TokenStore::CopyWebSession(const WebSession& session) {
  return Write("CopyWebSession", [&](Session& s) { return InsertWebSession(s, session); });
}

}  // namespace latchkey::store
