#include "http/request_parser.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "base/encoding.h"

namespace latchkey::http {

namespace http = beast::http;

namespace {

bool IsVisibleAscii(std::string_view text) {
  for (unsigned char c : text) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

// RFC 3986 §3.2.2-3.2.3: reg-name (unreserved, pct-encoded, sub-delims), IP literals in
// brackets, and ":" port. Empty is allowed (RFC 9110 §7.2).
bool IsValidHost(std::string_view host) {
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("-._~%!$&'()*+,;=:[]").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

}  // namespace

RequestParser::RequestParser(Request& request, const RequestLimits& limits)
    : request_(request), limits_(limits) {
  // Beast's header limit covers the request line and the fields together; the separate
  // limits are enforced in the callbacks below.
  size_t header_limit = limits.max_request_line + limits.max_header_bytes;
  header_limit = std::min<size_t>(header_limit, std::numeric_limits<std::uint32_t>::max());
  this->header_limit(static_cast<std::uint32_t>(header_limit));
  body_limit(limits.max_body_bytes);
  request_.method.clear();
  request_.target.clear();
  request_.path.clear();
  request_.query.clear();
  request_.body.clear();
  request_.params.clear();
  request_.route = {};
  // request_.headers keeps its elements (and their string capacity) until on_header_impl.
}

int RequestParser::ErrorStatus(const ErrorCodeT& ec, std::string_view unparsed) {
  if (!line_done_ && request_.path.empty()) {
    // "METHOD SP target ...": the target up to the first byte that is not visible ASCII.
    std::string_view line = unparsed.substr(0, limits_.max_request_line);
    const size_t space = line.find(' ');
    if (space != std::string_view::npos) {
      std::string_view target = line.substr(space + 1);
      size_t end = 0;
      while (end < target.size() && static_cast<unsigned char>(target[end]) > 0x20 &&
             static_cast<unsigned char>(target[end]) < 0x7f) {
        ++end;
      }
      SplitTarget(target.substr(0, end), request_.path, request_.query);
    }
  }
  if (reject_status_ != 0) return reject_status_;
  if (ec == http::error::body_limit) return 413;
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    // Over the combined limit (RFC 9110 §15.5.15, RFC 6585 §5): once the request line has
    // been parsed, what is too large is the header block, or one header in it (Beast consumes
    // the line and each whole field as it goes, so `unparsed` then starts inside a field).
    if (line_done_) return 431;
    // Still in the request line, or it has not been parsed yet (after a partial read Beast
    // waits for the blank line first): blame the line if it alone is too long.
    std::string_view line = unparsed.substr(0, limits_.max_request_line + 2);
    return line.find("\r\n") == std::string_view::npos ? 414 : 431;
  }
  return 400;
}

void RequestParser::on_request_impl(http::verb, beast::string_view method_str,
                                    beast::string_view target, int version, ErrorCodeT& ec) {
  // The path first, even of a target about to be refused: the error response is written in
  // the error shape of the protocol the path belongs to.
  request_.target.assign(target.data(), target.size());
  SplitTarget(request_.target, request_.path, request_.query);
  // "METHOD SP target SP HTTP/1.1"
  if (method_str.size() + target.size() + 10 > limits_.max_request_line) {
    reject_status_ = 414;
    ec = http::error::bad_target;
    return;
  }
  if (version / 10 != 1) {
    ec = http::error::bad_version;
    return;
  }
  // RFC 9112 §3.2, RFC 3986 §2: a request target is visible US-ASCII. Beast lets bytes
  // >= 0x80 (obs-text) through; no client sends them unescaped, and handlers would quote
  // them (a raw 0xFF in a tenant segment was a 500).
  if (!IsVisibleAscii(std::string_view(target.data(), target.size()))) {
    reject_status_ = 400;
    ec = http::error::bad_target;
    return;
  }
  version_ = version;
  line_done_ = true;
  request_.method.assign(method_str.data(), method_str.size());
}

void RequestParser::on_field_impl(http::field name, beast::string_view name_string,
                                  beast::string_view value, ErrorCodeT& ec) {
  header_bytes_ += name_string.size() + value.size() + 4;  // ": " and CRLF
  if (header_bytes_ > limits_.max_header_bytes) {
    reject_status_ = 431;
    ec = http::error::header_limit;
    return;
  }
  if (name == http::field::host) {
    // RFC 9112 §3.2: a request with more than one Host, or an invalid one, is answered 400.
    // Handlers build URLs and issuers from it and quote it in JSON: only the characters of
    // RFC 3986's host and port get that far (a non-UTF-8 Host was a 500).
    if (host_seen_ || !IsValidHost(std::string_view(value.data(), value.size()))) {
      reject_status_ = 400;
      ec = http::error::bad_value;
      return;
    }
    host_seen_ = true;
  }
  if (header_count_ < request_.headers.size()) {
    auto& [key, val] = request_.headers[header_count_];
    key.assign(name_string.data(), name_string.size());
    val.assign(value.data(), value.size());
  } else {
    request_.headers.emplace_back(std::string(name_string), std::string(value));
  }
  ++header_count_;
  if (name == http::field::expect &&
      IEquals(std::string_view(value.data(), value.size()), "100-continue"))
    expects_continue_ = true;
}

void RequestParser::on_header_impl(ErrorCodeT&) { request_.headers.resize(header_count_); }

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      ErrorCodeT&) {
  // Beast has already checked the length against the body limit.
  if (content_length) request_.body.reserve(static_cast<size_t>(*content_length));
}

size_t RequestParser::on_body_impl(beast::string_view body, ErrorCodeT&) {
  request_.body.append(body.data(), body.size());
  return body.size();
}

size_t RequestParser::on_chunk_body_impl(std::uint64_t, beast::string_view body, ErrorCodeT&) {
  request_.body.append(body.data(), body.size());
  return body.size();
}

}  // namespace latchkey::http
