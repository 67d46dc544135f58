#include "web/web_routes.h"

#include <algorithm>
#include <string>

namespace latchkey::web {
namespace {

// Same policy on every UI response: the page loads only its own files, talks only to its own
// origin and can be framed by nobody. No inline script or style exists in web/.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'";

void AddSecurityHeaders(http::Response& response) {
  response.SetHeader("Content-Security-Policy", std::string(kContentSecurityPolicy));
  response.SetHeader("X-Frame-Options", "DENY");
  response.SetHeader("X-Content-Type-Options", "nosniff");
  response.SetHeader("Referrer-Policy", "no-referrer");
  response.SetHeader("Cache-Control", "no-cache");
}

http::Response Redirect(std::string location) {
  http::Response response = http::Response::Text(302, "Found: " + location + "\n");
  response.SetHeader("Location", std::move(location));
  AddSecurityHeaders(response);
  return response;
}

// True when the If-None-Match list names `etag` (or is "*").
bool Matches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    size_t comma = if_none_match.find(',');
    std::string_view item = if_none_match.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == "*" || item == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::optional<EmbeddedFile> FindFile(std::string_view name) {
  if (name.empty()) name = "index.html";
  std::span<const EmbeddedFile> files = EmbeddedFiles();
  auto it = std::find_if(files.begin(), files.end(),
                         [name](const EmbeddedFile& f) { return f.name == name; });
  if (it == files.end()) return std::nullopt;
  return *it;
}

std::string_view ContentTypeFor(std::string_view name) {
  size_t dot = name.rfind('.');
  std::string_view ext = dot == std::string_view::npos ? "" : name.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  return "application/octet-stream";
}

http::Response ServeFile(std::string_view name, std::string_view if_none_match) {
  std::optional<EmbeddedFile> file = FindFile(name);
  if (!file) {
    http::Response response = http::Response::Text(404, "Not found.\n");
    AddSecurityHeaders(response);
    return response;
  }
  http::Response response;
  if (Matches(if_none_match, file->etag)) {
    response.status = 304;
  } else {
    response = http::Response::Text(200, std::string(file->data),
                                    std::string(ContentTypeFor(file->name)));
  }
  response.SetHeader("ETag", std::string(file->etag));
  AddSecurityHeaders(response);
  return response;
}

void RegisterWebRoutes(http::Router& router) {
  router.Add("GET", "/", [](http::Request&) { return Redirect("/ui/"); });
  router.Add("GET", "/ui", [](http::Request&) { return Redirect("/ui/"); });
  // "{file...}" is the rest of the path, "" for /ui/. It is looked up in the embedded table
  // as is (not decoded), so "../x", "a/b" or "%2e%2e" name nothing and get a 404.
  router.Add("GET", "/ui/{file...}", [](http::Request& request) {
    return ServeFile(request.params["file"], request.Header("If-None-Match"));
  });
}

}  // namespace latchkey::web
