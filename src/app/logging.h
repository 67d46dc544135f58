// Logging setup: JSON lines (default) or plain text, three streams:
//   "latchkeyd" (stderr): the server's own messages;
//   "access"    (stderr): one line per request: request_id, method, route (pattern), path,
//                status, latency, principal; never a header, a query string or a body;
//   "audit"     (stderr, or a 0600 file with --audit-log): one line per audit event, with the
//                request_id of the request that caused it and the acting principal id.
// Nothing here ever sees a secret: audit details are ids, never token values.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "http/server.h"
#include "store/records.h"

namespace latchkey::app {

void ConfigureLogging(const std::string& format, const std::string& level);
// Sends the audit stream to `path` (created 0600, appended to) instead of stderr. Call after
// ConfigureLogging, before serving.
Status OpenAuditLog(const std::string& path);
// Reopens the audit file (after logrotate moved it); no-op without --audit-log. SIGHUP.
Status ReopenAuditLog();
// Changes the level of the server's own messages (SIGHUP config reload).
void SetLogLevel(const std::string& level);

void LogAccess(const http::AccessLogEntry& entry);
// The JSON access line LogAccess writes (with its newline) into `line`; false, with `line`
// unspecified, for an entry with text that is not valid UTF-8, which LogAccess encodes
// through nlohmann (replacing the invalid bytes).
// Exposed for tests.
bool FormatAccessLine(const http::AccessLogEntry& entry, std::string& line);
void LogAudit(const store::AuditEvent& event);

// While alive, audit lines written on this thread carry `request_id`. The server handler
// runs a request synchronously on one worker thread, so the composition root opens one per
// request around Router::Dispatch.
class RequestLogScope {
 public:
  explicit RequestLogScope(std::string_view request_id);
  ~RequestLogScope();
  RequestLogScope(const RequestLogScope&) = delete;
  RequestLogScope& operator=(const RequestLogScope&) = delete;

 private:
  std::string_view previous_;
};

}  // namespace latchkey::app
