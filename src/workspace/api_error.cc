#include "workspace/api_error.h"
#include "http/offload_context.h"

#include <string>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace latchkey::workspace {
namespace {

using nlohmann::json;

struct Mapping {
  int status;
  const char* error_code;
};

Mapping MapCode(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return {400, "INVALID_PARAMETER_VALUE"};
    case ErrorCode::kUnauthenticated: return {401, "UNAUTHENTICATED"};
    case ErrorCode::kPermissionDenied: return {403, "PERMISSION_DENIED"};
    case ErrorCode::kNotFound: return {404, "RESOURCE_DOES_NOT_EXIST"};
    case ErrorCode::kAlreadyExists: return {409, "RESOURCE_ALREADY_EXISTS"};
    case ErrorCode::kFailedPrecondition: return {400, "INVALID_STATE"};
    // §2.2/§11: QUOTA_EXCEEDED has no documented status; 400 keeps SDKs from retrying it.
    case ErrorCode::kResourceExhausted: return {400, "QUOTA_EXCEEDED"};
    case ErrorCode::kUnavailable: return {503, "TEMPORARILY_UNAVAILABLE"};
    case ErrorCode::kInternal: return {500, "INTERNAL_ERROR"};
  }
  return {500, "INTERNAL_ERROR"};
}

std::string Dump(const json& body) {
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Server-side failures keep their detail in the log; clients get a stable text that names the
// request and contains none of the phrases SDKs retry on (§2.3).
std::string PublicMessage(const Error& error, std::string_view request_id) {
  if (error.code == ErrorCode::kInternal) {
    spdlog::error("event=internal_error request_id={} detail=\"{}\"", request_id, error.message);
    return "Internal error (request id " + std::string(request_id) + ").";
  }
  if (error.code == ErrorCode::kUnavailable) {
    if (!http::Deferred()) {
      spdlog::warn("event=unavailable request_id={} detail=\"{}\"", request_id, error.message);
    }
    return "The workspace store is temporarily unavailable.";
  }
  return error.message;
}

}  // namespace

std::string DatabricksErrorBody(std::string_view error_code, std::string_view message) {
  return Dump({{"error_code", std::string(error_code)}, {"message", std::string(message)}});
}

std::string ScimErrorBody(int status, std::string_view detail, std::string_view scim_type) {
  json body = {{"schemas", json::array({"urn:ietf:params:scim:api:messages:2.0:Error"})},
               {"detail", std::string(detail)},
               {"status", std::to_string(status)}};
  if (!scim_type.empty()) body["scimType"] = std::string(scim_type);
  return Dump(body);
}

std::string OAuthErrorBody(std::string_view error, std::string_view description) {
  return Dump({{"error", std::string(error)}, {"error_description", std::string(description)}});
}

http::Response ApiErrorResponse(const Error& error, std::string_view request_id) {
  Mapping m = MapCode(error.code);
  return http::Response::Json(m.status,
                              DatabricksErrorBody(m.error_code, PublicMessage(error, request_id)));
}

http::Response MalformedRequest(std::string_view message) {
  return http::Response::Json(400, DatabricksErrorBody("MALFORMED_REQUEST", message));
}

http::Response MissingCredential() {
  // §3.5: integer error_code and the realm header.
  json body = {{"error_code", 401},
               {"message", "Credential was not sent or was of an unsupported type for this API."}};
  http::Response response = http::Response::Json(401, Dump(body));
  response.SetHeader("WWW-Authenticate", "Bearer realm=\"DatabricksRealm\"");
  return response;
}

http::Response InvalidAccessToken() {
  json body = {{"error_code", 403}, {"message", "Invalid access token."}};
  http::Response response = http::Response::Json(403, Dump(body));
  response.SetHeader("X-Databricks-Reason-Phrase", "Invalid access token.");
  return response;
}

http::Response RequestLimitExceeded(std::chrono::seconds retry_after) {
  http::Response response = http::Response::Json(
      429, DatabricksErrorBody("REQUEST_LIMIT_EXCEEDED",
                               "Too many failed authentication attempts from this address."));
  response.SetHeader("Retry-After", std::to_string(std::max<int64_t>(1, retry_after.count())));
  return response;
}

http::Response AuthFailureResponse(const auth::Failure& failure, std::string_view request_id) {
  switch (failure.kind) {
    case auth::FailureKind::kNoCredential:
    case auth::FailureKind::kEmptyCredential: return MissingCredential();
    case auth::FailureKind::kDenied: return InvalidAccessToken();
    case auth::FailureKind::kThrottled: return RequestLimitExceeded(failure.retry_after);
    case auth::FailureKind::kUnavailable: break;
  }
  return ApiErrorResponse(Error{failure.outage, failure.detail}, request_id);
}

http::Response ScimErrorResponse(const Error& error, std::string_view request_id) {
  Mapping m = MapCode(error.code);
  const std::string_view scim_type = m.status == 400   ? "invalidValue"
                                     : m.status == 409 ? "uniqueness"
                                                       : "";
  return http::Response::Json(m.status,
                              ScimErrorBody(m.status, PublicMessage(error, request_id), scim_type));
}

http::Response ScimMalformedRequest(std::string_view message) {
  return http::Response::Json(400, ScimErrorBody(400, message, "invalidSyntax"));
}

http::Response OAuthErrorResponse(int status, std::string_view error,
                                  std::string_view description,
                                  std::chrono::seconds retry_after,
                                  std::string_view challenge) {
  http::Response response = http::Response::Json(status, OAuthErrorBody(error, description));
  response.SetHeader("Cache-Control", "no-store");
  response.SetHeader("Pragma", "no-cache");
  if (retry_after.count() > 0) response.SetHeader("Retry-After", std::to_string(retry_after.count()));
  if (status == 401) response.SetHeader("WWW-Authenticate", std::string(challenge));
  return response;
}

}  // namespace latchkey::workspace
