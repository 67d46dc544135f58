#include "idp/federated_jwt.h"

#include <nlohmann/json.hpp>

#include "idp/federation.h"

namespace latchkey::idp {
namespace {

using nlohmann::json;

constexpr size_t kMaxKid = 256;

std::unexpected<FederatedJwtError> Invalid(std::string message) {
  return std::unexpected(FederatedJwtError{FederatedJwtError::Kind::kInvalid, std::move(message)});
}

std::string Text(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string QuoteClaim(std::string_view value) {
  std::string out;
  for (char ch : value.substr(0, 200)) out += (ch >= 0x20 && ch < 0x7f) ? ch : '?';
  if (value.size() > 200) out += "...";
  return out;
}

std::expected<void, FederatedJwtError> VerifyFederatedJwt(const jose::ParsedJwt& jwt,
                                                          const std::string& issuer,
                                                          FederationKeys* keys,
                                                          std::chrono::seconds skew,
                                                          std::chrono::seconds max_lifetime,
                                                          TimePoint now) {
  // The header names the algorithm, but only the two asymmetric ones are accepted, each only
  // with a key of its own type: "none", HS256 keyed with a public key, or RS256 against an EC
  // key never verify.
  const std::string alg = Text(jwt.header, "alg");
  if (alg != "RS256" && alg != "ES256") {
    return Invalid("The subject token must be signed with RS256 or ES256, not '" +
                   QuoteClaim(alg) + "'.");
  }
  const std::string kid = Text(jwt.header, "kid");
  if (kid.empty() || kid.size() > kMaxKid) return Invalid("The subject token has no kid header.");
  if (keys == nullptr) {
    return std::unexpected(FederatedJwtError{FederatedJwtError::Kind::kUnavailable,
                                             "Token federation is not enabled on this server."});
  }
  FederationKeys::Lookup found = keys->Find(issuer, kid);
  if (found.outcome == FederationKeys::Outcome::kUnavailable) {
    return std::unexpected(FederatedJwtError{
        FederatedJwtError::Kind::kUnavailable,
        "The keys of issuer '" + QuoteClaim(issuer) + "' could not be fetched: " + found.detail});
  }
  if (found.outcome == FederationKeys::Outcome::kUnknownKid) {
    return Invalid("The issuer '" + QuoteClaim(issuer) + "' publishes no key '" +
                   QuoteClaim(kid) + "'.");
  }
  const bool verified =
      alg == "RS256"
          ? found.key.rsa && found.key.rsa->VerifyRs256(jwt.signing_input, jwt.signature)
          : found.key.ec && found.key.ec->VerifyEs256(jwt.signing_input, jwt.signature);
  if (!verified) {
    return Invalid("The subject token's signature does not verify with the issuer's key '" +
                   QuoteClaim(kid) + "'.");
  }

  const json& c = jwt.claims;
  const int64_t t = ToUnixSeconds(now);
  const double s = static_cast<double>(skew.count());
  const double life = static_cast<double>(max_lifetime.count());
  if (!c.contains("exp") || !c["exp"].is_number() || !c.contains("iat") || !c["iat"].is_number()) {
    return Invalid("The subject token needs exp and iat claims.");
  }
  const double exp = c["exp"].get<double>();
  const double iat = c["iat"].get<double>();
  if (exp <= static_cast<double>(t) - s) return Invalid("The subject token has expired.");
  if (iat > static_cast<double>(t) + s) return Invalid("The subject token is issued in the future.");
  if (c.contains("nbf") && (!c["nbf"].is_number() || c["nbf"].get<double>() > static_cast<double>(t) + s)) {
    return Invalid("The subject token is not valid yet (nbf).");
  }
  if (exp - iat > life || exp > static_cast<double>(t) + life + s) {
    return Invalid("The subject token lives longer than " + std::to_string(max_lifetime.count()) +
                   " seconds (exp - iat).");
  }
  return {};
}

}  // namespace latchkey::idp
