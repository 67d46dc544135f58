// Entra ID's error shapes, written in one place: the OAuth2 token endpoint errors
// ({"error","error_description":"AADSTSnnnn: ...","error_codes",...}), Microsoft Graph errors
// ({"error":{"code","message","innerError"}}) and Azure Resource Manager errors.
// Descriptions never contain a secret.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "auth/failure.h"
#include "base/clock.h"
#include "base/random.h"
#include "http/message.h"

namespace latchkey::idp {

struct EntraError {
  int status = 400;
  std::string error;  // RFC 6749 §5.2 code: invalid_request, invalid_client, ...
  int aadsts = 0;
  std::string description;  // text after "AADSTSnnnn: "
  int retry_after_seconds = 0;  // > 0 adds Retry-After (throttling only)
};

// The common AADSTS errors of the client-credentials flow.
EntraError InvalidRequest(int aadsts, std::string description);
EntraError MissingParameter(std::string_view name);  // AADSTS900144
EntraError UnsupportedGrantType(std::string_view grant_type);  // AADSTS70003
EntraError TenantNotFound(std::string_view tenant);  // AADSTS90002
EntraError AppNotFoundInTenant(std::string_view client_id, std::string_view tenant);  // AADSTS700016
EntraError InvalidClientSecret(std::string_view client_id);  // 401 AADSTS7000215
EntraError MissingClientCredential();  // 401 AADSTS7000218
EntraError ExpiredClientSecret(std::string_view client_id);  // 401 AADSTS7000222
EntraError InvalidClientAssertion(std::string_view why);  // 401 AADSTS700027
// An assertion outside its valid time range (expired, not yet valid): 401 AADSTS700024.
EntraError ClientAssertionOutsideTime(std::string_view why);
// An assertion whose jti was already used (a replay): 401 AADSTS50013, Entra's InvalidAssertion.
EntraError ReplayedClientAssertion();
// A client holding too many unexpired assertions: 429 AADSTS50196 with Retry-After.
EntraError TooManyClientAssertions(int retry_after_seconds);
EntraError InvalidScope(std::string_view scope);  // AADSTS70011
EntraError UnknownResource(std::string_view resource, std::string_view tenant);  // AADSTS500011
EntraError Throttled(int retry_after_seconds);  // 429 AADSTS50196

http::Response RenderEntraError(const EntraError& error, const Clock& clock, Random& random,
                                std::string_view correlation_id);

// {"error":{"code":code,"message":message,"innerError":{...}}}
http::Response RenderGraphError(int status, std::string_view code, std::string_view message,
                                const Clock& clock, std::string_view request_id);
// {"error":{"code":code,"message":message}}
http::Response RenderArmError(int status, std::string_view code, std::string_view message);
// {"error":error,"error_description":"AADSTS<n>: description","error_codes":[n]}: the token
// endpoint's shape without trace ids, for the errors the HTTP layer answers itself on the
// identity provider's paths (app/app_routes.cc RenderServerError).
http::Response RenderBareEntraError(int status, std::string_view error, int aadsts,
                                    std::string_view description);

// A bearer the gate refused (auth/failure.h), in Graph's shape: 401 InvalidAuthenticationToken
// ("Access token is empty." / "Access token validation failure."), 429 TooManyRequests with
// Retry-After, 503 serviceNotAvailable.
http::Response RenderGraphAuthFailure(const auth::Failure& failure, const Clock& clock,
                                      std::string_view request_id);
// The same in ARM's shape (/subscriptions, /tenants): 401 AuthenticationFailed with the
// WWW-Authenticate challenge naming `base_url`/adfs, 401 InvalidAuthenticationToken with the
// failed check, 429 TooManyRequests with Retry-After, 503 ServiceUnavailable.
http::Response RenderArmAuthFailure(const auth::Failure& failure, std::string_view base_url);

// A response body's JSON text. Bytes that are not UTF-8 (a client's, quoted in an error) are
// written as U+FFFD instead of throwing: a response is never a 500 because of what a client
// sent. Every JSON response of the identity provider is written with this.
std::string ResponseJson(const nlohmann::json& body);

// "2026-11-29 18:34:00Z", as Entra writes timestamps.
std::string EntraTimestamp(TimePoint t);
// "2026-11-29T18:34:00Z"
std::string Rfc3339(TimePoint t);

}  // namespace latchkey::idp
