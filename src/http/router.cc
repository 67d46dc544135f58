#include "http/router.h"

#include <algorithm>
#include <array>
#include <tuple>

#include "base/result.h"

namespace latchkey::http {

namespace {

constexpr size_t kMaxParams = 16;

struct Segment {
  std::string_view text;
  std::string_view rest;  // what follows the segment's trailing '/', if any
  bool last = true;
};

// `rest` is a path with its leading '/' removed: "a/b" -> "a" then "b"; "" -> one empty
// segment.
Segment NextSegment(std::string_view rest) {
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return {rest, {}, true};
  return {rest.substr(0, slash), rest.substr(slash + 1), false};
}

bool IsParam(std::string_view s) { return s.size() > 2 && s.front() == '{' && s.back() == '}'; }

bool IsRestParam(std::string_view s) { return IsParam(s) && s.ends_with("...}") && s.size() > 5; }

}  // namespace

struct Router::Node {
  struct Route {
    std::string method;
    std::string pattern;  // as given to Add (Request::route)
    Handler handler;
    std::vector<std::string> param_names;  // in path order
  };
  std::vector<std::pair<std::string, std::unique_ptr<Node>>> literals;
  std::unique_ptr<Node> param;  // "{name}"
  std::unique_ptr<Node> rest;   // "{name...}": always a leaf
  std::vector<Route> routes;    // routes ending at this node
};

struct Router::Match {
  std::string_view method;
  std::array<std::string_view, kMaxParams> values;
  size_t value_count = 0;
  const Node::Route* route = nullptr;
  std::vector<std::string> allowed;  // methods of nodes that matched the path but not the method

  // Picks the route for `method` at `node`, or records the node's methods as allowed.
  bool Accept(const Node& node) {
    const Node::Route* get = nullptr;
    for (const auto& r : node.routes) {
      if (r.method == method) {
        route = &r;
        return true;
      }
      if (r.method == "GET") get = &r;
    }
    if (get != nullptr && method == "HEAD") {
      route = get;
      return true;
    }
    for (const auto& r : node.routes) {
      if (std::find(allowed.begin(), allowed.end(), r.method) == allowed.end()) {
        allowed.push_back(r.method);
      }
      if (r.method == "GET" && std::find(allowed.begin(), allowed.end(), "HEAD") == allowed.end()) {
        allowed.push_back("HEAD");
      }
    }
    return false;
  }
};

Router::Router() : root_(std::make_unique<Node>()) {
  not_found_ = [](Request&) {
    return Response::Json(
        404, R"({"error_code":"ENDPOINT_NOT_FOUND","message":"No route for this path"})");
  };
  method_not_allowed_ = [](Request&, const std::vector<std::string>&) {
    return Response::Json(
        405, R"({"error_code":"METHOD_NOT_ALLOWED","message":"Method not allowed for this path"})");
  };
}

Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

void Router::Add(std::string_view method, std::string_view pattern, Handler handler) {
  LATCHKEY_CHECK(!method.empty() && pattern.starts_with('/'));
  Node* node = root_.get();
  std::vector<std::string> names;
  std::string_view rest = pattern.substr(1);
  // Collapse '/' runs the same way request paths are collapsed.
  while (rest.starts_with('/')) rest.remove_prefix(1);
  if (!rest.empty()) {
    for (;;) {
      Segment seg = NextSegment(rest);
      if (IsRestParam(seg.text)) {
        LATCHKEY_CHECK(seg.last);
        names.emplace_back(seg.text.substr(1, seg.text.size() - 5));
        if (!node->rest) node->rest = std::make_unique<Node>();
        node = node->rest.get();
      } else if (IsParam(seg.text)) {
        names.emplace_back(seg.text.substr(1, seg.text.size() - 2));
        if (!node->param) node->param = std::make_unique<Node>();
        node = node->param.get();
      } else {
        auto it = std::find_if(node->literals.begin(), node->literals.end(),
                               [&](const auto& l) { return l.first == seg.text; });
        if (it == node->literals.end()) {
          node->literals.emplace_back(std::string(seg.text), std::make_unique<Node>());
          it = std::prev(node->literals.end());
        }
        node = it->second.get();
      }
      if (seg.last) break;
      rest = seg.rest;
      while (rest.starts_with('/')) rest.remove_prefix(1);
    }
  }
  LATCHKEY_CHECK(names.size() <= kMaxParams);
  for (const auto& r : node->routes) LATCHKEY_CHECK(r.method != method);
  node->routes.push_back(
      {std::string(method), std::string(pattern), std::move(handler), std::move(names)});
}

void Router::SetNotFound(Handler handler) { not_found_ = std::move(handler); }

void Router::SetMethodNotAllowed(MethodNotAllowedHandler handler) {
  method_not_allowed_ = std::move(handler);
}

// Depth-first in priority order (literal, parameter, rest); stops at the first node that has
// a route for the method.
bool Router::Find(const Node& node, std::string_view rest, Match& match) const {
  Segment seg = NextSegment(rest);
  for (const auto& [text, child] : node.literals) {
    if (text != seg.text) continue;
    if (seg.last ? match.Accept(*child) : Find(*child, seg.rest, match)) return true;
  }
  if (node.param && !seg.text.empty() && match.value_count < kMaxParams) {
    match.values[match.value_count++] = seg.text;
    if (seg.last ? match.Accept(*node.param) : Find(*node.param, seg.rest, match)) return true;
    --match.value_count;
  }
  if (node.rest && match.value_count < kMaxParams) {
    match.values[match.value_count++] = rest;
    if (match.Accept(*node.rest)) return true;
    --match.value_count;
  }
  return false;
}

std::vector<Router::RouteInfo> Router::Routes() const {
  std::vector<RouteInfo> out;
  std::vector<const Node*> pending{root_.get()};
  while (!pending.empty()) {
    const Node* node = pending.back();
    pending.pop_back();
    for (const auto& r : node->routes) out.push_back({r.method, r.pattern});
    for (const auto& [text, child] : node->literals) pending.push_back(child.get());
    if (node->param) pending.push_back(node->param.get());
    if (node->rest) pending.push_back(node->rest.get());
  }
  std::sort(out.begin(), out.end(), [](const RouteInfo& a, const RouteInfo& b) {
    return std::tie(a.pattern, a.method) < std::tie(b.pattern, b.method);
  });
  return out;
}

Response Router::Dispatch(Request& request) const {
  Match match;
  match.method = request.method;
  const std::string_view path = request.path;
  bool found = false;
  if (path == "/") {
    // "/" ends at the root, or is an empty rest parameter.
    found = match.Accept(*root_);
    if (!found && root_->rest) {
      match.values[match.value_count++] = std::string_view();
      found = match.Accept(*root_->rest);
    }
  } else if (path.starts_with('/')) {
    found = Find(*root_, path.substr(1), match);
  }
  if (found) {
    request.route = match.route->pattern;
    const auto& names = match.route->param_names;
    for (size_t i = 0; i < names.size() && i < match.value_count; ++i) {
      request.params.insert_or_assign(names[i], std::string(match.values[i]));
    }
    return match.route->handler(request);
  }
  request.route = "unmatched";
  if (match.allowed.empty()) return not_found_(request);
  Response response = method_not_allowed_(request, match.allowed);
  std::string allow;
  for (const auto& m : match.allowed) {
    if (!allow.empty()) allow += ", ";
    allow += m;
  }
  response.SetHeader("Allow", std::move(allow));
  return response;
}

}  // namespace latchkey::http
