#include "cli/api_client.h"

#include "base/encoding.h"

namespace latchkey::cli {
namespace {

std::string AsText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<long long>());
  return value.dump();
}

}  // namespace

ExitCode ExitCodeForHttpStatus(long status) {
  if (status == 401 || status == 403) return ExitCode::kAuthentication;
  if (status == 404) return ExitCode::kNotFound;
  return ExitCode::kServer;
}

CliError ErrorFromResponse(const HttpResponse& response) {
  const ExitCode code = ExitCodeForHttpStatus(response.status);
  const Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  std::string message;
  if (body.is_object()) {
    if (body.contains("error_code")) {
      message = AsText(body["error_code"]) + ": " + AsText(body.value("message", Json("")));
    } else if (body.contains("detail")) {
      std::string status = body.contains("status") ? AsText(body["status"])
                                                   : std::to_string(response.status);
      message = "SCIM_" + status + ": " + AsText(body["detail"]);
    } else if (body.contains("error") && body["error"].is_string()) {
      message = body["error"].get<std::string>();
      if (body.contains("error_description")) message += ": " + AsText(body["error_description"]);
    } else if (body.contains("error") && body["error"].is_object()) {
      const Json& e = body["error"];
      message = AsText(e.value("code", Json("error"))) + ": " + AsText(e.value("message", Json("")));
    }
  }
  if (message.empty()) message = "HTTP " + std::to_string(response.status);
  return CliError{code, OneLine(message)};
}

CliResult<Json> ParseJsonBody(const HttpResponse& response) {
  if (response.body.find_first_not_of(" \t\r\n") == std::string::npos) return Json();
  Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return Fail(ExitCode::kServer,
                "the server answered HTTP " + std::to_string(response.status) + " without JSON");
  }
  return body;
}

CliResult<Json> ApiClient::Call(std::string_view method, std::string_view path, const Json* body) {
  HttpRequest request{std::string(method), base_url_ + std::string(path), {}, ""};
  request.headers.emplace_back("Accept", "application/json");
  if (tokens_ != nullptr) {
    CliResult<Secret> token = tokens_->Token();
    if (!token) return std::unexpected(token.error());
    request.headers.emplace_back("Authorization", "Bearer " + token->reveal());
  }
  if (body != nullptr) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body->dump();
  }
  CliResult<HttpResponse> response = transport_.Send(request);
  if (!response) return std::unexpected(response.error());
  if (response->status < 200 || response->status >= 300) {
    return std::unexpected(ErrorFromResponse(*response));
  }
  return ParseJsonBody(*response);
}

}  // namespace latchkey::cli
