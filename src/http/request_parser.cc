#include "http/request_parser.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "base/encoding.h"

namespace latchkey::http {

namespace http = beast::http;

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

int RequestParser::ErrorStatus(const ErrorCodeT& ec, std::string_view unparsed) const {
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
  version_ = version;
  line_done_ = true;
  request_.method.assign(method_str.data(), method_str.size());
  request_.target.assign(target.data(), target.size());
  SplitTarget(request_.target, request_.path, request_.query);
}

void RequestParser::on_field_impl(http::field name, beast::string_view name_string,
                                  beast::string_view value, ErrorCodeT& ec) {
  header_bytes_ += name_string.size() + value.size() + 4;  // ": " and CRLF
  if (header_bytes_ > limits_.max_header_bytes) {
    reject_status_ = 431;
    ec = http::error::header_limit;
    return;
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
