// An in-process request as the HTTP server hands one to a Router: the target split into path
// and query, a Host header, the peer's address, TLS on a local port, a request id. Shared by
// the fixtures that drive real routers without a socket (idp, workspace, app).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "http/message.h"

namespace latchkey::testing {

struct RequestSpec {
  std::string method = "GET";
  std::string target = "/";
  std::string host;  // no Host header when empty
  // Headers after Host, in order (Content-Type, Authorization, ...).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_address = "10.0.0.1";
  bool tls = true;
  uint16_t local_port = 443;
  std::string request_id = "req-1";
};

inline http::Request MakeRequest(RequestSpec spec) {
  http::Request request;
  request.method = std::move(spec.method);
  request.target = std::move(spec.target);
  http::SplitTarget(request.target, request.path, request.query);
  if (!spec.host.empty()) request.headers.emplace_back("Host", std::move(spec.host));
  for (auto& header : spec.headers) request.headers.push_back(std::move(header));
  request.body = std::move(spec.body);
  request.remote_address = std::move(spec.remote_address);
  request.tls = spec.tls;
  request.local_port = spec.local_port;
  request.request_id = std::move(spec.request_id);
  return request;
}

}  // namespace latchkey::testing
