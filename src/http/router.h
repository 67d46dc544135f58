// Maps (method, Request::path) to a Handler.
//
// Pattern segments are literals, "{name}" (exactly one segment, stored in Request::params) or
// a final "{name...}" (the rest of the path after the preceding '/', possibly empty, may
// contain '/'). Literal segments beat parameters, and parameters beat rest parameters. HEAD
// is served by the GET handler when no HEAD route exists.
//
// Add and the Set* functions are for setup only; after that Dispatch is safe to call
// concurrently (it is const and allocates only for path parameters).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace latchkey::http {

class Router {
 public:
  using MethodNotAllowedHandler =
      std::function<Response(Request&, const std::vector<std::string>& allowed)>;

  Router();
  ~Router();
  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;

  // `pattern` must start with '/'; a malformed pattern or a duplicate (method, pattern) is a
  // bug and aborts.
  void Add(std::string_view method, std::string_view pattern, Handler handler);
  // For a path that matches no route. Default: JSON 404.
  void SetNotFound(Handler handler);
  // For a path that matches routes, none for this method. Default: JSON 405. The response
  // always carries an Allow header listing the allowed methods.
  void SetMethodNotAllowed(MethodNotAllowedHandler handler);

  // Fills request.params and request.route and calls the matching handler.
  Response Dispatch(Request& request) const;

  // Every registered route, as given to Add, ordered by pattern then method (for tests and
  // tools that must cover each route, e.g. the malformed-input walk in tests/app/).
  struct RouteInfo {
    std::string method;
    std::string pattern;
    bool operator==(const RouteInfo&) const = default;
  };
  std::vector<RouteInfo> Routes() const;

 private:
  struct Node;
  struct Match;

  bool Find(const Node& node, std::string_view rest, Match& match) const;

  std::unique_ptr<Node> root_;
  Handler not_found_;
  MethodNotAllowedHandler method_not_allowed_;
};

}  // namespace latchkey::http
