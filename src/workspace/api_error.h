// Every error body the workspace sends, written in one place (STYLE §4): the Databricks
// {"error_code","message"} body (spec §2), the integer-coded authentication failures (§3.5),
// the SCIM error body (RFC 7644 §3.12, spec §2.1) and the OAuth token endpoint errors
// (RFC 6749 §5.2, spec §8.3). Every body is JSON with Content-Type application/json; no
// message ever contains a token or secret, or a phrase that makes SDKs retry (§2.3).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "auth/failure.h"
#include "base/result.h"
#include "http/message.h"

namespace latchkey::workspace {

// The bodies, for the responses below and for the errors the HTTP layer answers itself on
// these protocols' paths (app/app_routes.cc RenderServerError).
// {"error_code":code,"message":message}
std::string DatabricksErrorBody(std::string_view error_code, std::string_view message);
// {"schemas":[...Error],"detail":detail,"status":"<status>"[,"scimType":scim_type]}
std::string ScimErrorBody(int status, std::string_view detail, std::string_view scim_type = "");
// {"error":error,"error_description":description}
std::string OAuthErrorBody(std::string_view error, std::string_view description);

// Maps the ErrorCode (spec §2.2): kInvalidArgument 400 INVALID_PARAMETER_VALUE,
// kUnauthenticated 401 UNAUTHENTICATED, kPermissionDenied 403 PERMISSION_DENIED, kNotFound 404
// RESOURCE_DOES_NOT_EXIST, kAlreadyExists 409 RESOURCE_ALREADY_EXISTS, kFailedPrecondition 400
// INVALID_STATE, kResourceExhausted 400 QUOTA_EXCEEDED (the only workspace producer is the PAT
// quota; §2.2 suggests 400 so clients do not retry), kUnavailable 503 TEMPORARILY_UNAVAILABLE,
// kInternal 500 INTERNAL_ERROR (generic message; the detail is logged, not sent).
http::Response ApiErrorResponse(const Error& error, std::string_view request_id);
// 400 MALFORMED_REQUEST: the body is not a JSON object.
http::Response MalformedRequest(std::string_view message);

// 401 {"error_code":401,...} + WWW-Authenticate: no credential or an unsupported scheme.
http::Response MissingCredential();
// 403 {"error_code":403,"message":"Invalid access token."} + X-Databricks-Reason-Phrase.
http::Response InvalidAccessToken();
// 429 REQUEST_LIMIT_EXCEEDED + Retry-After (integer seconds).
http::Response RequestLimitExceeded(std::chrono::seconds retry_after);
// The response for a failed authentication (auth/failure.h): 401 MissingCredential, 403
// InvalidAccessToken, 429 RequestLimitExceeded, or the outage as ApiErrorResponse (503).
http::Response AuthFailureResponse(const auth::Failure& failure, std::string_view request_id);

// SCIM error body; the ErrorCode maps to the status as above, scimType "invalidValue" for 400
// and "uniqueness" for 409.
http::Response ScimErrorResponse(const Error& error, std::string_view request_id);
// 400 with scimType "invalidSyntax" (unparseable body).
http::Response ScimMalformedRequest(std::string_view message);

// {"error":..., "error_description":...} with Cache-Control: no-store and Pragma: no-cache;
// Retry-After when retry_after > 0; a 401 carries `challenge` as WWW-Authenticate (/oidc's
// client authentication by default; the operations endpoints name their bearer realm).
// Every OAuth error body latchkey's workspace side writes comes from here.
inline constexpr std::string_view kOidcClientChallenge = "Basic realm=\"oidc\"";
http::Response OAuthErrorResponse(int status, std::string_view error,
                                  std::string_view description,
                                  std::chrono::seconds retry_after = std::chrono::seconds(0),
                                  std::string_view challenge = kOidcClientChallenge);

}  // namespace latchkey::workspace
