// The shape every authenticated endpoint has (STYLE §7): the route glue in routes.cc
// authenticates once, parses the JSON body and the query, calls an ApiHandler, and writes its
// Reply or maps its Error through api_error.h. Handlers never build error JSON.
#pragma once

#include <memory>
#include <string>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/result.h"
#include "http/message.h"
#include "workspace/call_context.h"
#include "workspace/json_input.h"

namespace latchkey::workspace {

struct Reply {
  int status = 200;
  // §1.3: every 2xx has a JSON body; null (the default, which allocates nothing) is sent as {}.
  nlohmann::json body;
  http::HeaderList headers;
  bool no_body = false;  // 204 (SCIM DELETE)
  // When set, the JSON body already serialized (a cached reply, e.g. SCIM /Me); `body` unused.
  std::shared_ptr<const std::string> encoded;

  Reply() = default;
  Reply(nlohmann::json b) : body(std::move(b)) {}  // NOLINT: a body alone is a 200
  static Reply Created(nlohmann::json b) {
    Reply r(std::move(b));
    r.status = 201;
    return r;
  }
  static Reply NoContent() {
    Reply r;
    r.status = 204;
    r.no_body = true;
    return r;
  }
};

struct ApiCall {
  const http::Request& http;
  const nlohmann::json& body;  // the JSON object body; {} when empty or for GET/DELETE
  FormFields query;

  std::string Param(const std::string& name) const {
    auto it = http.params.find(name);
    return it == http.params.end() ? std::string() : it->second;
  }
  std::optional<std::string> Query(std::string_view name) const { return FindField(query, name); }
};

using ApiHandler = std::function<Result<Reply>(const ApiCall&, const CallContext&)>;

// Errors of an admin-only operation.
inline Status RequireAdmin(const CallContext& context, std::string_view what) {
  if (context.is_admin()) return Ok();
  return MakeError(ErrorCode::kPermissionDenied,
                   "Only workspace admins may " + std::string(what) + ".");
}

}  // namespace latchkey::workspace
