// The web UI (issue #10): static files of web/ embedded at build time and served under /ui/.
// The page uses only the public REST API, authenticating either with a PAT it keeps in
// sessionStorage and sends as a Bearer header (no cookie), or, signed in through an identity
// provider, with an HttpOnly session cookie plus a CSRF header (workspace/web_sessions.h).
#pragma once

#include <optional>
#include <string_view>

#include "http/message.h"
#include "http/router.h"
#include "web/web_assets.h"

namespace latchkey::web {

// GET / and /ui -> 302 /ui/; GET /ui/ -> index.html; GET /ui/{name} -> that embedded file or
// 404. Only names in the embedded table are served, so no path can reach the file system.
// Every response carries the security headers (strict CSP, no framing, nosniff, no referrer)
// and Cache-Control: no-cache with an ETag (If-None-Match -> 304).
void RegisterWebRoutes(http::Router& router);

// The embedded file named `name` ("" means index.html), if any. Exposed for tests.
std::optional<EmbeddedFile> FindFile(std::string_view name);

// "text/javascript; charset=utf-8" and so on, from the file name's extension.
std::string_view ContentTypeFor(std::string_view name);

// The response for GET /ui/{name}, given the request's If-None-Match header.
http::Response ServeFile(std::string_view name, std::string_view if_none_match);

}  // namespace latchkey::web
