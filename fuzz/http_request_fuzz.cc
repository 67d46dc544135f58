// Fuzzes the bytes a client sends to latchkeyd: the request parser (Beast's basic_parser with
// our limits, fed exactly as http/session.cc feeds it, pipelined requests included) and the
// Router's dispatch on the resulting path. The input is parsed twice, once as one read and
// once in small reads, and both must agree: a request split across TCP segments is the same
// request.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "http/message.h"
#include "http/request_parser.h"
#include "http/router.h"

using namespace latchkey;
using namespace latchkey::http;

namespace {

constexpr size_t kMaxRequests = 8;

// Small limits so that short inputs reach the 413/414/431 paths.
const RequestLimits kLimits{.max_request_line = 512, .max_header_bytes = 1024,
                            .max_body_bytes = 2048};

struct Outcome {
  // One entry per request: the parse error status, or 0 and the request.
  int status = 0;
  std::string method, target, path, query, body;
  HeaderList headers;
  bool keep_alive = false;
  int response_status = 0;
  bool operator==(const Outcome&) const = default;
};

Response Echo(Request& request) {
  Response response = Response::Text(200, request.path);
  for (const auto& [name, value] : request.params) response.body += "|" + name + "=" + value;
  return response;
}

Handler CheckParams(std::vector<std::string> single_segment) {
  return [single_segment = std::move(single_segment)](Request& request) {
    for (const auto& name : single_segment) {
      auto it = request.params.find(name);
      LATCHKEY_CHECK(it != request.params.end());
      LATCHKEY_CHECK(!it->second.empty());
      LATCHKEY_CHECK(it->second.find('/') == std::string::npos);
    }
    return Echo(request);
  };
}

Router MakeRouter() {
  Router router;
  router.Add("POST", "/{tenant}/oauth2/v2.0/token", CheckParams({"tenant"}));
  router.Add("POST", "/{tenant}/oauth2/token", CheckParams({"tenant"}));
  router.Add("GET", "/{tenant}/v2.0/.well-known/openid-configuration", CheckParams({"tenant"}));
  router.Add("GET", "/{tenant}/discovery/v2.0/keys", CheckParams({"tenant"}));
  router.Add("POST", "/api/2.0/token/create", Echo);
  router.Add("GET", "/api/2.0/token/list", Echo);
  router.Add("POST", "/api/2.0/token/delete", Echo);
  router.Add("GET", "/api/2.0/token-management/tokens/{token_id}", CheckParams({"token_id"}));
  router.Add("DELETE", "/api/2.0/token-management/tokens/{token_id}", CheckParams({"token_id"}));
  router.Add("GET", "/api/2.0/preview/scim/v2/Me", Echo);
  router.Add("GET", "/api/2.0/preview/scim/v2/Users/{id}", CheckParams({"id"}));
  router.Add("PATCH", "/api/2.0/preview/scim/v2/Users/{id}", CheckParams({"id"}));
  router.Add("POST", "/api/2.0/accounts/{account}/servicePrincipals/{id}/credentials/secrets",
             CheckParams({"account", "id"}));
  router.Add("GET", "/api/2.0/permissions/authorization/tokens", Echo);
  router.Add("GET", "/ui/{path...}", Echo);
  router.Add("GET", "/", Echo);
  return router;
}

std::vector<Outcome> Parse(std::string_view input, size_t chunk, const Router& router) {
  std::vector<Outcome> outcomes;
  std::string buffer;  // bytes read but not yet consumed by the parser
  size_t fed = 0;
  auto read_some = [&]() {
    if (fed == input.size()) return false;  // peer closed
    size_t n = std::min(chunk, input.size() - fed);
    buffer.append(input.substr(fed, n));
    fed += n;
    return true;
  };
  Request request;
  request.remote_address = "192.0.2.1";
  while (outcomes.size() < kMaxRequests) {
    RequestParser parser(request, kLimits);
    ErrorCodeT ec;
    Outcome out;
    bool closed = false;
    while (!parser.is_header_done()) {
      if (!buffer.empty()) {
        size_t used = parser.put(asio::const_buffer(buffer.data(), buffer.size()), ec);
        buffer.erase(0, used);
        if (ec && ec != beast::http::error::need_more) {
          out.status = parser.ErrorStatus(ec, buffer);
          break;
        }
        if (parser.is_header_done()) break;
      }
      if (!read_some()) {
        closed = true;
        break;
      }
    }
    if (closed) break;
    while (out.status == 0 && !parser.is_done()) {
      if (!buffer.empty()) {
        size_t used = parser.put(asio::const_buffer(buffer.data(), buffer.size()), ec);
        buffer.erase(0, used);
        if (ec && ec != beast::http::error::need_more) {
          out.status = parser.ErrorStatus(ec, {});
          break;
        }
        if (parser.is_done()) break;
        if (used > 0 && !buffer.empty()) continue;
      }
      if (!read_some()) {
        closed = true;
        break;
      }
    }
    if (closed) break;
    if (out.status != 0) {
      LATCHKEY_CHECK(out.status == 400 || out.status == 413 || out.status == 414 ||
                     out.status == 431);
      outcomes.push_back(std::move(out));
      break;  // the session answers and closes
    }
    // What the parser promises the handlers.
    LATCHKEY_CHECK(!request.method.empty());
    LATCHKEY_CHECK(request.path.find("//") == std::string::npos);
    LATCHKEY_CHECK(request.body.size() <= kLimits.max_body_bytes);
    size_t header_bytes = 0;
    for (const auto& [name, value] : request.headers) header_bytes += name.size() + value.size();
    LATCHKEY_CHECK(header_bytes <= kLimits.max_header_bytes);
    (void)request.Header("authorization");
    (void)request.Host();

    Response response = router.Dispatch(request);
    LATCHKEY_CHECK(response.status >= 200 && response.status < 600);
    out.method = request.method;
    out.target = request.target;
    out.path = request.path;
    out.query = request.query;
    out.body = request.body;
    out.headers = request.headers;
    out.keep_alive = parser.keep_alive();
    out.response_status = response.status;
    outcomes.push_back(std::move(out));
    if (!parser.keep_alive()) break;
  }
  return outcomes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Router router = MakeRouter();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<Outcome> whole = Parse(input, input.size() + 1, router);
  std::vector<Outcome> pieces = Parse(input, 1 + size % 13, router);
  // The same requests either way. A parse error may be classified differently (414 or 431
  // depends on how much of the line had arrived), and a header block that never ends may get
  // its 400 in one mode but wait for more bytes in the other: Beast parses the fields of its
  // first read eagerly, but after a partial read waits for the blank line first. Neither mode
  // may dispatch a request the other does not.
  const size_t common = std::min(whole.size(), pieces.size());
  for (size_t i = 0; i < common; ++i) {
    LATCHKEY_CHECK((whole[i].status == 0) == (pieces[i].status == 0));
    if (whole[i].status == 0) LATCHKEY_CHECK(whole[i] == pieces[i]);
  }
  const std::vector<Outcome>& longer = whole.size() > pieces.size() ? whole : pieces;
  LATCHKEY_CHECK(longer.size() <= common + 1);
  if (longer.size() == common + 1) LATCHKEY_CHECK(longer.back().status != 0);
  return 0;
}
