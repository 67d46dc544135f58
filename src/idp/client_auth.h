// Client authentication for the token endpoints: where the credentials come from (form body,
// HTTP Basic, client assertion) and how they are checked. Secrets are compared as SHA-256
// hashes in constant time; assertions are RS256 JWTs signed by a registered certificate.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/encoding.h"
#include "base/secret.h"
#include "idp/entra_error.h"
#include "store/store.h"

namespace latchkey::idp {

enum class ClientCredentialKind { kNone, kSecret, kAssertion };

struct ClientCredentials {
  std::string client_id;
  ClientCredentialKind kind = ClientCredentialKind::kNone;
  Secret secret;  // the client secret, or the assertion JWT
};

// Collects client_id and one credential. Two credentials at once (Basic and a body secret, a
// secret and an assertion) or a client_id that disagrees with Basic's are refused.
// The time checks client assertions and federated tokens share; `noun` names the token in the
// message ("the assertion", "the federated token"). `t` is now in unix seconds.
// Expired: exp <= t - skew (AADSTS700024).
std::optional<EntraError> AssertionExpired(double exp, int64_t t, int64_t skew,
                                           std::string_view noun);
// Not valid yet: nbf present and not a number, or after t + skew (AADSTS700024).
std::optional<EntraError> AssertionNotYetValid(const nlohmann::json& claims, int64_t t,
                                               int64_t skew, std::string_view noun);

std::expected<ClientCredentials, EntraError> ExtractClientCredentials(
    const FormFields& form, std::string_view authorization_header);

std::expected<void, EntraError> VerifyClientSecret(store::Store& store,
                                                   const store::Application& app,
                                                   const Secret& secret, TimePoint now);
// The same against credentials already read (ClientCache).
std::expected<void, EntraError> VerifyClientSecret(
    const std::vector<store::PasswordCredential>& creds, const store::Application& app,
    const Secret& secret, TimePoint now);

// Client-assertion limits. An assertion's jti is remembered until exp + skew, so the replay
// window is the assertion's own lifetime (at most one day) plus five minutes; each client may
// hold at most kMaxLiveAssertionsPerClient unexpired jtis (~100 bytes each in the store).
inline constexpr int64_t kAssertionSkewSeconds = 300;
inline constexpr int64_t kMaxAssertionLifetimeSeconds = 86400;
inline constexpr size_t kMaxJtiLength = 256;
inline constexpr int kMaxLiveAssertionsPerClient = 20000;
// Registered certificates need an RSA key of at least this many bits (Entra's minimum).
inline constexpr int kMinCertificateRsaBits = 2048;

// Checks an RFC 7523 client assertion: RS256, signed by one of the app's certificates (found
// by the x5t header, else tried in turn), iss = sub = client id, aud = a token endpoint of
// this tenant on `base_url`, valid exp/nbf, lifetime at most one day, and a jti not used
// before (recorded through Store::RecordAssertionJti: a replay gets AADSTS50013).
std::expected<void, EntraError> VerifyClientAssertion(store::Store& store,
                                                      const store::Application& app,
                                                      const std::string& assertion,
                                                      const std::string& base_url,
                                                      const std::string& tenant, TimePoint now);

}  // namespace latchkey::idp
