#include "http/response_writer.h"

#include <charconv>
#include <cstdint>
#include <random>

#include "base/encoding.h"
#include "base/json_writer.h"

namespace latchkey::http {

namespace {

bool IsReserved(std::string_view name) {
  return IEquals(name, "content-length") || IEquals(name, "transfer-encoding") ||
         IEquals(name, "connection") || IEquals(name, "server") || IEquals(name, "x-request-id");
}

// RFC 9110 §5.5: a field line cannot contain CR, LF or NUL; a handler header that does is a
// response-splitting attempt or a bug, and is not sent.
bool IsSafe(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

void AppendNumber(std::string& out, uint64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  out.append(digits, end);
}

}  // namespace

bool SerializeHead(const Response& response, const ResponseFraming& framing, std::string& out) {
  const int status = (response.status >= 100 && response.status <= 999) ? response.status : 500;
  const bool no_body_status = status < 200 || status == 204 || status == 304;
  out.clear();
  out.append(framing.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  AppendNumber(out, static_cast<uint64_t>(status));
  out.push_back(' ');
  out.append(ReasonPhrase(status));
  out.append("\r\nServer: latchkey\r\nx-request-id: ");
  out.append(framing.request_id);
  if (!no_body_status) {
    out.append("\r\nContent-Length: ");
    AppendNumber(out, response.body.size());
  }
  if (!framing.keep_alive) {
    out.append("\r\nConnection: close");
  } else if (framing.version == 10) {
    out.append("\r\nConnection: keep-alive");
  }
  for (const auto& [name, value] : response.headers) {
    if (name.empty() || IsReserved(name) || !IsSafe(name) || !IsSafe(value)) continue;
    out.append("\r\n");
    out.append(name);
    out.append(": ");
    out.append(value);
  }
  out.append("\r\n\r\n");
  return !no_body_status && !framing.head;
}

void NextRequestId(std::string& out) {
  struct State {
    char prefix[17];
    uint64_t counter = 0;
    State() {
      // Request ids need uniqueness, not secrecy: one random_device draw per thread is enough.
      std::random_device device;
      uint64_t bits = (static_cast<uint64_t>(device()) << 32) ^ device();
      static constexpr char kHex[] = "0123456789abcdef";
      for (int i = 15; i >= 0; --i, bits >>= 4) prefix[i] = kHex[bits & 0xf];
      prefix[16] = '-';
    }
  };
  thread_local State state;
  out.assign(state.prefix, sizeof(state.prefix));
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), ++state.counter, 16);
  out.append(digits, end);
}

Response DefaultErrorResponse(int status, std::string_view message) {
  std::string_view code;
  switch (status) {
    case 400:
      code = "BAD_REQUEST";
      break;
    case 408:
      code = "REQUEST_TIMEOUT";
      break;
    case 413:
      code = "REQUEST_ENTITY_TOO_LARGE";
      break;
    case 414:
      code = "URI_TOO_LONG";
      break;
    case 431:
      code = "REQUEST_HEADER_FIELDS_TOO_LARGE";
      break;
    case 503:
      code = "TEMPORARILY_UNAVAILABLE";
      break;
    default:
      code = "INTERNAL_ERROR";
      break;
  }
  std::string body = "{\"error_code\":\"";
  body.append(code);
  body.append("\",\"message\":");
  const size_t message_at = body.size();
  if (!AppendJsonString(body, message)) {  // not UTF-8: said without the bytes
    body.resize(message_at);
    AppendJsonString(body, "the request could not be read");
  }
  body.append("}");
  return Response::Json(status, std::move(body));
}

}  // namespace latchkey::http
