// A Beast parser that writes straight into a reused Request (no Beast field container), and
// enforces the server's request-line, header and body limits. One instance per request.
// Internal to src/http/.
#pragma once

#include <cstddef>

#include "http/asio.h"
#include "http/message.h"

namespace latchkey::http {

struct RequestLimits {
  size_t max_request_line = 8 * 1024;
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 1024 * 1024;
};

class RequestParser final : public beast::http::basic_parser<true> {
 public:
  // Clears the message parts of `request` (method, target, path, query, headers, body,
  // params); the connection parts are left alone.
  RequestParser(Request& request, const RequestLimits& limits);

  // The HTTP status for a parse error `ec` from put(): 400, 413, 414 or 431. When Beast
  // refused the request line before it reached us, Request::path is recovered from
  // `unparsed` as far as it is visible ASCII, only so that the error response can be written
  // in the shape of the path's protocol; no handler sees it.
  int ErrorStatus(const ErrorCodeT& ec, std::string_view unparsed);
  int version() const { return version_; }
  bool expects_continue() const { return expects_continue_; }

 private:
  void on_request_impl(beast::http::verb method, beast::string_view method_str,
                       beast::string_view target, int version, ErrorCodeT& ec) override;
  void on_response_impl(int, beast::string_view, int, ErrorCodeT&) override {}
  void on_field_impl(beast::http::field name, beast::string_view name_string,
                     beast::string_view value, ErrorCodeT& ec) override;
  void on_header_impl(ErrorCodeT& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         ErrorCodeT& ec) override;
  size_t on_body_impl(beast::string_view body, ErrorCodeT& ec) override;
  void on_chunk_header_impl(std::uint64_t, beast::string_view, ErrorCodeT&) override {}
  size_t on_chunk_body_impl(std::uint64_t remain, beast::string_view body, ErrorCodeT& ec) override;
  void on_finish_impl(ErrorCodeT&) override {}

  Request& request_;
  RequestLimits limits_;
  size_t header_count_ = 0;
  size_t header_bytes_ = 0;
  int version_ = 11;
  int reject_status_ = 0;
  bool line_done_ = false;  // the request line has been parsed (the fields are being read)
  bool host_seen_ = false;
  bool expects_continue_ = false;
};

}  // namespace latchkey::http
