// Logging setup: JSON lines (default) or plain text on stderr, one access-log line per
// request. Nothing here ever sees a header, a query string or a body.
#pragma once

#include <string>

#include "http/server.h"

namespace latchkey::app {

void ConfigureLogging(const std::string& format, const std::string& level);
void LogAccess(const http::AccessLogEntry& entry);

}  // namespace latchkey::app
