// The signature and time checks of a token from an external OpenID issuer, shared by every
// federation path that is not Entra's client assertion (Databricks token federation at the
// workspace's /oidc/v1/token, issue 21). The caller has already matched the token's iss to an
// issuer an admin registered (a federation policy), so only that issuer's keys are fetched,
// through FederationKeys. RS256 and ES256 only, each with a key of its own type; exp and iat
// required, nbf optional, `skew` tolerance, exp - iat at most `max_lifetime`.
#pragma once

#include <chrono>
#include <expected>
#include <string>

#include "base/clock.h"
#include "jose/jws.h"

namespace latchkey::idp {

class FederationKeys;

struct FederatedJwtError {
  enum class Kind {
    kInvalid,      // the token is refused (algorithm, kid, signature, time)
    kUnavailable,  // the issuer's keys could not be fetched, or federation is off
  };
  Kind kind = Kind::kInvalid;
  std::string message;  // fit for the client and the audit; never the token
};

// A claim value quoted in an error message: printable ASCII, at most 200 characters.
std::string QuoteClaim(std::string_view value);

std::expected<void, FederatedJwtError> VerifyFederatedJwt(const jose::ParsedJwt& jwt,
                                                          const std::string& issuer,
                                                          FederationKeys* keys,
                                                          std::chrono::seconds skew,
                                                          std::chrono::seconds max_lifetime,
                                                          TimePoint now);

}  // namespace latchkey::idp
