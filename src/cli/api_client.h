// JSON calls to a latchkey server (workspace API, Entra token endpoint, Graph-shaped directory
// API), with bearer authentication and the translation of every error body the server can send
// into one CliError line. Single-threaded.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/secret.h"
#include "cli/cli_error.h"
#include "cli/http.h"

namespace latchkey::cli {

// Keys keep the server's order, so output looks exactly as the server sent it.
using Json = nlohmann::ordered_json;

// Supplies the bearer token for each call (a PAT, or a cached OAuth/Entra access token).
class TokenProvider {
 public:
  virtual ~TokenProvider() = default;
  virtual CliResult<Secret> Token() = 0;
};

// One line for an error answer: "<code>: <message>" from a Databricks body ({"error_code",
// "message"}, the code a string or an integer), a SCIM body ("SCIM_<status>: <detail>"), an
// OAuth/Entra body ("<error>: <error_description>") or a Graph body ({"error": {"code",
// "message"}}); "HTTP <status>" otherwise. The exit code follows the HTTP status.
CliError ErrorFromResponse(const HttpResponse& response);

// Parses a 2xx body: an empty body gives a null Json; a body that is not JSON is kServer.
CliResult<Json> ParseJsonBody(const HttpResponse& response);

class ApiClient {
 public:
  // `tokens` may be null for unauthenticated calls. Both are borrowed.
  ApiClient(Transport& transport, std::string base_url, TokenProvider* tokens)
      : transport_(transport), base_url_(std::move(base_url)), tokens_(tokens) {}

  // `path` starts with '/' and may carry a query string. The result is the parsed 2xx body
  // (null when empty) or the server's error.
  CliResult<Json> Call(std::string_view method, std::string_view path, const Json* body = nullptr);
  CliResult<Json> Get(std::string_view path) { return Call("GET", path); }
  CliResult<Json> Delete(std::string_view path) { return Call("DELETE", path); }
  CliResult<Json> Post(std::string_view path, const Json& body) { return Call("POST", path, &body); }
  CliResult<Json> Put(std::string_view path, const Json& body) { return Call("PUT", path, &body); }
  CliResult<Json> Patch(std::string_view path, const Json& body) {
    return Call("PATCH", path, &body);
  }

  const std::string& base_url() const { return base_url_; }

 private:
  Transport& transport_;
  std::string base_url_;
  TokenProvider* tokens_;
};

}  // namespace latchkey::cli
