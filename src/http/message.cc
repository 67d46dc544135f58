#include "http/message.h"

#include "base/encoding.h"

namespace latchkey::http {

std::string_view Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (IEquals(key, name)) return value;
  }
  return {};
}

std::string Request::Host() const { return std::string(Header("host")); }

std::string_view Request::UrlAuthority() const {
  constexpr std::string_view kAuthorityChars =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]";
  std::string_view host = Header("host");
  if (host.empty() || host.size() > 262 ||
      host.find_first_not_of(kAuthorityChars) != std::string_view::npos) {
    return {};
  }
  return host;
}

void Response::SetHeader(std::string name, std::string value) {
  bool replaced = false;
  for (auto it = headers.begin(); it != headers.end();) {
    if (!IEquals(it->first, name)) {
      ++it;
    } else if (!replaced) {
      it->second = std::move(value);
      replaced = true;
      ++it;
    } else {
      it = headers.erase(it);
    }
  }
  if (!replaced) headers.emplace_back(std::move(name), std::move(value));
}

Response Response::Json(int status, std::string body) {
  return Text(status, std::move(body), "application/json");
}

Response Response::Text(int status, std::string body, std::string content_type) {
  Response response;
  response.status = status;
  response.headers.emplace_back("Content-Type", std::move(content_type));
  response.body = std::move(body);
  return response;
}

int HttpStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kAlreadyExists:
      return 409;
    case ErrorCode::kFailedPrecondition:
      return 400;
    case ErrorCode::kResourceExhausted:
      return 429;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

namespace {

// RFC 9112 §3.2.2: absolute-form "scheme://authority/path?query". Returns the part after the
// authority, or the whole target when it is not absolute-form.
std::string_view StripSchemeAndAuthority(std::string_view target) {
  if (target.empty() || target.front() == '/') return target;
  size_t colon = target.find("://");
  if (colon == std::string_view::npos) return target;
  std::string_view scheme = target.substr(0, colon);
  if (!IEquals(scheme, "http") && !IEquals(scheme, "https")) return target;
  std::string_view rest = target.substr(colon + 3);
  size_t end = rest.find_first_of("/?");
  return end == std::string_view::npos ? std::string_view() : rest.substr(end);
}

}  // namespace

void SplitTarget(std::string_view target, std::string& path, std::string& query) {
  const bool absolute = !target.empty() && target.front() != '/';
  std::string_view rest = StripSchemeAndAuthority(target);
  size_t question = rest.find('?');
  std::string_view raw_path = rest.substr(0, question);
  if (question == std::string_view::npos) {
    query.clear();
  } else {
    query.assign(rest.substr(question + 1));
  }
  path.clear();
  if (absolute && rest.data() != target.data() && (raw_path.empty() || raw_path[0] != '/')) {
    path.push_back('/');  // "http://h" and "http://h?q" have the path "/"
  }
  path.reserve(raw_path.size());
  for (char c : raw_path) {
    if (c == '/' && !path.empty() && path.back() == '/') continue;
    path.push_back(c);
  }
}

}  // namespace latchkey::http
