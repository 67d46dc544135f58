#include "idp/entra_error.h"

#include <algorithm>
#include <ctime>

#include <nlohmann/json.hpp>

namespace latchkey::idp {
namespace {

std::string FormatUtc(TimePoint t, const char* fmt) {
  std::time_t secs = static_cast<std::time_t>(ToUnixSeconds(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, fmt, &tm);
  return buf;
}

}  // namespace

std::string ResponseJson(const nlohmann::json& body) {
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string EntraTimestamp(TimePoint t) { return FormatUtc(t, "%Y-%m-%d %H:%M:%SZ"); }
std::string Rfc3339(TimePoint t) { return FormatUtc(t, "%Y-%m-%dT%H:%M:%SZ"); }

EntraError InvalidRequest(int aadsts, std::string description) {
  return {400, "invalid_request", aadsts, std::move(description)};
}

EntraError MissingParameter(std::string_view name) {
  return InvalidRequest(900144, "The request body must contain the following parameter: '" +
                                    std::string(name) + "'.");
}

EntraError UnsupportedGrantType(std::string_view grant_type) {
  return {400, "unsupported_grant_type", 70003,
          "The app requested an unsupported grant type '" + std::string(grant_type.substr(0, 64)) +
              "'."};
}

EntraError TenantNotFound(std::string_view tenant) {
  return {400, "invalid_tenant", 90002,
          "Tenant '" + std::string(tenant.substr(0, 64)) +
              "' not found. Check to make sure you have the correct tenant ID and are signing "
              "into the correct cloud."};
}

// Entra's explanation after a principal it could not find in a tenant (AADSTS700016, 500011).
constexpr std::string_view kNotInstalledHint =
    ". This can happen if the application has not been installed by the administrator of the "
    "tenant or consented to by any user in the tenant.";

EntraError AppNotFoundInTenant(std::string_view client_id, std::string_view tenant) {
  return {400, "unauthorized_client", 700016,
          "Application with identifier '" + std::string(client_id.substr(0, 64)) +
              "' was not found in the directory '" + std::string(tenant) + "'" +
              std::string(kNotInstalledHint)};
}

EntraError InvalidClientSecret(std::string_view client_id) {
  return {401, "invalid_client", 7000215,
          "Invalid client secret provided. Ensure the secret being sent in the request is the "
          "client secret value, not the client secret ID, for a secret added to app '" +
              std::string(client_id) + "'."};
}

EntraError MissingClientCredential() {
  return {401, "invalid_client", 7000218,
          "The request body must contain the following parameter: 'client_assertion' or "
          "'client_secret'."};
}

EntraError ExpiredClientSecret(std::string_view client_id) {
  return {401, "invalid_client", 7000222,
          "The provided client secret keys for app '" + std::string(client_id) +
              "' are expired. Visit the Azure portal to create new keys for your app."};
}

EntraError InvalidClientAssertion(std::string_view why) {
  return {401, "invalid_client", 700027,
          "Client assertion failed signature validation or is invalid: " + std::string(why)};
}

EntraError ClientAssertionOutsideTime(std::string_view why) {
  return {401, "invalid_client", 700024,
          "Client assertion is not within its valid time range: " + std::string(why)};
}

EntraError ReplayedClientAssertion() {
  return {401, "invalid_client", 50013,
          "Assertion is invalid: the client assertion's jti has already been used. Create a new "
          "assertion, with a new jti, for every token request."};
}

namespace {

// AADSTS50196, Entra's throttling answer: 429 with Retry-After; `why` ends in the text that
// the number of seconds follows ("... retry after ", "... Retry after ").
EntraError TooMany(std::string why, int retry_after_seconds) {
  return {429, "temporarily_unavailable", 50196,
          std::move(why) + std::to_string(retry_after_seconds) + " seconds.", retry_after_seconds};
}

}  // namespace

EntraError TooManyClientAssertions(int retry_after_seconds) {
  return TooMany(
      "The client has too many unexpired client assertions in use. Use shorter-lived "
      "assertions, or retry after ",
      retry_after_seconds);
}

EntraError InvalidScope(std::string_view scope) {
  return {400, "invalid_scope", 70011,
          "The provided request must include a 'scope' input parameter. The provided value for "
          "the input parameter 'scope' is not valid. The scope " +
              std::string(scope.substr(0, 256)) + " is not valid."};
}

EntraError UnknownResource(std::string_view resource, std::string_view tenant) {
  return {400, "invalid_resource", 500011,
          "The resource principal named " + std::string(resource.substr(0, 256)) +
              " was not found in the tenant named " + std::string(tenant) +
              std::string(kNotInstalledHint)};
}

EntraError Throttled(int retry_after_seconds) {
  return TooMany(
      "The server terminated an operation because it encountered too many failed requests "
      "from this client. Retry after ",
      retry_after_seconds);
}

http::Response RenderEntraError(const EntraError& error, const Clock& clock, Random& random,
                                std::string_view correlation_id) {
  const TimePoint now = clock.Now();
  const std::string trace_id = random.Uuid();
  const std::string corr = correlation_id.empty() ? random.Uuid() : std::string(correlation_id);
  const std::string ts = EntraTimestamp(now);
  const std::string code = "AADSTS" + std::to_string(error.aadsts);
  nlohmann::json body = {
      {"error", error.error},
      {"error_description", code + ": " + error.description + "\r\nTrace ID: " + trace_id +
                                "\r\nCorrelation ID: " + corr + "\r\nTimestamp: " + ts},
      {"error_codes", {error.aadsts}},
      {"timestamp", ts},
      {"trace_id", trace_id},
      {"correlation_id", corr},
      {"error_uri", "https://login.microsoftonline.com/error?code=" + std::to_string(error.aadsts)},
  };
  http::Response r = http::Response::Json(error.status, ResponseJson(body));
  r.SetHeader("Cache-Control", "no-store, no-cache");
  if (error.retry_after_seconds > 0) {
    r.SetHeader("Retry-After", std::to_string(error.retry_after_seconds));
  }
  return r;
}

http::Response RenderGraphError(int status, std::string_view code, std::string_view message,
                                const Clock& clock, std::string_view request_id) {
  nlohmann::json body = {
      {"error",
       {{"code", code},
        {"message", message},
        {"innerError",
         {{"date", Rfc3339(clock.Now())},
          {"request-id", request_id},
          {"client-request-id", request_id}}}}}};
  return http::Response::Json(status, ResponseJson(body));
}

http::Response RenderBareEntraError(int status, std::string_view error, int aadsts,
                                    std::string_view description) {
  nlohmann::json body = {
      {"error", std::string(error)},
      {"error_description", "AADSTS" + std::to_string(aadsts) + ": " + std::string(description)},
      {"error_codes", {aadsts}}};
  return http::Response::Json(status, ResponseJson(body));
}

http::Response RenderArmError(int status, std::string_view code, std::string_view message) {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  return http::Response::Json(status, ResponseJson(body));
}

namespace {

constexpr std::string_view kTooManyFailures =
    "Too many failed authentication attempts from this address.";

http::Response WithRetryAfter(http::Response r, std::chrono::seconds wait) {
  r.SetHeader("Retry-After", std::to_string(std::max<int64_t>(1, wait.count())));
  return r;
}

}  // namespace

http::Response RenderGraphAuthFailure(const auth::Failure& failure, const Clock& clock,
                                      std::string_view request_id) {
  switch (failure.kind) {
    case auth::FailureKind::kNoCredential:
    case auth::FailureKind::kEmptyCredential:
      return RenderGraphError(401, "InvalidAuthenticationToken", "Access token is empty.", clock,
                              request_id);
    case auth::FailureKind::kDenied:
      return RenderGraphError(401, "InvalidAuthenticationToken",
                              "Access token validation failure.", clock, request_id);
    case auth::FailureKind::kThrottled:
      return WithRetryAfter(
          RenderGraphError(429, "TooManyRequests", kTooManyFailures, clock, request_id),
          failure.retry_after);
    case auth::FailureKind::kUnavailable: break;
  }
  return RenderGraphError(503, "serviceNotAvailable", "The service is temporarily unavailable.",
                          clock, request_id);
}

http::Response RenderArmAuthFailure(const auth::Failure& failure, std::string_view base_url) {
  switch (failure.kind) {
    case auth::FailureKind::kNoCredential:
    case auth::FailureKind::kEmptyCredential: {
      http::Response r = RenderArmError(
          401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
      r.SetHeader("WWW-Authenticate", "Bearer authorization_uri=\"" + std::string(base_url) +
                                          "/adfs\", error=\"invalid_token\"");
      return r;
    }
    case auth::FailureKind::kDenied:
      return RenderArmError(401, "InvalidAuthenticationToken",
                            "The access token is invalid: " + failure.detail);
    case auth::FailureKind::kThrottled:
      return WithRetryAfter(RenderArmError(429, "TooManyRequests", kTooManyFailures),
                            failure.retry_after);
    case auth::FailureKind::kUnavailable: break;
  }
  return RenderArmError(503, "ServiceUnavailable", "The service is temporarily unavailable.");
}

}  // namespace latchkey::idp
