// Request and Response: the plain values that route handlers see instead of Beast types.
// A Handler is a function from Request to Response; it runs on a server worker thread and
// may be called concurrently for different requests. Values are not thread-safe themselves.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/result.h"

namespace latchkey::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // as sent, e.g. "GET"
  std::string target;  // raw request target
  // Target without the query. Not percent-decoded. Runs of '/' are collapsed to one, so a
  // target starting with "//" is a path, never an authority; absolute-form targets
  // ("http://h/p") are reduced to their path.
  std::string path;
  std::string query;   // raw query string after '?', without it
  HeaderList headers;  // as received, names as sent
  std::string body;
  std::string remote_address;  // peer IP as text ("127.0.0.1", "::1")
  bool tls = false;            // arrived on a TLS listener
  uint16_t local_port = 0;     // port of the listener it arrived on
  std::string request_id;      // unique per request; echoed in the x-request-id header
  std::unordered_map<std::string, std::string> params;  // path parameters, filled by Router
  // The pattern of the route that Router::Dispatch chose ("/api/2.0/token-management/tokens/
  // {token_id}"), "unmatched" for a 404/405, "" before dispatch. Points into the Router.
  std::string_view route;

  // Case-insensitive; the first occurrence, or "" if absent.
  std::string_view Header(std::string_view name) const;
  // The Host header ("" if absent).
  std::string Host() const;
  // The Host header when it is a plain URL authority (letters, digits, ".-:[]", at most 262
  // bytes), fit to be echoed into a URL; "" otherwise. The parser admits more of RFC 3986.
  std::string_view UrlAuthority() const;
};

struct Response {
  int status = 200;
  HeaderList headers;
  std::string body;
  std::string log_principal;  // not sent; recorded in the access log

  // Replaces every existing header of that name (case-insensitive) with one.
  void SetHeader(std::string name, std::string value);
  static Response Json(int status, std::string body);
  static Response Text(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
};

using Handler = std::function<Response(Request&)>;

// The HTTP status for an ErrorCode (400, 401, 403, 404, 409, 400, 429, 503, 500).
int HttpStatus(ErrorCode code);

// The standard reason phrase ("Not Found"), or "Unknown" for an unlisted code.
std::string_view ReasonPhrase(int status);

// Splits a raw request target into Request::path and Request::query as described above.
void SplitTarget(std::string_view target, std::string& path, std::string& query);

}  // namespace latchkey::http
