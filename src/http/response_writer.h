// Serializes a Response head into a reused buffer, and generates request ids. Internal to
// src/http/.
#pragma once

#include <string>
#include <string_view>

#include "http/message.h"

namespace latchkey::http {

struct ResponseFraming {
  int version = 11;        // of the request: 10 or 11
  bool keep_alive = true;  // false adds "Connection: close"
  bool head = false;       // a HEAD request: Content-Length of the body, but no body
  std::string_view request_id;
};

// Replaces `out` with the status line and header block (ending in an empty line). Handler
// headers named Content-Length, Transfer-Encoding, Connection, Server or x-request-id are
// replaced by the server's own, and headers containing CR, LF or NUL are dropped. Returns
// whether the body is sent (false for HEAD, 1xx, 204 and 304).
bool SerializeHead(const Response& response, const ResponseFraming& framing, std::string& out);

// Writes a new request id into `out`: a random per-thread prefix plus a per-thread counter,
// unique for the life of the process without any shared state.
void NextRequestId(std::string& out);

// {"error_code":"...","message":"..."} for the server's own errors.
Response DefaultErrorResponse(int status, std::string_view message);

}  // namespace latchkey::http
