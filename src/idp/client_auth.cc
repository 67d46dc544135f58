#include "idp/client_auth.h"

#include <nlohmann/json.hpp>

#include "auth/basic_credentials.h"
#include "base/result_macros.h"
#include "crypto/hash.h"
#include "crypto/x509.h"
#include "jose/jws.h"

namespace latchkey::idp {
namespace {

constexpr std::string_view kJwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

EntraError Conflict() {
  return InvalidRequest(
      90014, "The request contains more than one client credential. Send the client secret in "
             "the body or with HTTP Basic, or a client assertion, but only one of them.");
}

}  // namespace

std::optional<EntraError> AssertionExpired(double exp, int64_t t, int64_t skew,
                                           std::string_view noun) {
  if (exp > static_cast<double>(t - skew)) return std::nullopt;
  return ClientAssertionOutsideTime(std::string(noun) + " has expired");
}

std::optional<EntraError> AssertionNotYetValid(const nlohmann::json& claims, int64_t t,
                                               int64_t skew, std::string_view noun) {
  auto nbf = claims.find("nbf");
  if (nbf == claims.end()) return std::nullopt;
  if (nbf->is_number() && nbf->get<double>() <= static_cast<double>(t + skew)) return std::nullopt;
  return ClientAssertionOutsideTime(std::string(noun) + " is not valid yet");
}

std::expected<ClientCredentials, EntraError> ExtractClientCredentials(
    const FormFields& form, std::string_view authorization_header) {
  ClientCredentials out;
  const std::string* id = FindFormField(form, "client_id");
  const std::string* secret = FindFormField(form, "client_secret");
  const std::string* assertion = FindFormField(form, "client_assertion");
  const std::string* assertion_type = FindFormField(form, "client_assertion_type");
  if (id) out.client_id = *id;

  // Through auth/ (RFC 6749 §2.3.1 decoding); the Entra errors are this endpoint's own.
  auth::BasicCredentials basic = auth::ParseBasic(authorization_header);
  if (basic.status != auth::BasicStatus::kAbsent) {
    // The client id is quoted in errors and looked up: text, as a form field must be.
    if (basic.status == auth::BasicStatus::kMalformed || !IsUtf8(basic.client_id) ||
        basic.client_id.find('\0') != std::string::npos) {
      return std::unexpected(InvalidRequest(90014, "The Authorization header is not valid Basic credentials."));
    }
    if (secret || assertion) return std::unexpected(Conflict());
    if (id && *id != basic.client_id) return std::unexpected(Conflict());
    out.client_id = std::move(basic.client_id);
    out.kind = ClientCredentialKind::kSecret;
    out.secret = std::move(basic.secret);
    return out;
  }
  if (secret && assertion) return std::unexpected(Conflict());
  if (secret) {
    out.kind = ClientCredentialKind::kSecret;
    out.secret = Secret(*secret);
  } else if (assertion) {
    if (!assertion_type || *assertion_type != kJwtBearer) {
      return std::unexpected(InvalidRequest(
          900144, "The request body must contain the following parameter: "
                  "'client_assertion_type' with the value '" + std::string(kJwtBearer) + "'."));
    }
    out.kind = ClientCredentialKind::kAssertion;
    out.secret = Secret(*assertion);
    // RFC 7523: the client is the assertion's subject when client_id is absent.
    if (out.client_id.empty()) {
      auto parsed = jose::ParseJwt(*assertion);
      if (parsed && parsed->claims.contains("sub") && parsed->claims["sub"].is_string()) {
        out.client_id = parsed->claims["sub"].get<std::string>();
      }
    }
  }
  return out;
}

std::expected<void, EntraError> VerifyClientSecret(store::Store& store,
                                                   const store::Application& app,
                                                   const Secret& secret, TimePoint now) {
  if (secret.empty()) return std::unexpected(MissingClientCredential());
  if (secret.size() > 1024) return std::unexpected(InvalidClientSecret(app.app_id));
  auto creds = store.ListPasswordCredentials(app.object_id);
  if (!creds) {
    return std::unexpected(EntraError{503, "temporarily_unavailable", 90033,
                                      "A transient error has occurred. Please try again."});
  }
  return VerifyClientSecret(*creds, app, secret, now);
}

std::expected<void, EntraError> VerifyClientSecret(
    const std::vector<store::PasswordCredential>& creds, const store::Application& app,
    const Secret& secret, TimePoint now) {
  if (secret.empty()) return std::unexpected(MissingClientCredential());
  if (secret.size() > 1024) return std::unexpected(InvalidClientSecret(app.app_id));
  const std::string hash = crypto::Sha256Hex(secret.reveal());
  // Compare against every credential so the time taken does not tell which one matched.
  bool matched = false, expired = true;
  for (const auto& c : creds) {
    if (crypto::ConstantTimeEquals(hash, c.secret_hash)) {
      matched = true;
      if ((!c.end_at || *c.end_at > now) && c.start_at <= now + std::chrono::minutes(5)) {
        expired = false;
      }
    }
  }
  if (!matched) return std::unexpected(InvalidClientSecret(app.app_id));
  if (expired) return std::unexpected(ExpiredClientSecret(app.app_id));
  return {};
}

namespace {

// The assertion's signature verifies with one of the app's registered, currently valid, strong
// certificates (the one its x5t names, when it names one).
std::expected<void, EntraError> VerifyAssertionSignature(store::Store& store,
                                                         const store::Application& app,
                                                         const jose::ParsedJwt& jwt, TimePoint now) {
  auto certs = store.ListCertificateCredentials(app.object_id);
  if (!certs || certs->empty()) {
    return std::unexpected(InvalidClientAssertion("the app has no registered certificate"));
  }
  std::string x5t;
  if (jwt.header.contains("x5t") && jwt.header["x5t"].is_string()) {
    auto raw = Base64UrlDecode(jwt.header["x5t"].get<std::string>());
    if (!raw || raw->size() != 20) {
      return std::unexpected(InvalidClientAssertion("the x5t header is not a SHA-1 thumbprint"));
    }
    x5t = HexEncode(*raw);
  }
  bool verified = false, thumbprint_found = x5t.empty(), weak = false;
  for (const auto& c : *certs) {
    if (!x5t.empty() && !IEquals(x5t, c.thumbprint_sha1)) continue;
    thumbprint_found = true;
    if (c.end_at <= now || c.start_at > now + std::chrono::minutes(5)) continue;
    auto cert = crypto::ParseCertificatePem(c.certificate_pem);
    if (!cert) continue;
    // Registration refuses weak keys; one stored before that rule never verifies either.
    if (cert->public_key.Bits() < kMinCertificateRsaBits) {
      weak = true;
      continue;
    }
    if (cert->public_key.VerifyRs256(jwt.signing_input, jwt.signature)) {
      verified = true;
      break;
    }
  }
  if (!thumbprint_found) {
    return std::unexpected(
        InvalidClientAssertion("no certificate with the x5t thumbprint is registered for the app"));
  }
  if (!verified) {
    return std::unexpected(InvalidClientAssertion(
        weak ? "the registered certificate's key is shorter than RSA 2048 bits"
             : "no registered certificate verifies the signature"));
  }
  return {};
}

// iss, sub, aud, exp and nbf as Entra checks them; returns exp.
std::expected<double, EntraError> CheckAssertionClaims(const nlohmann::json& c,
                                                       const store::Application& app,
                                                       const std::string& base_url,
                                                       const std::string& tenant, TimePoint now) {
  auto str = [&](const char* k) {
    return c.contains(k) && c[k].is_string() ? c[k].get<std::string>() : std::string();
  };
  if (!IEquals(str("iss"), app.app_id) || !IEquals(str("sub"), app.app_id)) {
    return std::unexpected(InvalidClientAssertion("iss and sub must be the client id"));
  }
  // The audience is this tenant's token endpoint (either version) as the client addressed us.
  std::vector<std::string> audiences = {base_url + "/" + tenant + "/oauth2/v2.0/token",
                                        base_url + "/" + tenant + "/oauth2/token",
                                        base_url + "/adfs/oauth2/token"};
  bool aud_ok = false;
  auto check_aud = [&](const nlohmann::json& v) {
    if (v.is_string())
      for (const auto& a : audiences) aud_ok = aud_ok || IEquals(v.get<std::string>(), a);
  };
  if (c.contains("aud")) {
    if (c["aud"].is_array()) {
      for (const auto& v : c["aud"]) check_aud(v);
    } else {
      check_aud(c["aud"]);
    }
  }
  if (!aud_ok) return std::unexpected(InvalidClientAssertion("aud is not this token endpoint"));
  const int64_t t = ToUnixSeconds(now);
  if (!c.contains("exp") || !c["exp"].is_number()) {
    return std::unexpected(InvalidClientAssertion("the assertion has no exp claim"));
  }
  const double exp = c["exp"].get<double>();
  constexpr std::string_view kNoun = "the assertion";
  if (auto expired = AssertionExpired(exp, t, kAssertionSkewSeconds, kNoun)) {
    return std::unexpected(std::move(*expired));
  }
  if (exp > static_cast<double>(t + kMaxAssertionLifetimeSeconds)) {
    return std::unexpected(InvalidClientAssertion("the assertion lives longer than one day"));
  }
  if (auto early = AssertionNotYetValid(c, t, kAssertionSkewSeconds, kNoun)) {
    return std::unexpected(std::move(*early));
  }
  return exp;
}

// Replay: each jti is accepted once, remembered (in the store, so on every replica) until the
// assertion could no longer be accepted anyway.
std::expected<void, EntraError> RecordAssertionJti(store::Store& store,
                                                   const store::Application& app,
                                                   const nlohmann::json& c, double exp,
                                                   TimePoint now) {
  const std::string jti = c.contains("jti") && c["jti"].is_string() ? c["jti"].get<std::string>()
                                                                    : std::string();
  if (jti.empty() || jti.size() > kMaxJtiLength) {
    return std::unexpected(
        InvalidClientAssertion("the assertion needs a jti of 1 to 256 characters"));
  }
  const std::string jti_hash = crypto::Sha256Hex(AsciiLower(app.app_id) + "\n" + jti);
  const TimePoint remember_until =
      FromUnixSeconds(static_cast<int64_t>(exp) + 1 + kAssertionSkewSeconds);
  auto recorded = store.RecordAssertionJti(AsciiLower(app.app_id), jti_hash, remember_until,
                                           kMaxLiveAssertionsPerClient, now);
  if (recorded) return {};
  switch (recorded.error().code) {
    case ErrorCode::kAlreadyExists:
      return std::unexpected(ReplayedClientAssertion());
    case ErrorCode::kResourceExhausted:
      return std::unexpected(TooManyClientAssertions(60));
    default:
      return std::unexpected(EntraError{503, "temporarily_unavailable", 90033,
                                        "A transient error has occurred. Please try again."});
  }
}

}  // namespace

std::expected<void, EntraError> VerifyClientAssertion(store::Store& store,
                                                      const store::Application& app,
                                                      const std::string& assertion,
                                                      const std::string& base_url,
                                                      const std::string& tenant, TimePoint now) {
  auto jwt = jose::ParseJwt(assertion);
  if (!jwt) return std::unexpected(InvalidClientAssertion("the assertion is not a valid JWT"));
  if (!jwt->header.contains("alg") || jwt->header["alg"] != "RS256") {
    return std::unexpected(InvalidClientAssertion("only RS256 assertions are accepted"));
  }
  RETURN_IF_ERROR(VerifyAssertionSignature(store, app, *jwt, now));
  ASSIGN_OR_RETURN(double exp, CheckAssertionClaims(jwt->claims, app, base_url, tenant, now));
  return RecordAssertionJti(store, app, jwt->claims, exp, now);
}

}  // namespace latchkey::idp
